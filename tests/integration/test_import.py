"""`svctl import`: supervisord configs written as users write them
(tests/data/supervisord/) become svd drop-ins that `svd --check` accepts, and
one of them runs under svd; what cannot be mapped is said on stderr."""

import os
import re
import shutil
import subprocess

from svdtest import SVCTL, SVD, SvdTestCase, toml_string, wait_for

DATA = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "supervisord"))
SAMPLES = {
    "shop": os.path.join(DATA, "shop", "supervisord.conf"),
    "laravel": os.path.join(DATA, "laravel.conf"),
    "devbox": os.path.join(DATA, "devbox.conf"),
}
# What the samples take from the environment with %(ENV_X)s.
SAMPLE_ENV = {"SHOP_SECRET": "s3cr3t", "APP_ROOT": "/srv/app"}


def read_text(path):
    with open(path, errors="replace") as f:
        return f.read()


def run(args, env=None, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, **SAMPLE_ENV, **(env or {})), **kwargs)


class ImportTest(SvdTestCase):
    def import_sample(self, sample, out=None, *extra):
        out = out or os.path.join(self.dir, "conf.d")
        result = run([SVCTL, "import", SAMPLES[sample], "--out", out, *extra])
        self.assertEqual(result.returncode, 0, f"stdout: {result.stdout}\nstderr: {result.stderr}")
        return result

    def read(self, name):
        with open(os.path.join(self.dir, "conf.d", name)) as f:
            return f.read()

    def check_config(self):
        """svd --check on a tiny svd.toml that includes the converted drop-ins."""
        self.write_svd_config(svd_extra='include = ["conf.d/*.toml"]')
        return run([SVD, "--check", "--config", self.config])

    def test_every_sample_converts_and_passes_svd_check(self):
        expected_programs = {"shop": 5, "laravel": 10, "devbox": 5}
        for sample, count in expected_programs.items():
            with self.subTest(sample=sample):
                shutil.rmtree(os.path.join(self.dir, "conf.d"), ignore_errors=True)
                self.import_sample(sample)
                check = self.check_config()
                self.assertEqual(check.returncode, 0, f"{check.stdout}{check.stderr}")
                self.assertIn(f"OK ({count} programs, 0 sockets)", check.stdout)

    def test_shop_maps_options_and_says_what_it_could_not(self):
        result = self.import_sample("shop")
        self.assertEqual(sorted(os.listdir(os.path.join(self.dir, "conf.d"))),
                         ["celery.toml", "celerybeat.toml", "redis.toml", "web.toml"])
        web = self.read("web.toml")
        here = os.path.join(DATA, "shop")
        # Continuation lines joined; %(here)s is the directory of the conf file.
        self.assertIn("command = '/usr/bin/gunicorn --workers 3 --bind 127.0.0.1:8000 --access-logfile - "
                      "--error-logfile - shop.wsgi:application'", web)
        self.assertIn(f"directory = '{here}/app'", web)
        self.assertIn('restart = "always"', web)
        self.assertIn('start_grace = "5s"', web)
        self.assertIn("backoff = { retries = 5 }", web)
        self.assertIn('stop_timeout = "30s"', web)
        self.assertIn('log = { max_size = "20MB", keep = 5, stderr = "merge" }', web)
        # [supervisord] environment under the program's, ENV_X as ${env:X}.
        self.assertIn("[program.web.environment]\nLANG = 'en_US.UTF-8'", web)
        self.assertIn("SECRET_KEY = '${env:SHOP_SECRET}'", web)
        self.assertIn('# requires = { redis = "started" }', web)
        self.assertIn("[group:shop] had: web, celery, celerybeat", web)

        celery = self.read("celery.toml")
        self.assertIn("[program.celery_00]", celery)
        self.assertIn("[program.celery_01]", celery)
        self.assertIn("-n worker1@%h'", celery)  # %%h is a literal %h
        self.assertIn('log = { max_size = "50MB", stderr = "separate" }', celery)
        self.assertIn("backoff = { retries = 3 }  # startretries (supervisord's default)", celery)

        beat = self.read("celerybeat.toml")
        self.assertIn('start = "manual"', beat)
        self.assertIn('restart = "never"', beat)

        redis = self.read("redis.toml")  # from [include] conf.d/*.ini
        self.assertIn('restart = "on-failure"', redis)
        self.assertIn("exit_codes = [0, 2]", redis)
        self.assertIn('stop_signal = "QUIT"', redis)

        notes = result.stderr
        for expected in ["user=www-data: svd runs every program as the user running svd",
                         "killasgroup=true: svd always signals the program's whole process group",
                         "stdout_logfile=/var/log/shop/web.log: svd writes this output to ${log_dir}/web.log",
                         "stdout_logfile=NONE", "stderr_logfile=syslog",
                         "[group:shop] (web, celery, celerybeat): svd has no groups",
                         "priority=200: svd has no priority",
                         "numprocs=2: one svd program per process: celery_00, celery_01",
                         "[unix_http_server] and the like"]:
            self.assertIn(expected, notes)
        self.assertIn("wrote 4 drop-ins (5 programs)", notes)

    def test_laravel_workers_escapes_and_unconvertible_sections(self):
        result = self.import_sample("laravel")
        workers = self.read("laravel-worker.toml")
        self.assertEqual(len(re.findall(r"^\[program\.laravel-worker_0\d\]$", workers, re.M)), 8)
        scheduler = self.read("scheduler.toml")
        # supervisord's $$ and ${SECONDS} reach the shell as written.
        self.assertIn("echo \\\"tick $$$ at $${SECONDS}s\\\"", scheduler)
        self.assertIn("directory = '${env:APP_ROOT}'", scheduler)
        self.assertIn('umask = "002"', scheduler)
        self.assertIn('stderr = "discard"', scheduler)
        self.assertIn("MAIL_FROM = 'Shop, Inc. <noreply@example.com>'", scheduler)
        horizon = self.read("horizon.toml")
        self.assertIn("command = 'php ${env:APP_ROOT}/artisan horizon'", horizon)
        self.assertIn('stop_signal = "INT"', horizon)
        self.assertIn("[eventlistener:memmon] not converted", result.stderr)
        self.assertIn("[fcgi-program:php] not converted", result.stderr)
        self.assertIn("stdout_logfile=/dev/stdout", result.stderr)

        # The expansion happens when svd reads it: a missing variable is svd's error.
        self.write_svd_config(svd_extra='include = ["conf.d/*.toml"]')
        env = {k: v for k, v in os.environ.items() if k != "APP_ROOT"}
        check = subprocess.run([SVD, "--check", "--config", self.config], capture_output=True, text=True, env=env)
        self.assertEqual(check.returncode, 1)
        self.assertIn("APP_ROOT", check.stderr)

    def test_devbox_runs_under_svd(self):
        self.import_sample("devbox")
        self.write_svd_config(svd_extra='include = ["conf.d/*.toml"]')
        self.start_svd()
        try:
            for name in ["ticker", "pool-1", "pool-2", "pool-3"]:
                self.wait_state(name, "RUNNING")
            status = self.status()
            self.assertEqual(status["backup"]["state"], "STOPPED")  # autostart=false
            # process_num reached the command, the [supervisord] environment the program.
            self.assertIn("sleep 1002", read_text(f"/proc/{status['pool-2']['pid']}/cmdline").replace("\0", " "))
            log = os.path.join(self.log_dir, "pool-3.log")
            wait_for(lambda: os.path.exists(log) and "pool 3 up in" in read_text(log), what="pool-3's output")
            self.assertIn(f"pool 3 up in {DATA}", read_text(log))
            self.svctl("start", "backup")
            self.wait_state("backup", "EXITED")
        finally:
            self.svctl("shutdown", check=False)
            self.svd.wait(15)

    def test_stdout_without_out_and_no_overwrite_without_force(self):
        result = run([SVCTL, "import", SAMPLES["devbox"]])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("# ---- ticker.toml ----\n", result.stdout)
        self.assertIn("[program.pool-3]", result.stdout)
        # One document holding every drop-in is valid svd TOML as well.
        self.write_config(result.stdout, name="conf.d/all.toml")
        check = self.check_config()
        self.assertEqual(check.returncode, 0, check.stderr)

        out = os.path.join(self.dir, "again")
        self.import_sample("devbox", out)
        second = run([SVCTL, "import", SAMPLES["devbox"], "--out", out])
        self.assertEqual(second.returncode, 1)
        self.assertIn("already exists", second.stderr)
        self.assertIn("hint: pass --force", second.stderr)
        self.import_sample("devbox", out, "--force")

    def test_usage_and_unreadable_input(self):
        usage = run([SVCTL, "import"])
        self.assertEqual(usage.returncode, 2)
        self.assertIn("usage: svctl import", usage.stderr)
        self.assertEqual(run([SVCTL, "import", "a.conf", "b.conf"]).returncode, 2)
        self.assertEqual(run([SVCTL, "import", "--bogus", "a.conf"]).returncode, 2)
        missing = run([SVCTL, "import", os.path.join(self.dir, "nope.conf")])
        self.assertEqual(missing.returncode, 1)
        self.assertIn("No such file or directory", missing.stderr)
        broken = self.write_config("[program:x]\ncommand=/bin/true\nthis is no key\n", name="broken.conf")
        result = run([SVCTL, "import", broken])
        self.assertEqual(result.returncode, 1)
        self.assertIn("broken.conf:3:", result.stderr)
        # It works without svd, and without any svd config around.
        self.assertFalse(os.path.exists(self.socket_path))
