"""Readiness probes (tcp, http, exec, notify, delay) and health checks, with
real servers that become ready late, answer errors, or never get ready."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import unittest

from svdtest import SVCTL, SvdTestCase, wait_for

# A server that sleeps, then listens. tcp: accepts and closes. http: answers
# every GET with the status code in STATUS_FILE (200 when missing) and counts
# requests in STATUS_FILE.hits. With --slow-stop it takes 1 s to exit on TERM,
# so the state it was stopped in stays visible.
LATE_SERVER = r'''
import http.server, os, signal, socket, sys, time
kind, port, delay, status_file = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
if "--slow-stop" in sys.argv:
    signal.signal(signal.SIGTERM, lambda *_: (time.sleep(1.0), os._exit(0)))
time.sleep(delay)
if kind == "tcp":
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(16)
    print("listening", flush=True)
    while True:
        connection, _ = server.accept()
        connection.close()

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            with open(status_file) as f:
                code = int(f.read().strip() or "200")
        except FileNotFoundError:
            code = 200
        with open(status_file + ".hits", "a") as f:
            f.write(f"{code}\n")
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass

print("listening", flush=True)
http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
'''

# sd_notify client: sends each argument after "--" as one datagram to
# $NOTIFY_SOCKET, after the delay given before it; then stays up.
NOTIFY_CLIENT = r'''
import os, socket, sys, time
path = os.environ.get("NOTIFY_SOCKET")
if not path:
    print("NOTIFY_SOCKET is not set", file=sys.stderr, flush=True)
    sys.exit(5)
args = sys.argv[sys.argv.index("--") + 1:]
for delay, message in zip(args[0::2], args[1::2]):
    time.sleep(float(delay))
    client = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    client.sendto(message.encode(), path)
    client.close()
    print("sent", message, flush=True)
while True:
    time.sleep(60)
'''

# An http server that records each request line and Host header in argv[2].
HOST_ECHO = r'''
import http.server, sys
port, record = int(sys.argv[1]), sys.argv[2]
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(record, "a") as f:
            f.write(f"GET {self.path} Host: {self.headers.get('Host')}\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
'''


def q(text):
    return json.dumps(text)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ReadinessTestCase(SvdTestCase):
    def setUp(self):
        super().setUp()
        self.port = free_port()
        self.status_file = os.path.join(self.dir, "http-status")
        for name, text in (("late_server.py", LATE_SERVER), ("notify_client.py", NOTIFY_CLIENT)):
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(text)

    def argv(self, *words):
        return "[" + ", ".join(q(str(word)) for word in words) + "]"

    def server_command(self, kind, delay, *flags):
        return self.argv(sys.executable, os.path.join(self.dir, "late_server.py"), kind, self.port, delay,
                         self.status_file, *flags, self.marker)

    def notify_command(self, *steps):
        return self.argv(sys.executable, os.path.join(self.dir, "notify_client.py"), self.marker, "--", *steps)

    def write_program(self, command, ready=None, extra="", start="manual"):
        text = (f"[program.srv]\ncommand = {command}\nstart = {q(start)}\nstart_grace = \"200ms\"\n"
                "stop_timeout = \"3s\"\nbackoff = { initial = \"500ms\", max = \"1s\", retries = 1 }\n")
        if ready:
            text += f"ready = {ready}\n"
        self.write_config(text + extra)

    def set_http_status(self, code):
        with open(self.status_file, "w") as f:
            f.write(f"{code}\n")

    def hits(self):
        try:
            with open(self.status_file + ".hits") as f:
                return [int(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def srv(self):
        return self.status("srv")["srv"]

    def start_and_watch(self, ready_after, check_at=0.5):
        """`svctl start srv` in the background: asserts that srv is STARTING and
        not ready at check_at, that svctl waits until it is ready, and that it
        is RUNNING and ready after. Returns the seconds svctl took."""
        began = time.monotonic()
        ctl = subprocess.Popen([SVCTL, "--config", self.config, "start", "srv"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(check_at)
            early = self.srv()
            self.assertEqual(early["state"], "STARTING", early)
            self.assertFalse(early["ready"], early)
            self.assertIsNotNone(early["pid"], early)
            self.assertIsNone(ctl.poll(), "`svctl start` returned before the program was ready")
            out, err = ctl.communicate(timeout=15)
        finally:
            if ctl.poll() is None:
                ctl.kill()
                ctl.wait()
        took = time.monotonic() - began
        self.assertEqual(ctl.returncode, 0, f"svctl start: {out}{err}\nsvd: {self.svd_output()}")
        self.assertGreaterEqual(took, ready_after - 0.1, "svctl start returned before the probe could pass")
        late = self.srv()
        self.assertEqual(late["state"], "RUNNING", late)
        self.assertTrue(late["ready"], late)
        self.assertEqual(late["pid"], early["pid"], "the program was restarted on its way to ready")
        self.assertEqual(late["restarts"], 0)
        return took


class ProbeTest(ReadinessTestCase):
    def test_tcp_ready_once_the_port_listens(self):
        self.write_program(self.server_command("tcp", 1.0),
                           ready=f'{{ tcp = "127.0.0.1:{self.port}", timeout = "10s" }}')
        self.start_svd()
        self.start_and_watch(ready_after=1.0)
        with socket.create_connection(("127.0.0.1", self.port), timeout=2):
            pass

    def test_http_ready_once_it_answers_200(self):
        self.write_program(self.server_command("http", 1.0),
                           ready=f'{{ http = "http://127.0.0.1:{self.port}/health", timeout = "10s" }}')
        self.start_svd()
        self.start_and_watch(ready_after=1.0)
        self.assertIn(200, self.hits(), "svd's http probe never reached the server")

    def test_http_500_is_never_ready_and_fails_the_start(self):
        self.set_http_status(500)
        self.write_program(self.server_command("http", 0),
                           ready=f'{{ http = "http://127.0.0.1:{self.port}/", timeout = "1s" }}')
        self.start_svd()
        began = time.monotonic()
        result = self.svctl("start", "srv", check=False, timeout=30)
        took = time.monotonic() - began
        self.assertEqual(result.returncode, 1, f"a never-ready program started fine:\n{result.stdout}")
        srv = self.srv()
        self.assertEqual(srv["state"], "FATAL", srv)
        self.assertFalse(srv["ready"])
        self.assertIsNone(srv["pid"])
        self.assertIn("not ready within", srv["message"])
        self.assertIn("srv: FATAL", result.stderr)
        self.assertIn("not ready within", result.stderr)
        # Two attempts (backoff.retries = 1) of 1 s each, with a backoff between.
        self.assertGreaterEqual(took, 2.0, "the readiness timeout did not apply to each attempt")
        self.assertIn("BACKOFF", self.svd_output(), "the first readiness timeout did not lead to BACKOFF")
        self.assertGreaterEqual(self.hits().count(500), 2, "the probe did not keep asking the server")
        self.assertNotIn(200, self.hits())

    def test_readiness_timeout_says_why_the_last_attempt_failed(self):
        # Nothing listens on the port: every attempt is refused.
        self.write_program(self.argv("/bin/sh", "-c", "while :; do sleep 5 & wait $!; done", self.marker),
                           ready=f'{{ tcp = "127.0.0.1:{self.port}", timeout = "1s" }}')
        self.start_svd()
        self.svctl("start", "srv", "--no-wait")
        starting = wait_for(lambda: (s := self.srv())["probe_error"] and s, timeout=5,
                            what="status to show the failed attempt")
        self.assertEqual(starting["state"], "STARTING", starting)
        self.assertEqual(starting["probe_error"], "connect: connection refused")
        failed = wait_for(lambda: (s := self.srv())["state"] in ("BACKOFF", "FATAL") and s, timeout=10,
                          what="the readiness timeout")
        self.assertTrue(failed["message"].startswith("not ready within 1s: connect: connection refused"),
                        failed["message"])
        self.assertIn("not ready within 1s: connect: connection refused", self.svctl("status").stdout)

    def test_http_probe_error_names_the_status_code(self):
        self.set_http_status(503)
        self.write_program(self.server_command("http", 0),
                           ready=f'{{ http = "http://localhost:{self.port}/", timeout = "1500ms" }}')
        self.start_svd()
        result = self.svctl("start", "srv", check=False, timeout=30)
        self.assertEqual(result.returncode, 1, result.stdout)
        srv = self.srv()
        self.assertTrue(srv["message"].startswith("not ready within 1.5s: HTTP 503"), srv["message"])
        self.assertEqual(srv["probe_error"], "HTTP 503")

    def test_http_probe_sends_the_host_header_as_written(self):
        # "localhost" is connected to as 127.0.0.1, but a virtual host still sees the name.
        self.write_program(self.argv(sys.executable, "-c", HOST_ECHO, self.port, self.status_file, self.marker),
                           ready=f'{{ http = "http://localhost:{self.port}/ping?x=1", timeout = "10s" }}')
        self.start_svd()
        self.svctl("start", "srv")
        with open(self.status_file) as f:
            self.assertEqual(f.read().splitlines()[0], f"GET /ping?x=1 Host: localhost:{self.port}")
        self.assertIsNone(self.srv()["probe_error"])

    def test_exec_ready_once_the_command_succeeds(self):
        flag = os.path.join(self.dir, "warm")
        self.write_program(self.argv("/bin/sh", "-c", "while :; do sleep 5 & wait $!; done", self.marker),
                           ready=f'{{ exec = {q("test -e " + flag)}, timeout = "10s" }}')
        self.start_svd()
        threading.Timer(1.0, lambda: open(flag, "w").close()).start()
        self.start_and_watch(ready_after=1.0)

    def test_exec_probe_that_keeps_failing_times_out(self):
        self.write_program(self.argv("/bin/sh", "-c", "while :; do sleep 5 & wait $!; done", self.marker),
                           ready='{ exec = "false", timeout = "800ms" }')
        self.start_svd()
        result = self.svctl("start", "srv", check=False, timeout=30)
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertEqual(self.srv()["state"], "FATAL")

    def test_delay_ready_after_the_delay(self):
        self.write_program(self.argv("/bin/sh", "-c", "while :; do sleep 5 & wait $!; done", self.marker),
                           ready='{ delay = "1s" }')
        self.start_svd()
        took = self.start_and_watch(ready_after=1.0)
        self.assertLess(took, 3.0)


class NotifyTest(ReadinessTestCase):
    def test_ready_when_the_program_sends_ready(self):
        self.write_program(self.notify_command("1.0", "READY=1"), ready='{ notify = true, timeout = "10s" }')
        self.start_svd()
        self.start_and_watch(ready_after=1.0)

    def test_status_alone_does_not_make_it_ready(self):
        self.write_program(self.notify_command("0.1", "STATUS=warming up", "1.5", "STATUS=still warming"),
                           ready='{ notify = true, timeout = "10s" }')
        self.start_svd()
        self.svctl("start", "srv", "--no-wait")
        wait_for(lambda: "STATUS=still warming" in self.svctl("tail", "srv").stdout, timeout=5,
                 what="the client to send both STATUS messages")
        srv = self.srv()
        self.assertEqual(srv["state"], "STARTING", srv)
        self.assertFalse(srv["ready"], "STATUS= without READY=1 made the program ready")

    def test_ready_from_another_process_is_ignored(self):
        self.write_program(self.notify_command(), ready='{ notify = true, timeout = "10s" }')
        self.start_svd()
        self.svctl("start", "srv", "--no-wait")
        self.wait_state("srv", "STARTING")
        notify_socket = os.path.join(self.dir, "var", "run", "notify.sock")
        self.assertTrue(os.path.exists(notify_socket), "svd has no notify socket where the program is told it is")
        # The test itself is no program of svd's: its READY=1 must not count.
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as impostor:
            impostor.sendto(b"READY=1", notify_socket)
        wait_for(lambda: f"pid {os.getpid()}" in self.svd_output(), timeout=5,
                 what="svd to log the ignored message")
        time.sleep(0.3)
        srv = self.srv()
        self.assertEqual(srv["state"], "STARTING", srv)
        self.assertFalse(srv["ready"], "a READY=1 from a foreign pid made the program ready")

    def test_notify_socket_is_passed_in_the_environment(self):
        self.write_program(self.argv("/bin/sh", "-c", 'echo "NOTIFY_SOCKET=$NOTIFY_SOCKET"; exec sleep 60', self.marker),
                           ready='{ notify = true, timeout = "10s" }', start="boot")
        self.start_svd()
        line = wait_for(lambda: next((l for l in self.svctl("tail", "srv").stdout.splitlines()
                                      if l.startswith("NOTIFY_SOCKET=")), None), timeout=5,
                        what="the program's output")
        self.assertEqual(line, "NOTIFY_SOCKET=" + os.path.join(self.dir, "var", "run", "notify.sock"))


class HealthTest(ReadinessTestCase):
    def health(self):
        return (f'health = {{ http = "http://127.0.0.1:{self.port}/health", interval = "300ms", retries = 2, '
                'timeout = "1s" }\n')

    def test_unhealthy_program_is_restarted(self):
        self.write_program(self.server_command("http", 0, "--slow-stop"), start="boot", extra=self.health())
        self.start_svd()
        first = wait_for(lambda: (s := self.srv())["healthy"] is True and s, timeout=5, what="srv to be healthy")
        self.assertEqual(first["state"], "RUNNING")
        self.assertTrue(first["ready"])
        self.assertEqual(first["restarts"], 0)
        table = self.svctl("status").stdout
        self.assertRegex(table, r"(?m)^srv\s+RUNNING\s.*\bhealthy\b")

        self.set_http_status(503)
        # While the slow server stops, status says why.
        stopping = wait_for(lambda: (s := self.srv())["healthy"] is False and s, timeout=5,
                            what="srv to be reported unhealthy")
        self.assertIn("unhealthy", stopping["message"])
        self.set_http_status(200)
        again = wait_for(lambda: (s := self.srv())["restarts"] >= 1 and s["healthy"] is True and s, timeout=10,
                         what="srv to be restarted and healthy again")
        self.assertEqual(again["state"], "RUNNING")
        self.assertNotEqual(again["pid"], first["pid"], "restarts counted, but the process is the same")
        self.assertEqual(again["restarts"], 1)
        time.sleep(1.0)
        settled = self.srv()
        self.assertEqual((settled["restarts"], settled["pid"]), (1, again["pid"]),
                         "a healthy program was restarted again")

    def test_unhealthy_shows_in_status_when_not_restarted(self):
        self.write_program(self.server_command("http", 0), start="boot", extra='restart = "never"\n' + self.health())
        self.start_svd()
        first = wait_for(lambda: (s := self.srv())["healthy"] is True and s, timeout=5, what="srv to be healthy")
        self.set_http_status(500)
        sick = wait_for(lambda: (s := self.srv())["healthy"] is False and s, timeout=5, what="srv to be unhealthy")
        self.assertEqual(sick["state"], "RUNNING")
        self.assertEqual(sick["pid"], first["pid"], "restart = never, yet the program was restarted")
        self.assertRegex(self.svctl("status").stdout, r"(?m)^srv\s.*UNHEALTHY")
        self.assertEqual(sick["probe_error"], "HTTP 500")
        self.set_http_status(200)
        well = wait_for(lambda: (s := self.srv())["healthy"] is True and s, timeout=5, what="srv to recover")
        self.assertEqual((well["pid"], well["restarts"]), (first["pid"], 0))
        self.assertIsNone(well["probe_error"], "a passing check did not clear the last failure")

    def test_one_failed_check_below_retries_changes_nothing(self):
        # retries = 2: a single 500 between 200s is tolerated.
        self.write_program(self.server_command("http", 0), start="boot", extra=self.health())
        self.start_svd()
        first = wait_for(lambda: (s := self.srv())["healthy"] is True and s, timeout=5, what="srv to be healthy")
        before = len(self.hits())
        self.set_http_status(500)
        wait_for(lambda: len(self.hits()) > before and self.hits()[-1] == 500, timeout=3, what="one failing check")
        self.set_http_status(200)
        time.sleep(1.0)
        later = self.srv()
        self.assertEqual((later["pid"], later["restarts"], later["healthy"]), (first["pid"], 0, True))


if __name__ == "__main__":
    unittest.main()
