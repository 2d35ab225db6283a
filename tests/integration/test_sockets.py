"""Sockets held by svd: passed as fds 3, 4, ... with the systemd or nginx
protocol, no other fd leaked, on-demand start, restarts that refuse no
connection, and the errors a user gets for ports that cannot be bound.

The program is helpers/listen_fds_server.py: it checks the protocol from
the inside and answers every connection with a JSON line saying what it got."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import unittest

from svdtest import SVD, SvdTestCase, processes_with_marker, wait_for

HELPER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "helpers", "listen_fds_server.py")


def q(text):
    return json.dumps(text)


def free_port(family=socket.AF_INET, host="127.0.0.1"):
    with socket.socket(family) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def ipv6_unavailable():
    """None when [::1] can be bound, else why not."""
    if not socket.has_ipv6:
        return "Python was built without IPv6"
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError as error:
        return f"cannot bind [::1] on this machine: {error}"
    return None


def ask(family, address, timeout=10.0):
    """Connects, reads the helper's one JSON line until EOF, returns it parsed."""
    with socket.socket(family, socket.SOCK_STREAM) as client:
        client.settimeout(timeout)
        client.connect(address)
        data = b""
        while True:
            chunk = client.recv(4096)
            if not chunk:
                break
            data += chunk
    if not data:
        raise ConnectionError("connection closed without an answer")
    return json.loads(data)


class SocketTestCase(SvdTestCase):
    def setUp(self):
        super().setUp()
        self.port = free_port()
        self.unix_path = os.path.join(self.dir, "app.sock")

    def helper_command(self, *flags):
        return "[" + ", ".join(q(word) for word in [sys.executable, HELPER, *flags, self.marker]) + "]"

    def app(self, sockets, *flags, extra=""):
        return (f"[program.app]\ncommand = {self.helper_command(*flags)}\n"
                f"sockets = [{', '.join(q(s) for s in sockets)}]\n"
                'start_grace = "200ms"\nstop_timeout = "5s"\n'
                'backoff = { initial = "100ms", max = "1s", retries = 2 }\n' + extra + "\n")

    def tcp_socket(self, name="web", host="127.0.0.1", port=None):
        port = port or self.port
        listen = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        return f"[socket.{name}]\nlisten = {q(listen)}\n\n"

    def unix_socket(self, name="local"):
        return f"[socket.{name}]\nlisten = {q('unix:' + self.unix_path)}\n\n"

    def app_log(self):
        return self.svctl("tail", "-n", "50", "app", check=False).stdout

    def ask_tcp(self, host="127.0.0.1", port=None, family=socket.AF_INET):
        return ask(family, (host, port or self.port))

    def assert_clean(self, reply, pid):
        self.assertEqual(reply["problems"], [], f"the program saw protocol problems; its log:\n{self.app_log()}")
        self.assertEqual(reply["leaked"], {}, "fds other than the sockets reached the program")
        self.assertEqual(reply["pid"], pid, "the answer did not come from the program svd reports")


