"""Log capture and rotation (issue 5): byte-exact accounting across size
rotations, lines kept whole, time rotation, gzip of rotated files, a full
disk that neither blocks nor kills the writer, `tail -f` across a rotation,
reopen by verb and by SIGHUP, stderr modes, timestamps, a fast writer, and
svd's own log with --daemon.

Layout under test (documented in supervisor/logs/log_file.h):
  NAME.log live · NAME.log.1 (newest) … NAME.log.KEEP (oldest)
  with compress: NAME.log.YYYYMMDD-HHMMSS[-N].gz, ordered by stamp then N."""

import gzip
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import unittest

from svdtest import SVD, SVCTL, SvdTestCase, pid_alive, toml_array, toml_string, wait_for

# The stream a writer produces: numbered lines of random length (at most
# `longest` bytes with the newline) from a seed, so the test rebuilds exactly
# what the child wrote. Shared source: exec'd here and sent to the child.
STREAM = '''
import random
def make_stream(seed, total, longest):
    rng = random.Random(seed)
    table = bytes(33 + i % 94 for i in range(256))
    parts, size, n = [], 0, 0
    while size < total:
        body = rng.randbytes(rng.randint(0, longest - 10)).translate(table)
        line = b"%08d " % n + body + b"\\n"
        parts.append(line)
        size += len(line)
        n += 1
    return b"".join(parts)
'''
namespace = {}
exec(STREAM, namespace)
make_stream = namespace["make_stream"]

# argv: marker seed total longest done_file pause. Writes the stream in
# random-sized pieces (so reads by svd end mid-line), sleeping `pause` seconds
# after each, then creates done_file, then sleeps.
WRITER = STREAM + '''
import os, random, sys, time
seed, total, longest, done = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
pause = float(sys.argv[6])
data = make_stream(seed, total, longest)
rng = random.Random(seed + 1)
at = 0
while at < len(data):
    end = min(len(data), at + rng.randint(1, 16384))
    while at < end:
        at += os.write(1, data[at:end])
    if pause:
        time.sleep(pause)
with open(done, "w") as f:
    f.write(str(len(data)))
while True:
    time.sleep(1000)
'''

# argv: marker record_file. Writes a stamped line every 50 ms for 3 s (each
# also appended to record_file), creates record_file.done, then writes one
# more line per SIGUSR1.
TICKER = '''
import os, signal, sys, time
record = sys.argv[2]
def say(text):
    line = f"{text} {time.time():.3f}\\n"
    os.write(1, line.encode())
    with open(record, "a") as f:
        f.write(line)
extra = [0]
def on_usr1(signum, frame):
    extra[0] += 1
    say(f"extra {extra[0]}")
signal.signal(signal.SIGUSR1, on_usr1)
for i in range(60):
    say(f"tick {i}")
    time.sleep(0.05)
open(record + ".done", "w").close()
while True:
    time.sleep(1000)
'''

# argv: marker counter_file. Writes well-formed numbered lines at ~60 KB/s
# forever; every 20 lines it records how many it has written in counter_file.
STEADY = '''
import os, sys, time
counter = sys.argv[2]
n = 0
while True:
    line = b"%08d " % n + bytes([97 + n % 26]) * (60 + n % 40) + b"\\n"
    view = memoryview(line)
    while view:
        view = view[os.write(1, view):]
    n += 1
    if n % 20 == 0:
        with open(counter + ".tmp", "w") as f:
            f.write(str(n))
        os.rename(counter + ".tmp", counter)
        time.sleep(0.02)
'''
STEADY_LINE = re.compile(rb"^(\d{8}) ([a-z]+)$")

# argv: marker. One line (stdout "out N", stderr "err N") per SIGUSR1, after
# printing "ready". The "out" line is written in two pieces.
ON_SIGNAL = '''
import os, signal, sys, time
count = [0]
def on_usr1(signum, frame):
    count[0] += 1
    os.write(1, b"out ")
    time.sleep(0.05)
    os.write(1, b"%d\\n" % count[0])
    os.write(2, b"err %d\\n" % count[0])
signal.signal(signal.SIGUSR1, on_usr1)
os.write(1, b"ready\\n")
os.write(2, b"err ready\\n")
while True:
    time.sleep(1000)
'''

