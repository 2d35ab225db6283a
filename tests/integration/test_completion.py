"""Shell completion: share/completion/svctl.bash loads in bash and completes
verbs, options and, from a running svd, program names (nothing, silently,
when svd is down); share/completion/_svctl does the same in an interactive
zsh driven through a pty (skipped, visibly, when zsh is not installed)."""

import fcntl
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import termios
import time

from svdtest import SVCTL, SvdTestCase, table_verbs, toml_array

SOURCE = os.environ.get("SVD_SOURCE_DIR") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
BASH_COMPLETION = os.path.join(SOURCE, "share", "completion", "svctl.bash")
ZSH_COMPLETION_DIR = os.path.join(SOURCE, "share", "completion")


def table_verb_names():
    """Every verb and alias of svctl's one table: what both scripts must offer."""
    return [name for name, _, _ in table_verbs()]


def zsh_described_verbs():
    """The verbs _svctl describes: its 'name:description' lines of verbs=(...)."""
    with open(os.path.join(ZSH_COMPLETION_DIR, "_svctl")) as f:
        block = re.search(r"verbs=\((.*?)\n\s*\)", f.read(), re.S)
    assert block, "no verbs=( ... ) in _svctl"
    return re.findall(r"'([a-z]+):", block.group(1))


class CompletionTest(SvdTestCase):
    def setUp(self):
        super().setUp()
        programs = "".join(f"[program.{name}]\ncommand = {toml_array(self.sleeper(tag=name))}\n\n"
                           for name in ["web-1", "worker", "db"])
        self.write_svd_config(programs)

    def bash_complete(self, *words):
        """COMPREPLY of _svctl for the command line `words` (the last one is
        the word being completed), as a list; also bash's stderr."""
        script = f"""
            source {BASH_COMPLETION!r} || exit 9
            complete -p svctl >/dev/null || exit 8
            COMP_WORDS=("$@")
            COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
            _svctl
            printf '%s\\n' "${{COMPREPLY[@]}}"
        """
        result = subprocess.run(["bash", "-c", script, "bash", SVCTL, *words], capture_output=True, text=True,
                                timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr)
        return [line for line in result.stdout.split("\n") if line], result.stderr

    def test_bash_syntax(self):
        result = subprocess.run(["bash", "-n", BASH_COMPLETION], capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_bash_completes_verbs_and_options_without_svd(self):
        verbs, _ = self.bash_complete("")
        self.assertEqual(sorted(verbs), sorted(table_verb_names()))
        self.assertEqual(self.bash_complete("re")[0], ["restart", "reopen", "reread", "reload"])
        self.assertEqual(sorted(self.bash_complete("--")[0]), ["--config", "--help", "--json", "--socket",
                                                               "--version"])
        self.assertEqual(self.bash_complete("--config", self.config, "sh")[0], ["shutdown"])
        self.assertEqual(self.bash_complete("export", "")[0], ["systemd"])
        self.assertIn("--stderr", self.bash_complete("tail", "--")[0])
        self.assertIn("--no-wait", self.bash_complete("start", "--")[0])
        self.assertIn("USR1", self.bash_complete("signal", "")[0])
        # Files for --config and import.
        self.assertEqual(self.bash_complete("--config", os.path.join(self.dir, "svd.t"))[0], [self.config])
        # svd is down: no program names, no noise, no delay.
        started = time.monotonic()
        names, stderr = self.bash_complete("--config", self.config, "restart", "")
        self.assertEqual(names, ["all"])
        self.assertEqual(stderr, "")
        self.assertLess(time.monotonic() - started, 5)

    def test_bash_completes_program_names_from_svd(self):
        self.start_svd()
        names, stderr = self.bash_complete("--config", self.config, "restart", "")
        self.assertEqual(sorted(names), ["all", "db", "web-1", "worker"])
        self.assertEqual(stderr, "")
        self.assertEqual(self.bash_complete("--config", self.config, "stop", "w")[0], ["web-1", "worker"])
        self.assertEqual(self.bash_complete("-c", self.config, "signal", "HUP", "d")[0], ["db"])
        self.assertEqual(self.bash_complete("--config", self.config, "tail", "-f", "wo")[0], ["worker"])
        self.assertEqual(self.bash_complete(f"--config={self.config}", "pid", "web")[0], ["web-1"])
        # --socket is passed on as well.
        self.assertEqual(self.bash_complete("--socket", self.socket_path, "status", "db")[0], ["db"])

    # ---- zsh ------------------------------------------------------------
    def start_zsh(self, timeout=15.0):
        """An interactive zsh on a pty, with the completion on its fpath."""
        env = dict(os.environ, TERM="xterm", HOME=self.dir, ZDOTDIR=self.dir,
                   PATH=os.path.dirname(os.path.abspath(SVCTL)) + ":" + os.environ.get("PATH", ""))
        pid, fd = pty.fork()
        if pid == 0:
            os.execvpe("zsh", ["zsh", "-f", "-i"], env)
        self.addCleanup(os.close, fd)
        self.addCleanup(os.waitpid, pid, 0)
        self.addCleanup(os.kill, pid, signal.SIGKILL)
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        os.write(fd, (f"fpath=({ZSH_COMPLETION_DIR} $fpath); autoload -Uz compinit; compinit -u -D; "
                      "PS1='> '; print READY''MARK\n").encode())
        self.read_until(fd, ["READYMARK"], timeout)
        return fd

    def zsh_complete(self, fd, line, expected, timeout=15.0):
        """Types `line` and TAB on a fresh command line; returns the screen
        output once every string of `expected` is in it (or the time is up)."""
        os.write(fd, b"\x15")  # ^U: an empty line
        self.read_until(fd, [], 0.2)
        os.write(fd, (line + "\t").encode())
        return self.read_until(fd, expected, timeout)

    def read_until(self, fd, expected, timeout):
        output = ""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not (expected and all(text in output for text in expected)):
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    output += os.read(fd, 65536).decode(errors="replace")
                except OSError:
                    break
        return output

    def zsh_or_skip(self):
        if not shutil.which("zsh"):
            self.skipTest("zsh is not installed: the zsh completion is not tested")

    def test_zsh_syntax(self):
        self.zsh_or_skip()
        result = subprocess.run(["zsh", "-n", os.path.join(ZSH_COMPLETION_DIR, "_svctl")], capture_output=True,
                                text=True)
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_zsh_describes_every_verb_of_the_table(self):
        self.assertEqual(sorted(zsh_described_verbs()), sorted(table_verb_names()))

    def test_zsh_offers_every_verb(self):
        self.zsh_or_skip()
        zsh = self.start_zsh()
        verbs = table_verb_names()
        screen = self.zsh_complete(zsh, "svctl ", verbs)
        screen = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", " ", screen)  # the terminal's escapes are not words
        for verb in verbs:
            self.assertRegex(screen, r"\b" + verb + r"\b", f"zsh does not offer {verb}")

    def test_zsh_completes_verbs_and_program_names(self):
        self.zsh_or_skip()
        self.start_svd()
        zsh = self.start_zsh()
        screen = self.zsh_complete(zsh, "svctl re", ["restart", "reread", "reload", "reopen"])
        for verb in ["restart", "reread", "reload", "reopen"]:
            self.assertIn(verb, screen)
        self.assertNotIn("shutdown", screen)
        screen = self.zsh_complete(zsh, f"svctl --config {self.config} restart ", ["web-1", "worker", "db", "all"])
        for name in ["web-1", "worker", "db", "all"]:
            self.assertIn(name, screen)
        screen = self.zsh_complete(zsh, f"svctl --config {self.config} stop wor", ["stop worker"])
        self.assertIn("stop worker", screen)
        screen = self.zsh_complete(zsh, "svctl export ", ["systemd"])
        self.assertIn("systemd", screen)
