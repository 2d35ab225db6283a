"""What real machines do to a supervisor: svd killed with SIGKILL (its
programs must not outlive it, and the next svd must start cleanly and end
what was left), a program that forks 50 children and exits, a program that
floods stdout while svd is frozen or restarted, 1,000 concurrent clients on
the control socket, and a 1,000-program config."""

import json
import os
import resource
import selectors
import signal
import socket
import subprocess
import time
import unittest

from svdtest import (SVD, SvdTestCase, assert_rss_growth_below, pid_alive, pid_gone, processes_with_marker, rss_kb, toml_array,
                     toml_string, wait_for)

# Leads its group; starts a child in the same group (out of reach of
# PR_SET_PDEATHSIG, which only the direct child gets) and writes its pid.
WITH_CHILD_IN_GROUP = """
import os, subprocess, sys, time
child = subprocess.Popen(["/bin/bash", "-c", 'exec -a "$0" sleep 1000', sys.argv[1] + "-groupchild"])
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(child.pid))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
time.sleep(1000)
"""

# Forks 50 children (half stay in the group, half setsid() out of it), writes
# their pids, waits until they all run, then exits.
FORK_50_AND_EXIT = """
import os, sys, time
pids = []
for i in range(50):
    pid = os.fork()
    if pid == 0:
        if i % 2:
            os.setsid()
        time.sleep(1000)
        os._exit(0)
    pids.append(pid)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(" ".join(map(str, pids)))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
time.sleep(float(sys.argv[3]))
"""

# Writes numbered lines as fast as it can: "<marker> <n>\\n".
FLOOD = """
import sys
out = sys.stdout.buffer
tag = sys.argv[1].encode()
n = 0
while True:
    out.write(b"%s %d\\n" % (tag, n))
    n += 1
"""


def program_toml(name, argv, **extra):
    lines = [f"[program.{name}]", f"command = {toml_array(argv)}"]
    for key, value in extra.items():
        lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n\n"


def read_pids(path, timeout=10.0):
    wait_for(lambda: os.path.exists(path), timeout=timeout, what=f"{path} to be written")
    with open(path) as f:
        return [int(word) for word in f.read().split()]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_group(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[2])
    except (OSError, IndexError, ValueError):
        return None


