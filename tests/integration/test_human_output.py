"""What svctl prints for people: an aligned status table, colour on a
terminal only (never when piped, with NO_COLOR or TERM=dumb), durations
like 42s, errors as "svctl: ..." with a hint; and --json for every verb that
reads state."""

import json
import os
import pty
import re
import select
import subprocess
import time

from svdtest import SVCTL, SvdTestCase, toml_array, wait_for

ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def run_on_tty(args, env):
    """Runs args with stdout (and stderr) on a new pseudo-terminal; returns
    (exit status, what it printed)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(args[0], args, env)
    output = b""
    while True:
        ready, _, _ = select.select([fd], [], [], 10)
        if not ready:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace").replace("\r\n", "\n")


class HumanOutputTest(SvdTestCase):
    def setUp(self):
        super().setUp()
        self.write_svd_config(f"""
[socket.web]
listen = "127.0.0.1:58391"

[program.a]
command = {toml_array(self.sleeper(tag="a"))}
sockets = ["web"]

[program.a-much-longer-name]
command = {toml_array(self.sleeper(tag="long"))}

[program.later]
command = {toml_array(self.sleeper(tag="later"))}
start = "manual"

[program.broken]
command = "/nonexistent/bin/server --port 1"
""")
        self.start_svd()
        self.wait_state("a", "RUNNING")
        self.wait_state("a-much-longer-name", "RUNNING")
        self.wait_state("broken", "FATAL")

    def env(self, **extra):
        env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
        env["TERM"] = "xterm"
        env.update(extra)
        return env

    def assert_aligned(self, text):
        """Every row of the program table starts its first six columns where
        the header's names start."""
        lines = text.split("\n\n")[0].splitlines()
        header = lines[0]
        self.assertTrue(header.startswith("NAME"), text)
        starts = [header.index(column) for column in ["NAME", "STATE", "PID", "UPTIME", "READY", "RESTARTS"]]
        for line in lines[1:]:
            for index, start in enumerate(starts):
                self.assertNotEqual(line[start], " ", f"column {index} of {line!r} in\n{text}")
                if start > 0:
                    self.assertEqual(line[start - 1], " ", f"column {index} of {line!r} in\n{text}")
        return lines

    def test_piped_status_is_aligned_plain_text(self):
        result = self.svctl("status")
        self.assertNotIn("\x1b", result.stdout)
        lines = self.assert_aligned(result.stdout)
        rows = {line.split()[0]: line.split() for line in lines[1:]}
        self.assertEqual(set(rows), {"a", "a-much-longer-name", "later", "broken"})
        self.assertEqual(rows["later"][1:4], ["STOPPED", "-", "-"])
        self.assertEqual(rows["a"][1], "RUNNING")
        self.assertRegex(rows["a"][3], r"^\d+s$")  # uptime: 0s ... 59s, then 1m05s
        self.assertEqual(rows["broken"][1], "FATAL")
        self.assertIn("/nonexistent/bin/server", result.stdout)  # why it is FATAL
        # The socket table follows, aligned on its own.
        self.assertRegex(result.stdout, r"\n\nSOCKET +LISTEN +PROGRAMS\nweb +127\.0\.0\.1:58391 +a\n")

    def test_colour_only_on_a_terminal_and_never_with_no_colour(self):
        status, screen = run_on_tty([SVCTL, "--config", self.config, "status"], self.env())
        self.assertEqual(status, 0, screen)
        self.assertIn("\x1b[32mRUNNING\x1b[0m", screen)
        self.assertIn("\x1b[31mFATAL\x1b[0m", screen)
        self.assert_aligned(ESCAPE.sub("", screen))

        for env in (self.env(NO_COLOR="1"), self.env(TERM="dumb")):
            status, screen = run_on_tty([SVCTL, "--config", self.config, "status"], env)
            self.assertEqual(status, 0, screen)
            self.assertNotIn("\x1b[", screen)
            self.assertIn("RUNNING", screen)

        # Also through script(1), the way a user's terminal session records it.
        if subprocess.run(["which", "script"], capture_output=True).returncode == 0:
            recorded = subprocess.run(["script", "-qec", f"{SVCTL} --config {self.config} status", "/dev/null"],
                                      capture_output=True, text=True, env=self.env(), timeout=30)
            self.assertIn("\x1b[32mRUNNING", recorded.stdout)

    def test_action_results_colour_on_tty_only(self):
        status, screen = run_on_tty([SVCTL, "--config", self.config, "start", "later"], self.env())
        self.assertEqual(status, 0, screen)
        self.assertIn("later: \x1b[32mRUNNING\x1b[0m", screen)
        piped = self.svctl("restart", "later")
        self.assertEqual(piped.stdout.strip(), "later: RUNNING")

    def test_json_for_every_verb_that_reads_state(self):
        programs = json.loads(self.svctl("status", "--json").stdout)
        self.assertEqual({p["name"] for p in programs}, {"a", "a-much-longer-name", "later", "broken"})
        for program in programs:
            for key in ["name", "state", "pid", "uptime_s", "exit_code", "restarts", "ready"]:
                self.assertIn(key, program)
        self.assertIsInstance(json.loads(self.svctl("--json", "pid", "a").stdout), dict)
        sockets = json.loads(self.svctl("sockets", "--json").stdout)
        self.assertEqual(sockets["sockets"][0]["name"], "web")
        self.assertIn("version", json.loads(self.svctl("version", "--json").stdout))

    def test_errors_say_what_and_hint_how(self):
        unknown = self.svctl("status", "nosuch", check=False)
        self.assertEqual(unknown.returncode, 1)
        self.assertEqual(unknown.stdout, "")
        self.assertRegex(unknown.stderr, r"^svctl: no such program 'nosuch'\nhint: ")
        down = subprocess.run([SVCTL, "--socket", os.path.join(self.dir, "none.sock"), "status"],
                              capture_output=True, text=True)
        self.assertEqual(down.returncode, 3)
        self.assertRegex(down.stderr, r"^svctl: svd is not running .*svd --daemon")
        usage = subprocess.run([SVCTL, "frobnicate"], capture_output=True, text=True)
        self.assertEqual(usage.returncode, 2)
        self.assertIn("svctl: unknown verb 'frobnicate'", usage.stderr)
