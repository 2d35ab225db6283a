"""`requires` against `after` through the real binaries: a stand-in proxy on
a socket svd holds, in front of an upstream that binds its own port. With
`after` a restart of the upstream leaves the proxy's pid alone (connections
wait in the proxy for the upstream to answer again); with `requires` the
proxy restarts with it. Each test prints how long the proxy made a client
wait, at worst, during the restart (a figure, not an assertion)."""

import json
import os
import socket
import threading
import time

from svdtest import SvdTestCase, wait_for

UPSTREAM = r"""
import os, socket, sys
port = int(sys.argv[2])
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port))
server.listen(64)
while True:
    client, _ = server.accept()
    client.sendall(f"{os.getpid()}\n".encode())
    client.close()
"""

# Accepts on the socket svd passes as fd 3; asks the upstream, retrying
# while it is away, and answers "PROXY_PID UPSTREAM_PID".
PROXY = r"""
import os, socket, sys, time
port = int(sys.argv[2])
server = socket.socket(fileno=3)
while True:
    client, _ = server.accept()
    answer = b""
    deadline = time.monotonic() + 30
    while not answer and time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as upstream:
                answer = upstream.recv(64).strip()
        except OSError:
            time.sleep(0.02)
    client.sendall(f"{os.getpid()} {answer.decode()}\n".encode())
    client.close()
"""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def q(text):
    return json.dumps(text)


class Client(threading.Thread):
    """Asks the proxy over and over until stopped; keeps each request's latency."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.latencies = []
        self.failures = []
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            began = time.monotonic()
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=30) as client:
                    client.settimeout(30)
                    if not client.recv(64):
                        raise ConnectionError("closed without an answer")
                self.latencies.append(time.monotonic() - began)
            except OSError as error:
                self.failures.append(str(error))
            time.sleep(0.01)


class DependencyKindsTest(SvdTestCase):
    def stack(self, kind):
        self.upstream_port = free_port()
        self.proxy_port = free_port()
        command = lambda code: "[" + ", ".join(q(w) for w in self.python(code, self.upstream_port)) + "]"
        return self.write_svd_config(
            f"[socket.http]\nlisten = {q(f'127.0.0.1:{self.proxy_port}')}\n\n"
            f"[program.upstream]\ncommand = {command(UPSTREAM)}\n"
            f"ready = {{ tcp = {q(f'127.0.0.1:{self.upstream_port}')} }}\n"
            'stop_timeout = "5s"\n\n'
            f"[program.proxy]\ncommand = {command(PROXY)}\nsockets = [\"http\"]\n"
            f"{kind} = {{ upstream = \"ready\" }}\n"
            'start_grace = "300ms"\nstop_timeout = "5s"\n')

    def restart_upstream(self, kind):
        self.stack(kind)
        self.start_svd()
        wait_for(lambda: all(p["state"] == "RUNNING" and p["ready"] for p in self.status().values()),
                 timeout=20, what="both programs RUNNING and ready")
        before = self.status()
        client = Client(self.proxy_port)
        client.start()
        wait_for(lambda: client.latencies, timeout=10, what="a first answer through the proxy")
        self.svctl("restart", "upstream")
        wait_for(lambda: (lambda s: s["upstream"]["pid"] not in (None, before["upstream"]["pid"]) and
                          all(p["state"] == "RUNNING" and p["ready"] for p in s.values()))(self.status()),
                 timeout=30, what="upstream restarted and both RUNNING and ready")
        count = len(client.latencies)
        wait_for(lambda: len(client.latencies) > count + 3, timeout=10, what="answers after the restart")
        client.stopping.set()
        client.join(40)
        after = self.status()
        worst = max(client.latencies)
        print(f"\n{kind}: worst wait through the proxy during the upstream's restart: {worst * 1000:.0f} ms "
              f"({len(client.latencies)} answers, {len(client.failures)} failures)")
        return before, after, client

    def test_after_leaves_the_proxy_running_across_a_restart_of_its_upstream(self):
        before, after, client = self.restart_upstream("after")
        # The proxy kept running, so nothing it had accepted was cut off.
        self.assertEqual(client.failures, [], "requests through the proxy failed")
        self.assertEqual(after["proxy"]["pid"], before["proxy"]["pid"], "the proxy restarted with its upstream")
        self.assertEqual(after["proxy"]["after"], {"upstream": "ready"})
        self.assertEqual(after["proxy"]["requires"], {})

    def test_requires_restarts_the_proxy_with_its_upstream(self):
        # A request the proxy holds when it is stopped may be cut off: no
        # assertion on failures here, only the count printed above.
        before, after, _ = self.restart_upstream("requires")
        self.assertNotEqual(after["proxy"]["pid"], before["proxy"]["pid"], "the proxy did not follow its upstream")
        self.assertEqual(after["proxy"]["requires"], {"upstream": "ready"})
        self.assertEqual(after["proxy"]["after"], {})

    def test_after_neither_starts_nor_stops_the_other(self):
        self.stack("after")
        text = open(self.config).read().replace("[program.upstream]\n", "[program.upstream]\nstart = \"manual\"\n")
        self.write_config(text)
        self.start_svd()
        wait_for(lambda: self.status("proxy")["proxy"]["state"] == "RUNNING", timeout=20,
                 what="the proxy RUNNING without its manual upstream")
        self.assertEqual(self.status("upstream")["upstream"]["state"], "STOPPED")
        self.svctl("start", "upstream")
        self.wait_state("upstream", "RUNNING", timeout=20)
        pid = self.status("proxy")["proxy"]["pid"]
        self.svctl("stop", "upstream")
        self.wait_state("upstream", "STOPPED", timeout=20)
        proxy = self.status("proxy")["proxy"]
        self.assertEqual((proxy["state"], proxy["pid"]), ("RUNNING", pid), "stopping the upstream touched the proxy")
