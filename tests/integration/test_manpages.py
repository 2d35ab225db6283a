"""The man pages: lint-clean for groff and mandoc, and complete: every
config key the loader accepts is in svd.toml(5), every svctl verb in
svctl(1), every svd option in svd(8)."""

import os
import re
import shutil
import subprocess
import unittest

from svdtest import table_verbs

SOURCE = os.environ.get("SVD_SOURCE_DIR") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
MAN = os.path.join(SOURCE, "man")
PAGES = ["svd.8", "svctl.1", "svd.toml.5"]


def read(*parts):
    with open(os.path.join(SOURCE, *parts)) as f:
        return f.read()


def string_list(source, name):
    """The strings of `const std::vector<std::string> NAME = {...};` in C++ source."""
    match = re.search(re.escape(name) + r"\s*=\s*\{(.*?)\};", source, re.S)
    assert match, f"{name} not found"
    return re.findall(r'"([^"]+)"', match.group(1))


def rendered(page):
    """The page as text, without the formatting."""
    text = subprocess.run(["mandoc", "-T", "utf8", os.path.join(MAN, page)], capture_output=True, text=True,
                          check=True).stdout
    return re.sub(".\b", "", text)  # overstrike: bold and underline


class ManPagesTest(unittest.TestCase):
    def lint(self, command):
        tool = shutil.which(command[0])
        if not tool:
            self.skipTest(f"{command[0]} is not installed: pages not linted with it")
        for page in PAGES:
            with self.subTest(page=page):
                result = subprocess.run(command + [os.path.join(MAN, page)], capture_output=True, text=True)
                self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
                self.assertEqual(result.stdout + result.stderr, "", f"{' '.join(command)} {page}")

    def test_groff_has_no_warnings(self):
        self.lint(["groff", "-man", "-ww", "-z"])

    def test_mandoc_lint_is_clean(self):
        self.lint(["mandoc", "-T", "lint"])

    def test_every_config_key_is_documented(self):
        if not shutil.which("mandoc"):
            self.skipTest("mandoc is not installed")
        page = rendered("svd.toml.5")
        program = read("supervisor", "config", "read_program.cpp")
        keys = {
            "program": string_list(program, "kProgramKeys"),
            "probe": string_list(program, "kProbeKeys"),
            "backoff": string_list(program, "kBackoffKeys"),
            "crash_limit": string_list(program, "kCrashLimitKeys"),
            "log": string_list(program, "kLogKeys"),
            "socket": string_list(read("supervisor", "config", "read_socket.cpp"), "kSocketKeys"),
            "svd": string_list(read("supervisor", "config", "load_svd.cpp"), "kSvdKeys"),
        }
        for table, names in keys.items():
            for key in names:
                with self.subTest(table=table, key=key):
                    self.assertTrue(re.search(r"(?m)^\s+" + re.escape(key) + r"\b", page),
                                    f"'{key}' of {table} is not described in svd.toml(5)")
        for value in ["longrun", "oneshot", "on-demand", "manual", "on-failure", "always", "never", "started",
                      "ready", "healthy", "completed", "merge", "separate", "discard", "hourly", "daily", "nginx",
                      "${env:NAME}", "${home}", "${prefix}", "${log_dir}", "${run_dir}"]:
            self.assertTrue(value in page, f"{value} is not in svd.toml(5)")

    def test_every_config_limit_is_documented(self):
        if not shutil.which("mandoc"):
            self.skipTest("mandoc is not installed")
        page = " ".join(rendered("svd.toml.5").split())
        self.assertIn("LIMITS", page)
        limits = read("supervisor", "config", "limits.h")
        constants = re.findall(r"inline constexpr [\w:]+ (\w+) =", limits)
        said = dict(re.findall(r'/// svd\.toml\(5\): "([^"]+)"\n(?:///.*\n)*inline constexpr [\w:]+ (\w+) =',
                               limits))
        said = {name: words for words, name in said.items()}
        self.assertGreaterEqual(len(constants), 8)
        for name in constants:
            with self.subTest(limit=name):
                self.assertIn(name, said, f"{name} in limits.h has no svd.toml(5) words")
                self.assertIn(said[name], page, f"{name}: svd.toml(5) does not say \"{said[name]}\"")

    def test_every_verb_and_option_is_documented(self):
        if not shutil.which("mandoc"):
            self.skipTest("mandoc is not installed")
        svctl = rendered("svctl.1")
        verbs = {name for name, _, _ in table_verbs()}
        self.assertGreater(len(verbs), 10)
        for verb in sorted(verbs):
            with self.subTest(verb=verb):
                self.assertTrue(re.search(r"(?m)^\s+" + verb + r"\b", svctl), f"verb {verb} is not in svctl(1)")
        for option in ["--config", "--socket", "--json", "--no-wait", "-f", "--stderr", "--out", "--force",
                       "--prefix", "NO_COLOR", "SVD_SOCKET"]:
            self.assertTrue(option in svctl, f"{option} is not in svctl(1)")
        svd = rendered("svd.8")
        options = set(re.findall(r'arg == "(--[a-z-]+)"', read("supervisor", "daemon", "options.cpp")))
        self.assertIn("--check", options)
        for word in sorted(options) + ["SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1", "STOPPED", "WAITING", "STARTING",
                                       "RUNNING", "BACKOFF", "STOPPING", "EXITED", "FATAL"]:
            self.assertTrue(word in svd, f"{word} is not in svd(8)")


if __name__ == "__main__":
    unittest.main()