# argv: marker took_file. Writes 50 MiB to stdout in 64 KiB blocks, then the
# seconds it took to took_file.
FLOOD = '''
import os, sys, time
block = (b"%063d\\n" % 7) * 1024
started = time.monotonic()
for _ in range(50 * 1024 * 1024 // len(block)):
    view = memoryview(block)
    while view:
        view = view[os.write(1, view):]
took = time.monotonic() - started
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(took))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
while True:
    time.sleep(1000)
'''

ISO_PREFIX = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (.*)$")
DATED_GZ = re.compile(r"^app\.log\.(\d{8}-\d{6})(?:-(\d+))?\.gz$")


def read_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return b""


class LogsTestCase(SvdTestCase):
    def app(self, command, log, extra=""):
        return (f"[program.app]\ncommand = {toml_array(command)}\n"
                f'start_grace = "100ms"\nlog = {{ {log} }}\n{extra}\n')

    def log_path(self, name="app.log"):
        return os.path.join(self.log_dir, name)

    def numbered(self, name="app.log"):
        """{N: path} of the numbered rotated files NAME.log.N."""
        found = {}
        for entry in os.listdir(self.log_dir):
            if entry.startswith(name + ".") and entry[len(name) + 1:].isdigit():
                found[int(entry[len(name) + 1:])] = os.path.join(self.log_dir, entry)
        return found

    def all_numbered_bytes(self, name="app.log"):
        """NAME.log.N … NAME.log.1 + NAME.log, oldest first, and the list of pieces."""
        rotated = self.numbered(name)
        pieces = [read_bytes(rotated[n]) for n in sorted(rotated, reverse=True)]
        pieces.append(read_bytes(self.log_path(name)))
        return b"".join(pieces), pieces

    def total_size(self, prefix="app.log"):
        total = 0
        for entry in os.listdir(self.log_dir):
            if entry == prefix or entry.startswith(prefix + "."):
                try:
                    total += os.path.getsize(os.path.join(self.log_dir, entry))
                except FileNotFoundError:
                    pass
        return total

    def follow(self, *args):
        process = subprocess.Popen([SVCTL, "--config", self.config, "tail", "-f"] + list(args),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8",
                                   errors="replace")
        lines = queue.Queue()

        def pump():
            for line in process.stdout:
                lines.put(line.rstrip("\n"))
            lines.put(None)
        threading.Thread(target=pump, daemon=True).start()

        def stop():
            if process.poll() is None:
                process.kill()
            process.wait()
            process.stdout.close()
            process.stderr.close()
        self.addCleanup(stop)
        return process, lines

    def app_pid(self):
        return self.wait_state("app", "RUNNING")["pid"]

    def ready_app_pid(self):
        """The pid of app once it is RUNNING and has logged "ready" (its
        signal handlers are installed)."""
        pid = self.app_pid()
        wait_for(lambda: b"ready" in read_bytes(self.log_path()), what="ready")
        return pid


