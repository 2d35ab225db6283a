"""Core behaviour through the real svctl: start/stop/restart, status (table
and --json), svctl's exit codes, `svd --check`, root refusal, --daemon and
the tree lock."""

import json
import os
import re
import signal
import subprocess
import time
import unittest

from svdtest import (SVD, SvdTestCase, cmdline, control_exchange, pid_alive, processes_with_marker, toml_array,
                     toml_string, wait_for)


class CoreTest(SvdTestCase):

    def programs(self):
        return f"""
[program.a]
command = {toml_array(self.sleeper(tag="a"))}
start_grace = "200ms"
stop_timeout = "5s"

[program.b]
command = {toml_array(self.sleeper(tag="b"))}
start = "manual"
start_grace = "200ms"

[program.missing]
command = ["/nonexistent/{self.marker}/prog"]
start = "manual"

[program.quits]
command = ["sh", "-c", "sleep 0.4; exit 3", {toml_string(self.marker)}]
start_grace = "200ms"
restart = "never"
"""

    def setUp(self):
        super().setUp()
        self.write_svd_config(self.programs())

    # ---- start / stop / restart ------------------------------------------
    def test_start_stop_restart(self):
        self.start_svd()
        a = self.wait_state("a", "RUNNING")
        self.assertTrue(pid_alive(a["pid"]))
        self.assertEqual(self.status("b")["b"]["state"], "STOPPED", "a manual program is not started at boot")
        self.assertIsNone(self.status("b")["b"]["pid"])

        result = self.svctl("start", "b")
        self.assertEqual(result.returncode, 0)
        self.assertIn("b: RUNNING", result.stdout)
        b = self.status("b")["b"]
        self.assertEqual(b["state"], "RUNNING", "`svctl start` returns once the program is RUNNING")
        self.assertTrue(b["ready"])
        self.assertTrue(pid_alive(b["pid"]))
        self.assertIn(f"{self.marker}-b", cmdline(b['pid']))

        # Starting what runs already succeeds and changes nothing.
        self.assertEqual(self.svctl("start", "b").returncode, 0)
        self.assertEqual(self.status("b")["b"]["pid"], b["pid"])

        started = time.monotonic()
        result = self.svctl("stop", "b")
        self.assertLess(time.monotonic() - started, 3, "sleep dies of SIGTERM at once")
        self.assertIn("b: STOPPED", result.stdout)
        after = self.status("b")["b"]
        self.assertEqual(after["state"], "STOPPED")
        self.assertIsNone(after["pid"])
        wait_for(lambda: not pid_alive(b["pid"]), timeout=2, what="b's process to be gone")

        result = self.svctl("restart", "a")
        self.assertIn("a: RUNNING", result.stdout)
        restarted = self.status("a")["a"]
        self.assertEqual(restarted["state"], "RUNNING")
        self.assertNotEqual(restarted["pid"], a["pid"], "restart runs a new process")
        self.assertTrue(pid_alive(restarted["pid"]))
        self.assertFalse(pid_alive(a["pid"]), "the old process is gone after restart")
        self.assertEqual(restarted["restarts"], 1)

        # restart of a stopped program starts it.
        self.svctl("restart", "b")
        self.assertEqual(self.status("b")["b"]["state"], "RUNNING")

        # stop all / start all
        result = self.svctl("stop", "all")
        states = {name: p["state"] for name, p in self.status().items()}
        self.assertEqual(states["a"], "STOPPED")
        self.assertEqual(states["b"], "STOPPED")
        wait_for(lambda: not pid_alive(restarted["pid"]), timeout=3, what="a's process to be gone after stop all")

    def test_start_unknown_program_fails_with_hint(self):
        self.start_svd()
        result = self.svctl("start", "bb", check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn("no such program 'bb'", result.stderr)
        self.assertIn("did you mean 'b'", result.stderr)

    # ---- status ----------------------------------------------------------
    def test_status_json_fields(self):
        self.start_svd()
        a = self.wait_state("a", "RUNNING")
        time.sleep(1.2)
        programs = self.status()
        self.assertEqual(set(programs), {"a", "b", "missing", "quits"})
        for program in programs.values():
            for field in ("name", "state", "pid", "uptime_s", "exit_code", "restarts"):
                self.assertIn(field, program, f"{field} missing in {program}")
            self.assertIn(program["state"], {"STOPPED", "STARTING", "RUNNING", "BACKOFF", "STOPPING", "EXITED",
                                             "FATAL", "WAITING"})
            self.assertIsInstance(program["restarts"], int)
            self.assertIsInstance(program["uptime_s"], int)
        a = programs["a"]
        self.assertEqual(a["state"], "RUNNING")
        self.assertIsInstance(a["pid"], int)
        self.assertTrue(pid_alive(a["pid"]))
        self.assertGreaterEqual(a["uptime_s"], 1)
        self.assertIsNone(a["exit_code"], "a running program has no exit code")
        self.assertEqual(a["restarts"], 0)
        self.assertIsNone(programs["b"]["pid"], "pid is null when not running")

        quits = self.wait_state("quits", "EXITED")
        self.assertEqual(quits["exit_code"], 3)
        self.assertIsNone(quits["pid"])
        self.assertEqual(quits["uptime_s"], 0)
        self.assertIn("exit status 3", quits["message"])

        # Names select programs; unknown names are an error.
        self.assertEqual(list(self.status("b")), ["b"])
        result = self.svctl("status", "--json", "nope", check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn("no such program 'nope'", result.stderr)

    def test_status_table(self):
        self.start_svd()
        a = self.wait_state("a", "RUNNING")
        result = self.svctl("status")
        lines = result.stdout.splitlines()
        self.assertEqual(lines[0].split(), ["NAME", "STATE", "PID", "UPTIME", "READY", "RESTARTS", "INFO"])
        rows = {line.split()[0]: line.split() for line in lines[1:] if line.strip()}
        self.assertEqual(rows["a"][1:3], ["RUNNING", str(a["pid"])])
        self.assertEqual(rows["b"][1:3], ["STOPPED", "-"])
        self.assertNotIn("\033[", result.stdout, "no colour codes when stdout is not a terminal")

    # ---- exit codes of svctl ---------------------------------------------
    def test_svctl_exit_codes(self):
        # 3: svd not running, with a message that says so.
        result = self.svctl("status", check=False)
        self.assertEqual(result.returncode, 3)
        self.assertIn("svd is not running", result.stderr)
        self.assertIn(self.socket_path, result.stderr)
        self.assertEqual(self.svctl("stop", "a", check=False).returncode, 3)

        self.start_svd()
        self.check_usage_errors()
        self.wait_state("a", "RUNNING")
        # 0: all succeeded.
        self.assertEqual(self.svctl("status", check=False).returncode, 0)
        self.assertEqual(self.svctl("start", "a", "b", check=False).returncode, 0)
        self.assertEqual(self.svctl("version", check=False).returncode, 0)
        # 1: some failed.
        result = self.svctl("start", "b", "missing", check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn("missing: FATAL", result.stderr)
        self.assertIn("No such file or directory", result.stderr)
        self.assertIn("b: RUNNING", result.stdout)
        result = self.svctl("--json", "start", "missing", check=False)
        self.assertEqual(result.returncode, 1)
        self.assertFalse(json.loads(result.stdout)["ok"])
        self.assertEqual(self.svctl("pid", "missing", check=False).returncode, 1)
        self.assertEqual(self.svctl("signal", "NOSUCHSIG", "a", check=False).returncode, 1)

        # 3 again once svd is gone.
        self.svctl("shutdown")
        self.svd.wait(10)
        result = self.svctl("status", check=False)
        self.assertEqual(result.returncode, 3)
        self.assertIn("svd is not running", result.stderr)

    USAGE_ERRORS = ([], ["frobnicate"], ["start"], ["stop"], ["restart"], ["signal", "TERM"], ["tail"],
                    ["tail", "-n", "many", "a"], ["--bogus", "status"], ["start", "--sideways", "a"])

    def check_usage_errors(self):
        for args in self.USAGE_ERRORS:
            result = self.svctl(*args, check=False)
            self.assertEqual(result.returncode, 2, f"svctl {' '.join(args)}: {result.stderr}")
            self.assertTrue(result.stderr.strip(), f"svctl {' '.join(args)} says what is wrong")

    # Regression: once a bug in (ctl/main.cpp): svctl connects to svd before the verb's runner
    # checks its arguments, so `svctl start` (no NAME), `svctl tail -n many a`
    # etc. exit 3 "svd is not running" instead of 2 (usage) when svd is down.
    def test_usage_errors_exit_2_even_without_svd(self):
        self.check_usage_errors()

    def test_svctl_unreachable_when_config_is_broken(self):
        self.write_svd_config("[program.x]\ncomand = 'sleep 1'\n")
        result = self.svctl("status", check=False)
        self.assertEqual(result.returncode, 3)
        self.assertIn("svd.toml:4:1", result.stderr)

    # ---- svd --check -----------------------------------------------------
    def test_check_accepts_a_good_config(self):
        result = subprocess.run([SVD, "--check", "--config", self.config], capture_output=True, text=True, timeout=10)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("OK", result.stdout)
        self.assertIn("4 programs", result.stdout)
        self.assertEqual(processes_with_marker(self.marker), [], "--check starts nothing")
        self.assertFalse(os.path.exists(self.socket_path), "--check opens no socket")

    def test_check_reports_file_line_column(self):
        bad = self.write_config(
            f"[svd]\n"                                   # 1
            f"home = {toml_string(self.dir)}\n"          # 2
            f"\n"                                        # 3
            f"[program.web]\n"                           # 4
            f"command = \"sleep 100\"\n"                 # 5
            f"stop_timeout = 5\n"                        # 6
            f"restrat = \"always\"\n",                   # 7
            name="bad.toml")
        result = subprocess.run([SVD, "--check", "--config", bad], capture_output=True, text=True, timeout=10)
        self.assertEqual(result.returncode, 1)
        self.assertRegex(result.stderr, re.escape(f"{bad}:6:16:") + r".*stop_timeout")
        self.assertRegex(result.stderr, re.escape(f"{bad}:7:1:") + r".*restrat.*did you mean 'restart'")

        # A drop-in's errors name the drop-in.
        self.write_config("[program.x]\ncommand = 42\n", name="conf.d/x.toml")
        main = self.write_config(f"[svd]\nhome = {toml_string(self.dir)}\ninclude = [\"conf.d/*.toml\"]\n",
                                 name="main.toml")
        result = subprocess.run([SVD, "--check", "--config", main], capture_output=True, text=True, timeout=10)
        self.assertEqual(result.returncode, 1)
        self.assertRegex(result.stderr, r"conf\.d/x\.toml:2:11:.*command")

        # A TOML syntax error is a file:line:col too.
        broken = self.write_config("[svd\nhome = 1\n", name="broken.toml")
        result = subprocess.run([SVD, "--check", "--config", broken], capture_output=True, text=True, timeout=10)
        self.assertEqual(result.returncode, 1)
        self.assertRegex(result.stderr, re.escape(broken) + r":1:\d+:")

        # A missing config says so.
        result = subprocess.run([SVD, "--check", "--config", os.path.join(self.dir, "nope.toml")],
                                capture_output=True, text=True, timeout=10)
        self.assertEqual(result.returncode, 1)
        self.assertIn("nope.toml", result.stderr)

    # ---- root ------------------------------------------------------------
    def test_refuses_root_without_allow_root(self):
        if os.getuid() != 0:
            self.skipTest("svd's root refusal can only be checked when the tests run as root")
        result = subprocess.run([SVD, "--config", self.config], capture_output=True, text=True, timeout=10)
        self.assertEqual(result.returncode, 1)
        self.assertIn("refusing to run as root", result.stderr)
        self.assertIn("--allow-root", result.stderr)
        self.assertFalse(os.path.exists(self.socket_path))
        self.assertEqual(processes_with_marker(self.marker), [], "nothing was started")

    # ---- --daemon --------------------------------------------------------
    def kill_daemon_later(self, pid):
        def cleanup():
            if pid_alive(pid):
                os.kill(pid, signal.SIGTERM)
                try:
                    wait_for(lambda: not pid_alive(pid), timeout=10, what="the daemon to exit")
                except AssertionError:
                    os.kill(pid, signal.SIGKILL)
        self.addCleanup(cleanup)

    def test_daemon_returns_once_the_socket_answers(self):
        result = subprocess.run([SVD, "--config", self.config, "--allow-root", "--daemon"],
                                capture_output=True, text=True, timeout=20)
        found = re.search(r"pid (\d+)", result.stdout)
        if found:
            self.kill_daemon_later(int(found.group(1)))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIsNotNone(found, f"--daemon prints the daemon's pid: {result.stdout!r}")
        daemon_pid = int(found.group(1))
        # No retry: the socket must answer the moment --daemon has returned.
        reply = control_exchange(self.socket_path, b'{"v":1,"verb":"pid"}\n')
        self.assertEqual(reply[0].get("pid"), daemon_pid)
        self.assertTrue(pid_alive(daemon_pid))
        with open(f"/proc/{daemon_pid}/stat") as stat:
            self.assertNotEqual(int(stat.read().rsplit(")", 1)[1].split()[1]), os.getpid(),
                                "the daemon is detached from the caller")
        self.wait_state("a", "RUNNING")
        log = os.path.join(self.log_dir, "svd.log")
        self.assertTrue(os.path.exists(log), "a daemon logs to log_dir/svd.log")
        with open(log) as f:
            self.assertIn("running", f.read())

        result = self.svctl("shutdown")
        wait_for(lambda: not pid_alive(daemon_pid), timeout=10, what="the daemon to exit after shutdown")
        self.assertEqual(processes_with_marker(self.marker), [])

    def test_daemon_reports_failure(self):
        # The control socket's directory is taken by a regular file: svd cannot listen.
        self.write_svd_config(self.programs(), svd_extra=f"socket = {toml_string(self.dir + '/file/svd.sock')}\n")
        with open(os.path.join(self.dir, "file"), "w") as f:
            f.write("not a directory\n")
        started = time.monotonic()
        result = subprocess.run([SVD, "--config", self.config, "--allow-root", "--daemon"],
                                capture_output=True, text=True, timeout=20)
        self.assertEqual(result.returncode, 1)
        self.assertIn("svd:", result.stderr)
        self.assertIn("file", result.stderr)
        self.assertLess(time.monotonic() - started, 10)
        time.sleep(0.3)
        self.assertEqual(processes_with_marker(self.marker), [], "a daemon that failed started nothing")

    # ---- the tree lock ---------------------------------------------------
    def test_second_svd_on_the_same_tree_refuses(self):
        self.start_svd()
        a = self.wait_state("a", "RUNNING")
        for extra in ([], ["--daemon"]):
            result = subprocess.run([SVD, "--config", self.config, "--allow-root"] + extra,
                                    capture_output=True, text=True, timeout=20)
            self.assertEqual(result.returncode, 1, f"second svd {extra}: {result.stdout} {result.stderr}")
            self.assertIn("already supervises this tree", result.stderr)
            self.assertIn(f"pid {self.svd.pid}", result.stderr)
        # The first one is untouched: same socket, same child, nothing doubled.
        self.assertIsNone(self.svd.poll())
        self.assertEqual(self.status("a")["a"]["pid"], a["pid"])
        sleepers = [pid for pid in processes_with_marker(self.marker)
                    if f"{self.marker}-a" in cmdline(pid)]
        self.assertEqual(sleepers, [a["pid"]])


if __name__ == "__main__":
    unittest.main()
