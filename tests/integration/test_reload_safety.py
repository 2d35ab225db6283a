"""svctl reload that cannot lose programs (issue 16): everything the new
image needs is checked in the old one, a failing new image falls back to
the old one, the installed binary is what runs, removed programs get their
whole stop sequence, no fd leaks across reloads, and every client waiting
on a reload gets its answer."""

import os
import shutil
import signal
import socket
import subprocess
import threading
import time

from svdtest import SVCTL, SVD, SvdTestCase, pid_alive, processes_with_marker, toml_array, wait_for


class ReloadSafetyTest(SvdTestCase):
    def program(self, name, command, extra=""):
        return f'[program.{name}]\ncommand = {toml_array(command)}\nstart_grace = "100ms"\n{extra}\n'

    def pids(self):
        return {name: p["pid"] for name, p in self.status().items()}

    def start_with(self, programs, binary=None):
        self.write_svd_config(programs)
        if binary:
            self.svd_log = open(os.path.join(self.dir, "svd.stderr"), "w")
            self.svd = subprocess.Popen([binary, "--config", self.config, "--allow-root"], stdout=self.svd_log,
                                        stderr=subprocess.STDOUT)
            wait_for(lambda: self.svctl("pid", check=False).returncode == 0, what="svd's control socket")
        else:
            self.start_svd()
        wait_for(lambda: all(p["state"] == "RUNNING" for p in self.status().values()), what="all RUNNING")

    def test_a_socket_that_cannot_be_bound_refuses_the_reload_and_keeps_everything(self):
        holder = socket.socket()
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        self.addCleanup(holder.close)
        programs = self.program("a", self.sleeper(tag="a")) + self.program("b", self.sleeper(tag="b"))
        self.start_with(programs)
        before = self.pids()
        svd_pid = int(self.svctl("pid").stdout)
        self.write_svd_config(programs + f'[socket.taken]\nlisten = "127.0.0.1:{port}"\n')
        result = self.svctl("reload", check=False)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn(f"127.0.0.1:{port}", result.stderr)
        self.assertIn("keeps running", result.stderr)
        self.assertEqual(int(self.svctl("pid").stdout), svd_pid)
        self.assertEqual(self.pids(), before)
        self.assertTrue(all(pid_alive(pid) for pid in before.values()))

    def test_a_new_socket_is_bound_by_the_old_image_and_served_after_the_reload(self):
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        programs = self.program("a", self.sleeper(tag="a"))
        self.start_with(programs)
        self.write_svd_config(programs + f'[socket.fresh]\nlisten = "127.0.0.1:{port}"\n')
        self.svctl("reload")
        self.assertIn(f"127.0.0.1:{port}", self.svctl("sockets").stdout)
        socket.create_connection(("127.0.0.1", port), timeout=5).close()

    def test_reload_after_a_rename_upgrade_runs_the_new_file(self):
        bin_dir = os.path.join(self.dir, "bin")
        os.makedirs(bin_dir)
        installed = os.path.join(bin_dir, "svd")
        shutil.copy2(SVD, installed)
        self.start_with(self.program("a", self.sleeper(tag="a")), binary=installed)
        svd_pid = self.svd.pid
        before = self.pids()
        # An upgrade the way dpkg and install do it: a new file renamed over the old.
        shutil.copy2(SVD, installed + ".new")
        os.rename(installed + ".new", installed)
        self.assertTrue(os.readlink(f"/proc/{svd_pid}/exe").endswith("(deleted)"))
        result = self.svctl("reload")
        self.assertIn("before:", result.stdout)
        self.assertIn("after:", result.stdout)
        exe = os.readlink(f"/proc/{svd_pid}/exe")
        self.assertEqual(exe, installed, "the new file runs, not the deleted one")
        self.assertEqual(os.stat(f"/proc/{svd_pid}/exe").st_ino, os.stat(installed).st_ino)
        self.assertIn(f"after:  svd ", result.stdout)
        self.assertIn(installed + ")", result.stdout.split("after:")[1])
        self.assertEqual(self.pids(), before)

    def test_a_new_image_that_fails_falls_back_to_the_old_one_and_says_why(self):
        bin_dir = os.path.join(self.dir, "bin")
        os.makedirs(bin_dir)
        installed = os.path.join(bin_dir, "svd")
        shutil.copy2(SVD, installed)
        self.start_with(self.program("a", self.sleeper(tag="a")) + self.program("b", self.sleeper(tag="b")),
                        binary=installed)
        before = self.pids()
        # The "upgrade" is an svd that rejects its own command line.
        with open(installed + ".new", "w") as f:
            f.write(f"#!/bin/sh\nexec {SVD} \"$@\" --no-such-option\n")
        os.chmod(installed + ".new", 0o755)
        os.rename(installed + ".new", installed)
        result = self.svctl("reload", check=False)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("reload failed", result.stderr)
        self.assertIn("options", result.stderr)
        self.assertEqual(self.pids(), before)
        self.assertTrue(all(pid_alive(pid) for pid in before.values()))
        # Still supervising: a stop and a start work.
        self.svctl("stop", "a")
        self.assertFalse(pid_alive(before["a"]))
        self.svctl("start", "a")

    def test_a_removed_program_gets_its_whole_stop_sequence(self):
        stubborn = self.python("import signal,time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                               "open(__import__('sys').argv[2], 'w').close()\ntime.sleep(1000)",
                               os.path.join(self.dir, "stubborn.up"))
        keep = self.program("keep", self.sleeper(tag="keep"))
        self.start_with(keep + self.program("stubborn", stubborn, 'stop_timeout = "1s"'))
        wait_for(lambda: os.path.exists(os.path.join(self.dir, "stubborn.up")), what="stubborn's TERM handler")
        pid = self.pids()["stubborn"]
        self.write_svd_config(keep)
        self.svctl("reload")
        self.assertNotIn("stubborn", self.status())
        self.assertTrue(pid_alive(pid), "TERM is ignored, so it runs until its stop_timeout")
        wait_for(lambda: not pid_alive(pid), timeout=15, what="SIGKILL after stop_timeout")
        self.assertIn("SIGKILL", self.svd_output())

    def test_a_tree_still_draining_is_ended_by_the_new_image(self):
        worker = f"(trap '' TERM; exec -a {self.marker}-worker sleep 1000) & sleep 0.3; exit 0"
        self.write_svd_config(self.program("app", ["/bin/bash", "-c", worker],
                                           'restart = "never"\nstop_timeout = "2s"'))
        self.start_svd()
        wait_for(lambda: "rest of its tree" in self.svd_output(), what="the main process to exit")
        pid = processes_with_marker(self.marker + "-worker")[0]
        self.svctl("reload")
        self.assertTrue(pid_alive(pid), "it ignores TERM: it has until its stop_timeout")
        wait_for(lambda: not pid_alive(pid), timeout=15, what="SIGKILL at the end of the stop_timeout")

    def test_no_fd_is_duplicated_across_reloads(self):
        self.write_svd_config(self.program("a", self.sleeper(tag="a")))
        started = subprocess.run([SVD, "--config", self.config, "--allow-root", "--daemon"], capture_output=True,
                                 text=True, timeout=30)
        self.assertEqual(started.returncode, 0, started.stderr)
        svd_pid = int(self.svctl("pid").stdout)
        self.addCleanup(lambda: pid_alive(svd_pid) and os.kill(svd_pid, signal.SIGTERM))

        def fds():
            out = {}
            for fd in os.listdir(f"/proc/{svd_pid}/fd"):
                try:
                    out[int(fd)] = os.readlink(f"/proc/{svd_pid}/fd/{fd}")
                except OSError:
                    pass
            return out

        def settled_fds():
            # svd closes a client's connection when it reads its EOF: the
            # socket of the svctl that just ran may still be listed. Read
            # until two reads 100 ms apart agree.
            previous = fds()
            for _ in range(50):
                time.sleep(0.1)
                current = fds()
                if current == previous:
                    return current
                previous = current
            return previous
        first = settled_fds()
        for _ in range(3):
            self.svctl("reload")
        after = settled_fds()
        logs = [target for target in after.values() if target.endswith("svd.log")]
        self.assertEqual(len(logs), 1, after)
        self.assertEqual(len(after), len(first), f"before {first}\nafter {after}")
        # And every one of them is close-on-exec: nothing svd holds leaks into
        # a program or a further reload except what it hands over on purpose.
        leaking = []
        for fd, target in after.items():
            try:
                with open(f"/proc/{svd_pid}/fdinfo/{fd}") as info:
                    flags = int(next(line for line in info if line.startswith("flags")).split()[1], 8)
            except (OSError, StopIteration):
                continue
            if fd > 2 and not flags & 0o2000000:
                leaking.append((fd, target))
        self.assertEqual(leaking, [])
        self.svctl("shutdown")

    def test_concurrent_reloads_are_all_answered(self):
        programs = self.program("a", self.sleeper(tag="a"))
        self.start_with(programs)
        before = self.pids()
        results = []

        def reload():
            results.append(subprocess.run([SVCTL, "--config", self.config, "reload"], capture_output=True, text=True,
                                          timeout=120))
        threads = [threading.Thread(target=reload) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        failed = [(r.returncode, r.stderr) for r in results if r.returncode != 0]
        self.assertEqual(failed, [])
        self.assertEqual(self.pids(), before)
