"""kill -9 of svd at any instant leaves nothing the next svd cannot find
(issue 16): each program's process group is on record before the program
runs (the child writes svd.state.journal before exec), and the next svd
ends what is left. Also: the state file is trusted only when it is ours."""

import os
import random
import signal
import subprocess
import time

from svdtest import SVCTL, SvdTestCase, pid_alive, processes_with_marker, toml_array, wait_for

PROGRAMS = 100
ROUNDS = 20


class Kill9LeftoversTest(SvdTestCase):
    def write_forking_programs(self):
        text = ""
        for i in range(PROGRAMS):
            # A grandchild in the program's group: beyond PDEATHSIG's reach.
            command = ["/bin/bash", "-c", f'(exec -a "{self.marker}-grandchild" sleep 1000) & '
                                          f'exec -a "{self.marker}-main" sleep 1000']
            text += f'[program.p{i}]\ncommand = {toml_array(command)}\nstart = "manual"\nstart_grace = "0s"\n'
        self.write_svd_config(text)

    def test_kill9_at_random_instants_during_start_all_leaves_nothing(self):
        self.write_forking_programs()
        rng = random.Random(16)
        figures = []
        for round_number in range(ROUNDS):
            self.start_svd()
            starter = subprocess.Popen([SVCTL, "--config", self.config, "start", "all"], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.0, 0.6))
            self.svd.send_signal(signal.SIGKILL)
            self.svd.wait(10)
            self.svd_log.close()
            starter.wait(30)
            # The next svd ends what the killed one left (its programs are manual: it starts nothing).
            self.start_svd()
            left = wait_for(lambda: not processes_with_marker(self.marker) and "none", timeout=20,
                            what=f"no leftovers in round {round_number}")
            figures.append(0 if left == "none" else len(processes_with_marker(self.marker)))
            self.svctl("shutdown")
            self.svd.wait(30)
            self.svd_log.close()
        print(f"\n[kill -9 leftovers] {sum(figures)} processes left over {ROUNDS} rounds", flush=True)

    def test_a_state_file_others_may_write_is_not_trusted(self):
        victim = subprocess.Popen(["/bin/bash", "-c", f'exec -a "{self.marker}-victim" sleep 1000'],
                                  start_new_session=True)
        self.addCleanup(lambda: victim.poll() is None and (victim.kill(), victim.wait()))
        with open(f"/proc/{victim.pid}/stat") as stat:
            start_time = int(stat.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/sys/kernel/random/boot_id") as f:
            boot = f.read().strip()
        run_dir = os.path.join(self.dir, "var", "run")
        os.makedirs(run_dir, mode=0o700)
        path = os.path.join(run_dir, "svd.state")
        with open(path, "w") as f:
            f.write(f"svd-state 1 {boot}\n{victim.pid} {start_time} victim\n")
        os.chmod(path, 0o666)
        self.write_svd_config('[program.plain]\ncommand = ["sleep", "1000"]\nstart = "manual"\n')
        self.start_svd()
        self.assertIn("not trusting", self.svd_output())
        time.sleep(0.3)
        self.assertTrue(pid_alive(victim.pid), "a state file anyone may write names nothing svd kills")
