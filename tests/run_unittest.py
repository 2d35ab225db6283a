"""Runs one test module for ctest, the way `python3 -m unittest -v` does,
and makes skips visible in ctest's closing summary.

Exit status: 0 when tests ran and passed, 1 on a failure or error, and
SKIPPED (77, ctest's SKIP_RETURN_CODE for these tests) when every test of the
module was skipped: a run that tested nothing then shows as "Skipped" in
the summary instead of "Passed". Each skip's reason is printed at the end.

    python3 run_unittest.py MODULE     (from the module's directory)
"""

import sys
import unittest

SKIPPED = 77


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: run_unittest.py MODULE")
    sys.path.insert(0, ".")
    suite = unittest.defaultTestLoader.loadTestsFromName(sys.argv[1])
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    for test, reason in result.skipped:
        print(f"SKIPPED {test.id()}: {reason}")
    if not result.wasSuccessful():
        return 1
    if result.testsRun == 0 or len(result.skipped) == result.testsRun:
        print(f"every test of {sys.argv[1]} was skipped: nothing was tested")
        return SKIPPED
    return 0


if __name__ == "__main__":
    sys.exit(main())
