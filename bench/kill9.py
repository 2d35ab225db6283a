#!/usr/bin/python3
"""kill -9 of the supervisor at random instants, then a new one: how many
processes of the killed generation are still running once the new
supervisor is up (orphans nobody supervises), and whether programs then
run twice. svd and supervisord 4.2 side by side.

Each of N programs forks a grandchild in its group (a worker beyond the
reach of PR_SET_PDEATHSIG). Each round starts the supervisor, kills it with
SIGKILL at a random instant once the first program runs (during or after
the start of every program),
starts a new one on the same tree and counts.

Usage: bench/kill9.py --svd PATH --svctl PATH [--programs 3] [--rounds 5]
Prints one line per supervisor:
  NAME  leftovers L of G  duplicated D
(L: processes of the killed generation still running, summed over rounds;
G: processes that generation had; D: rounds after which a program ran twice).
"""

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import shutil
import time

SUPERVISORD = "/usr/bin/supervisord"
SUPERVISORCTL = "/usr/bin/supervisorctl"


def marked(marker):
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    with open(f"/proc/{entry}/stat") as stat:
                        if stat.read().rsplit(")", 1)[1].split()[0] != "Z":
                            out.append(int(entry))
        except OSError:
            pass
    return out


def program_command(marker, i):
    return f"(exec -a {marker}-gc{i} sleep 1000) & exec -a {marker}-main{i} sleep 1000"


class Svd:
    name = "svd"

    def __init__(self, work, marker, count, svd, svctl):
        self.svd, self.svctl = svd, svctl
        self.config = os.path.join(work, "svd.toml")
        with open(self.config, "w") as f:
            f.write(f'[svd]\nhome = "{work}"\n')
            for i in range(count):
                f.write(f'[program.p{i}]\ncommand = ["/bin/bash", "-c", "{program_command(marker, i)}"]\n'
                        f'start_grace = "0s"\n')

    def start(self):
        args = [self.svd, "--config", self.config] + (["--allow-root"] if os.geteuid() == 0 else [])
        return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def up(self):
        return subprocess.run([self.svctl, "--config", self.config, "pid"], capture_output=True).returncode == 0

    def shutdown(self):
        subprocess.run([self.svctl, "--config", self.config, "shutdown"], capture_output=True, timeout=60)


class Supervisord:
    name = "supervisord"

    def __init__(self, work, marker, count):
        self.config = os.path.join(work, "supervisord.conf")
        with open(self.config, "w") as f:
            f.write(f"[unix_http_server]\nfile={work}/s.sock\n[supervisord]\nlogfile={work}/d.log\n"
                    f"pidfile={work}/d.pid\nnodaemon=true\n"
                    f"[rpcinterface:supervisor]\n"
                    f"supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
                    f"[supervisorctl]\nserverurl=unix://{work}/s.sock\n")
            for i in range(count):
                f.write(f"[program:p{i}]\ncommand=/bin/bash -c '{program_command(marker, i)}'\nstartsecs=0\n")

    def start(self):
        return subprocess.Popen([SUPERVISORD, "-c", self.config], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    def up(self):
        result = subprocess.run([SUPERVISORCTL, "-c", self.config, "status"], capture_output=True, text=True)
        return result.returncode in (0, 3) and "RUNNING" in result.stdout

    def shutdown(self):
        subprocess.run([SUPERVISORCTL, "-c", self.config, "shutdown"], capture_output=True, timeout=60)


def wait(predicate, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def measure(supervisor, marker, count, rounds, rng):
    leftovers = generation = duplicated = 0
    for _ in range(rounds):
        process = supervisor.start()
        # A random instant once spawning has begun (supervisord waits about
        # a second before its first spawn: earlier would measure nothing).
        wait(lambda: marked(marker))
        time.sleep(rng.uniform(0.0, 0.5))
        process.kill()
        process.wait()
        time.sleep(0.3)  # PDEATHSIG, where there is one, has done its work
        old = set(marked(marker))
        generation += 2 * count
        process = supervisor.start()
        wait(supervisor.up)
        time.sleep(1.5)  # the new generation is started
        now = set(marked(marker))
        leftovers += len(old & now)
        if os.environ.get("KILL9_DEBUG"): print(supervisor.name, len(old), len(now), file=sys.stderr)
        mains = [pid for pid in now if "-main" in open(f"/proc/{pid}/cmdline").read()]
        if len(mains) > count:
            duplicated += 1
        supervisor.shutdown()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for pid in marked(marker):  # what we started, by pid
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    return leftovers, generation, duplicated


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--svd", required=True)
    parser.add_argument("--svctl", required=True)
    parser.add_argument("--programs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(9)
    for kind in ("svd", "supervisord"):
        if kind == "supervisord" and not os.access(SUPERVISORD, os.X_OK):
            print("supervisord  (not installed)")
            continue
        work = tempfile.mkdtemp(prefix=f"svd-kill9-{kind}-")
        marker = f"k9mark{os.getpid()}{kind}"
        try:
            supervisor = (Svd(work, marker, args.programs, args.svd, args.svctl) if kind == "svd"
                          else Supervisord(work, marker, args.programs))
            left, total, twice = measure(supervisor, marker, args.programs, args.rounds, rng)
            print(f"{kind:<12} leftovers {left} of {total}  duplicated {twice} of {args.rounds} rounds", flush=True)
        finally:
            for pid in marked(marker):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
