"""Shared harness for integration tests: a real svd on a temp tree, driven
only through the real svctl. Binaries come from $SVD_BIN and $SVCTL_BIN
(ctest sets them); tests run as root in CI, so svd gets --allow-root unless
the test asks to run it as another user."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

SVD = os.environ.get("SVD_BIN", "svd")
SVCTL = os.environ.get("SVCTL_BIN", "svctl")


def wait_for(predicate, timeout=10.0, interval=0.05, what="condition"):
    """Polls predicate() until it returns something truthy; fails after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def pid_alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def processes_with_marker(marker):
    """Pids of live processes whose command line contains marker."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline and pid_alive(int(entry)):
            found.append(int(entry))
    return found


def toml_string(text):
    """A TOML basic string holding text (JSON's escapes are valid TOML)."""
    return json.dumps(text)


def toml_array(items):
    """A TOML array of strings, e.g. for `command`."""
    return "[" + ", ".join(toml_string(item) for item in items) + "]"


def cpu_seconds(pid):
    """User + system CPU time that pid has used so far, in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # fields[0] is the state (field 3); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cmdline(pid):
    """The command line of pid, arguments joined by spaces ("" once it is gone)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def rss_kb(pid):
    """Resident memory of pid in KiB (VmRSS)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# Set by tests/CMakeLists.txt in the sanitizer build. AddressSanitizer keeps
# freed memory in quarantine (256 MB by default) and adds shadow pages, so RSS
# says nothing about svd there: memory bounds are checked in the normal build.
SANITIZED = os.environ.get("SVD_SANITIZED") == "1"
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def assert_rss_growth_below(test, pid, before_kb, limit_mb, what):
    """Asserts that pid's RSS grew by less than limit_mb since before_kb
    (before_kb = 0 bounds the whole RSS); says so when a sanitizer build
    makes the figure meaningless."""
    grown_mb = (rss_kb(pid) - before_kb) / 1024
    if SANITIZED:
        print(f"\n[not checked under ASan] {what}: {grown_mb:.1f} MB (limit {limit_mb} MB)", file=sys.stderr)
        return
    test.assertLess(grown_mb, limit_mb, f"{what}: {grown_mb:.1f} MB")


def pid_gone(pid):
    """True once pid no longer exists at all (not even as a zombie)."""
    return not os.path.exists(f"/proc/{pid}")


def control_exchange(path, payload, replies=1, timeout=5.0):
    """Writes payload (bytes) straight to the control socket at path and
    returns up to `replies` decoded reply lines (fewer if svd hangs up;
    none read when replies is 0)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(path)
        sock.sendall(payload)
        return read_json_lines(sock, replies) if replies else []


def read_json_lines(sock, count):
    """Reads up to count newline-terminated JSON objects from sock (fewer if
    the peer hangs up, a reset counting as hanging up)."""
    buffer = b""
    out = []
    while len(out) < count:
        while b"\n" not in buffer:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                return out
            buffer += chunk
        line, buffer = buffer.split(b"\n", 1)
        out.append(json.loads(line))
    return out


class SvdTestCase(unittest.TestCase):
    """Each test gets a fresh tree in a temp dir with its own svd.toml.
    A unique marker string lets a test find every process it caused."""

    run_as = None  # a user name, to run svd and svctl through runuser

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="svdtest-")
        if self.run_as:
            shutil.chown(self.dir, self.run_as, self.run_as)
        self.config = os.path.join(self.dir, "svd.toml")
        self.marker = f"svdmark{os.getpid()}x{int(time.monotonic() * 1000) % 100000}"
        self.svd = None

    def tearDown(self):
        if self.svd and self.svd.poll() is None:
            self.svd.send_signal(signal.SIGTERM)
            try:
                self.svd.wait(15)
            except subprocess.TimeoutExpired:
                self.svd.kill()
                self.svd.wait()
        if getattr(self, "svd_log", None):
            self.svd_log.close()
            self.assert_no_sanitizer_report("svd", self.svd_output())
        for pid in processes_with_marker(self.marker):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)

    # ---- commands for programs, carrying the marker -------------------
    def sleeper(self, seconds=1000, tag="sleep"):
        """A command (argv) that sleeps; its process name carries the marker."""
        return ["/bin/bash", "-c", f'exec -a "{self.marker}-{tag}" sleep {seconds}']

    def python(self, code, *args):
        """A command (argv) running Python code; sys.argv[1] is the marker,
        sys.argv[2:] are args."""
        return [sys.executable if os.path.isabs(sys.executable) else "/usr/bin/python3", "-c", code,
                self.marker] + [str(arg) for arg in args]

    # ---- config and daemon ---------------------------------------------
    def write_svd_config(self, programs="", svd_extra=""):
        """svd.toml with home = the test's tree, then `programs` (TOML text)."""
        return self.write_config(f"[svd]\nhome = {toml_string(self.dir)}\n{svd_extra}\n{programs}")

    @property
    def socket_path(self):
        """The control socket of the default layout (home/var/run/svd.sock)."""
        return os.path.join(self.dir, "var", "run", "svd.sock")

    @property
    def log_dir(self):
        """The log directory of the default layout (home/var/log)."""
        return os.path.join(self.dir, "var", "log")

    def write_config(self, text, name="svd.toml"):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        if self.run_as:
            shutil.chown(path, self.run_as, self.run_as)
        return path

    def prefix(self):
        return ["runuser", "-u", self.run_as, "--"] if self.run_as else []

    def start_svd(self, extra_args=(), wait=True):
        """Starts svd in the foreground (as a child of the test) and waits until
        its control socket answers."""
        args = self.prefix() + [SVD, "--config", self.config]
        if not self.run_as:
            args.append("--allow-root")
        args += list(extra_args)
        self.svd_log = open(os.path.join(self.dir, "svd.stderr"), "w")
        self.svd = subprocess.Popen(args, stdout=self.svd_log, stderr=subprocess.STDOUT)
        if wait:
            wait_for(lambda: self.svctl("pid", check=False).returncode == 0 or self.svd.poll() is not None,
                     what="svd's control socket")
            if self.svd.poll() is not None:
                self.fail(f"svd exited with {self.svd.returncode}: {self.svd_output()}")
        return self.svd

    def assert_no_sanitizer_report(self, who, output):
        """In the sanitizer build, a report from ASan, LSan or UBSan fails the
        test even when the program went on (leaks are reported at exit)."""
        if SANITIZED:
            for mark in SANITIZER_MARKS:
                if mark in output:
                    self.fail(f"{who}: sanitizer report:\n{output[max(0, output.index(mark) - 200):][:6000]}")

    def svd_output(self):
        with open(os.path.join(self.dir, "svd.stderr")) as f:
            return f.read()

    def svctl(self, *args, check=True, timeout=60, as_user=None):
        prefix = ["runuser", "-u", as_user, "--"] if as_user else self.prefix()
        result = subprocess.run(prefix + [SVCTL, "--config", self.config] + list(args),
                                capture_output=True, text=True, timeout=timeout)
        self.assert_no_sanitizer_report("svctl " + " ".join(args), result.stderr)
        if check and result.returncode != 0:
            self.fail(f"svctl {' '.join(args)} exited {result.returncode}\n"
                      f"stdout: {result.stdout}\nstderr: {result.stderr}\nsvd: {self.svd_output()}")
        return result

    def status(self, *names):
        """{name: program dict} from `svctl status --json`."""
        result = self.svctl("status", "--json", *names)
        return {p["name"]: p for p in json.loads(result.stdout)}

    def wait_state(self, name, state, timeout=10.0):
        return wait_for(lambda: self.status(name)[name]["state"] == state and self.status(name)[name],
                        timeout=timeout, what=f"{name} to be {state}")


def table_verbs():
    """svctl's verb table (supervisor/control/verbs.cpp) as (name, side,
    alias_of) tuples: side is "svd" or "svctl", alias_of "" for a verb."""
    out = subprocess.run([SVCTL, "--list-verbs"], capture_output=True, text=True, check=True).stdout
    rows = [(line.split("\t") + [""])[:3] for line in out.splitlines() if line]
    assert len(rows) > 10, out
    return [tuple(row) for row in rows]
