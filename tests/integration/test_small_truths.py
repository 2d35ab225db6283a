"""Small things svd says, said right (issue 17, finding 9)."""

import subprocess
import unittest

from svdtest import SVD, SvdTestCase, toml_array


class SmallTruths(SvdTestCase):
    def test_check_counts_one_program_in_the_singular(self):
        self.write_svd_config(f'[socket.s]\nlisten = "127.0.0.1:59631"\n'
                              f"[program.a]\ncommand = {toml_array(self.sleeper())}\n")
        result = subprocess.run([SVD, "--check", "--config", self.config], capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("OK (1 program, 1 socket)", result.stdout)


if __name__ == "__main__":
    unittest.main()