class PassingTest(SocketTestCase):
    def test_tcp_and_unix_sockets_with_the_systemd_protocol(self):
        self.write_config(self.tcp_socket() + self.unix_socket() +
                          self.app(["web", "local"], "--expect-fds", "2"))
        self.start_svd()
        app = self.wait_state("app", "RUNNING")
        self.assertEqual(app["sockets"], ["web", "local"])
        over_tcp = self.ask_tcp()
        self.assert_clean(over_tcp, app["pid"])
        self.assertEqual(over_tcp["listen_pid"], str(app["pid"]))
        self.assertEqual(over_tcp["listen_fds"], "2")
        self.assertEqual(over_tcp["names"], "web:local")
        self.assertIsNone(over_tcp["nginx"])
        self.assertEqual(over_tcp["fd"], 3, "the first socket in 'sockets' must be fd 3")
        over_unix = ask(socket.AF_UNIX, self.unix_path)
        self.assert_clean(over_unix, app["pid"])
        self.assertEqual(over_unix["fd"], 4)
        self.assertEqual(os.stat(self.unix_path).st_mode & 0o777, 0o600, "unix socket mode is not the default 0600")

    def test_sockets_listen_before_the_program_runs(self):
        self.write_config(self.tcp_socket() + self.app(["web"], extra='start = "manual"\n'))
        self.start_svd()
        # svd accepts into the backlog already; the program answers once started.
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as early:
            early.settimeout(10)
            self.svctl("start", "app")
            reply = json.loads(early.makefile().readline())
        self.assert_clean(reply, self.status("app")["app"]["pid"])

    def test_two_programs_share_one_socket_and_both_serve_it(self):
        # Allowed (man svd.toml: sockets): each gets the same listening socket
        # as fd 3 and they accept in turn, like two gunicorns on one port.
        second = self.app(["web"]).replace("[program.app]", "[program.app2]")
        self.write_config(self.tcp_socket() + self.app(["web"]) + second)
        self.start_svd()
        pids = {self.wait_state("app", "RUNNING")["pid"], self.wait_state("app2", "RUNNING")["pid"]}
        served_by = set()
        deadline = time.monotonic() + 20
        while served_by != pids and time.monotonic() < deadline:
            reply = self.ask_tcp()
            self.assertEqual(reply["problems"], [])
            self.assertIn(reply["pid"], pids, "an answer from a process svd does not know")
            served_by.add(reply["pid"])
        self.assertEqual(served_by, pids, "both programs accept on the shared socket")

    def test_seventy_sockets_all_arrive(self):
        # More than the 64 fds the spawner once placed (LISTEN_FDS still said
        # 70, and the program found fds missing). Unix sockets: no ports to race for.
        count = 70
        names = [f"s{i}" for i in range(count)]
        sockets = "".join(f"[socket.{name}]\nlisten = {q('unix:' + os.path.join(self.dir, name))}\n\n"
                          for name in names)
        self.write_config(sockets + self.app(names, "--expect-fds", str(count)))
        self.start_svd()
        app = self.wait_state("app", "RUNNING")
        reply = ask(socket.AF_UNIX, os.path.join(self.dir, names[-1]))
        self.assert_clean(reply, app["pid"])
        self.assertEqual(reply["listen_fds"], str(count))
        self.assertEqual(reply["fd"], 3 + count - 1, "the last socket in 'sockets' must be fd 72")

    def test_ipv6_loopback(self):
        why = ipv6_unavailable()
        if why:
            self.skipTest(f"no IPv6 here, so [::1] sockets are not tested: {why}")
        port = free_port(socket.AF_INET6, "::1")
        self.write_config(self.tcp_socket("web6", "::1", port) + self.app(["web6"]))
        self.start_svd()
        app = self.wait_state("app", "RUNNING")
        reply = self.ask_tcp("::1", port, socket.AF_INET6)
        self.assert_clean(reply, app["pid"])
        self.assertEqual(reply["names"], "web6")

    def test_nginx_protocol(self):
        self.write_config(self.tcp_socket() + self.app(["web"], "--nginx", extra='socket_protocol = "nginx"\n'))
        self.start_svd()
        app = self.wait_state("app", "RUNNING")
        reply = self.ask_tcp()
        self.assert_clean(reply, app["pid"])
        self.assertEqual(reply["nginx"], "3;")
        self.assertIsNone(reply["listen_pid"])
        self.assertIsNone(reply["listen_fds"])

    def test_sockets_are_listed(self):
        self.write_config(self.tcp_socket() + self.unix_socket() + self.app(["web", "local"], "--expect-fds", "2") +
                          "[socket.spare]\nlisten = " + q(f"127.0.0.1:{free_port()}") + "\n")
        self.start_svd()
        self.wait_state("app", "RUNNING")
        listing = self.svctl("sockets").stdout.splitlines()
        self.assertRegex(listing[0], r"^SOCKET\s+LISTEN\s+PROGRAMS$", "the table has a header")
        rows = {line.split()[0]: line.split()[1:] for line in listing if line.strip()}
        self.assertEqual(rows.get("web"), [f"127.0.0.1:{self.port}", "app"], listing)
        self.assertEqual(rows.get("local"), [f"unix:{self.unix_path}", "app"], listing)
        self.assertEqual(rows.get("spare", [None, None])[1], "-", "a socket no program uses must say so")
        table = self.svctl("status").stdout
        self.assertRegex(table, rf"(?m)^web\s+127\.0\.0\.1:{self.port}\s+app$")
        self.assertRegex(table, rf"(?m)^local\s+unix:{self.unix_path}\s+app$")
        as_json = json.loads(self.svctl("--json", "sockets").stdout)
        by_name = {s["name"]: s for s in as_json["sockets"]}
        self.assertEqual(by_name["web"]["programs"], ["app"])
        self.assertEqual(by_name["local"]["kind"], "unix")


