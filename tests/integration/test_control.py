"""The control socket: many clients at once, malformed requests written
straight to the socket, and the peer-uid check."""

import json
import os
import pwd
import socket
import stat
import subprocess
import time
import unittest

from svdtest import (SVCTL, SvdTestCase, control_exchange, read_json_lines, table_verbs, toml_array, toml_string,
                     wait_for)

OTHER_USER = "svdtest-other"

# Run as the other user: connect to argv[1], send a status request, print
# {"connect_error": ...} or the replies svd sent before hanging up.
PEER_CLIENT = """
import json, socket, sys
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.settimeout(5)
try:
    sock.connect(sys.argv[1])
except OSError as error:
    print(json.dumps({"connect_error": error.strerror}))
    sys.exit(0)
try:
    sock.sendall(b'{"v":1,"verb":"status"}\\n')
except OSError:
    pass
data = b""
while True:
    try:
        chunk = sock.recv(65536)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
print(json.dumps({"replies": [json.loads(line) for line in data.splitlines() if line.strip()]}))
"""


class ControlTest(SvdTestCase):

    def setUp(self):
        super().setUp()
        self.write_svd_config(f"""
[program.a]
command = {toml_array(self.sleeper())}
start_grace = "200ms"
""")

    def assert_svd_alive(self):
        self.assertIsNone(self.svd.poll(), f"svd died: {self.svd_output()}")
        self.assertEqual(self.status()["a"]["state"], "RUNNING")

    # ---- one verb table ----------------------------------------------------
    # svd and svctl share supervisor/control/verbs.cpp: each of its verbs must
    # reach a handler on both sides, not "unknown verb".
    def test_every_verb_of_the_table_is_handled_by_svctl_and_svd(self):
        missing = os.path.join(self.dir, "nobody.sock")
        for name, side, _ in table_verbs():
            with self.subTest(verb=name):
                result = subprocess.run([SVCTL, "--socket", missing, name], capture_output=True, text=True,
                                        stdin=subprocess.DEVNULL, timeout=30)
                self.assertNotIn("unknown verb", result.stderr)
                self.assertNotIn("no runner", result.stderr)
                self.assertIn(result.returncode, (2, 3) if side == "svd" else (0, 1, 2), result.stderr)
        self.start_svd()
        self.wait_state("a", "RUNNING")
        # shutdown and reload end this svd; their own tests cover them.
        for name, side, alias_of in table_verbs():
            if side != "svd" or alias_of or name in ("shutdown", "reload"):
                continue
            with self.subTest(verb=name):
                # An unknown name: a verb that acts on programs refuses it and touches nothing.
                request = json.dumps({"v": 1, "verb": name, "names": ["nope"]}).encode() + b"\n"
                reply = control_exchange(self.socket_path, request)[0]
                self.assertNotIn("unknown verb", reply.get("error", ""), reply)
        self.assert_svd_alive()

    # ---- many clients ----------------------------------------------------
    def test_200_concurrent_svctl_status_calls_are_all_answered(self):
        self.start_svd()
        self.wait_state("a", "RUNNING")
        started = time.monotonic()
        clients = [subprocess.Popen([SVCTL, "--config", self.config, "--json", "status"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                   for _ in range(200)]
        failures = []
        for client in clients:
            out, err = client.communicate(timeout=60)
            if client.returncode != 0:
                failures.append((client.returncode, err))
                continue
            programs = json.loads(out)
            if [p["name"] for p in programs] != ["a"] or programs[0]["state"] != "RUNNING":
                failures.append(("unexpected output", out))
        self.assertEqual(failures, [], f"{len(failures)} of 200 svctl calls failed")
        self.assertLess(time.monotonic() - started, 60)
        self.assert_svd_alive()

    def test_200_connections_open_at_once_are_all_answered(self):
        self.start_svd()
        self.wait_state("a", "RUNNING")
        sockets = []
        try:
            for _ in range(200):
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(10)
                sock.connect(self.socket_path)
                sockets.append(sock)
            for sock in sockets:
                sock.sendall(b'{"v":1,"verb":"status","names":["a"]}\n')
            replies = [read_json_lines(sock, 1) for sock in sockets]
        finally:
            for sock in sockets:
                sock.close()
        answered = [r for r in replies if r and r[0].get("ok") and r[0]["programs"][0]["name"] == "a"]
        self.assertEqual(len(answered), 200)
        self.assert_svd_alive()

    # ---- malformed requests ----------------------------------------------
    MALFORMED = [
        (b"hello svd\n", "malformed request"),
        (b"\x00\xff\xfe\x01 binary junk\n", "malformed request"),
        (b"\n", "malformed request"),
        (b"[1, 2, 3]\n", "expected a JSON object"),
        (b'"status"\n', "expected a JSON object"),
        (b"42\n", "expected a JSON object"),
        (b'{"verb":"status"}\n', "protocol version"),
        (b'{"v":"1","verb":"status"}\n', "protocol version"),
        (b'{"v":2,"verb":"status"}\n', "unsupported protocol version 2"),
        (b'{"v":0,"verb":"status"}\n', "unsupported protocol version 0"),
        (b'{"v":1}\n', '"verb" must be a non-empty string'),
        (b'{"v":1,"verb":""}\n', '"verb" must be a non-empty string'),
        (b'{"v":1,"verb":17}\n', '"verb" must be a non-empty string'),
        (b'{"v":1,"verb":"\xff\xfe"}\n', "malformed request"),
        (b'{"v":1,"verb":"strat","names":["a"]}\n', "unknown verb 'strat'"),
        (b'{"v":1,"verb":"status","names":"a"}\n', '"names" must be an array'),
        (b'{"v":1,"verb":"status","names":[1]}\n', '"names" must be an array'),
        (b'{"v":1,"verb":"status","args":[]}\n', '"args" must be an object'),
        (b'{"v":1,"verb":"status","names":["nope"]}\n', "no such program 'nope'"),
        (b'{"v":1,"verb":"start","names":[]}\n', "no program named"),
        (b'{"v":1,"verb":"signal","names":["a"],"args":{"signal":{}}}\n', "unknown signal"),
        (b'{"v":1,"verb":"signal","names":["a"],"args":{"signal":"NOPE"}}\n', "unknown signal"),
        (b'{"v":1,"verb":"status"', None),  # no newline, then hang up: no reply expected
        (b"[" * 30000 + b"\n", "malformed request"),
    ]

    def test_malformed_requests_get_an_error_reply_and_svd_keeps_running(self):
        self.start_svd()
        self.wait_state("a", "RUNNING")
        for payload, expected in self.MALFORMED:
            with self.subTest(payload=payload[:60]):
                replies = control_exchange(self.socket_path, payload, replies=0 if expected is None else 1)
                if expected is None:
                    time.sleep(0.1)
                    self.assertIsNone(self.svd.poll(), f"svd died on {payload[:60]!r}: {self.svd_output()}")
                    continue
                self.assertEqual(len(replies), 1, f"no reply to {payload[:60]!r}")
                reply = replies[0]
                self.assertIs(reply.get("ok"), False, reply)
                self.assertEqual(reply.get("v"), 1, reply)
                self.assertIn(expected, reply.get("error", ""), reply)
                self.assertIsNone(self.svd.poll(), f"svd died on {payload[:60]!r}: {self.svd_output()}")
        reply = control_exchange(self.socket_path, b'{"v":1,"verb":"strat","names":["a"]}\n')[0]
        self.assertIn("did you mean 'start'", reply.get("hint", ""))
        self.assert_svd_alive()

    # Regression: once a bug in (supervisor/control/protocol.cpp, parse_request): a request line
    # under the 64 KiB limit whose "args" nest 32000 arrays deep crashes svd
    # with SIGSEGV: nlohmann::json's copy constructor recurses
    # (`request.args = *args`) and overflows the stack (seen at 20000 levels
    # in a Debug build). Requests need a nesting limit (e.g. a parser
    # callback that refuses depth > 64) before anything copies them.
    def test_deeply_nested_request_does_not_crash_svd(self):
        self.start_svd()
        self.wait_state("a", "RUNNING")
        depth = 32000
        line = b'{"v":1,"verb":"status","names":["a"],"args":{"x":' + b"[" * depth + b"]" * depth + b"}}\n"
        self.assertLess(len(line), 65536, "within svd's request size limit")
        try:
            replies = control_exchange(self.socket_path, line)
        except ConnectionResetError:
            replies = []
        time.sleep(0.2)
        self.assertIsNone(self.svd.poll(), f"svd died (exit {self.svd.returncode}) on a deeply nested request")
        self.assertEqual(len(replies), 1, "svd answers it")
        self.assert_svd_alive()

    def test_an_error_does_not_end_the_conversation(self):
        self.start_svd()
        self.wait_state("a", "RUNNING")
        replies = control_exchange(self.socket_path,
                                   b'garbage\n{"v":9,"verb":"status"}\n{"v":1,"verb":"status","names":["a"]}\n',
                                   replies=3)
        self.assertEqual([r["ok"] for r in replies], [False, False, True])
        self.assertEqual(replies[2]["programs"][0]["name"], "a")

    def test_an_over_long_line_is_refused(self):
        self.start_svd()
        self.wait_state("a", "RUNNING")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(10)
            sock.connect(self.socket_path)
            try:
                sock.sendall(b"x" * (1024 * 1024))  # 1 MiB, no newline
            except (BrokenPipeError, ConnectionResetError):
                pass  # svd may hang up before we are done; its reply is still readable
            replies = read_json_lines(sock, 2)
        # Regression: once a bug in (supervisor/control/server.cpp, Server::handle_bytes): after
        # "request too long" svd calls finish() but keeps reading, so every
        # further 64 KiB of the same line earns another error reply.
        self.assertEqual(len(replies), 1, f"one error reply, then svd hangs up: {replies}")
        self.assertIs(replies[0]["ok"], False)
        self.assertIn("request too long", replies[0]["error"])
        self.assert_svd_alive()

    def test_clients_that_hang_up_early_do_no_harm(self):
        self.start_svd()
        a = self.wait_state("a", "RUNNING")
        # Connect and go; half a request and go; ask for a restart and go before the reply.
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(self.socket_path)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(self.socket_path)
            sock.sendall(b'{"v":1,"ver')
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(self.socket_path)
            sock.sendall(b'{"v":1,"verb":"restart","names":["a"]}\n')
        wait_for(lambda: self.status("a")["a"]["pid"] not in (None, a["pid"]) and
                 self.status("a")["a"]["state"] == "RUNNING", what="a to be restarted")
        self.assert_svd_alive()

    # ---- who may talk to svd ---------------------------------------------
    def test_socket_is_private_even_with_a_permissive_umask(self):
        old_umask = os.umask(0)  # svd inherits it: modes must not depend on it
        try:
            self.start_svd()
        finally:
            os.umask(old_umask)
        run_dir = os.path.dirname(self.socket_path)
        self.assertEqual(stat.S_IMODE(os.stat(run_dir).st_mode), 0o700)
        info = os.stat(self.socket_path)
        self.assertTrue(stat.S_ISSOCK(info.st_mode))
        self.assertEqual(stat.S_IMODE(info.st_mode), 0o600)
        self.assertEqual(info.st_uid, os.getuid())

    def ensure_other_user(self):
        try:
            return pwd.getpwnam(OTHER_USER).pw_uid
        except KeyError:
            subprocess.run(["useradd", "-M", "-s", "/usr/sbin/nologin", OTHER_USER], check=True,
                           capture_output=True)
            return pwd.getpwnam(OTHER_USER).pw_uid

    def peer_client(self, path):
        result = subprocess.run(["runuser", "-u", OTHER_USER, "--", "/usr/bin/python3", "-c", PEER_CLIENT, path],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr)
        return json.loads(result.stdout)

    def test_another_uid_is_refused_by_svd(self):
        if os.getuid() != 0:
            self.skipTest("needs root to create and act as a second user (svdtest-other); "
                          "the peer-uid check of the control socket was NOT tested")
        other_uid = self.ensure_other_user()
        public = os.path.join(self.dir, "public")
        path = os.path.join(public, "svd.sock")
        self.write_config(f"""[svd]
home = {toml_string(self.dir)}
socket = {toml_string(path)}

[program.a]
command = {toml_array(self.sleeper())}
start_grace = "200ms"
""")
        self.start_svd()
        self.wait_state("a", "RUNNING")

        # As svd made it (0700 dir, 0600 socket), the other user cannot even connect.
        self.assertEqual(stat.S_IMODE(os.stat(public).st_mode), 0o700)
        self.assertEqual(self.peer_client(path).get("connect_error"), "Permission denied")
        result = subprocess.run(["runuser", "-u", OTHER_USER, "--", SVCTL, "--socket", path, "status"],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 3)
        self.assertIn("permission denied", result.stderr)

        # Open the way for this test only: now svd itself must say no (SO_PEERCRED).
        os.chmod(self.dir, 0o711)
        os.chmod(public, 0o711)
        os.chmod(path, 0o666)
        answer = self.peer_client(path)
        self.assertNotIn("connect_error", answer)
        self.assertEqual(len(answer["replies"]), 1, f"one refusal, then svd hangs up: {answer}")
        refusal = answer["replies"][0]
        self.assertIs(refusal["ok"], False)
        self.assertIn("permission denied", refusal["error"])
        self.assertNotIn("programs", refusal, "nothing about the programs leaks to another user")

        # Regression: once a bug in (ctl/verbs/common.cpp, ask(); supervisor/control/server.cpp,
        # accept_one): svd sends its refusal and closes at once; when that
        # happens before svctl has written its request, svctl fails with
        # "sending to svd: Broken pipe" (exit 3) and never reads the refusal
        # waiting in its socket. Racy, so try a few times.
        for _ in range(5):
            result = subprocess.run(["runuser", "-u", OTHER_USER, "--", SVCTL, "--socket", path, "stop", "a"],
                                    capture_output=True, text=True, timeout=30)
            self.assertNotEqual(result.returncode, 0)
            self.assertIn("permission denied", result.stderr, "svctl shows svd's refusal")
        wait_for(lambda: f"refused a client with uid {other_uid}" in self.svd_output(), timeout=3,
                 what="svd to log the refusal")
        # svd's own user is still served, and the program was not stopped.
        self.assertEqual(self.status()["a"]["state"], "RUNNING")
        self.assertIsNone(self.svd.poll())


if __name__ == "__main__":
    unittest.main()
