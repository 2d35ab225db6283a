"""`svctl export systemd`: user units from svd's config, their content
checked line by line, and checked by systemd-analyze verify where systemd is
installed (skipped, visibly, where it is not)."""

import os
import shutil
import subprocess

from svdtest import SVCTL, SvdTestCase

CONFIG = """
[socket.web]
listen = "127.0.0.1:58381"

[socket.admin]
listen = "unix:${run_dir}/admin.sock"
mode = "0660"

[socket.v6]
listen = "[::1]:58382"

[program.db]
command = "/bin/sleep 1000"
ready = { tcp = "127.0.0.1:55432", timeout = "20s" }
stop_signal = "INT"
stop_timeout = "30s"

[program.init]
type = "oneshot"
command = ["/bin/sh", "-c", "echo 'init 100%' > $HOME/x"]
creates = "${home}/var/done"

[program.app]
command = "/bin/sleep 2000"
directory = "${home}"
environment = { PYTHONUNBUFFERED = "1", GREETING = "hello \\"world\\" 50%" }
sockets = ["web", "admin"]
start = "on-demand"
requires = { db = "ready", init = "completed" }
restart = "always"
backoff = { initial = "2s", max = "30s", retries = 4 }
exit_codes = [0, 3]
umask = "027"
health = { http = "http://127.0.0.1:58381/", interval = "10s" }

[program.proxy]
command = "/bin/sleep 3000"
sockets = ["v6"]
socket_protocol = "nginx"
ready = { notify = true }
log = { stderr = "discard" }
start = "manual"
restart = "never"

# Shares v6 with proxy (an on-demand program may not share: app keeps web).
[program.proxy2]
command = "/bin/sleep 3000"
sockets = ["v6"]
start = "manual"
"""


