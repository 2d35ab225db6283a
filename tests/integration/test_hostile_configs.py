"""The hostile corpus (tests/configs/hostile: small cases in git, large and
special ones written by its generate.py), each case given to svd three ways:
  - `svd --check`: exit 1 with the expected errors, in bounded time and memory;
  - a running svd through `svctl update`: an error reply, svd alive, every
    program keeps its pid;
  - a running svd with watch_config = true, the case saved over svd.toml:
    status reports the broken file, every program keeps its pid.
Nothing a file says may crash, hang or flood svd."""

import os
import re
import resource
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

from svdtest import SANITIZED, SVCTL, SVD, SvdTestCase, toml_array, wait_for

SOURCE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "configs", "hostile")
sys.path.insert(0, SOURCE_DIR)
import generate  # noqa: E402  (the corpus' own generator)

# Address space for `svd --check`: a case that floods memory fails instead of
# swapping the machine (the 1 MB-variable case used to take 2 GB).
CHECK_MEMORY_BYTES = 1024 * 1024 * 1024


def corpus(directory):
    """Copies the static cases and generates the rest into directory; returns
    {name: [expected lines]}."""
    for entry in os.listdir(SOURCE_DIR):
        if entry.endswith((".toml", ".expected")):
            shutil.copy(os.path.join(SOURCE_DIR, entry), directory)
    generate.write(directory)
    cases = {}
    for entry in sorted(os.listdir(directory)):
        if entry.endswith(".toml"):
            name = entry[:-len(".toml")]
            with open(os.path.join(directory, name + ".expected")) as f:
                cases[name] = [line.rstrip("\n") for line in f if line.strip()]
    return cases


def line_matches(expected, actual):
    """As in tests/configs/bad, and '...' inside a line matches anything too."""
    pattern = ".*".join(re.escape(part) for part in expected.split("..."))
    return re.fullmatch(pattern, actual, re.S) is not None


def message_parts(expected_line):
    """What an update reply must contain: the message without file:line:col
    (svd.toml there), without the '...' of a prefix match, and cut around
    quoted paths (absolute there, relative to the corpus in --check)."""
    message = expected_line.split(": error: ", 1)[1]
    message = message[:-3] if message.endswith("...") else message
    return [part for part in re.split(r"'[^']*(?:\.toml|/)[^']*'", message) if part.strip()]


def says(text, expected_line):
    return all(part in text for part in message_parts(expected_line))


def copy_tree_with_fifos(source, target):
    """shutil.copytree, but a FIFO is made again rather than read."""
    os.makedirs(target, exist_ok=True)
    for entry in os.listdir(source):
        path = os.path.join(source, entry)
        if stat.S_ISFIFO(os.lstat(path).st_mode):
            if not os.path.exists(os.path.join(target, entry)):
                os.mkfifo(os.path.join(target, entry), 0o600)
        elif os.path.isdir(path):
            copy_tree_with_fifos(path, os.path.join(target, entry))
        else:
            shutil.copy(path, target)


def limit_memory():
    # AddressSanitizer reserves terabytes of address space for its shadow
    # memory and aborts under any RLIMIT_AS: the bound is checked by the
    # release build, the sanitizer build checks the same cases for reports.
    if not SANITIZED:
        resource.setrlimit(resource.RLIMIT_AS, (CHECK_MEMORY_BYTES, CHECK_MEMORY_BYTES))