class RotationTest(LogsTestCase):
    def run_writer(self, log, total, longest, seed=1234, pause=0):
        done = os.path.join(self.dir, "writer.done")
        self.write_svd_config(self.app(self.python(WRITER, seed, total, longest, done, pause), log))
        self.start_svd()
        wait_for(lambda: os.path.exists(done), timeout=30, what="the writer to finish")
        expected = make_stream(seed, total, longest)
        self.assertEqual(int(read_bytes(done)), len(expected), "the child and the test disagree on the stream")
        return expected

    def test_bytes_are_exact_across_size_rotations(self):
        expected = self.run_writer('max_size = "64KB", keep = 1000', total=3 * 1024 * 1024, longest=300)
        wait_for(lambda: self.total_size() >= len(expected), timeout=20,
                 what=f"{len(expected)} bytes in the log files (have {self.total_size()})")
        got, pieces = self.all_numbered_bytes()
        self.assertGreaterEqual(len(pieces), 40, "expected about 48 files of 64 KB")
        self.assertEqual(len(got), len(expected), "bytes lost or duplicated across rotations")
        if got != expected:
            at = next(i for i in range(len(got)) if got[i] != expected[i])
            self.fail(f"the files differ from what the child wrote at byte {at}: "
                      f"{got[max(0, at - 40):at + 40]!r} vs {expected[max(0, at - 40):at + 40]!r}")
        self.assertEqual(self.status("app")["app"]["dropped_bytes"], 0)

    def test_lines_are_not_split_across_files(self):
        # Long lines and pauses between pieces: svd's reads often end inside
        # the line that crosses max_size, the case where a line gets split.
        longest, max_size = 2000, 32 * 1024
        expected = self.run_writer('max_size = "32KB", keep = 1000', total=2 * 1024 * 1024, longest=longest,
                                   seed=7, pause=0.001)
        wait_for(lambda: self.total_size() >= len(expected), timeout=20, what="all bytes in the files")
        got, pieces = self.all_numbered_bytes()
        self.assertEqual(got, expected)
        self.assertGreater(len(pieces), 50)
        for number, piece in zip(range(len(pieces) - 1, 0, -1), pieces[:-1]):
            self.assertTrue(piece.endswith(b"\n"), f"app.log.{number} ends mid-line: ...{piece[-60:]!r}")
            self.assertRegex(piece[:9], rb"^\d{8} $", f"app.log.{number} starts mid-line: {piece[:60]!r}")
            self.assertLessEqual(len(piece), max_size + longest,
                                 f"app.log.{number} is {len(piece)} bytes, beyond max_size plus one line")
            self.assertGreater(len(piece), max_size - longest,
                               f"app.log.{number} is {len(piece)} bytes: rotated too early")

    def test_keep_bounds_the_numbered_files(self):
        expected = self.run_writer('max_size = "16KB", keep = 3', total=400 * 1024, longest=200)
        # Nothing to wait for but the last rotation: the newest bytes end the live file.
        wait_for(lambda: read_bytes(self.log_path()) and expected.endswith(read_bytes(self.log_path())),
                 timeout=20, what="the last bytes in app.log")
        self.assertEqual(sorted(self.numbered()), [1, 2, 3], "keep = 3 must leave exactly .1 .2 .3")
        got, _ = self.all_numbered_bytes()
        self.assertGreater(len(got), 3 * 16 * 1024 - 600)
        self.assertTrue(expected.endswith(got), "the kept files are not the newest bytes, in order")

    def test_a_line_longer_than_max_size_is_split_and_nothing_lost(self):
        # 4 KB files, lines up to 10 KB: long lines must be cut, never dropped.
        expected = self.run_writer('max_size = "4KB", keep = 1000', total=200 * 1024, longest=10000, seed=99)
        wait_for(lambda: self.total_size() >= len(expected), timeout=20, what="all bytes in the files")
        got, pieces = self.all_numbered_bytes()
        self.assertEqual(got, expected)
        for piece in pieces[:-1]:
            self.assertLessEqual(len(piece), 4096 + 10000)

    def test_time_rotation_every_second(self):
        record = os.path.join(self.dir, "ticks")
        self.write_svd_config(self.app(self.python(TICKER, record), 'rotate_every = "1s", keep = 50'))
        self.start_svd()
        wait_for(lambda: os.path.exists(record + ".done"), timeout=15, what="the ticker to finish")
        expected = read_bytes(record)
        wait_for(lambda: self.all_numbered_bytes()[0] == expected, timeout=5,
                 what="every tick in the log files")
        _, pieces = self.all_numbered_bytes()
        # 3 s of ticks with a file per second: 3 or 4 files, the first maybe short.
        self.assertIn(len(pieces), (3, 4, 5), f"{len(pieces)} files for 3 s of output with rotate_every = 1s")
        for piece in pieces:
            stamps = [float(line.split()[-1]) for line in piece.decode().splitlines()]
            self.assertTrue(stamps, "an empty file was rotated")
            self.assertLess(stamps[-1] - stamps[0], 1.3, f"one file holds {stamps[-1] - stamps[0]:.2f} s of output")
        for piece in pieces[1:-1]:
            stamps = [float(line.split()[-1]) for line in piece.decode().splitlines()]
            self.assertGreater(stamps[-1] - stamps[0], 0.6,
                               f"a middle file holds only {stamps[-1] - stamps[0]:.2f} s of output")
        # Idle: no timer rotates anything, however many periods pass.
        before = sorted(os.listdir(self.log_dir))
        time.sleep(2.3)
        self.assertEqual(sorted(os.listdir(self.log_dir)), before, "files rotated while the program was idle")
        # The next write rotates once (not once per missed period).
        os.kill(self.app_pid(), signal.SIGUSR1)
        wait_for(lambda: b"extra 1" in read_bytes(self.log_path()), timeout=5, what="the extra line")
        self.assertEqual(len(self.numbered()), len(pieces), "one write after idle periods rotated more than once")
        self.assertTrue(read_bytes(self.log_path()).startswith(b"extra 1 "), "the live file holds old lines")

    def test_compressed_rotations_are_gzip_with_dated_names_and_keep(self):
        total, longest, keep = 300 * 1024, 200, 3
        expected = self.run_writer(f'max_size = "16KB", keep = {keep}, compress = true', total=total,
                                   longest=longest)
        started = time.time()

        def settled():
            names = os.listdir(self.log_dir)
            raw = [n for n in names if n.startswith("app.log.") and not n.endswith(".gz")]
            gz = [n for n in names if n.endswith(".gz")]
            return not raw and len(gz) == keep and read_bytes(self.log_path()) and \
                expected.endswith(read_bytes(self.log_path())) and names
        names = wait_for(settled, timeout=20, what=f"{keep} gzip files and nothing uncompressed")
        rotated = []
        for name in names:
            if name == "app.log":
                continue
            match = DATED_GZ.match(name)
            self.assertTrue(match, f"unexpected file in log_dir: {name}")
            stamp = time.mktime(time.strptime(match.group(1), "%Y%m%d-%H%M%S"))
            self.assertLess(abs(stamp - started), 120, f"{name} is not named by the time of rotation")
            rotated.append(((match.group(1), int(match.group(2) or 0)), name))
        rotated.sort()
        pieces = []
        for _, name in rotated:
            with gzip.open(os.path.join(self.log_dir, name)) as f:
                pieces.append(f.read())  # raises on a broken gzip file
            self.assertTrue(pieces[-1].endswith(b"\n"), f"{name} ends mid-line")
            self.assertGreater(len(pieces[-1]), 16 * 1024 - longest, f"{name} is too short")
        got = b"".join(pieces) + read_bytes(self.log_path())
        self.assertTrue(expected.endswith(got),
                        "the kept .gz files (by stamp, then -N) plus app.log are not the newest bytes in order: "
                        f"{[name for _, name in rotated]}")