def zombie_children(parent):
    """Pids of zombies whose parent is `parent`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z" and int(fields[1]) == parent:
            found.append(int(entry))
    return found


class KillNine(SvdTestCase):
    """svd dies with SIGKILL: nothing it ran survives, the next svd starts cleanly."""

    def write_stack(self):
        self.port = free_port()
        self.pid_file = os.path.join(self.dir, "groupchild.pid")
        return self.write_svd_config(
            f'[socket.tcp]\nlisten = "127.0.0.1:{self.port}"\n\n'
            '[socket.local]\nlisten = "unix:${run_dir}/local.sock"\n\n'
            + program_toml("plain", self.sleeper(tag="plain"), start_grace='"100ms"')
            + program_toml("holder", self.sleeper(tag="holder"), start_grace='"100ms"',
                           sockets='["tcp", "local"]')
            + program_toml("parent", self.python(WITH_CHILD_IN_GROUP, self.pid_file), start_grace='"100ms"'))

    def wait_all_running(self, names=("plain", "holder", "parent")):
        wait_for(lambda: all(p["state"] == "RUNNING" for p in self.status().values()) and
                 set(self.status()) >= set(names), what="every program RUNNING")

    def kill_svd(self):
        self.svd.send_signal(signal.SIGKILL)
        self.svd.wait(10)
        self.svd_log.close()

    def test_kill9_leaves_no_program_running_and_next_svd_cleans_up(self):
        self.write_stack()
        self.start_svd()
        self.wait_all_running()
        leaders = {name: p["pid"] for name, p in self.status().items()}
        group_child = read_pids(self.pid_file)[0]
        self.assertEqual(process_group(group_child), leaders["parent"], "the child shares its parent's group")
        state_file = os.path.join(self.dir, "var", "run", "svd.state")
        wait_for(lambda: os.path.exists(state_file), what="svd.state to be written")

        self.kill_svd()
        # PR_SET_PDEATHSIG: every program's own process dies with svd.
        for name, pid in leaders.items():
            wait_for(lambda: not pid_alive(pid), timeout=5, what=f"{name} (pid {pid}) to die with svd")
        # Its child in the same group is beyond PDEATHSIG's reach until the next svd.
        self.assertTrue(pid_alive(group_child), "the group's other process is left for the next svd")

        self.start_svd()
        wait_for(lambda: not pid_alive(group_child), timeout=5, what="the leftover group child to be killed")
        self.assertIn("left running by an svd that died", self.svd_output())
        self.wait_all_running()
        fresh = {name: p["pid"] for name, p in self.status().items()}
        self.assertTrue(all(fresh[name] != leaders[name] for name in leaders))
        # The held sockets were bound again: a connection reaches the backlog.
        with socket.create_connection(("127.0.0.1", self.port), timeout=5):
            pass
        with socket.socket(socket.AF_UNIX) as unix:
            unix.connect(os.path.join(self.dir, "var", "run", "local.sock"))

        # A clean shutdown leaves no state behind, and no process with the marker.
        self.svctl("shutdown")
        self.svd.wait(30)
        self.assertFalse(os.path.exists(state_file), "a clean exit removes svd.state")
        wait_for(lambda: not processes_with_marker(self.marker), timeout=5, what="no process left")

    def test_restart_after_kill9_twice_in_a_row(self):
        """A stale control socket, lock file, notify socket and unix sockets
        never stop the next svd, however often it is killed."""
        self.write_stack()
        for _ in range(3):
            self.start_svd()
            self.wait_all_running()
            self.kill_svd()
        self.start_svd()
        self.wait_all_running()
        # Exactly one generation of programs is alive.
        self.assertEqual(len(processes_with_marker(self.marker + "-plain")), 1)
        wait_for(lambda: processes_with_marker(self.marker + "-groupchild"), what="the new group child")
        time.sleep(0.3)
        self.assertEqual(len(processes_with_marker(self.marker + "-groupchild")), 1)

    def test_state_file_never_kills_a_reused_pid(self):
        """A state file naming a group whose leader pid now belongs to another
        process (other start time) is ignored; one naming a real leftover group
        (start time matches) gets it killed, members and all."""
        # A process tree that looks exactly like a leftover program: leader + child, own group.
        leftover = subprocess.Popen(["/bin/bash", "-c", f'exec -a "{self.marker}-left" sleep 1000 & wait'],
                                    start_new_session=True)
        stranger = subprocess.Popen(["/bin/bash", "-c", f'exec -a "{self.marker}-stranger" sleep 1000'],
                                    start_new_session=True)
        try:
            wait_for(lambda: processes_with_marker(self.marker + "-left"), what="the leftover child")
            left_child = processes_with_marker(self.marker + "-left")[0]

            def start_time(pid):
                with open(f"/proc/{pid}/stat") as stat:
                    return int(stat.read().rsplit(")", 1)[1].split()[19])

            with open("/proc/sys/kernel/random/boot_id") as f:
                boot = f.read().strip()
            run_dir = os.path.join(self.dir, "var", "run")
            os.makedirs(run_dir, mode=0o700)
            with open(os.path.join(run_dir, "svd.state"), "w") as f:
                f.write(f"svd-state 1 {boot}\n"
                        f"{leftover.pid} {start_time(leftover.pid)} left\n"
                        f"{stranger.pid} {start_time(stranger.pid) - 1} stranger\n")
            os.chmod(os.path.join(run_dir, "svd.state"), 0o600)
            self.write_svd_config(program_toml("plain", self.sleeper(tag="plain")))
            self.start_svd()
            wait_for(lambda: not pid_alive(left_child) and leftover.poll() is not None, timeout=5,
                     what="the leftover group to be killed")
            self.assertIsNone(stranger.poll(), "a process whose start time does not match is not touched")
            self.assertFalse(os.path.exists(os.path.join(run_dir, "svd.state.new")))
        finally:
            for child in (leftover, stranger):
                if child.poll() is None:
                    os.killpg(child.pid, signal.SIGKILL)
                child.wait()


class Children(SvdTestCase):
    def test_program_forking_50_children_then_exiting_is_cleaned_up(self):
        pid_file = os.path.join(self.dir, "children.pids")
        self.write_svd_config(program_toml("forker", self.python(FORK_50_AND_EXIT, pid_file, 2),
                                           restart='"never"', start_grace='"100ms"'))
        self.start_svd()
        children = read_pids(pid_file)
        self.assertEqual(len(children), 50)
        self.assertTrue(all(pid_alive(pid) for pid in children))
        wait_for(lambda: self.status()["forker"]["state"] == "EXITED", timeout=15, what="forker to exit")
        # In its group or escaped with setsid(): all of them go, and svd, their
        # reaper, leaves no zombie.
        wait_for(lambda: not [pid for pid in children if not pid_gone(pid)], timeout=10,
                 what="all 50 children to be gone")
        wait_for(lambda: not zombie_children(self.svd.pid), timeout=5, what="no zombie under svd")
        self.assertEqual(processes_with_marker(self.marker), [])


class Flood(SvdTestCase):
    def config_with_flood(self):
        return self.write_svd_config(program_toml("flood", self.python(FLOOD), start_grace='"100ms"',
                                                  log='{ max_size = "200MB", keep = 1 }'))

    def log_path(self):
        return os.path.join(self.log_dir, "flood.log")

    def test_flood_while_svd_is_frozen_loses_nothing(self):
        """SIGSTOP svd under a flood: the pipe fills and the writer waits; after
        SIGCONT every line reaches the log, in order, none lost or repeated."""
        self.config_with_flood()
        self.start_svd()
        self.wait_state("flood", "RUNNING")
        wait_for(lambda: os.path.getsize(self.log_path()) > 1_000_000, what="the flood to reach the log")
        os.kill(self.svd.pid, signal.SIGSTOP)
        try:
            time.sleep(1.0)
            size_frozen = os.path.getsize(self.log_path())
            time.sleep(0.5)
            self.assertEqual(os.path.getsize(self.log_path()), size_frozen, "nothing is written while frozen")
        finally:
            os.kill(self.svd.pid, signal.SIGCONT)
        wait_for(lambda: os.path.getsize(self.log_path()) > size_frozen + 1_000_000,
                 what="the log to grow again after SIGCONT")
        started = time.monotonic()
        self.svctl("status")
        self.assertLess(time.monotonic() - started, 5, "svctl is answered under the flood")
        assert_rss_growth_below(self, self.svd.pid, 0, 64, "svd's memory under the flood")
        self.svctl("stop", "flood")
        with open(self.log_path(), "rb") as f:
            lines = f.read().split(b"\n")
        tag = self.marker.encode()
        numbers = []
        for line in lines[:-1]:
            if line.startswith(tag + b" "):
                numbers.append(int(line.split(b" ")[1]))
        self.assertGreater(len(numbers), 100_000)
        self.assertEqual(numbers, list(range(len(numbers))), "every line, in order, once")

    def test_flood_across_svd_restart(self):
        """svd stopped (SIGTERM) and started again while a program floods:
        the stop is prompt, the restart clean, the new flood logged."""
        self.config_with_flood()
        self.start_svd()
        self.wait_state("flood", "RUNNING")
        wait_for(lambda: os.path.getsize(self.log_path()) > 1_000_000, what="the flood to reach the log")
        started = time.monotonic()
        self.svd.send_signal(signal.SIGTERM)
        self.svd.wait(20)
        self.svd_log.close()
        stop_s = time.monotonic() - started
        self.assertEqual(self.svd.returncode, 0)
        self.assertLess(stop_s, 10, "svd stops a flooding program promptly")
        wait_for(lambda: not processes_with_marker(self.marker), timeout=5, what="the flood to be gone")
        size = os.path.getsize(self.log_path())
        self.start_svd()
        self.wait_state("flood", "RUNNING")
        wait_for(lambda: os.path.getsize(self.log_path()) > size + 1_000_000, what="the new flood to be logged")
        self.assertEqual(len(processes_with_marker(self.marker)), 1)


class Load(SvdTestCase):
    def test_1000_concurrent_clients_all_answered(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < 1200:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
        self.write_svd_config("".join(program_toml(f"p{i}", self.sleeper(tag=f"p{i}")) for i in range(5)))
        self.start_svd()
        request = json.dumps({"v": 1, "verb": "status", "names": [], "args": {}}).encode() + b"\n"
        clients = 1000
        selector = selectors.DefaultSelector()
        buffers = {}
        answered = 0
        started = time.monotonic()
        try:
            # Every client connects before any is answered: 1,000 at once.
            for _ in range(clients):
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(30)
                sock.connect(self.socket_path)
                sock.setblocking(False)
                buffers[sock] = [request, b""]
                selector.register(sock, selectors.EVENT_WRITE)
            deadline = time.monotonic() + 60
            while buffers and time.monotonic() < deadline:
                for key, events in selector.select(timeout=1):
                    sock = key.fileobj
                    pending = buffers[sock]
                    if events & selectors.EVENT_WRITE:
                        sent = sock.send(pending[0])
                        pending[0] = pending[0][sent:]
                        if not pending[0]:
                            selector.modify(sock, selectors.EVENT_READ)
                        continue
                    chunk = sock.recv(65536)
                    if chunk:
                        pending[1] += chunk
                    if b"\n" in pending[1] or not chunk:
                        line = pending[1].split(b"\n", 1)[0]
                        reply = json.loads(line) if line else {}
                        self.assertTrue(reply.get("ok"), f"reply: {line[:200]!r}")
                        self.assertEqual(len(reply.get("programs", [])), 5, f"reply: {line[:200]!r}")
                        answered += 1
                        selector.unregister(sock)
                        sock.close()
                        del buffers[sock]
        finally:
            for sock in buffers:
                sock.close()
            selector.close()
        elapsed = time.monotonic() - started
        print(f"\n1,000 concurrent status clients answered in {elapsed:.2f} s", flush=True)
        self.assertEqual(answered, clients)
        self.assertIsNone(self.svd.poll())
        self.svctl("status")

    def test_1000_programs_start_and_stop(self):
        """A 1,000-program config starts and stops, even when svd was given the
        usual soft limit of 1,024 open files (it raises its own)."""
        count = 1000
        programs = "".join(program_toml(f"s{i:04d}", self.sleeper(tag=f"s{i:04d}"), start_grace='"200ms"')
                           for i in range(count))
        self.write_svd_config(programs)
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        low = min(1024, hard)
        self.svd_log = open(os.path.join(self.dir, "svd.stderr"), "w")
        started = time.monotonic()
        self.svd = subprocess.Popen([SVD, "--config", self.config, "--allow-root"], stdout=self.svd_log,
                                    stderr=subprocess.STDOUT,
                                    preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard)))
        wait_for(lambda: self.svctl("pid", check=False).returncode == 0 or self.svd.poll() is not None,
                 what="svd's control socket")
        self.assertIsNone(self.svd.poll(), self.svd_output())

        def running():
            states = [p["state"] for p in self.status().values()]
            return len(states) == count and all(state == "RUNNING" for state in states)
        wait_for(running, timeout=120, interval=0.2, what="1,000 programs RUNNING")
        start_s = time.monotonic() - started
        pids = [p["pid"] for p in self.status().values()]
        self.assertEqual(len(set(pids)), count)
        with open(f"/proc/{pids[0]}/limits") as f:
            limit_line = next(line for line in f if line.startswith("Max open files"))
        self.assertEqual(int(limit_line.split()[3]), low, "programs get the limit svd was started with")

        started = time.monotonic()
        self.svctl("stop", "all", timeout=120)
        stop_s = time.monotonic() - started
        self.assertTrue(all(p["state"] == "STOPPED" for p in self.status().values()))
        self.assertTrue(all(pid_gone(pid) or not pid_alive(pid) for pid in pids))
        print(f"\n1,000 programs: all RUNNING {start_s:.2f} s after svd was launched "
              f"(start_grace 0.2 s); `svctl stop all` took {stop_s:.2f} s; svd RSS {rss_kb(self.svd.pid)} KiB",
              flush=True)
        self.svctl("shutdown")
        self.svd.wait(30)
        self.assertEqual(self.svd.returncode, 0)


if __name__ == "__main__":
    unittest.main()