class ExportTest(SvdTestCase):
    def export(self, *args, check=True):
        result = subprocess.run([SVCTL, "--config", self.config, "export", "systemd", *args],
                                capture_output=True, text=True, timeout=60)
        if check:
            self.assertEqual(result.returncode, 0, result.stderr)
        return result

    def units(self):
        out = os.path.join(self.dir, "units")
        result = self.export("--out", out, "--prefix", "svd-")
        units = {}
        for name in sorted(os.listdir(out)):
            with open(os.path.join(out, name)) as f:
                units[name] = f.read()
        return out, result, units

    def test_units_and_their_content(self):
        self.write_svd_config(CONFIG)
        out, result, units = self.units()
        self.assertEqual(sorted(units), ["svd-admin.socket", "svd-app.service", "svd-db.service", "svd-init.service",
                                         "svd-proxy.service", "svd-proxy2.service", "svd-v6.socket",
                                         "svd-web.socket"])
        db = units["svd-db.service"]
        self.assertIn("Type=simple\n", db)
        self.assertIn("ExecStart=/bin/sleep 1000\n", db)
        self.assertIn('ExecStartPost=/bin/bash -c "until (exec 3<>/dev/tcp/127.0.0.1/55432) 2>/dev/null; '
                      'do sleep 0.2; done"\n', db)
        self.assertIn("TimeoutStartSec=20s\n", db)
        self.assertIn("KillSignal=SIGINT\n", db)
        self.assertIn("TimeoutStopSec=30s\n", db)
        self.assertIn("Restart=on-failure\nRestartSec=1s\n", db)
        self.assertIn("[Install]\nWantedBy=default.target\n", db)

        init = units["svd-init.service"]
        self.assertIn("Type=oneshot\nRemainAfterExit=yes\n", init)
        self.assertIn(f"ConditionPathExists=!{self.dir}/var/done\n", init)
        self.assertIn("""ExecStart=/bin/sh -c "echo 'init 100%%' > $$HOME/x"\n""", init)

        app = units["svd-app.service"]
        self.assertIn("Requires=svd-db.service svd-init.service\n", app)
        self.assertIn("After=svd-db.service svd-init.service svd-web.socket svd-admin.socket\n", app)
        self.assertIn("Sockets=svd-web.socket svd-admin.socket\n", app)
        self.assertIn(f"WorkingDirectory={self.dir}\n", app)
        self.assertIn('Environment="GREETING=hello \\"world\\" 50%%"\n', app)
        self.assertIn('Environment="PYTHONUNBUFFERED=1"\n', app)
        self.assertIn(f'Environment="SVD_PROGRAM=app" "SVD_HOME={self.dir}"\n', app)
        self.assertIn("Restart=always\nRestartSec=2s\n", app)
        self.assertIn("SuccessExitStatus=3\n", app)
        self.assertIn("UMask=0027\n", app)
        self.assertIn("# health: systemd has no health checks", app)
        self.assertNotIn("[Install]", app)  # on-demand: its socket starts it

        proxy = units["svd-proxy.service"]
        self.assertIn("Type=notify\n", proxy)
        self.assertIn('Environment="NGINX=3;"\n', proxy)
        self.assertIn("StandardError=null\n", proxy)
        self.assertIn("Restart=no\n", proxy)
        self.assertNotIn("RestartSec", proxy)

        web = units["svd-web.socket"]
        self.assertIn("ListenStream=127.0.0.1:58381\n", web)
        self.assertIn("FileDescriptorName=web\n", web)
        self.assertIn("Service=svd-app.service\n", web)
        self.assertNotIn("gets it too", web)
        self.assertIn("[Install]\nWantedBy=sockets.target\n", web)
        admin = units["svd-admin.socket"]
        self.assertIn(f"ListenStream={self.dir}/var/run/admin.sock\n", admin)
        self.assertIn("SocketMode=0660\n", admin)
        v6 = units["svd-v6.socket"]
        self.assertIn("ListenStream=[::1]:58382\n", v6)
        self.assertIn("Service=svd-proxy.service\n", v6)
        self.assertIn("svd-proxy2.service gets it too", v6)
        self.assertIn("Sockets=svd-v6.socket\n", units["svd-proxy2.service"])
        self.assertNotIn("[Install]", v6)  # its program starts manually

        self.assertIn("program app", result.stderr)
        self.assertIn("health: systemd has no health checks", result.stderr)
        self.assertIn("systemctl --user daemon-reload", result.stderr)

    def test_systemd_analyze_verify(self):
        analyze = shutil.which("systemd-analyze")
        if not analyze:
            self.skipTest("systemd-analyze is not installed (Debian package systemd): units not verified")
        self.write_svd_config(CONFIG)
        out, _, units = self.units()
        runtime = os.path.join(self.dir, "xdg-runtime")
        os.mkdir(runtime, 0o700)
        result = subprocess.run([analyze, "verify", "--user", *[os.path.join(out, name) for name in sorted(units)]],
                                capture_output=True, text=True, timeout=60,
                                env=dict(os.environ, XDG_RUNTIME_DIR=runtime, SYSTEMD_LOG_LEVEL="notice"))
        # Any complaint names one of our files; none is the only good answer.
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(result.stdout + result.stderr, "")

    def test_stdout_errors_and_usage(self):
        self.write_svd_config('[program.one]\ncommand = "sleep 5"\n')
        result = self.export()
        self.assertIn("# ---- one.service ----\n", result.stdout)
        self.assertRegex(result.stdout, r"ExecStart=/\S*bin/sleep 5\n")
        self.assertFalse(os.path.exists(self.socket_path))  # no svd needed

        self.assertEqual(self.export("--out", os.path.join(self.dir, "u")).returncode, 0)
        again = self.export("--out", os.path.join(self.dir, "u"), check=False)
        self.assertEqual(again.returncode, 1)
        self.assertIn("already exists", again.stderr)

        for args in (["export"], ["export", "upstart"], ["export", "systemd", "--bogus"],
                     ["export", "systemd", "--prefix", "a/b"]):
            usage = subprocess.run([SVCTL, "--config", self.config, *args], capture_output=True, text=True)
            self.assertEqual(usage.returncode, 2, f"{args}: {usage.stderr}")

        self.write_svd_config('[program.one]\ncommand = "sleep 5"\nrestart = "sometimes"\n')
        broken = self.export(check=False)
        self.assertEqual(broken.returncode, 1)
        self.assertRegex(broken.stderr, r"svd\.toml:\d+:\d+: error: invalid value \"sometimes\" for 'restart'")
