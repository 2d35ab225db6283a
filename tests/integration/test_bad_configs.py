"""svd --check on the corpus of bad configs in tests/configs/bad: each case
must exit 1 and print exactly its expected errors, as file:line:col, and the
count line. See tests/configs/bad/README.md for the format."""

import os
import re
import subprocess
import unittest

from svdtest import SVD

CASES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "configs", "bad")
SUMMARY = re.compile(r"^svd: (\d+) errors? in the config; nothing was started$")
LOCATED = re.compile(r"^[^:\s]+(?::\d+:\d+)?: error: .+")


def case_names():
    return sorted(name[:-len(".toml")] for name in os.listdir(CASES_DIR) if name.endswith(".toml"))


def line_matches(expected, actual):
    if expected.endswith("..."):
        return actual.startswith(expected[:-3])
    return actual == expected


class BadConfigs(unittest.TestCase):
    def test_corpus_is_complete(self):
        names = case_names()
        self.assertGreaterEqual(len(names), 30, "the corpus should hold at least 30 bad configs")
        for name in names:
            self.assertTrue(os.path.isfile(os.path.join(CASES_DIR, name + ".expected")),
                            f"{name}.toml has no {name}.expected")
        for entry in os.listdir(CASES_DIR):
            if entry.endswith(".expected"):
                self.assertIn(entry[:-len(".expected")], names, f"{entry} has no .toml")

    def check_case(self, name):
        with open(os.path.join(CASES_DIR, name + ".expected")) as f:
            expected = [line.rstrip("\n") for line in f if line.strip()]
        self.assertTrue(expected, f"{name}.expected is empty")
        svd = os.path.abspath(SVD) if os.sep in SVD else SVD
        result = subprocess.run([svd, "--check", "--config", name + ".toml"], cwd=CASES_DIR,
                                capture_output=True, text=True, timeout=30,
                                env=dict(os.environ, HOME=CASES_DIR))
        report = f"\n--- svd --check --config {name}.toml exited {result.returncode}:\n{result.stderr}{result.stdout}"
        self.assertEqual(result.returncode, 1, report)
        self.assertEqual(result.stdout, "", report)
        lines = result.stderr.splitlines()
        self.assertTrue(lines and SUMMARY.match(lines[-1]), "no summary line" + report)
        errors = lines[:-1]
        self.assertEqual(int(SUMMARY.match(lines[-1]).group(1)), len(errors), report)
        for line in errors:
            self.assertRegex(line, LOCATED, "every error names its file (and line:col)" + report)
        self.assertEqual(len(errors), len(expected), f"expected {len(expected)} errors" + report)
        for want, got in zip(expected, errors):
            self.assertTrue(line_matches(want, got), f"\nexpected: {want}\n     got: {got}" + report)


def _add_case(name):
    def test(self):
        self.check_case(name)
    test.__name__ = "test_" + re.sub(r"\W", "_", name)
    test.__doc__ = f"svd --check refuses {name}.toml with the expected errors"
    setattr(BadConfigs, test.__name__, test)


for _name in case_names():
    _add_case(_name)


if __name__ == "__main__":
    unittest.main()