class RestartTest(SocketTestCase):
    CLIENTS = 4
    MIN_REQUESTS = 2000

    def test_restart_under_load_refuses_no_connection(self):
        self.write_config(self.tcp_socket() + self.app(["web"]))
        self.start_svd()
        first = self.wait_state("app", "RUNNING")
        stop = threading.Event()
        lock = threading.Lock()
        tally = {"sent": 0, "ok": 0, "failed": 0, "errors": [], "pids": set()}

        def client():
            while not stop.is_set():
                try:
                    reply = self.ask_tcp()
                    outcome = None if reply.get("problems") == [] else f"problems: {reply.get('problems')}"
                except Exception as error:  # refused, reset, timed out, no answer: all count
                    reply, outcome = None, repr(error)
                with lock:
                    tally["sent"] += 1
                    if outcome is None:
                        tally["ok"] += 1
                        tally["pids"].add(reply["pid"])
                    else:
                        tally["failed"] += 1
                        tally["errors"].append(outcome)

        threads = [threading.Thread(target=client, daemon=True) for _ in range(self.CLIENTS)]
        for thread in threads:
            thread.start()
        try:
            restarts = 0
            for _ in range(2):
                wait_for(lambda: tally["ok"] >= 100 * (restarts + 1), timeout=20, what="traffic before a restart")
                result = self.svctl("restart", "app")
                self.assertEqual(result.returncode, 0)
                restarts += 1
            wait_for(lambda: tally["sent"] >= self.MIN_REQUESTS and len(tally["pids"]) >= 3, timeout=30,
                     what=f"{self.MIN_REQUESTS} requests served by 3 processes")
        finally:
            stop.set()
            for thread in threads:
                thread.join(15)
        print(f"\nzero-downtime: {tally['sent']} requests from {self.CLIENTS} clients during {restarts} restarts, "
              f"{tally['failed']} failed", file=sys.stderr)
        self.assertEqual(tally["failed"], 0, f"failed requests, first ones: {tally['errors'][:5]}")
        self.assertEqual(len(tally["pids"]), 3, f"expected the first process and 2 restarted ones: {tally['pids']}")
        self.assertIn(first["pid"], tally["pids"])
        app = self.status("app")["app"]
        self.assertEqual(app["restarts"], 2)
        self.assertIn(app["pid"], tally["pids"])
        self.assertIn("stops gracefully", self.app_log(), "the program did not get its graceful TERM")


class OnDemandTest(SocketTestCase):
    def test_started_by_the_first_connection_which_it_serves(self):
        self.write_config(self.tcp_socket() + self.app(["web"], extra='start = "on-demand"\n'))
        self.start_svd()
        time.sleep(0.5)
        app = self.status("app")["app"]
        self.assertIsNone(app["pid"], "an on-demand program ran before any connection")
        self.assertNotIn(app["state"], ("RUNNING", "STARTING"))
        self.assertEqual(processes_with_marker(self.marker), [])
        result = self.svctl("start", "all", check=False)
        self.assertEqual(result.returncode, 0,
                         f"`svctl start all` fails while an on-demand program waits for its connection:\n"
                         f"{result.stdout}{result.stderr}")
        self.assertIsNone(self.status("app")["app"]["pid"], "`svctl start all` ran the on-demand program")
        sockets = {s["name"]: s for s in json.loads(self.svctl("--json", "sockets").stdout)["sockets"]}
        self.assertTrue(sockets["web"]["on_demand_armed"])

        reply = self.ask_tcp()  # this very connection waits in the backlog and is served
        app = self.wait_state("app", "RUNNING")
        self.assert_clean(reply, app["pid"])
        self.assertEqual(app["restarts"], 0)
        again = self.ask_tcp()
        self.assertEqual(again["pid"], reply["pid"], "a second connection started another process")


class SocketErrorTest(SocketTestCase):
    def check(self):
        result = subprocess.run([SVD, "--check", "--config", self.config], capture_output=True, text=True, timeout=30)
        return result.returncode, result.stdout + result.stderr

    def test_port_below_1024_needs_root_and_a_high_port_is_suggested(self):
        text = "[socket.web]\nlisten = \"127.0.0.1:80\"\n\n" + self.app(["web"])
        self.write_config(text)
        code, output = self.check()
        self.assertEqual(code, 1, output)
        self.assertIn(f"{self.config}:2:", output, "the error does not point at the listen line")
        self.assertIn("'web'", output)
        self.assertIn("root", output)
        self.assertRegex(output, r"such as (\d{4,5})\b")
        suggested = int(__import__("re").search(r"such as (\d{4,5})\b", output).group(1))
        self.assertGreaterEqual(suggested, 1024)

    def test_port_in_use_names_the_socket_and_the_program(self):
        with socket.socket() as squatter:
            squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            squatter.bind(("127.0.0.1", self.port))
            squatter.listen(1)
            self.write_config(self.tcp_socket("front") + self.app(["front"]))
            self.start_svd(wait=False)
            code = self.svd.wait(10)
        output = self.svd_output()
        self.assertEqual(code, 1, output)
        self.assertIn("front", output)
        self.assertIn("app", output)
        self.assertIn(f"127.0.0.1:{self.port}", output)
        self.assertRegex(output, r"(?i)in use")
        self.assertEqual(processes_with_marker(self.marker), [], "the program ran although its socket failed")

    def test_on_demand_program_cannot_share_its_socket(self):
        second = self.app(["web"], extra='start = "on-demand"').replace("[program.app]", "[program.lazy]")
        self.write_config(self.tcp_socket() + self.app(["web"]) + second)
        code, output = self.check()
        self.assertEqual(code, 1, output)
        self.assertIn("program 'lazy' starts on demand, so it needs its sockets to itself, "
                      "but socket 'web' is also used by 'app'", output)

    def test_unknown_socket_name(self):
        self.write_config(self.tcp_socket("web") + self.app(["wbe"]))
        code, output = self.check()
        self.assertEqual(code, 1, output)
        self.assertIn("unknown socket 'wbe'", output)
        self.assertIn("web", output)


if __name__ == "__main__":
    unittest.main()
