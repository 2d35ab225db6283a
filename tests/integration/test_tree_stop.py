"""Whole-tree stop (issue 16): processes that leave their program's process
group (setsid, with the environment cleared) are still stopped by stop and
by shutdown, and after a program's main process exits the rest of its tree
gets the stop signal and stop_timeout before SIGKILL (KillMode=mixed)."""

import os

from svdtest import SvdTestCase, pid_alive, processes_with_marker, toml_array, wait_for


class TreeStopTest(SvdTestCase):
    def escapee(self, tag):
        """A shell line starting a process in a session of its own with an empty environment."""
        return f'setsid env -i /bin/bash -c "exec -a {self.marker}-{tag} sleep 1000"'

    def test_stop_ends_a_setsid_escapee_with_a_cleared_environment(self):
        command = ["/bin/bash", "-c", f"{self.escapee('escapee')} & exec sleep 1000"]
        self.write_svd_config(f'[program.app]\ncommand = {toml_array(command)}\nstart_grace = "100ms"\n')
        self.start_svd()
        self.wait_state("app", "RUNNING")
        escapee = wait_for(lambda: processes_with_marker(self.marker + "-escapee"), what="the escapee")[0]
        with open(f"/proc/{escapee}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        self.assertNotEqual(int(fields[2]), self.status()["app"]["pid"], "it left the program's group")
        self.svctl("stop", "app")
        wait_for(lambda: not pid_alive(escapee), timeout=15, what="the escapee to be stopped")

    def test_shutdown_ends_an_escapee_whose_parent_is_long_gone(self):
        # The subshell exits at once: the escapee is reparented to svd, and
        # no parent link leads from the program to it any more.
        command = ["/bin/bash", "-c", f"( {self.escapee('orphan')} & ); exec sleep 1000"]
        self.write_svd_config(f'[program.app]\ncommand = {toml_array(command)}\nstart_grace = "100ms"\n'
                              f'stop_timeout = "2s"\n')
        self.start_svd()
        self.wait_state("app", "RUNNING")
        orphan = wait_for(lambda: processes_with_marker(self.marker + "-orphan"), what="the orphan")[0]
        self.svctl("shutdown")
        self.svd.wait(30)
        self.assertFalse(pid_alive(orphan), "svd ends what its programs left before it exits")

    def test_a_draining_worker_gets_term_and_its_stop_timeout_after_the_main_process_exits(self):
        drained = os.path.join(self.dir, "drained")
        got_term = os.path.join(self.dir, "got-term")
        worker = (f"trap 'touch {got_term}; sleep 1; touch {drained}; exit 0' TERM; "
                  f"while true; do sleep 0.1; done")
        command = ["/bin/bash", "-c", f'/bin/bash -c "{worker}" & sleep 0.5; exit 3']
        self.write_svd_config(f'[program.app]\ncommand = {toml_array(command)}\nrestart = "never"\n'
                              f'start_grace = "100ms"\nstop_timeout = "10s"\n')
        self.start_svd()
        wait_for(lambda: os.path.exists(got_term), timeout=15, what="the worker to get TERM")
        wait_for(lambda: os.path.exists(drained), timeout=15, what="the worker to finish draining")
        self.assertIn("rest of its tree", self.svd_output())

    def test_a_second_sigterm_kills_a_draining_tree_at_once(self):
        import signal
        worker = f"(trap '' TERM; exec -a {self.marker}-worker sleep 1000) & exec sleep 1000"
        self.write_svd_config(f'[program.app]\ncommand = {toml_array(["/bin/bash", "-c", worker])}\n'
                              f'start_grace = "100ms"\nstop_timeout = "120s"\n')
        self.start_svd()
        self.wait_state("app", "RUNNING")
        pid = wait_for(lambda: processes_with_marker(self.marker + "-worker"), what="the worker")[0]
        self.svd.send_signal(signal.SIGTERM)
        wait_for(lambda: "rest of its tree" in self.svd_output(), what="the main process to exit")
        self.assertTrue(pid_alive(pid), "it ignores TERM and has 120 s")
        self.svd.send_signal(signal.SIGTERM)
        self.svd.wait(30)  # well before the 120 s stop_timeout
        self.assertFalse(pid_alive(pid))
