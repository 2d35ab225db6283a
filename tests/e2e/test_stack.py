"""End to end: the real stack from Debian's packages — PostgreSQL 15, PyWPS
4.5 under gunicorn 20, Nginx 1.22 — laid out by svd-init under an
unprivileged user's home and run by svd, checked the way a user would:
through svctl, HTTP requests and the database.

Runs as root (it creates the user `svd-e2e`; postgres refuses root), and is
skipped with a visible reason otherwise."""

import http.client
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

SVD = os.environ.get("SVD_BIN", "svd")
SVCTL = os.environ.get("SVCTL_BIN", "svctl")
SOURCE = os.environ.get("SVD_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
USER = "svd-e2e"
PG_BIN = "/usr/lib/postgresql/15/bin"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def requirements_missing():
    if os.geteuid() != 0:
        return "needs root to create the unprivileged user the stack runs as"
    for path in (f"{PG_BIN}/postgres", "/usr/bin/gunicorn", "/usr/sbin/nginx"):
        if not os.path.exists(path):
            return f"{path} is not installed (scripts/deps installs it)"
    return None


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as error:  # the thing we wait for may not answer yet
            last = error
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


class Load(threading.Thread):
    """Keeps sending GET path to the server until stopped; counts outcomes."""

    def __init__(self, port, path):
        super().__init__(daemon=True)
        self.port, self.path = port, path
        self.results = {}
        self.running = True

    def run(self):
        while self.running:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                connection.request("GET", self.path)
                key = f"HTTP {connection.getresponse().status}"
                connection.close()
            except ConnectionRefusedError:
                key = "refused"
            except Exception as error:
                key = type(error).__name__
            self.results[key] = self.results.get(key, 0) + 1
            time.sleep(0.01)

    def stop(self):
        self.running = False
        self.join(60)
        return self.results


@unittest.skipIf(requirements_missing(), requirements_missing())
class StackTest(unittest.TestCase):
    """One stack for the whole class: bringing PostgreSQL, PyWPS and Nginx up
    takes seconds, and the tests read it in the order a user would."""

    @classmethod
    def setUpClass(cls):
        cls.svd = None
        try:
            cls.bring_up()
        except BaseException:
            cls.tearDownClass()  # unittest skips it when setUpClass fails
            raise

    @classmethod
    def bring_up(cls):
        if subprocess.run(["id", USER], capture_output=True).returncode != 0:
            subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", USER], check=True)
        cls.user_home = pwd.getpwnam(USER).pw_dir
        # Copies the user can read whatever the checkout's permissions.
        cls.kit = tempfile.mkdtemp(prefix="svd-e2e-kit-")
        os.chmod(cls.kit, 0o755)
        for name, source in (("svd", SVD), ("svctl", SVCTL)):
            shutil.copy(source, os.path.join(cls.kit, name))
        shutil.copytree(os.path.join(SOURCE, "share"), os.path.join(cls.kit, "share"),
                        ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(os.path.join(SOURCE, "conf.d"), os.path.join(cls.kit, "conf.d"))
        subprocess.run(["chmod", "-R", "a+rX", cls.kit], check=True)
        cls.tree = os.path.join(cls.user_home, f"tree-{os.getpid()}")
        cls.config = os.path.join(cls.tree, "etc", "svd.toml")
        cls.http_port, cls.pg_port = free_port(), free_port()
        cls.as_user(os.path.join(cls.kit, "share", "svd-init"), "--home", cls.tree,
                    "--http-port", str(cls.http_port), "--pg-port", str(cls.pg_port))
        cls.svd_log = open(os.path.join(cls.kit, "svd.stderr"), "w")
        cls.svd = subprocess.Popen(cls.user_prefix() + [os.path.join(cls.kit, "svd"), "--config", cls.config],
                                   stdout=cls.svd_log, stderr=subprocess.STDOUT, cwd="/")
        wait_for(lambda: cls.svd.poll() is not None or cls.svctl("pid").returncode == 0, 20, "svd's control socket")
        if cls.svd.poll() is not None:
            with open(os.path.join(cls.kit, "svd.stderr")) as f:
                raise AssertionError(f"svd exited with {cls.svd.returncode}:\n{f.read()}")
        cls.start_result = cls.svctl("start", "all", timeout=180)

    @classmethod
    def tearDownClass(cls):
        if cls.svd and cls.svd.poll() is None:
            cls.svctl("shutdown", timeout=120)
            try:
                cls.svd.wait(30)
            except subprocess.TimeoutExpired:
                cls.svd.kill()
        subprocess.run(["pkill", "-KILL", "-u", USER])
        if getattr(cls, "svd_log", None):
            cls.svd_log.close()
        for path in (getattr(cls, "tree", None), getattr(cls, "kit", None)):
            if path:
                shutil.rmtree(path, ignore_errors=True)

    @classmethod
    def user_prefix(cls):
        return ["runuser", "-u", USER, "--", "env", f"HOME={cls.user_home}", "PATH=/usr/bin:/bin"]

    @classmethod
    def as_user(cls, *args, check=True, timeout=120):
        return subprocess.run(cls.user_prefix() + list(args), capture_output=True, text=True,
                              check=check, timeout=timeout, cwd="/")

    @classmethod
    def svctl(cls, *args, timeout=60):
        return cls.as_user(os.path.join(cls.kit, "svctl"), "--config", cls.config, *args, check=False,
                           timeout=timeout)

    def status(self):
        result = self.svctl("status", "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        return {p["name"]: p for p in json.loads(result.stdout)}

    def svd_output(self):
        with open(os.path.join(self.kit, "svd.stderr")) as f:
            return f.read()

    def get(self, path, timeout=30):
        connection = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=timeout)
        connection.request("GET", path)
        try:
            response = connection.getresponse()
            return response.status, response.read().decode()
        finally:
            connection.close()

    def wps(self, query):
        return self.get("/wps?" + urllib.parse.urlencode(query, safe=",=;"))

    # ---- the tests, in the order a user meets the stack -------------------
    def test_1_start_all_brings_everything_up_in_order(self):
        self.assertEqual(self.start_result.returncode, 0,
                         f"{self.start_result.stdout}\n{self.start_result.stderr}\n{self.svd_output()}")
        status = self.status()
        for name in ("postgres", "pywps", "nginx"):
            self.assertEqual(status[name]["state"], "RUNNING", status[name])
            self.assertTrue(status[name]["ready"], status[name])
        for name in ("pgdata-init", "pywps-db"):
            self.assertEqual(status[name]["state"], "EXITED", status[name])
        log = self.svd_output()
        # Each starts only after what it requires is ready.
        order = [log.index(f"{name}: started") for name in ("pgdata-init", "postgres", "pywps-db", "pywps", "nginx")]
        self.assertEqual(order, sorted(order), log)
        # Everything runs as the unprivileged user.
        for name in ("postgres", "pywps", "nginx"):
            with open(f"/proc/{status[name]['pid']}/status") as f:
                uid = next(line.split()[1] for line in f if line.startswith("Uid:"))
            self.assertEqual(int(uid), pwd.getpwnam(USER).pw_uid)

    def test_2_getcapabilities_through_nginx(self):
        code, body = self.wps({"service": "WPS", "request": "GetCapabilities"})
        self.assertEqual(code, 200, body)
        self.assertIn("wps:Capabilities", body)
        self.assertIn("say_hello", body)
        self.assertIn("statistics", body)

    def test_3_execute_processes(self):
        code, body = self.wps({"service": "WPS", "version": "1.0.0", "request": "Execute",
                               "identifier": "say_hello", "datainputs": "name=World"})
        self.assertEqual(code, 200, body)
        self.assertIn("Hello World", body)
        code, body = self.wps({"service": "WPS", "version": "1.0.0", "request": "Execute",
                               "identifier": "statistics", "datainputs": "numbers=1,2,3,4.5",
                               "RawDataOutput": "summary"})
        self.assertEqual(code, 200, body)
        self.assertIn("count=4", body)
        self.assertIn("mean=2.625", body)
        self.assertIn("max=4.5", body)

    def test_4_requests_are_logged_in_postgresql(self):
        self.wps({"service": "WPS", "request": "GetCapabilities"})
        result = self.as_user(f"{PG_BIN}/psql", "-h", os.path.join(self.tree, "var", "run"), "-p", str(self.pg_port),
                              "-d", "pywps", "-tAc", "SELECT count(*) FROM pywps_requests", check=False)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertGreater(int(result.stdout.strip()), 0)

    def test_5_restarts_under_load_lose_no_request(self):
        loads = [Load(self.http_port, "/wps?service=WPS&request=GetCapabilities") for _ in range(4)]
        for load in loads:
            load.start()
        time.sleep(1)
        for name in ("pywps", "nginx"):
            result = self.svctl("restart", name, timeout=120)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            time.sleep(1)
        results = {}
        for load in loads:
            for key, count in load.stop().items():
                results[key] = results.get(key, 0) + count
        print(f"\nrestarts of pywps and nginx under load: {results}", file=sys.stderr)
        self.assertEqual(set(results), {"HTTP 200"}, results)
        self.assertGreaterEqual(results["HTTP 200"], 12, results)

    def test_5b_restarting_postgresql_makes_pywps_follow(self):
        before = self.status()
        result = self.svctl("restart", "postgres", timeout=180)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        after = wait_for(lambda: (s := self.status()) and all(s[n]["state"] == "RUNNING" and s[n]["ready"]
                                                              for n in ("postgres", "pywps", "nginx")) and s,
                         120, "postgres, pywps and nginx to be RUNNING and ready again")
        self.assertNotEqual(after["postgres"]["pid"], before["postgres"]["pid"])
        self.assertNotEqual(after["pywps"]["pid"], before["pywps"]["pid"],
                            "pywps requires postgres ready: it follows postgres's restart")
        # From svd's records: pywps started again only once postgres was ready again.
        log = self.svd_output()
        tail = log[log.rindex("postgres: started"):]
        self.assertIn("pywps: started", tail, "pywps was not started after postgres's restart")
        self.assertIn("postgres: STARTING -> RUNNING", tail, tail)  # RUNNING once ready (sd_notify)
        self.assertLess(tail.index("postgres: STARTING -> RUNNING"), tail.index("pywps: started"), tail)
        # And the service works on the new connection.
        code, body = self.wps({"service": "WPS", "version": "1.0.0", "request": "Execute",
                               "identifier": "say_hello", "datainputs": "name=again"})
        self.assertEqual(code, 200, body)
        self.assertIn("Hello again", body)

    def test_6_outputs_served_as_static_files(self):
        code, body = self.wps({"service": "WPS", "version": "1.0.0", "request": "Execute", "identifier": "say_hello",
                               "datainputs": "name=Async", "storeExecuteResponse": "true", "status": "true"})
        self.assertEqual(code, 200, body)
        marker = 'statusLocation="'
        self.assertIn(marker, body)
        location = body.split(marker, 1)[1].split('"', 1)[0]
        path = urllib.parse.urlparse(location).path
        final = wait_for(lambda: (lambda r: r[0] == 200 and "ProcessSucceeded" in r[1] and r)(self.get(path)), 30,
                         "the async job's status document")
        self.assertIn("Hello Async", final[1])

    def test_7_stop_all_goes_in_reverse_order_and_shutdown_leaves_nothing(self):
        result = self.svctl("stop", "all", timeout=120)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        log = self.svd_output()
        tail = log[log.rindex("nginx: RUNNING -> STOPPING"):]
        order = [tail.index(f"{name}: STOPPING -> STOPPED") for name in ("nginx", "pywps", "postgres")]
        self.assertEqual(order, sorted(order), tail)
        # Started again, initdb is skipped: the data is kept.
        result = self.svctl("start", "all", timeout=180)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("skipped", self.status()["pgdata-init"]["message"])
        result = self.svctl("shutdown", timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.svd.wait(30)
        left = subprocess.run(["pgrep", "-u", USER, "-a"], capture_output=True, text=True).stdout
        self.assertEqual(left.strip(), "", "processes left behind: " + left)


if __name__ == "__main__":
    unittest.main(verbosity=2)
