"""`cmake --install BUILD --prefix ~/.local`: binaries, man pages,
completion, example conf.d and share/ land under the prefix and nowhere
else, and the installed tree works for an unprivileged user."""

import os
import pwd
import shutil
import subprocess
import tempfile
import unittest

BUILD = os.environ.get("SVD_BUILD_DIR")
USER = "nobody"  # exists on every Debian system, owns nothing

EXPECTED = [
    "bin/svd", "bin/svctl", "bin/svd-init",
    "share/man/man1/svctl.1", "share/man/man5/svd.toml.5", "share/man/man8/svd.8",
    "share/bash-completion/completions/svctl", "share/zsh/vendor-completions/_svctl",
    "share/svd/conf.d/postgres.toml", "share/svd/templates/svd.toml.in",
]


@unittest.skipUnless(BUILD, "SVD_BUILD_DIR is not set (ctest sets it)")
class InstallTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="svd-install-")
        self.addCleanup(shutil.rmtree, self.root, ignore_errors=True)
        self.prefix = os.path.join(self.root, ".local")

    def as_user(self, args, **kwargs):
        """args as USER when the tests run as root (they do in CI); as is otherwise."""
        if os.getuid() == 0:
            args = ["runuser", "-u", USER, "--"] + args
        return subprocess.run(args, capture_output=True, text=True, timeout=60,
                              env=dict(os.environ, HOME=self.root, XDG_CONFIG_HOME=os.path.join(self.root, ".config")),
                              **kwargs)

    def test_install_into_a_user_prefix_and_use_it_unprivileged(self):
        result = subprocess.run(["cmake", "--install", BUILD, "--prefix", self.prefix], capture_output=True,
                                text=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        for path in EXPECTED:
            self.assertTrue(os.path.isfile(os.path.join(self.prefix, path)), f"{path} was not installed")
        for binary in ["svd", "svctl", "svd-init"]:
            self.assertTrue(os.access(os.path.join(self.prefix, "bin", binary), os.X_OK))
        # Nothing outside the prefix: every installed file is under it.
        with open(os.path.join(BUILD, "install_manifest.txt")) as manifest:
            for line in manifest.read().split():
                self.assertTrue(line.startswith(self.prefix + "/"), f"{line} is outside the prefix")

        if os.getuid() == 0:
            uid = pwd.getpwnam(USER).pw_uid
            os.chmod(self.root, 0o755)
            for directory, dirs, files in os.walk(self.root):
                for name in [directory] + [os.path.join(directory, f) for f in dirs + files]:
                    os.lchown(name, uid, -1)

        svd, svctl = os.path.join(self.prefix, "bin", "svd"), os.path.join(self.prefix, "bin", "svctl")
        config_dir = os.path.join(self.root, ".config", "svd")
        os.makedirs(config_dir)
        with open(os.path.join(config_dir, "svd.toml"), "w") as f:
            f.write(f'[svd]\nhome = "{self.root}/svd"\n\n[program.nap]\ncommand = "/bin/sleep 300"\n')
        if os.getuid() == 0:
            for name in [os.path.join(self.root, ".config"), config_dir, os.path.join(config_dir, "svd.toml")]:
                os.lchown(name, pwd.getpwnam(USER).pw_uid, -1)

        # The installed binaries, as the user, with the default config path.
        self.assertIn("svctl 0.", self.as_user([svctl, "--version"]).stdout)
        check = self.as_user([svd, "--check"])
        self.assertEqual(check.returncode, 0, check.stderr)
        started = self.as_user([svd, "--daemon"])
        self.assertEqual(started.returncode, 0, started.stderr)
        try:
            status = self.as_user([svctl, "status", "--json"])
            self.assertEqual(status.returncode, 0, status.stderr)
            self.assertIn('"name": "nap"', status.stdout)
        finally:
            self.as_user([svctl, "shutdown"])

        # The installed man pages and completion work from there too.
        if shutil.which("man"):
            page = self.as_user(["man", "-l", os.path.join(self.prefix, "share/man/man5/svd.toml.5")],
                                input="")
            self.assertIn("start_grace", page.stdout)
        completion = self.as_user(["bash", "-c", f"source {self.prefix}/share/bash-completion/completions/svctl "
                                                 "&& complete -p svctl"])
        self.assertIn("-F _svctl svctl", completion.stdout)
