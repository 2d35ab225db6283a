"""Live config changes: reread/update, invalid edits, watch_config, `watch`
on programs, env_file and profiles — all through the real svd and svctl."""

import json
import os
import time

from svdtest import SvdTestCase, wait_for


def program(name, marker, extra=""):
    """A program that records its environment and sleeps; `marker` tags it."""
    return (f'[program.{name}]\n'
            f'command = ["sh", "-c", "env > $SVD_HOME/{name}.env.new && mv $SVD_HOME/{name}.env.new $SVD_HOME/{name}.env; '
            f'exec sleep 1000", "{marker}"]\n'
            f'start_grace = "200ms"\n{extra}\n')


class UpdateTest(SvdTestCase):
    def write_main(self, programs, extra_svd=""):
        self.write_config(f'[svd]\n{extra_svd}\n' + programs)

    def pids(self):
        return {name: p["pid"] for name, p in self.status().items()}

    def test_reread_lists_changes_and_touches_nothing(self):
        self.write_main(program("keep", self.marker) + program("change", self.marker) + program("drop", self.marker))
        self.start_svd()
        wait_for(lambda: all(p["state"] == "RUNNING" for p in self.status().values()), what="all RUNNING")
        before = self.pids()
        self.write_main(program("keep", self.marker) +
                        program("change", self.marker, 'environment = { COLOUR = "blue" }') +
                        program("new", self.marker))
        result = self.svctl("reread")
        self.assertIn("new: added", result.stdout)
        self.assertIn("change: changed (environment); would restart", result.stdout)
        self.assertIn("drop: removed", result.stdout)
        self.assertNotIn("keep", result.stdout)
        self.assertEqual(self.pids(), before, "reread changed something")

    def test_update_adds_restarts_changed_removes_and_keeps_unchanged(self):
        self.write_main(program("keep", self.marker) + program("change", self.marker) + program("drop", self.marker) +
                        program("policy", self.marker))
        self.start_svd()
        wait_for(lambda: all(p["state"] == "RUNNING" for p in self.status().values()), what="all RUNNING")
        before = self.pids()
        self.write_main(program("keep", self.marker) +
                        program("change", self.marker, 'environment = { COLOUR = "blue" }') +
                        program("new", self.marker) +
                        program("policy", self.marker, 'backoff = { initial = "2s", max = "9s", retries = 9 }'))
        result = self.svctl("update")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("policy: changed (backoff); applied in place", result.stdout)
        wait_for(lambda: "drop" not in self.status(), what="drop to be forgotten")
        status = self.status()
        self.assertEqual(status["keep"]["pid"], before["keep"], "an unchanged program was restarted")
        self.assertEqual(status["policy"]["pid"], before["policy"], "a policy-only change restarted the program")
        self.assertNotEqual(status["change"]["pid"], before["change"])
        self.assertEqual(status["change"]["state"], "RUNNING")
        self.assertEqual(status["new"]["state"], "RUNNING")
        with open(os.path.join(self.dir, "change.env")) as f:
            self.assertIn("COLOUR=blue", f.read())
        wait_for(lambda: not os.path.exists(f"/proc/{before['drop']}"), what="the removed program's process to end")

    def test_invalid_edit_keeps_everything_running_and_status_says_so(self):
        self.write_main(program("app", self.marker))
        self.start_svd()
        pid = self.wait_state("app", "RUNNING")["pid"]
        self.write_main(program("app", self.marker, 'restart = "sometimes"\nstop_timeout = 5'))
        result = self.svctl("update", check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn("svd.toml:", result.stderr)
        self.assertIn("restart", result.stderr)
        self.assertIn("nothing was changed", result.stderr)
        status = self.svctl("status")
        self.assertIn("the config on disk has errors", status.stderr)
        self.assertIn("svd.toml:", status.stderr)
        self.assertEqual(self.status()["app"]["pid"], pid)
        # Fixed again: the warning goes away.
        self.write_main(program("app", self.marker))
        self.svctl("update")
        self.assertNotIn("errors", self.svctl("status").stderr)

    def test_update_rebinds_a_changed_socket_and_keeps_an_unchanged_one(self):
        import socket as sockets
        ports = []
        for _ in range(3):
            s = sockets.socket()
            s.bind(("127.0.0.1", 0))
            ports.append((s, s.getsockname()[1]))
        for s, _ in ports:
            s.close()
        (_, kept), (_, old), (_, new) = ports
        server = ('command = ["python3", "-c", "import socket,os\\ns=socket.socket(fileno=3)\\nwhile True:\\n'
                  ' c,_=s.accept(); c.sendall(str(os.getpid()).encode()); c.close()", "' + self.marker + '"]\n'
                  'start_grace = "200ms"\n')

        def config(port):
            return (f'[socket.kept]\nlisten = "127.0.0.1:{kept}"\n[socket.moving]\nlisten = "127.0.0.1:{port}"\n'
                    f'[program.a]\nsockets = ["kept"]\n{server}[program.b]\nsockets = ["moving"]\n{server}')
        self.write_config(config(old))
        self.start_svd()
        self.wait_state("a", "RUNNING")
        a_pid = self.wait_state("b", "RUNNING") and self.status()["a"]["pid"]
        self.write_config(config(new))
        result = self.svctl("update")
        self.assertIn("socket moving: changed (listen)", result.stdout)
        self.assertIn("b: changed (socket); restarted", result.stdout)

        def ask(port):
            with sockets.create_connection(("127.0.0.1", port), timeout=5) as c:
                return int(c.recv(100))
        self.assertEqual(ask(kept), a_pid, "a program on an unchanged socket was restarted")
        self.assertEqual(ask(new), self.status()["b"]["pid"])
        with self.assertRaises(ConnectionRefusedError):
            ask(old)


class WatchTest(SvdTestCase):
    def test_watch_config_applies_an_editor_style_save(self):
        self.write_config(f'[svd]\nwatch_config = true\ninclude = ["conf.d/*.toml"]\n' + program("base", self.marker))
        os.makedirs(os.path.join(self.dir, "conf.d"))
        self.start_svd()
        self.wait_state("base", "RUNNING")
        # Like vim or an atomic writer: write a temp file, then rename it over.
        temp = os.path.join(self.dir, "conf.d", ".extra.toml.swp")
        with open(temp, "w") as f:
            f.write(program("extra", self.marker))
        started = time.monotonic()
        os.rename(temp, os.path.join(self.dir, "conf.d", "extra.toml"))
        wait_for(lambda: self.status().get("extra", {}).get("state") == "RUNNING", timeout=5,
                 what="the new drop-in's program to run")
        print(f"\nwatch_config: new program RUNNING {time.monotonic() - started:.2f}s after the save")
        # A broken save is reported, and nothing stops.
        with open(os.path.join(self.dir, "conf.d", "extra.toml"), "w") as f:
            f.write("[program.extra\n")
        wait_for(lambda: "errors" in self.svctl("status").stderr, timeout=5, what="status to report the bad config")
        self.assertEqual(self.status()["extra"]["state"], "RUNNING")

    def test_watch_restarts_on_a_change_in_a_new_subdirectory(self):
        src = os.path.join(self.dir, "src")
        os.makedirs(src)
        self.write_config(program("dev", self.marker, f'watch = ["{src}/**/*.py"]'))
        self.start_svd()
        pid = self.wait_state("dev", "RUNNING")["pid"]
        os.makedirs(os.path.join(src, "pkg", "sub"))
        time.sleep(0.3)  # the new directories get their watches
        with open(os.path.join(src, "pkg", "sub", "notes.txt"), "w") as f:
            f.write("not a python file\n")
        with open(os.path.join(src, "pkg", "sub", ".mod.py.swp"), "w") as f:
            f.write("editor temp file\n")
        time.sleep(1)
        self.assertEqual(self.status()["dev"]["pid"], pid, "a non-matching file restarted the program")
        with open(os.path.join(src, "pkg", "sub", "mod.py"), "w") as f:
            f.write("x = 1\n")
        wait_for(lambda: self.status()["dev"]["pid"] not in (pid, None) and
                 self.status()["dev"]["state"] == "RUNNING", timeout=5, what="dev to restart")

    def test_watch_brings_back_a_fatal_program_with_a_fresh_backoff(self):
        # A typo in the watched script: every start fails until the fix is saved.
        src = os.path.join(self.dir, "src")
        os.makedirs(src)
        app = os.path.join(src, "app.sh")
        with open(app, "w") as f:
            f.write("exit 3\n")
        self.write_config(f'[program.dev]\ncommand = ["sh", "{app}", "{self.marker}"]\n'
                          f'watch = ["{src}/*.sh"]\nstart_grace = "200ms"\n'
                          'backoff = { initial = "100ms", max = "100ms", retries = 1 }\n')
        self.start_svd()
        self.wait_state("dev", "FATAL", timeout=15)
        with open(app, "w") as f:
            f.write("exec sleep 1000\n")
        dev = wait_for(lambda: (lambda p: p["state"] == "RUNNING" and p)(self.status()["dev"]), timeout=15,
                       what="dev RUNNING after the fix was saved")
        self.assertEqual(dev["message"], f"restarted by watch: {app}")


class EnvironmentTest(SvdTestCase):
    def read_env(self, name):
        path = os.path.join(self.dir, f"{name}.env")
        wait_for(lambda: os.path.exists(path) and os.path.getsize(path) > 0, what=f"{name}'s environment dump")
        with open(path) as f:
            return dict(line.split("=", 1) for line in f.read().splitlines() if "=" in line)

    def test_env_file_reaches_the_child_and_environment_wins(self):
        # Not app.env: that name is the child's environment dump (read_env).
        env_file = os.path.join(self.dir, "settings.env")
        with open(env_file, "w") as f:
            f.write('# settings\nexport DB_URL="postgres://x/y"\nGREETING=\'hello world\'\nMODE=file\n')
        os.chmod(env_file, 0o600)
        self.write_config(program("app", self.marker, f'env_file = "{env_file}"\nenvironment = {{ MODE = "config" }}'))
        self.start_svd()
        env = self.read_env("app")
        self.assertEqual(env["DB_URL"], "postgres://x/y")
        self.assertEqual(env["GREETING"], "hello world")
        self.assertEqual(env["MODE"], "config")

    def test_env_file_with_secrets_and_loose_permissions_warns(self):
        env_file = os.path.join(self.dir, "secret.env")
        with open(env_file, "w") as f:
            f.write("API_TOKEN=abc\n")
        os.chmod(env_file, 0o644)
        self.write_config(program("app", self.marker, f'env_file = "{env_file}"'))
        self.start_svd()
        self.read_env("app")
        wait_for(lambda: "readable by others" in self.svd_output(), what="the permission warning")

    def test_profiles_select_overrides(self):
        self.write_config('[svd]\nvars = { workers = "2" }\n' + program("web", self.marker, 'environment = { A = "base", B = "base" }') +
                          '[profile.dev]\nvars = { workers = "1" }\n'
                          '[profile.dev.program.web]\nenvironment = { B = "dev", WORKERS = "${workers}" }\n'
                          '[profile.dev.program.debugger]\n'
                          f'command = ["sh", "-c", "exec sleep 1000", "{self.marker}"]\nstart_grace = "200ms"\n')
        check = self.svctl_check = __import__("subprocess").run(
            [os.environ.get("SVD_BIN", "svd"), "--check", "--config", self.config, "--profile", "prod"],
            capture_output=True, text=True)
        self.assertEqual(check.returncode, 1)
        self.assertIn("unknown profile 'prod'", check.stderr)
        self.assertIn("dev", check.stderr)
        self.start_svd(["--profile", "dev"])
        env = self.read_env("web")
        self.assertEqual((env["A"], env["B"], env["WORKERS"]), ("base", "dev", "1"))
        status = self.status()
        self.assertIn("debugger", status)
        self.assertEqual(json.loads(self.svctl("status", "--json").stdout)[0]["name"], "web")


class ReloadTest(SvdTestCase):
    def test_reload_keeps_children_sockets_and_output(self):
        import socket as sockets
        import threading
        probe = sockets.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        server = ('["python3", "-c", "import socket,os\\ns=socket.socket(fileno=3)\\nwhile True:\\n'
                  ' c,_=s.accept(); c.sendall(str(os.getpid()).encode()); c.close()", "' + self.marker + '"]')
        self.write_config(f'[socket.web]\nlisten = "127.0.0.1:{port}"\n'
                          f'[program.web]\ncommand = {server}\nsockets = ["web"]\nstart_grace = "200ms"\n'
                          f'[program.talker]\ncommand = ["sh", "-c", "while true; do echo tick; sleep 0.1; done", '
                          f'"{self.marker}"]\nstart_grace = "200ms"\n')
        self.start_svd()
        self.wait_state("web", "RUNNING")
        before = {name: p["pid"] for name, p in self.status().items()}
        svd_pid = int(self.svctl("pid").stdout)
        results = {}
        running = True

        def load():
            while running:
                try:
                    with sockets.create_connection(("127.0.0.1", port), timeout=5) as c:
                        key = "ok" if int(c.recv(100)) == before["web"] else "other pid"
                except Exception as error:
                    key = type(error).__name__
                results[key] = results.get(key, 0) + 1
        thread = threading.Thread(target=load)
        thread.start()
        time.sleep(0.5)
        result = self.svctl("reload")
        self.assertIn("re-executed", result.stdout)
        time.sleep(0.5)
        running = False
        thread.join()
        self.assertEqual(set(results), {"ok"}, results)
        self.assertEqual(int(self.svctl("pid").stdout), svd_pid)
        self.assertEqual({name: p["pid"] for name, p in self.status().items()}, before)
        self.assertIn("took over 2 programs", self.svd_output())
        # Output keeps flowing into the same log after the reload.
        log = os.path.join(self.dir, "var", "log", "talker.log")
        size = os.path.getsize(log)
        wait_for(lambda: os.path.getsize(log) > size, what="talker's output after the reload")
        # And the new image still supervises: a stop works and leaves nothing.
        self.svctl("stop", "all")
        self.assertFalse(os.path.exists(f"/proc/{before['talker']}"))