class DiskFullTest(LogsTestCase):
    """log_dir on a tiny tmpfs: the writer is never blocked nor killed, drops
    are counted, and writing resumes (at a line start) once there is room."""

    def setUp(self):
        super().setUp()
        self.mount = os.path.join(self.dir, "small")
        os.makedirs(self.mount)
        if os.geteuid() != 0:
            self.skipTest("needs root to mount a tmpfs (a full disk)")
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", self.mount],
                                capture_output=True, text=True)
        if result.returncode != 0:
            self.skipTest(f"cannot mount a tmpfs: {result.stderr.strip()}")
        self.addCleanup(lambda: subprocess.run(["umount", "-l", self.mount], capture_output=True))

    def test_full_disk_drops_and_counts_then_resumes(self):
        counter = os.path.join(self.dir, "count")
        self.write_svd_config(self.app(self.python(STEADY, counter), 'max_size = "10MB", keep = 2'),
                              svd_extra=f"log_dir = {toml_string(self.mount)}\n")
        self.start_svd()
        log = os.path.join(self.mount, "app.log")
        pid = self.app_pid()
        wait_for(lambda: self.status("app")["app"]["dropped_bytes"] > 0, timeout=15,
                 what="dropped_bytes > 0 once the tmpfs is full")
        # The writer keeps writing while everything it says is dropped.
        count = lambda: int(read_bytes(counter) or 0)
        first = count()
        wait_for(lambda: count() > first + 100, timeout=5, what="the writer to make progress on a full disk")
        dropped = self.status("app")["app"]
        self.assertEqual(dropped["pid"], pid, "the writer was restarted")
        self.assertEqual(dropped["state"], "RUNNING")
        self.assertTrue(pid_alive(pid))
        full_size = os.path.getsize(log)
        self.assertGreater(full_size, 32 * 1024)
        # Room again: writing resumes with the lines written from now on.
        resumed_from = count()
        subprocess.run(["mount", "-o", "remount,size=8m", self.mount], check=True)

        def newer_line():
            for line in read_bytes(log).splitlines():
                match = STEADY_LINE.match(line)
                if match and int(match.group(1)) > resumed_from:
                    return True
            return False
        wait_for(newer_line, timeout=10, what="lines written after space came back")
        settled = self.status("app")["app"]["dropped_bytes"]
        time.sleep(0.5)
        self.assertEqual(self.status("app")["app"]["dropped_bytes"], settled, "still dropping with room on disk")
        self.assertGreater(os.path.getsize(log), full_size)
        # What is in the file is the child's lines, a line cut by the full
        # disk at worst, never the start of one line glued to another's end.
        data = read_bytes(log)
        lines = data.split(b"\n")[:-1]
        for line in lines:
            match = STEADY_LINE.match(line)
            if match:
                n = int(match.group(1))
                body = bytes([97 + n % 26]) * (60 + n % 40)
                if match.group(2) == body:
                    continue
                if body.startswith(match.group(2)):
                    continue  # cut short by the full disk
            self.fail(f"a garbled line in the log after the disk was full: {line[:120]!r}")
        self.assertEqual(self.status("app")["app"]["pid"], pid)


