#!/usr/bin/python3
"""Log capture throughput (issue 5): one child writing 200 MB to stdout

  * through svd            (log.max_size = "10MB", keep = 30)
  * through supervisord    (stdout_logfile_maxbytes=10MB, stdout_logfile_backups=30)
  * with `cat` straight to a file ("direct"), and two more baselines:
    "direct-rw" (dd, read/write 128 KiB: a program writing its own file) and
    "pipe-floor" (`cat FILE | cat > file`: what any pipe reader costs)

Runs are interleaved (direct, svd, supervisord, direct, ...), each after a
sync, and the median of each is printed: a fresh 200 MB of dirty page cache
makes single runs vary by 2-4x on a small VM.

The bytes are base64 of random data, generated once into a file; the child
is `sh -c 'date +%s.%N > STAMP; exec cat FILE'` in all three cases. Each
figure is the time from that stamp (the child starting, so neither svctl's
nor supervisorctl's own start-up counts) until every byte is in the log files
(polled every 2 ms); bytes lost are what is missing from all log files
together once they stop growing.

Usage (as root, since svd then needs --allow-root and supervisord runs as is):
  bench/logs.py [--svd PATH] [--svctl PATH] [--mb 200] [--runs 3] [--only NAME] [--keep-dir]
Defaults: svd and svctl from build-release/, then build/ under the repo root.
Goals (design.md): svd >= 80 % of direct (issue) / 90 % (design), 0 bytes lost.
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MB = 1024 * 1024
ORDER = ("direct", "direct-rw", "pipe-floor", "svd", "supervisord")


def find_binary(name, sub):
    for build in ("build-release", "build"):
        path = os.path.join(ROOT, build, sub, name)
        if os.access(path, os.X_OK):
            return path
    return shutil.which(name)


def log_bytes(directory, prefix):
    """Total size of prefix and prefix.* in directory."""
    total = 0
    try:
        entries = os.listdir(directory)
    except FileNotFoundError:
        return 0
    for entry in entries:
        if entry == prefix or entry.startswith(prefix + "."):
            try:
                total += os.stat(os.path.join(directory, entry)).st_size
            except FileNotFoundError:
                pass  # rotated away between listdir and stat; counted next time
    return total


def child_command(data, stamp, then=None):
    """The child: notes when it starts (wall clock), then becomes cat."""
    return f"date +%s.%N > {stamp}.tmp && mv {stamp}.tmp {stamp} && " + (then or f"exec cat {data}")


# The baselines: what "straight to a file" costs, three ways.
BASELINES = {
    # GNU cat (coreutils >= 9) copies file to file with copy_file_range: in
    # the kernel, no byte passes through user space. The reference.
    "direct": "exec cat {data}",
    # A program writing its own file with write(2), 128 KiB at a time.
    "direct-rw": "exec dd if={data} bs=128K status=none",
    # Any collector reading a pipe: cat | cat. The floor for svd's design.
    "pipe-floor": "cat {data} | cat",
}


def wait_for_bytes(directory, prefix, expected, stamp, stall=3.0, limit=300.0):
    """Polls until expected bytes are there, or they stop growing for `stall`
    seconds. Returns (seconds from the child's start to the last growth, bytes seen)."""
    if not wait_until(lambda: os.path.exists(stamp), timeout=30, interval=0.001):
        raise RuntimeError("the child never started")
    with open(stamp) as f:
        started = float(f.read())
    last_size, last_change = -1, time.time()
    while True:
        size = log_bytes(directory, prefix)
        now = time.time()
        if size != last_size:
            last_size, last_change = size, now
        if size >= expected:
            return now - started, size
        if now - last_change > stall or now - started > limit:
            return last_change - started, size
        time.sleep(0.002)


def wait_until(predicate, timeout=20.0, interval=0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def run_direct(work, data, expected, name="direct"):
    out_dir = os.path.join(work, name)
    os.makedirs(out_dir)
    stamp = os.path.join(work, name + ".started")
    command = child_command(data, stamp, BASELINES[name].format(data=data))
    with open(os.path.join(out_dir, "out.log"), "wb") as out:
        subprocess.run(["sh", "-c", command], stdout=out, check=True)
    # cat has exited: its bytes are in the file; the same poll as the others.
    return wait_for_bytes(out_dir, "out.log", expected, stamp)


def run_svd(work, data, expected, svd, svctl):
    home = os.path.join(work, "svd")
    os.makedirs(home)
    stamp = os.path.join(work, "svd.started")
    config = os.path.join(home, "svd.toml")
    with open(config, "w") as f:
        f.write(f'[svd]\nhome = "{home}"\n\n'
                f'[program.bench]\ncommand = ["sh", "-c", "{child_command(data, stamp)}"]\nstart = "manual"\nrestart = "never"\n'
                f'log = {{ max_size = "10MB", keep = 30 }}\n')
    log_dir = os.path.join(home, "var", "log")
    daemon = subprocess.Popen([svd, "--config", config, "--allow-root"],
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(home, "svd.stderr"), "w"))
    ctl = [svctl, "--config", config]
    try:
        if not wait_until(lambda: subprocess.run(ctl + ["pid"], capture_output=True).returncode == 0):
            raise RuntimeError("svd did not come up")
        subprocess.run(ctl + ["start", "--no-wait", "bench"], check=True, capture_output=True)
        took, size = wait_for_bytes(log_dir, "bench.log", expected, stamp)
        status = subprocess.run(ctl + ["status", "--json", "bench"], capture_output=True, text=True).stdout
        return took, size, status
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(15)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()


def run_supervisord(work, data, expected):
    home = os.path.join(work, "supervisord")
    log_dir = os.path.join(home, "log")
    os.makedirs(log_dir)
    stamp = os.path.join(work, "supervisord.started")
    sock = os.path.join(home, "supervisor.sock")
    config = os.path.join(home, "supervisord.conf")
    with open(config, "w") as f:
        f.write(f"""[unix_http_server]
file={sock}
chmod=0700

[supervisord]
logfile={home}/supervisord.log
pidfile={home}/supervisord.pid
childlogdir={log_dir}
nodaemon=true
user=root

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{sock}

[program:bench]
command=sh -c "{child_command(data, stamp).replace("%", "%%")}"
autostart=false
autorestart=false
startsecs=0
stdout_logfile={log_dir}/bench.log
stdout_logfile_maxbytes=10MB
stdout_logfile_backups=30
redirect_stderr=true
""")
    daemon = subprocess.Popen(["/usr/bin/supervisord", "-c", config],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ctl = ["/usr/bin/supervisorctl", "-c", config]
    try:
        if not wait_until(lambda: os.path.exists(sock) and
                          subprocess.run(ctl + ["pid"], capture_output=True).returncode == 0):
            raise RuntimeError("supervisord did not come up")
        # supervisorctl waits for the start to be confirmed; the bytes flow meanwhile.
        starter = subprocess.Popen(ctl + ["start", "bench"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        took, size = wait_for_bytes(log_dir, "bench.log", expected, stamp)
        starter.wait()
        return took, size
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(15)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--svd", default=os.environ.get("SVD_BIN") or find_binary("svd", "supervisor"))
    parser.add_argument("--svctl", default=os.environ.get("SVCTL_BIN") or find_binary("svctl", "ctl"))
    parser.add_argument("--mb", type=int, default=200, help="megabytes the child writes (default 200)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each, interleaved; the median is printed")
    parser.add_argument("--only", choices=["svd", "supervisord", *BASELINES], action="append")
    parser.add_argument("--keep-dir", action="store_true", help="leave the temp dir for inspection")
    args = parser.parse_args()
    if not args.svd or not args.svctl:
        sys.exit("svd/svctl not found: build them or pass --svd and --svctl")
    if os.geteuid() != 0:
        sys.exit("run as root (svd with --allow-root, supervisord as root)")
    only = set(args.only or ["svd", "supervisord", *BASELINES])
    if "supervisord" in only and not os.access("/usr/bin/supervisord", os.X_OK):
        print("supervisord not installed (Debian package 'supervisor'): skipped")
        only.discard("supervisord")

    work = tempfile.mkdtemp(prefix="svd-bench-logs-")
    try:
        data = os.path.join(work, "data.b64")
        expected = args.mb * MB
        # Deterministic from here on: every run reads the same bytes.
        subprocess.run(f"head -c {expected} /dev/urandom | base64 | head -c {expected} > {data}",
                       shell=True, check=True)
        assert os.path.getsize(data) == expected
        subprocess.run(["cat", data], stdout=subprocess.DEVNULL, check=True)  # warm the page cache

        results = {name: [] for name in only}
        for run in range(args.runs):
            for name in ORDER:
                if name not in only:
                    continue
                run_dir = os.path.join(work, f"run{run}")
                os.makedirs(run_dir, exist_ok=True)
                # Every case starts with no dirty pages left by the one before:
                # writeback throttling otherwise lands on whoever comes next.
                os.sync()
                time.sleep(0.5)
                if name in BASELINES:
                    took, size = run_direct(run_dir, data, expected, name)
                elif name == "svd":
                    took, size, status = run_svd(run_dir, data, expected, args.svd, args.svctl)
                    if '"dropped_bytes":0' not in status.replace(" ", ""):
                        print(f"svd status: {status.strip()}")
                else:
                    took, size = run_supervisord(run_dir, data, expected)
                results[name].append((took, size))
                shutil.rmtree(run_dir, ignore_errors=True)

        print(f"{args.mb} MB to stdout, rotated at 10 MB, keep 30 ({args.runs} run(s), median; svd: {args.svd})")
        print(f"{'':14}{'seconds':>9}{'MB/s':>9}{'bytes lost':>12}")
        rate = {}
        for name in ORDER:
            if name not in results:
                continue
            took = statistics.median(t for t, _ in results[name])
            lost = max(expected - size for _, size in results[name])
            rate[name] = args.mb / took
            runs = " ".join(f"{t:.3f}" for t, _ in results[name]) if args.runs > 1 else ""
            print(f"{name:14}{took:9.3f}{rate[name]:9.1f}{lost:12d}   {runs}")
        if "svd" in rate and "direct" in rate:
            print(f"svd / direct      = {100 * rate['svd'] / rate['direct']:.0f} %   (goal >= 80 %)")
        if "svd" in rate and "direct-rw" in rate:
            print(f"svd / direct-rw   = {100 * rate['svd'] / rate['direct-rw']:.0f} %")
        if "svd" in rate and "pipe-floor" in rate:
            print(f"svd / pipe-floor  = {100 * rate['svd'] / rate['pipe-floor']:.0f} %")
        if "svd" in rate and "supervisord" in rate:
            print(f"svd / supervisord = {rate['svd'] / rate['supervisord']:.2f} x")
        if "supervisord" in rate and "direct" in rate:
            print(f"supervisord / direct = {100 * rate['supervisord'] / rate['direct']:.0f} %")
    finally:
        if args.keep_dir:
            print(f"left {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
