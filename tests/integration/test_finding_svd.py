"""svctl finds the running svd without being told where its socket is: while
the main config has a TOML error (through the pointer svd records per
config), and says plainly when there is no config at all."""

import os
import subprocess
import tempfile
import unittest

from svdtest import SVD, SVCTL, SvdTestCase, toml_array, toml_string


class FindingSvd(SvdTestCase):
    def setUp(self):
        super().setUp()
        # A runtime dir of the test's own, so pointers of other tests (or of
        # the user's svd) play no part; svd and svctl both inherit it.
        self.saved_env = {key: os.environ.get(key) for key in ("XDG_RUNTIME_DIR", "SVD_CONFIG", "SVD_SOCKET")}
        self.runtime = tempfile.mkdtemp(prefix="svdtest-runtime-")
        os.environ["XDG_RUNTIME_DIR"] = self.runtime
        os.environ.pop("SVD_SOCKET", None)
        os.environ.pop("SVD_CONFIG", None)

    def tearDown(self):
        super().tearDown()
        for key, value in self.saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        subprocess.run(["rm", "-rf", self.runtime])

    def plain_svctl(self, *args, env=None):
        return subprocess.run([SVCTL] + list(args), capture_output=True, text=True, timeout=60,
                              env=env or os.environ)

    def test_a_toml_error_in_the_main_file_does_not_lock_svctl_out(self):
        self.write_svd_config(f"[program.a]\ncommand = {toml_array(self.sleeper())}\n")
        self.start_svd()
        self.wait_state("a", "RUNNING")
        with open(self.config, "a") as f:
            f.write("[program.b\ncommand = \"x\"\n")
        result = self.svctl("status", "--json", check=False)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn('"a"', result.stdout)
        # Through SVD_CONFIG too, and through a second spelling of the path.
        env = dict(os.environ, SVD_CONFIG=os.path.join(self.dir, ".", "svd.toml"))
        self.assertEqual(self.plain_svctl("pid", "a", env=env).returncode, 0)

    def test_the_pointer_goes_away_when_svd_stops(self):
        self.write_svd_config()
        self.start_svd()
        self.assertTrue(os.listdir(os.path.join(self.runtime, "svd")))
        self.svctl("shutdown")
        self.svd.wait(30)
        self.assertEqual([name for name in os.listdir(os.path.join(self.runtime, "svd"))], [])

    def test_no_config_is_not_found_and_names_config_and_svd_config(self):
        env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(self.dir, "nowhere"))
        result = self.plain_svctl("status", env=env)
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertIn("not found", result.stderr)
        self.assertNotIn("has errors", result.stderr)
        self.assertIn("--config", result.stderr)
        self.assertIn("SVD_CONFIG", result.stderr)
        missing = os.path.join(self.dir, "missing.toml")
        result = self.plain_svctl("status", env=dict(env, SVD_CONFIG=missing))
        self.assertIn(missing + " was not found (from SVD_CONFIG)", result.stderr)

    def test_toml_errors_point_at_the_line_that_is_wrong(self):
        # A header missing its ']' on line 2.
        self.write_config(f"[svd]\n[program.a\ncommand = \"x\"\n")
        result = subprocess.run([SVD, "--check", "--config", self.config], capture_output=True, text=True)
        self.assertIn("svd.toml:2:", result.stdout + result.stderr)
        # An array missing its ']' on line 3, noticed by TOML at the header on line 5.
        self.write_config(f"[svd]\nhome = {toml_string(self.dir)}\ninclude = [\"a\",\n\n[program.a]\ncommand = \"x\"\n")
        result = subprocess.run([SVD, "--check", "--config", self.config], capture_output=True, text=True)
        self.assertEqual(result.returncode, 1)
        self.assertIn("svd.toml:3:11: error: this array is never closed", result.stdout + result.stderr)


if __name__ == "__main__":
    unittest.main()