class FollowAndReopenTest(LogsTestCase):
    def test_tail_follow_continues_across_rotations(self):
        script = '''
import os, signal, sys, time
def burst(signum, frame):
    for i in range(400):
        os.write(1, b"tick %05d %s\\n" % (i, b"x" * 40))
        time.sleep(0.003)
signal.signal(signal.SIGUSR1, burst)
os.write(1, b"ready\\n")
while True:
    time.sleep(1000)
'''
        self.write_svd_config(self.app(self.python(script), 'max_size = "4KB", keep = 2'))
        self.start_svd()
        pid = self.ready_app_pid()
        process, lines = self.follow("-n", "0", "app")
        time.sleep(0.3)
        os.kill(pid, signal.SIGUSR1)
        got = []
        deadline = time.monotonic() + 15
        while len(got) < 400 and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                self.fail(f"tail -f ended: {process.stderr.read()}")
            got.append(line)
        self.assertEqual(got, [f"tick {i:05d} " + "x" * 40 for i in range(400)],
                         "tail -f lost, repeated or reordered lines")
        self.assertEqual(sorted(self.numbered()), [1, 2], "the burst should have rotated app.log several times")
        self.assertIsNone(process.poll(), "tail -f stopped at a rotation")

    def test_tail_follow_keeps_utf8_characters_cut_between_reads_whole(self):
        script = '''
import os, signal, sys, time
def say(signum, frame):
    for piece in (b"caf\\xc3", b"\\xa9 \\xe2\\x82", b"\\xac \\xf0\\x9f", b"\\x98\\x80\\n"):
        os.write(1, piece)
        time.sleep(0.15)
signal.signal(signal.SIGUSR1, say)
os.write(1, b"ready\\n")
while True:
    time.sleep(1000)
'''
        self.write_svd_config(self.app(self.python(script), 'max_size = "1MB"'))
        self.start_svd()
        pid = self.ready_app_pid()
        process, lines = self.follow("-n", "0", "app")
        time.sleep(0.3)
        os.kill(pid, signal.SIGUSR1)
        try:
            line = lines.get(timeout=10)
        except queue.Empty:
            self.fail("tail -f printed nothing")
        self.assertEqual(line, "caf\u00e9 \u20ac \U0001f600", "a character cut between two reads was mangled")
        wait_for(lambda: read_bytes(self.log_path()).endswith("caf\u00e9 \u20ac \U0001f600\n".encode()), what="the line in the file")

    def check_reopen(self, reopen):
        self.write_svd_config(self.app(self.python(ON_SIGNAL), 'stderr = "merge"'))
        self.start_svd()
        pid = self.ready_app_pid()
        moved = self.log_path("app.log.moved")
        os.rename(self.log_path(), moved)
        os.kill(pid, signal.SIGUSR1)
        wait_for(lambda: b"out 1\n" in read_bytes(moved), what="the first line (still to the moved file)")
        reopen()
        wait_for(lambda: os.path.exists(self.log_path()), what="a new app.log")
        os.kill(pid, signal.SIGUSR1)
        wait_for(lambda: b"out 2\n" in read_bytes(self.log_path()), what="the second line in the new app.log")
        self.assertNotIn(b"out 2", read_bytes(moved), "output still goes to the moved file")
        self.assertNotIn(b"out 1", read_bytes(self.log_path()))
        self.assertEqual(self.status("app")["app"]["pid"], pid)

    def test_reopen_verb_after_the_files_were_moved(self):
        self.check_reopen(lambda: self.svctl("reopen"))

    def test_sighup_reopens(self):
        self.check_reopen(lambda: os.kill(self.svd.pid, signal.SIGHUP))


