"""Program output: stdout and stderr into log_dir/NAME.log (or NAME.err.log),
`svctl tail` with -n, -f and several programs, and a fast writer that svd
must never block nor lose bytes of."""

import os
import queue
import re
import signal
import subprocess
import threading
import time
import unittest

from svdtest import SVCTL, SvdTestCase, assert_rss_growth_below, rss_kb, toml_array, wait_for

# argv[2] is the name it prints. Says one thing on stderr, five lines on
# stdout, then one more stdout line for each SIGUSR1.
TALKER = """
import signal, sys, time
name = sys.argv[2]
print(f"{name} err 1", file=sys.stderr, flush=True)
for i in range(1, 6):
    print(f"{name} line {i}", flush=True)
count = 0
def ping(signum, frame):
    global count
    count += 1
    print(f"{name} ping {count}", flush=True)
    print(f"{name} err ping {count}", file=sys.stderr, flush=True)
signal.signal(signal.SIGUSR1, ping)
print(f"{name} ready", flush=True)
while True:
    time.sleep(1000)
"""

LINE = 64
TOTAL = 20 * 1024 * 1024

# Writes TOTAL bytes of numbered 64-byte lines to stdout as fast as it can,
# then the seconds it took to argv[2], then sleeps.
FLOOD = f"""
import os, sys, time
lines_per_block = 16384
started = time.monotonic()
for block in range({TOTAL} // ({LINE} * lines_per_block)):
    first = block * lines_per_block
    data = "".join(f"{{i:010d}} " + "x" * {LINE - 12} + "\\n" for i in range(first, first + lines_per_block)).encode()
    view = memoryview(data)
    while view:
        view = view[os.write(1, view):]
took = time.monotonic() - started
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(took))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
while True:
    time.sleep(1000)
"""


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


class LineReader:
    """Reads a Popen's stdout lines in a thread so tests can wait with a timeout."""

    def __init__(self, process):
        self.process = process
        self.lines = queue.Queue()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def expect(self, pattern, timeout=5.0):
        """Returns the first line matching pattern (a regex), skipping others."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no line matching {pattern!r} within {timeout}s; got {seen}")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"output ended before a line matching {pattern!r}; got {seen}")
            seen.append(line)
            if re.search(pattern, line):
                return line


class OutputTest(SvdTestCase):

    def talker(self, name, extra=""):
        return f"""
[program.{name}]
command = {toml_array(self.python(TALKER, name))}
start_grace = "200ms"
{extra}
"""

    def follow(self, *args):
        process = subprocess.Popen([SVCTL, "--config", self.config, "tail", "-f"] + list(args),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        def stop():
            if process.poll() is None:
                process.kill()
            process.wait()
            process.stdout.close()
            process.stderr.close()
        self.addCleanup(stop)
        return process, LineReader(process)

    def wait_ready(self, log, name):
        wait_for(lambda: f"{name} ready" in read_text(log), what=f"{name} to print its lines")

    # ---- files -----------------------------------------------------------
    def test_stdout_and_stderr_land_in_the_program_log(self):
        logs = os.path.join(self.dir, "logs")
        self.write_svd_config(self.talker("talker"), svd_extra='log_dir = "${home}/logs"\n')
        self.start_svd()
        self.wait_state("talker", "RUNNING")
        log = os.path.join(logs, "talker.log")
        self.wait_ready(log, "talker")
        self.assertEqual(read_text(log).splitlines(),
                         ["talker err 1"] + [f"talker line {i}" for i in range(1, 6)] + ["talker ready"])
        self.assertFalse(os.path.exists(os.path.join(logs, "talker.err.log")), "stderr is merged by default")
        self.assertEqual(self.status("talker")["talker"].get("log"), log)

    def test_stderr_separate(self):
        self.write_svd_config(self.talker("talker", 'log = { stderr = "separate" }'))
        self.start_svd()
        self.wait_state("talker", "RUNNING")
        out = os.path.join(self.log_dir, "talker.log")
        err = os.path.join(self.log_dir, "talker.err.log")
        self.wait_ready(out, "talker")
        wait_for(lambda: read_text(err), what="talker.err.log to be written")
        self.assertEqual(read_text(out).splitlines(), [f"talker line {i}" for i in range(1, 6)] + ["talker ready"])
        self.assertEqual(read_text(err), "talker err 1\n")

        self.assertEqual(self.svctl("tail", "--stderr", "talker").stdout, "talker err 1\n")
        self.assertNotIn("err", self.svctl("tail", "talker").stdout)

    def test_output_survives_a_restart(self):
        self.write_svd_config(self.talker("talker"))
        self.start_svd()
        self.wait_state("talker", "RUNNING")
        log = os.path.join(self.log_dir, "talker.log")
        self.wait_ready(log, "talker")
        self.svctl("restart", "talker")
        wait_for(lambda: read_text(log).count("talker ready") == 2, what="the second run's output")
        self.assertEqual(read_text(log).count("talker line 1"), 2, "the log is appended to, not truncated")

    # ---- tail ------------------------------------------------------------
    def test_tail_n(self):
        self.write_svd_config(self.talker("talker"))
        self.start_svd()
        log = os.path.join(self.log_dir, "talker.log")
        self.wait_ready(log, "talker")
        self.assertEqual(self.svctl("tail", "-n", "2", "talker").stdout, "talker line 5\ntalker ready\n")
        self.assertEqual(self.svctl("tail", "-n", "1", "talker").stdout, "talker ready\n")
        everything = self.svctl("tail", "-n", "100", "talker").stdout
        self.assertEqual(everything, read_text(log))
        self.assertEqual(len(self.svctl("tail", "talker").stdout.splitlines()), 7, "all 7 lines (default is 10)")
        result = self.svctl("tail", "-n", "2", "nope", check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn("no such program 'nope'", result.stderr)

    def test_tail_follow_streams_new_lines(self):
        self.write_svd_config(self.talker("talker"))
        self.start_svd()
        log = os.path.join(self.log_dir, "talker.log")
        self.wait_ready(log, "talker")
        pid = self.status("talker")["talker"]["pid"]
        process, reader = self.follow("-n", "1", "talker")
        self.assertEqual(reader.expect(r"."), "talker ready", "-n 1 shows the last line first")
        self.svctl("signal", "USR1", "talker")
        self.assertEqual(reader.expect(r"^talker ping"), "talker ping 1")
        self.svctl("signal", "USR1", "talker")
        self.assertEqual(reader.expect(r"^talker ping"), "talker ping 2")
        self.assertIsNone(process.poll(), "tail -f keeps following")

        # A follower that goes away does no harm.
        process.kill()
        process.wait()
        self.svctl("signal", "USR1", "talker")
        wait_for(lambda: "talker ping 3" in read_text(log), what="the third ping in the log")
        self.assertEqual(self.wait_state("talker", "RUNNING")["pid"], pid, "the program was not disturbed")
        self.assertIsNone(self.svd.poll())

    def test_tail_follow_stderr(self):
        self.write_svd_config(self.talker("talker", 'log = { stderr = "separate" }'))
        self.start_svd()
        self.wait_ready(os.path.join(self.log_dir, "talker.log"), "talker")
        process, reader = self.follow("--stderr", "-n", "1", "talker")
        self.assertEqual(reader.expect(r"."), "talker err 1", "the last line of talker.err.log")
        self.svctl("signal", "USR1", "talker")
        self.assertEqual(reader.expect(r"."), "talker err ping 1", "only stderr is followed")

    def test_tail_follow_two_programs_prefixes_names(self):
        self.write_svd_config(self.talker("a") + self.talker("bee"))
        self.start_svd()
        self.wait_ready(os.path.join(self.log_dir, "a.log"), "a")
        self.wait_ready(os.path.join(self.log_dir, "bee.log"), "bee")
        process, reader = self.follow("-n", "1", "a", "bee")
        first = {reader.expect(r"."), reader.expect(r".")}
        self.assertEqual(first, {"a   | a ready", "bee | bee ready"})
        self.svctl("signal", "USR1", "a")
        self.assertEqual(reader.expect(r"\| a ping"), "a   | a ping 1")
        self.svctl("signal", "USR1", "bee")
        self.assertEqual(reader.expect(r"\| bee ping"), "bee | bee ping 1")

    # ---- a fast writer ---------------------------------------------------
    def flood_config(self):
        self.took_file = os.path.join(self.dir, "took")
        self.write_svd_config(f"""
