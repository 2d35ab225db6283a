"""Programs that fail, hang or leave processes behind: backoff then FATAL,
exec failures, stop_timeout → SIGKILL, process groups and double forks,
shutdown, restart policies and oneshots."""

import datetime
import os
import re
import signal
import subprocess
import time
import unittest

from svdtest import (SVCTL, SvdTestCase, cmdline, cpu_seconds, pid_alive, pid_gone, processes_with_marker, toml_array,
                     toml_string, wait_for)

# A child that ignores SIGTERM, says so on stdout, then sleeps.
IGNORE_TERM = """
import signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("armed", flush=True)
time.sleep(1000)
"""

# A child that starts a grandchild in its own process group (the grandchild
# ignores SIGTERM, so only a SIGKILL of the group gets it), writes the
# grandchild's pid to argv[2], then sleeps.
GRANDCHILD_IN_GROUP = """
import subprocess, sys, time
code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(1000)"
child = subprocess.Popen([sys.executable, "-c", code, sys.argv[1] + "-grandchild"])
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(child.pid))
import os; os.rename(sys.argv[2] + ".tmp", sys.argv[2])
time.sleep(1000)
"""

# A child that double-forks a grandchild which setsid()s into its own session
# and process group (out of reach of a group signal), like a classic daemon.
DOUBLE_FORK_SETSID = """
import os, sys, time
middle = os.fork()
if middle == 0:
    os.setsid()
    if os.fork() == 0:
        with open(sys.argv[2] + ".tmp", "w") as f:
            f.write(str(os.getpid()))
        os.rename(sys.argv[2] + ".tmp", sys.argv[2])
        time.sleep(1000)
        os._exit(0)
    os._exit(0)
os.waitpid(middle, 0)
time.sleep(1000)
"""


def read_pid(path, timeout=5.0):
    wait_for(lambda: os.path.exists(path), timeout=timeout, what=f"{path} to be written")
    with open(path) as f:
        return int(f.read())


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def count_lines(path):
    if not os.path.exists(path):
        return 0
    with open(path) as f:
        return len(f.read().splitlines())


