"""A socket-activated test server: takes its listening sockets from svd the
way a real daemon would, and tells every client what it received.

systemd protocol (default): LISTEN_PID must be our own pid, LISTEN_FDS the
number of sockets at fds 3, 4, ..., LISTEN_FDNAMES exactly that many names.
With --nginx: NGINX must be "3;4;..." for --expect-fds sockets, and no
LISTEN_* variable may be set.

Each connection gets one JSON line, then the connection is closed:
  {"pid", "fd", "listen_pid", "listen_fds", "names", "nginx",
   "leaked": [fds open beyond the passed ones, with their targets],
   "problems": [every protocol check that failed]}
SIGTERM is graceful: the connection being served is finished, then it exits.
Any other argument (such as the tests' marker) is ignored."""

import os
import sys

# Look at the fds first, before Python opens anything of its own.
def open_fds():
    fds = {}
    for entry in os.listdir("/proc/self/fd"):
        try:
            fds[int(entry)] = os.readlink(f"/proc/self/fd/{entry}")
        except OSError:
            pass  # the directory fd listdir used, already closed
    return fds


INHERITED = open_fds()

import json
import selectors
import signal
import socket

nginx_mode = "--nginx" in sys.argv
expected = 1
if "--expect-fds" in sys.argv:
    expected = int(sys.argv[sys.argv.index("--expect-fds") + 1])

problems = []
pid = os.getpid()
listen_pid = os.environ.get("LISTEN_PID")
listen_fds = os.environ.get("LISTEN_FDS")
names = os.environ.get("LISTEN_FDNAMES")
nginx = os.environ.get("NGINX")

if nginx_mode:
    wanted = "".join(f"{3 + i};" for i in range(expected))
    if nginx != wanted:
        problems.append(f"NGINX={nginx!r}, expected {wanted!r}")
    for variable in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        if variable in os.environ:
            problems.append(f"{variable} is set in nginx mode")
    count = expected
else:
    if listen_pid != str(pid):
        problems.append(f"LISTEN_PID={listen_pid!r} but getpid()={pid}")
    if listen_fds is None or not listen_fds.isdigit():
        problems.append(f"LISTEN_FDS={listen_fds!r}")
        count = expected
    else:
        count = int(listen_fds)
    if count != expected:
        problems.append(f"LISTEN_FDS={count}, expected {expected}")
    if names is None or len(names.split(":")) != count:
        problems.append(f"LISTEN_FDNAMES={names!r} does not name {count} fds")
    if "NGINX" in os.environ:
        problems.append("NGINX is set in systemd mode")

leaked = {fd: target for fd, target in INHERITED.items() if fd > 2 + count}
missing = [fd for fd in range(3, 3 + count) if fd not in INHERITED]
if missing:
    problems.append(f"fds {missing} were not passed")
    print(json.dumps({"problems": problems}), file=sys.stderr, flush=True)
    sys.exit(3)

stopping = False


def on_term(signum, frame):
    global stopping
    stopping = True


signal.signal(signal.SIGTERM, on_term)

selector = selectors.DefaultSelector()
for fd in range(3, 3 + count):
    listener = socket.socket(fileno=fd)
    if not listener.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
        problems.append(f"fd {fd} is not a listening socket")
    selector.register(listener, selectors.EVENT_READ, fd)

print(f"serving {count} socket(s) as pid {pid}", flush=True)
while not stopping:
    for key, _ in selector.select(timeout=0.05):
        try:
            connection, _ = key.fileobj.accept()
        except BlockingIOError:
            continue  # another process (the one before a restart) took it
        with connection:
            reply = {"pid": pid, "fd": key.data, "listen_pid": listen_pid, "listen_fds": listen_fds,
                     "names": names, "nginx": nginx, "leaked": leaked, "problems": problems}
            connection.sendall((json.dumps(reply) + "\n").encode())
print(f"pid {pid} stops gracefully", flush=True)