[program.flood]
command = {toml_array(self.python(FLOOD, self.took_file))}
start_grace = "200ms"
log = {{ max_size = "100MB" }}
""")

    def check_flood(self, follower_pid=None):
        log = os.path.join(self.log_dir, "flood.log")
        wait_for(lambda: os.path.exists(self.took_file), timeout=30, what="the writer to finish")
        took = float(read_text(self.took_file))
        wait_for(lambda: os.path.getsize(log) >= TOTAL, timeout=30,
                 what=f"{TOTAL} bytes in flood.log")
        self.assertLess(took, 10, f"writing 20 MB took {took:.1f}s: the child was held up")
        with open(log, "rb") as f:
            data = f.read()
        self.assertEqual(len(data), TOTAL, "every byte, none twice")
        lines = data.split(b"\n")
        self.assertEqual(lines[-1], b"")
        for i, line in enumerate(lines[:-1]):
            if line != b"%010d " % i + b"x" * (LINE - 12):
                self.fail(f"line {i} of flood.log is {line[:80]!r}")
        flood = self.status("flood")["flood"]
        self.assertEqual(flood["state"], "RUNNING")
        self.assertEqual(flood.get("dropped_bytes"), 0)

    def test_fast_writer_is_not_blocked_and_nothing_is_lost(self):
        self.flood_config()
        self.start_svd()
        self.check_flood()

    # Regression: once a bug in (supervisor/daemon/commands.cpp, Commands::tail subscriber, and
    # supervisor/control/server.cpp, Client::send): each chunk for a follower
    # is queued with uv_write without any limit, so a `svctl tail -f` that
    # stops reading (Ctrl-Z, a paused pipe) makes svd hold everything the
    # program writes: +21 MB of RSS for 20 MB of output. The writer is not
    # blocked and the file is complete; svd's memory is what grows. A cap per
    # client (drop and count, or hang up on the follower) is needed.
    def test_stalled_follower_does_not_block_the_writer(self):
        # A `tail -f` that stops reading must not slow the program down nor
        # make svd keep what it cannot send.
        self.flood_config()
        self.write_svd_config(f"""
[program.flood]
command = {toml_array(self.python(FLOOD, self.took_file))}
start_grace = "200ms"
start = "manual"
log = {{ max_size = "100MB" }}
""")
        self.start_svd()
        process, reader = self.follow("-n", "0", "flood")
        time.sleep(0.3)
        process.send_signal(signal.SIGSTOP)
        try:
            rss_before = rss_kb(self.svd.pid)
            self.svctl("start", "--no-wait", "flood")
            self.check_flood()
            self.assertIsNone(self.svd.poll())
            assert_rss_growth_below(self, self.svd.pid, rss_before, 8,
                                    "svd's growth holding output for a follower that does not read")
        finally:
            process.send_signal(signal.SIGCONT)


if __name__ == "__main__":
    unittest.main()