class HostileCheck(unittest.TestCase):
    """svd --check on every case."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="svd-hostile-")
        cls.cases = corpus(cls.dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_corpus_has_every_finding(self):
        for name in ["deep-table-header", "deep-dotted-key", "deep-arrays", "expansion-amplified",
                     "main-config-fifo", "include-dev-zero", "log-keep-huge", "retries-int64-max",
                     "program-name-300", "nul-in-argv", "nul-in-environment-key"]:
            self.assertIn(name, self.cases)

    def test_check_refuses_each_case_clearly(self):
        svd = os.path.abspath(SVD) if os.sep in SVD else SVD
        for name, expected in self.cases.items():
            with self.subTest(case=name):
                result = subprocess.run([svd, "--check", "--config", name + ".toml"], cwd=self.dir,
                                        capture_output=True, text=True, timeout=60, preexec_fn=limit_memory,
                                        env=dict(os.environ, HOME=self.dir))
                report = f"\n--- svd --check {name}.toml exited {result.returncode}:\n{result.stderr[:3000]}"
                self.assertEqual(result.returncode, 1, report)
                errors = result.stderr.splitlines()[:-1]
                self.assertEqual(len(errors), len(expected), report)
                for want, got in zip(expected, errors):
                    self.assertTrue(line_matches(want, got), f"\nexpected: {want}\n     got: {got[:300]}" + report)


class HostileRunning(SvdTestCase):
    """A running svd given every case, by `svctl update` and by watch_config."""

    def setUp(self):
        super().setUp()
        self.corpus_dir = os.path.join(self.dir, "corpus")
        os.makedirs(self.corpus_dir)
        self.cases = corpus(self.corpus_dir)

    def good_config(self, watch):
        return (f"[svd]\nwatch_config = {'true' if watch else 'false'}\n"
                f"[program.one]\ncommand = {toml_array(self.sleeper(tag='one'))}\nstart_grace = \"100ms\"\n"
                f"[program.two]\ncommand = {toml_array(self.sleeper(tag='two'))}\nstart_grace = \"100ms\"\n")

    def ctl(self, *args):
        # --socket: svctl must not need the (hostile) config to find svd.
        return subprocess.run([SVCTL, "--socket", self.socket_path] + list(args), capture_output=True, text=True,
                              timeout=60)

    def pids(self):
        import json
        result = self.ctl("status", "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        return {p["name"]: p["pid"] for p in json.loads(result.stdout)}

    def save_case(self, name):
        """The case's bytes over svd.toml (a FIFO stays a FIFO), written
        beside it and renamed over, as an editor saves."""
        source = os.path.join(self.corpus_dir, name + ".toml")
        temp = os.path.join(self.dir, ".svd.toml.new")
        if os.path.exists(temp):
            os.unlink(temp)
        if not os.path.isfile(source):
            os.mkfifo(temp, 0o600)
        else:
            shutil.copy(source, temp)
        # Relative paths in cases (include-fifo.d/) are taken from svd.toml's directory.
        for extra in os.listdir(self.corpus_dir):
            if extra.endswith(".d"):
                copy_tree_with_fifos(os.path.join(self.corpus_dir, extra), os.path.join(self.dir, extra))
        os.rename(temp, self.config)

    def restore_good(self, watch):
        """The good config saved over svd.toml (renamed over: svd.toml may be
        a FIFO now, which open() for writing would wait on)."""
        temp = os.path.join(self.dir, ".svd.toml.good")
        with open(temp, "w") as f:
            f.write(self.good_config(watch))
        os.rename(temp, self.config)

    def start_good_svd(self, watch):
        self.write_config(self.good_config(watch))
        self.start_svd()
        self.wait_state("one", "RUNNING")
        self.wait_state("two", "RUNNING")
        return self.pids()

    def test_update_refuses_each_case_and_keeps_every_program(self):
        before = self.start_good_svd(watch=False)
        for name, expected in self.cases.items():
            with self.subTest(case=name):
                self.save_case(name)
                result = self.ctl("update")
                self.assertEqual(result.returncode, 1, f"{name}: {result.stdout}{result.stderr[:2000]}")
                self.assertTrue(says(result.stderr, expected[0]), f"{name}: {result.stderr[:2000]}")
                self.assertIsNone(self.svd.poll(), f"svd died on {name}: {self.svd_output()[-2000:]}")
                self.assertEqual(self.pids(), before, f"{name} changed a program")
        self.restore_good(watch=False)
        self.assertEqual(self.ctl("update").returncode, 0)
        self.assertEqual(self.pids(), before)

    def test_watch_config_refuses_each_case_and_keeps_every_program(self):
        before = self.start_good_svd(watch=True)
        for name, expected in self.cases.items():
            with self.subTest(case=name):
                self.save_case(name)
                wait_for(lambda: says(self.ctl("status").stderr, expected[0]), timeout=30,
                         what=f"status to report {name}")
                self.assertIsNone(self.svd.poll(), f"svd died on {name}: {self.svd_output()[-2000:]}")
                self.assertEqual(self.pids(), before, f"{name} changed a program")
                # Back to the good config, which watch_config applies (nothing changes).
                self.restore_good(watch=True)
                wait_for(lambda: "errors" not in self.ctl("status").stderr, timeout=30,
                         what=f"the good config to be read again after {name}")


if __name__ == "__main__":
    unittest.main()