class StreamsTest(LogsTestCase):
    def signal_twice(self, stderr_kept=True):
        pid = self.ready_app_pid()
        # The second signal goes only once the first handler wrote all it
        # writes ("err N" last, to stdout's file or app.err.log): a handler
        # interrupted by the next signal would write "err 2" for both.
        def written():
            err_log = self.log_path("app.err.log")
            return read_bytes(self.log_path()) + (read_bytes(err_log) if os.path.exists(err_log) else b"")
        for count in (1, 2):
            os.kill(pid, signal.SIGUSR1)
            for expected in (b"out %d\n" % count, b"err %d\n" % count)[:2 if stderr_kept else 1]:
                wait_for(lambda: expected in written(), what=expected.decode().strip())
        time.sleep(0.2)

    def test_stderr_separate(self):
        self.write_svd_config(self.app(self.python(ON_SIGNAL), 'stderr = "separate"'))
        self.start_svd()
        self.signal_twice()
        wait_for(lambda: read_bytes(self.log_path("app.err.log")) == b"err ready\nerr 1\nerr 2\n",
                 what="stderr in app.err.log")
        self.assertEqual(read_bytes(self.log_path()), b"ready\nout 1\nout 2\n")
        self.assertEqual(self.svctl("tail", "--stderr", "app").stdout, "err ready\nerr 1\nerr 2\n")

    def test_stderr_discard(self):
        self.write_svd_config(self.app(self.python(ON_SIGNAL), 'stderr = "discard"'))
        self.start_svd()
        self.signal_twice(stderr_kept=False)
        self.assertEqual(read_bytes(self.log_path()), b"ready\nout 1\nout 2\n")
        self.assertFalse(os.path.exists(self.log_path("app.err.log")))
        self.assertEqual(self.status("app")["app"]["dropped_bytes"], 0)

    def test_stderr_merge(self):
        self.write_svd_config(self.app(self.python(ON_SIGNAL), 'stderr = "merge"'))
        self.start_svd()
        self.signal_twice()
        self.assertEqual(read_bytes(self.log_path()), b"ready\nerr ready\nout 1\nerr 1\nout 2\nerr 2\n")

    def test_timestamps_prefix_every_line(self):
        self.write_svd_config(self.app(self.python(ON_SIGNAL), 'stderr = "merge", timestamps = true'))
        self.start_svd()
        self.signal_twice()
        lines = read_bytes(self.log_path()).decode().splitlines()
        self.assertEqual(len(lines), 6, lines)
        now = time.time()
        bodies = []
        for line in lines:
            match = ISO_PREFIX.match(line)
            self.assertTrue(match, f"no ISO timestamp on {line!r}")
            stamp = time.mktime(time.strptime(match.group(1)[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
            self.assertLess(abs(now - stamp), 60, f"timestamp {match.group(1)} is not UTC now")
            bodies.append(match.group(2))
        # "out N" comes in two writes 50 ms apart: still one line, one stamp.
        self.assertEqual(bodies, ["ready", "err ready", "out 1", "err 1", "out 2", "err 2"])


class ShutdownTest(LogsTestCase):
    def test_last_words_before_exit_reach_the_file_at_shutdown(self):
        # On SIGTERM the program writes 300 KB at once and exits: the pipe
        # holds it all when svd learns of the exit and stops its loop.
        script = '''
import os, signal, sys, time
def bye(signum, frame):
    data = b"".join(b"last words %06d\\n" % i for i in range(18000)) + b"END\\n"
    view = memoryview(data)
    while view:
        view = view[os.write(1, view):]
    os._exit(0)
signal.signal(signal.SIGTERM, bye)
os.write(1, b"ready\\n")
while True:
    time.sleep(1000)
'''
        self.write_svd_config(self.app(self.python(script), 'max_size = "50MB"'))
        self.start_svd()
        self.ready_app_pid()
        self.svd.send_signal(signal.SIGTERM)
        self.assertEqual(self.svd.wait(15), 0)
        data = read_bytes(self.log_path())
        self.assertTrue(data.endswith(b"END\n"), f"the program's last {len(data)} bytes were not all written")
        self.assertEqual(data.count(b"last words"), 18000)


class ThroughputTest(LogsTestCase):
    def test_unread_stdout_never_blocks_a_50_mb_writer(self):
        took_file = os.path.join(self.dir, "took")
        self.write_svd_config(self.app(self.python(FLOOD, took_file), 'max_size = "10MB", keep = 10'))
        self.start_svd()
        pid = self.app_pid()
        wait_for(lambda: os.path.exists(took_file), timeout=30, what="the 50 MB writer to finish")
        took = float(read_bytes(took_file))
        self.assertLess(took, 15.0, f"writing 50 MB through svd took {took:.1f} s")
        wait_for(lambda: self.total_size() >= 50 * 1024 * 1024, timeout=20, what="50 MB in the files")
        self.assertEqual(self.total_size(), 50 * 1024 * 1024)
        self.assertEqual(sorted(self.numbered()), [1, 2, 3, 4])
        self.assertEqual(self.status("app")["app"]["pid"], pid)
        self.assertEqual(self.status("app")["app"]["dropped_bytes"], 0)


class DaemonLogTest(LogsTestCase):
    def test_daemon_logs_to_log_dir_svd_log(self):
        self.write_svd_config(self.app(self.sleeper(), 'max_size = "1MB"'))
        result = subprocess.run([SVD, "--config", self.config, "--allow-root", "--daemon"],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr)
        reply = self.svctl("pid")
        pid = int(reply.stdout.split()[0])

        def stop():
            self.svctl("shutdown", check=False)
            try:
                wait_for(lambda: not pid_alive(pid), timeout=10, what="svd to exit")
            except AssertionError:
                os.kill(pid, signal.SIGKILL)
        self.addCleanup(stop)
        self.assertNotEqual(pid, os.getpid())
        svd_log = self.log_path("svd.log")
        wait_for(lambda: b"running, pid %d" % pid in read_bytes(svd_log), what="svd's start line in svd.log")
        self.wait_state("app", "RUNNING")
        self.assertEqual(result.stderr, "")
        self.assertIn(f"pid {pid}", result.stdout, "--daemon should say which pid went to the background")
        os.kill(pid, signal.SIGHUP)
        wait_for(lambda: b"reopening log files" in read_bytes(svd_log), what="SIGHUP noted in svd.log")


if __name__ == "__main__":
    unittest.main()