class FailuresTest(SvdTestCase):

    # ---- crash loops -----------------------------------------------------
    def crash_loop_config(self):
        self.spawns = os.path.join(self.dir, "spawns")
        self.write_svd_config(f"""
[program.crash]
command = ["sh", "-c", "date +%s.%N >> \\"$1\\"; exit 1", {toml_string(self.marker)}, {toml_string(self.spawns)}]
start_grace = "200ms"
backoff = {{ initial = "100ms", max = "400ms", retries = 3 }}
""")

    def test_crash_loop_reaches_fatal_after_retries_without_spinning(self):
        self.crash_loop_config()
        self.start_svd()
        cpu_before = cpu_seconds(self.svd.pid)
        crash = self.wait_state("crash", "FATAL", timeout=10)
        self.assertIn("exit status 1", crash["message"])
        self.assertIn("gave up after 4 failed starts", crash["message"])
        self.assertEqual(crash["exit_code"], 1)
        self.assertIsNone(crash["pid"])

        with open(self.spawns) as f:
            times = [float(line) for line in f.read().split()]
        self.assertEqual(len(times), 4, "the first start and backoff.retries = 3 retries")
        gaps = [b - a for a, b in zip(times, times[1:])]
        # Exponential backoff: 100ms, 200ms, 400ms (capped at max), never shorter.
        for gap, expected in zip(gaps, (0.1, 0.2, 0.4)):
            self.assertGreaterEqual(gap, expected * 0.9, f"backoff gaps {gaps} should be at least 0.1, 0.2, 0.4 s")
            self.assertLess(gap, expected + 1.0, f"backoff gaps {gaps}")

        # FATAL is final: no more attempts, and svd sleeps.
        time.sleep(1.0)
        self.assertEqual(count_lines(self.spawns), 4, "no start after FATAL")
        self.assertEqual(self.status("crash")["crash"]["state"], "FATAL")
        used = cpu_seconds(self.svd.pid) - cpu_before
        self.assertLess(used, 0.3, f"svd used {used:.2f}s of CPU during a 2 s crash loop: it spins")

        # A user can try again by hand; it fails the same way, and says so.
        result = self.svctl("start", "crash", check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn("crash: FATAL", result.stderr)
        self.assertEqual(count_lines(self.spawns), 8, "a manual start gets a fresh set of retries")

    # Regression: once a bug in (supervisor/process/program.cpp, Program::failed_start / on_exit):
    # `restarts` only counts restarts of a program that had reached RUNNING
    # (and `svctl restart`); a program that svd restarted 3 times because it
    # kept dying during start_grace shows RESTARTS 0 in `svctl status`.
    def test_crash_loop_counts_restarts(self):
        self.crash_loop_config()
        self.start_svd()
        crash = self.wait_state("crash", "FATAL", timeout=10)
        self.assertEqual(count_lines(self.spawns), 4)
        self.assertEqual(crash["restarts"], 3, "svd restarted the program 3 times after its first start")

    # Regression: once a bug in (supervisor/daemon/supervisor.cpp, Supervisor::set_timer): timers
    # are started from libuv's cached loop time, which is not updated while
    # main() spawns every boot program before uv_run(). Every timer set during
    # start-up (start_grace, the first backoff delay) is short by the time the
    # start-up took: with many programs, late ones become RUNNING almost at
    # once (start_grace ignored) and the first retry of a crashing one comes
    # without its backoff. uv_update_time() before uv_timer_start() fixes it.
    def test_timers_set_at_boot_are_not_cut_short(self):
        programs = f"""
[program.a_crash]
command = ["sh", "-c", "exit 1", {toml_string(self.marker)}]
start_grace = "1s"
backoff = {{ initial = "300ms", max = "300ms", retries = 1 }}
"""
        for i in range(60):
            programs += f"""
[program.p{i:02}]
command = {toml_array(self.sleeper())}
start_grace = "1s"
"""
        self.write_svd_config(programs)
        self.start_svd()
        wait_for(lambda: all(p["state"] == "RUNNING" for name, p in self.status().items() if name != "a_crash"),
                 timeout=20, what="every sleeper to be RUNNING")
        self.wait_state("a_crash", "FATAL")
        log = self.svd_output()

        def when(pattern):
            found = re.search(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) \S+ " + pattern, log, re.M)
            self.assertIsNotNone(found, f"no log line for {pattern!r} in:\n{log}")
            return datetime.datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()

        graces = {f"p{i:02}": when(f"p{i:02}: STARTING -> RUNNING") - when(f"p{i:02}: STOPPED -> STARTING")
                  for i in range(60)}
        shortest = min(graces, key=graces.get)
        self.assertGreaterEqual(graces[shortest], 0.95,
                                f"{shortest} was RUNNING {graces[shortest]:.3f}s after its start, start_grace is 1s")
        backoff = when("a_crash: BACKOFF -> STARTING") - when("a_crash: STARTING -> BACKOFF")
        self.assertGreaterEqual(backoff, 0.28, f"the first retry came {backoff:.3f}s after the crash, not 300ms")

    # ---- exec failures ---------------------------------------------------
    def test_exec_failure_is_fatal_with_the_reason(self):
        not_executable = os.path.join(self.dir, "not-executable")
        with open(not_executable, "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(not_executable, 0o644)
        self.write_svd_config(f"""
[program.absent]
command = ["/nonexistent/{self.marker}/prog", "arg"]

[program.unknown]
command = "no-such-command-{self.marker}"

[program.noexec]
command = {toml_array([not_executable])}

[program.nodir]
command = {toml_array(self.sleeper())}
directory = "/nonexistent/{self.marker}"
""")
        self.start_svd()
        programs = {name: self.wait_state(name, "FATAL") for name in ("absent", "unknown", "noexec", "nodir")}
        self.assertIn("No such file or directory", programs["absent"]["message"])
        self.assertIn(f"/nonexistent/{self.marker}/prog", programs["absent"]["message"])
        self.assertIn("No such file or directory", programs["unknown"]["message"])
        self.assertIn(f"no-such-command-{self.marker}", programs["unknown"]["message"])
        self.assertIn("Permission denied", programs["noexec"]["message"])
        self.assertIn("No such file or directory", programs["nodir"]["message"])
        self.assertIn(f"/nonexistent/{self.marker}", programs["nodir"]["message"])
        for program in programs.values():
            self.assertIsNone(program["pid"])

        table = self.svctl("status").stdout
        absent = next(line for line in table.splitlines() if line.startswith("absent "))
        self.assertIn("FATAL", absent)
        self.assertIn("No such file or directory", absent)

        # Not a crash loop: it stays FATAL without retrying.
        time.sleep(0.5)
        for name, program in self.status().items():
            self.assertEqual(program["state"], "FATAL", name)
            self.assertEqual(program["restarts"], 0, name)
        self.assertEqual(self.svd_output().count("absent: STOPPED -> FATAL"), 1, "one attempt, no retries")
        self.assertEqual(processes_with_marker(self.marker), [])

    # ---- stopping --------------------------------------------------------
    def test_child_ignoring_sigterm_is_killed_after_stop_timeout(self):
        self.write_svd_config(f"""
[program.stubborn]
command = {toml_array(self.python(IGNORE_TERM))}
start_grace = "200ms"
stop_timeout = "1s"
""")
        self.start_svd()
        stubborn = self.wait_state("stubborn", "RUNNING")
        log = os.path.join(self.log_dir, "stubborn.log")
        wait_for(lambda: "armed" in read_text(log), what="the child to ignore SIGTERM")

        started = time.monotonic()
        result = self.svctl("stop", "stubborn")
        took = time.monotonic() - started
        self.assertGreaterEqual(took, 0.9, "SIGTERM alone cannot stop it; svd waits stop_timeout")
        self.assertLess(took, 5, "then SIGKILL ends it")
        self.assertIn("stubborn: STOPPED", result.stdout)
        after = self.status("stubborn")["stubborn"]
        self.assertEqual(after["state"], "STOPPED")
        self.assertEqual(after.get("exit_signal"), signal.SIGKILL)
        self.assertIn("killed by signal 9", after["message"])
        self.assertTrue(pid_gone(stubborn["pid"]), "killed and reaped")

    def test_grandchild_in_the_process_group_is_gone_after_stop(self):
        pid_file = os.path.join(self.dir, "grandchild.pid")
        self.write_svd_config(f"""
[program.parent]
command = {toml_array(self.python(GRANDCHILD_IN_GROUP, pid_file))}
start_grace = "200ms"
stop_timeout = "5s"
""")
        self.start_svd()
        parent = self.wait_state("parent", "RUNNING")
        grandchild = read_pid(pid_file)
        self.assertTrue(pid_alive(grandchild))
        self.assertIn(f"{self.marker}-grandchild", cmdline(grandchild))

        started = time.monotonic()
        self.svctl("stop", "parent")
        self.assertLess(time.monotonic() - started, 3, "the leader died of SIGTERM; no stop_timeout needed")
        # The grandchild ignores TERM: it gets the rest of the stop_timeout
        # (KillMode=mixed), then SIGKILL.
        wait_for(lambda: pid_gone(parent["pid"]) and pid_gone(grandchild), timeout=15,
                 what="the leader and its grandchild to be killed and reaped")
        self.assertEqual(processes_with_marker(self.marker), [])

    # Regression: once a bug in (supervisor/daemon/supervisor.cpp, reap_children / signal_group):
    # svd is a subreaper, so an orphan that double-forked and setsid()
    # away is reparented to svd, but svd never tracks it: `svctl stop`
    # signals only the leader's process group, and orphans are reaped
    # ("an orphan we adopted") but never stopped, so the daemon keeps running
    # after stop and after shutdown.
    def test_double_forked_setsid_grandchild_is_gone_after_stop(self):
        pid_file = os.path.join(self.dir, "escapee.pid")
        self.write_svd_config(f"""
[program.forker]
command = {toml_array(self.python(DOUBLE_FORK_SETSID, pid_file))}
start_grace = "200ms"
stop_timeout = "2s"
""")
        self.start_svd()
        forker = self.wait_state("forker", "RUNNING")
        escapee = read_pid(pid_file)
        self.assertTrue(pid_alive(escapee))
        self.assertNotEqual(os.getpgid(escapee), forker["pid"], "the grandchild left the program's group")

        self.svctl("stop", "forker")
        try:
            wait_for(lambda: pid_gone(forker["pid"]) and pid_gone(escapee), timeout=4,
                     what="the program and its double-forked grandchild to be gone")
        finally:
            leftovers = processes_with_marker(self.marker)
        self.assertEqual(leftovers, [])

    # ---- shutdown --------------------------------------------------------
    def shutdown_config(self):
        self.pid_file = os.path.join(self.dir, "grandchild.pid")
        self.write_svd_config(f"""
[program.plain]
command = {toml_array(self.sleeper())}
start_grace = "200ms"

[program.stubborn]
command = {toml_array(self.python(IGNORE_TERM))}
start_grace = "200ms"
stop_timeout = "1s"

[program.parent]
command = {toml_array(self.python(GRANDCHILD_IN_GROUP, self.pid_file))}
start_grace = "200ms"
# Its grandchild ignores TERM: after the parent exits it gets the rest of
# this stop_timeout (KillMode=mixed), then SIGKILL.
stop_timeout = "1s"

[program.crashy]
command = ["sh", "-c", "exit 1", {toml_string(self.marker)}]
start_grace = "200ms"
backoff = {{ initial = "5s", max = "5s", retries = 3 }}

[program.manual]
command = {toml_array(self.sleeper())}
start = "manual"
""")

    def test_restart_during_shutdown_is_refused_and_shutdown_finishes(self):
        # While a TERM-ignoring program holds the shutdown up, a restart of
        # another program must not bring it back: before the plan layer it
        # did, and the shutdown never finished (until a second SIGTERM).
        self.write_svd_config(f"""
[program.plain]
command = {toml_array(self.sleeper(tag="plain"))}
start_grace = "200ms"

[program.stubborn]
command = {toml_array(self.python(IGNORE_TERM))}
start_grace = "200ms"
stop_timeout = "3s"
""")
        self.start_svd()
        self.wait_state("plain", "RUNNING")
        self.wait_state("stubborn", "RUNNING")
        log = os.path.join(self.log_dir, "stubborn.log")
        wait_for(lambda: "armed" in read_text(log), what="stubborn to ignore SIGTERM")
        shutdown = subprocess.Popen([SVCTL, "--config", self.config, "shutdown"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.wait_state("stubborn", "STOPPING")
        restarted_at = time.monotonic()
        for verb in ("restart", "start"):
            result = self.svctl(verb, "plain", check=False)
            self.assertEqual(result.returncode, 1, f"svctl {verb} during shutdown: {result.stdout}{result.stderr}")
            self.assertIn("shutting down", result.stdout + result.stderr)
        # The shutdown ends at stubborn's stop_timeout (3 s), not never.
        try:
            _, errors = shutdown.communicate(timeout=10)
        finally:
            if shutdown.poll() is None:
                shutdown.kill()
                shutdown.communicate()
        self.assertEqual(shutdown.returncode, 0, errors)
        self.svd.wait(timeout=5)
        self.assertLess(time.monotonic() - restarted_at, 8)
        self.assertEqual(processes_with_marker(self.marker), [], "plain did not come back")

    def assert_everything_gone(self, pids):
        wait_for(lambda: all(pid_gone(pid) for pid in pids), timeout=3, what=f"every process of {pids} to be gone")
        self.assertEqual(processes_with_marker(self.marker), [], "no process of any program is left")
        self.assertFalse(os.path.exists(self.socket_path), "svd removes its control socket")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "var", "run", "svd.lock")),
                         "svd removes its lock file")
        result = self.svctl("status", check=False)
        self.assertEqual(result.returncode, 3)

    def start_everything(self):
        self.start_svd()
        pids = [self.wait_state(name, "RUNNING")["pid"] for name in ("plain", "stubborn", "parent")]
        self.assertEqual(self.svctl("start", "manual").returncode, 0)
        pids.append(self.status("manual")["manual"]["pid"])
        pids.append(read_pid(self.pid_file))
        log = os.path.join(self.log_dir, "stubborn.log")
        wait_for(lambda: "armed" in read_text(log), what="stubborn to ignore SIGTERM")
        self.wait_state("crashy", "BACKOFF")
        return pids

    def test_shutdown_leaves_no_process(self):
        self.shutdown_config()
        pids = self.start_everything()
        result = self.svctl("shutdown")
        self.assertIn("svd stopped every program", result.stdout)
        self.assertEqual(self.svd.wait(10), 0, "svd exits 0 after shutdown")
        self.assert_everything_gone(pids)

    def test_sigterm_to_svd_leaves_no_process(self):
        self.shutdown_config()
        pids = self.start_everything()
        self.svd.send_signal(signal.SIGTERM)
        self.assertEqual(self.svd.wait(10), 0, "svd exits 0 after SIGTERM")
        self.assert_everything_gone(pids)

    # ---- restart policies ------------------------------------------------
    def test_restart_policies_and_exit_codes(self):
        spawns = {}
        programs = ""
        for name, code, policy, codes in (("always_ok", 0, "always", None),
                                          ("onfailure_ok", 0, "on-failure", None),
                                          ("onfailure_bad", 2, "on-failure", None),
                                          ("never_bad", 2, "never", None),
                                          ("code3_ok", 3, "on-failure", [0, 3]),
                                          ("code0_bad", 0, "on-failure", [3])):
            spawns[name] = os.path.join(self.dir, name + ".spawns")
            script = f'echo run >> "$1"; sleep 0.3; exit {code}'
            programs += f"""
[program.{name}]
command = ["sh", "-c", {toml_string(script)}, {toml_string(self.marker)}, {toml_string(spawns[name])}]
restart = "{policy}"
start_grace = "100ms"
backoff = {{ initial = "100ms", max = "200ms", retries = 3 }}
"""
            if codes:
                programs += f"exit_codes = {codes}\n"
        self.write_svd_config(programs)
        self.start_svd()

        # Restarted: always, on-failure with a failing exit, on-failure with 0 not in exit_codes.
        for name in ("always_ok", "onfailure_bad", "code0_bad"):
            wait_for(lambda: count_lines(spawns[name]) >= 3, timeout=6, what=f"{name} to be run 3 times")
            self.assertGreaterEqual(self.status(name)[name]["restarts"], 2, name)
        # Left EXITED after one run, with the exit code shown.
        for name, code in (("onfailure_ok", 0), ("never_bad", 2), ("code3_ok", 3)):
            program = self.status(name)[name]
            self.assertEqual(program["state"], "EXITED", name)
            self.assertEqual(program["exit_code"], code, name)
            self.assertIsNone(program["pid"], name)
            self.assertEqual(program["restarts"], 0, name)
            self.assertEqual(count_lines(spawns[name]), 1, name)
        self.assertEqual(self.status("onfailure_bad")["onfailure_bad"]["exit_code"], 2)

    def test_restart_never_runs_a_quick_exit_once(self):
        # Issue 17: a data job that exits within start_grace was run twice,
        # and a failing one retried, though restart = "never".
        spawns = {}
        programs = ""
        for name, code in (("quick_ok", 0), ("quick_bad", 1)):
            spawns[name] = os.path.join(self.dir, name + ".spawns")
            script = f'echo run >> "$1"; exit {code}'
            programs += f"""
[program.{name}]
command = ["sh", "-c", {toml_string(script)}, {toml_string(self.marker)}, {toml_string(spawns[name])}]
restart = "never"
start_grace = "2s"
backoff = {{ initial = "100ms", max = "100ms", retries = 3 }}
"""
        self.write_svd_config(programs)
        self.start_svd()
        ok = self.wait_state("quick_ok", "EXITED", timeout=10)
        self.assertEqual(ok["exit_code"], 0)
        bad = self.wait_state("quick_bad", "FATAL", timeout=10)
        self.assertEqual(bad["exit_code"], 1)
        self.assertIn("exit status 1", bad["message"])
        time.sleep(1)  # time for a retry that must not come (backoff is 100ms)
        for name in spawns:
            self.assertEqual(count_lines(spawns[name]), 1, f"{name} ran more than once")
            self.assertEqual(self.status(name)[name]["restarts"], 0, name)

    # ---- oneshot ---------------------------------------------------------
    def test_oneshot(self):
        runs = os.path.join(self.dir, "runs")
        exists = os.path.join(self.dir, "exists")
        with open(exists, "w"):
            pass
        self.write_svd_config(f"""
[program.job]
type = "oneshot"
command = ["sh", "-c", "echo run >> \\"$1\\"", {toml_string(self.marker)}, {toml_string(runs)}]

[program.failing]
type = "oneshot"
command = ["sh", "-c", "exit 4", {toml_string(self.marker)}]
restart = "never"

[program.done_before]
type = "oneshot"
command = ["sh", "-c", "echo run >> \\"$1\\"", {toml_string(self.marker)}, {toml_string(runs)}]
creates = {toml_string(exists)}
""")
        self.start_svd()
        job = self.wait_state("job", "EXITED")
        self.assertEqual(job["exit_code"], 0)
        self.assertTrue(job["ready"], "a oneshot that exited 0 is done (ready)")
        self.assertEqual(job["type"], "oneshot")
        self.assertEqual(count_lines(runs), 1)

        failing = self.wait_state("failing", "FATAL")
        self.assertEqual(failing["exit_code"], 4)
        self.assertIn("exit status 4", failing["message"])

        skipped = self.wait_state("done_before", "EXITED")
        self.assertIn("skipped", skipped["message"])

        # Starting a oneshot again runs it again, and svctl waits for it to finish.
        result = self.svctl("start", "job")
        self.assertIn("job: EXITED", result.stdout)
        self.assertEqual(count_lines(runs), 2)
        result = self.svctl("start", "failing", check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn("failing: FATAL", result.stderr)
        time.sleep(0.3)
        self.assertEqual(self.status("job")["job"]["state"], "EXITED", "a oneshot is not restarted after success")
        self.assertEqual(count_lines(runs), 2)


if __name__ == "__main__":
    unittest.main()
