"""One tree, one svd; a deleted tree stops the stack (issue 16). The lock
lives in home, so deleting run_dir or pointing the config at another one
cannot let a second svd in; a deleted run_dir or control socket is
re-created; svctl names the svd holding the lock instead of inviting a
second one; `rm -rf` of the whole tree stops every program."""

import os
import shutil
import subprocess

from svdtest import SVCTL, SVD, SvdTestCase, pid_alive, processes_with_marker, toml_array, wait_for


class OneTreeTest(SvdTestCase):
    def programs(self):
        return "".join(f'[program.{name}]\ncommand = {toml_array(self.sleeper(tag=name))}\nstart_grace = "100ms"\n'
                       for name in ("db", "app"))

    def second_svd(self):
        return subprocess.run([SVD, "--config", self.config, "--allow-root"], capture_output=True, text=True,
                              timeout=30)

    def test_run_dir_deleted_then_status_works_and_a_second_svd_is_refused(self):
        self.write_svd_config(self.programs())
        self.start_svd()
        wait_for(lambda: all(p["state"] == "RUNNING" for p in self.status().values()), what="all RUNNING")
        before = {name: p["pid"] for name, p in self.status().items()}
        shutil.rmtree(os.path.join(self.dir, "var", "run"))
        wait_for(lambda: self.svctl("status", check=False).returncode == 0, timeout=15,
                 what="svctl to reach svd again")
        self.assertEqual({name: p["pid"] for name, p in self.status().items()}, before)
        self.assertIn("was deleted; re-created it", self.svd_output())
        shutil.rmtree(os.path.join(self.dir, "var", "run"))
        second = self.second_svd()
        self.assertEqual(second.returncode, 1, second.stdout + second.stderr)
        self.assertIn(f"another svd (pid {self.svd.pid})", second.stderr)
        self.assertNotIn("\n)", second.stderr, "the pid is not followed by the lock file's newline")
        self.assertEqual(len(processes_with_marker(self.marker + "-db")), 1, "every program runs once")

    def test_svctl_names_the_lock_holder_when_the_socket_moved(self):
        self.write_svd_config(self.programs())
        self.start_svd()
        # A valid edit of the socket's place: the running svd still listens on the old one.
        self.write_svd_config(self.programs(), svd_extra=f'socket = "{self.dir}/elsewhere.sock"')
        # svctl reaches it through the pointer svd recorded (daemon/socket_pointer.h) ...
        self.assertEqual(self.svctl("status", check=False).returncode, 0)
        # ... and without one (another runtime dir) names the lock holder.
        no_pointer = os.path.join(self.dir, "empty-runtime")
        os.makedirs(no_pointer)
        result = subprocess.run([SVCTL, "--config", self.config, "status"], capture_output=True, text=True,
                                timeout=60, env=dict(os.environ, XDG_RUNTIME_DIR=no_pointer))
        self.assertEqual(result.returncode, 3)
        self.assertIn(f"svd (pid {self.svd.pid}) holds this tree's lock", result.stderr)
        self.assertNotIn("svd --daemon", result.stderr)
        second = self.second_svd()
        self.assertEqual(second.returncode, 1, second.stderr)

    def test_rm_rf_of_the_tree_stops_every_program(self):
        self.write_svd_config(self.programs())
        self.start_svd()
        wait_for(lambda: all(p["state"] == "RUNNING" for p in self.status().values()), what="all RUNNING")
        pids = [p["pid"] for p in self.status().values()]
        # The config stays outside the tree (the svd under test was started from it); home goes.
        config = os.path.join(os.path.dirname(self.dir), os.path.basename(self.dir) + ".toml")
        shutil.copy(self.config, config)
        self.addCleanup(lambda: os.path.exists(config) and os.unlink(config))
        shutil.rmtree(self.dir)
        os.makedirs(self.dir)  # a new directory at home's path: not svd's home any more
        open(os.path.join(self.dir, "svd.stderr"), "w").close()  # for the harness's tearDown
        self.svd.wait(30)
        self.assertFalse(any(pid_alive(pid) for pid in pids))
        self.assertEqual(processes_with_marker(self.marker), [])
