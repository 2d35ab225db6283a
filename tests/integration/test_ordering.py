"""Start and stop ordering through `requires`, WAITING with its reason,
dependencies that fail, one-shot tasks, and dependency cycles in the config.

Every program appends "NAME START <epoch seconds>" to an events file when it
starts and, on SIGTERM, its name to a stops file; the tests compare those
records, and what svctl prints, against what the user was promised."""

import json
import os
import re
import subprocess
import time
import unittest

from svdtest import SVD, SvdTestCase, wait_for


def q(text):
    """A TOML basic string (JSON's escapes are a subset of TOML's)."""
    return json.dumps(text)


class OrderingTestCase(SvdTestCase):
    def setUp(self):
        super().setUp()
        self.events = os.path.join(self.dir, "events")
        self.stops = os.path.join(self.dir, "stops")

    def command(self, script):
        """A /bin/sh script as a command array; the marker is $0 so tearDown finds it."""
        return "[" + ", ".join(q(word) for word in ["/bin/sh", "-c", script, self.marker]) + "]"

    def longrun(self, name):
        """Records its start, and its name when stopped by SIGTERM, then exits 0."""
        return self.command(
            f'echo "{name} START $(date +%s.%N)" >> {self.events}; '
            f'trap "echo {name} >> {self.stops}; exit 0" TERM; '
            "while :; do sleep 5 & wait $!; done")

    def program(self, name, requires=None, start="manual", extra=""):
        text = f"[program.{name}]\ncommand = {self.longrun(name)}\nstart = {q(start)}\n"
        text += 'start_grace = "200ms"\nstop_timeout = "5s"\nbackoff = { initial = "100ms", max = "200ms", retries = 1 }\n'
        if requires:
            text += "requires = { " + ", ".join(f'{dep} = "{cond}"' for dep, cond in requires.items()) + " }\n"
        return text + extra + "\n"

    def start_times(self):
        """{name: [epoch seconds of each start]} from the events file."""
        times = {}
        if not os.path.exists(self.events):
            return times
        with open(self.events) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 3 and parts[1] == "START":
                    times.setdefault(parts[0], []).append(float(parts[2]))
        return times

    def stop_order(self):
        if not os.path.exists(self.stops):
            return []
        with open(self.stops) as f:
            return [line.strip() for line in f if line.strip()]

    def chain_config(self, start="manual", extra_programs=""):
        """a <- b <- c: c requires b ready, b requires a ready."""
        return (self.program("a", start=start) + self.program("b", {"a": "ready"}, start=start) +
                self.program("c", {"b": "ready"}, start=start) + extra_programs)


class StartOrderTest(OrderingTestCase):
    def test_start_all_follows_the_chain_and_starts_independents_in_parallel(self):
        self.write_config(self.chain_config(extra_programs=self.program("x") + self.program("y")))
        self.start_svd()
        self.assertEqual(self.start_times(), {}, "start = manual programs ran before anyone asked")
        began = time.time()
        result = self.svctl("start", "all")
        self.assertEqual(result.returncode, 0, result.stderr)
        status = self.status()
        for name in "abcxy":
            self.assertEqual(status[name]["state"], "RUNNING", status[name])
            self.assertTrue(status[name]["ready"], status[name])
        times = {name: stamps[0] for name, stamps in self.start_times().items()}
        self.assertEqual(sorted(times), list("abcxy"), f"every program starts exactly once: {times}")
        for name, stamp in times.items():
            self.assertGreaterEqual(stamp, began - 0.05, f"{name} started before `svctl start all`")
        # b waits for a to be ready (start_grace 200ms after it started), c for b.
        # The stamps are written once each Python is up, which on a busy
        # machine takes tens of ms more for one than another (a clean-clone
        # run saw b 138 ms after a): half of start_grace is the margin that
        # still tells "waited" from "started together".
        self.assertGreaterEqual(times["b"] - times["a"], 0.1, f"b started before a was ready: {times}")
        self.assertGreaterEqual(times["c"] - times["b"], 0.1, f"c started before b was ready: {times}")
        # Independent programs do not queue behind the chain nor behind each other.
        self.assertLess(abs(times["x"] - times["a"]), 0.15, f"x did not start alongside a: {times}")
        self.assertLess(abs(times["y"] - times["a"]), 0.15, f"y did not start alongside a: {times}")

    def test_boot_start_follows_the_chain(self):
        self.write_config(self.chain_config(start="boot"))
        self.start_svd()
        wait_for(lambda: all(p["state"] == "RUNNING" for p in self.status().values()), timeout=10,
                 what="the chain to be RUNNING")
        self.assertEqual(self.status("a")["a"]["restarts"], 0)
        times = {name: stamps[0] for name, stamps in self.start_times().items()}
        self.assertLess(times["a"], times["b"], times)
        self.assertLess(times["b"], times["c"], times)

    def test_independent_programs_become_ready_in_parallel(self):
        delay = 'ready = { delay = "1s", timeout = "5s" }\n'
        self.write_config(self.program("p", extra=delay) + self.program("q", extra=delay))
        self.start_svd()
        began = time.monotonic()
        self.svctl("start", "p", "q")
        elapsed = time.monotonic() - began
        status = self.status()
        self.assertTrue(status["p"]["ready"] and status["q"]["ready"], status)
        self.assertGreaterEqual(elapsed, 0.9, "`svctl start` returned before the 1 s readiness delay")
        self.assertLess(elapsed, 1.7, f"two 1-second-to-ready programs took {elapsed:.2f}s: started one after the other")

    def test_ten_program_diamond_starts_in_order_in_parallel_and_explains_waiting(self):
        """db and cache at the bottom, four apis on db (api3 on cache too),
        web on api1+api2, worker on api3+api4, edge on web+worker, and an
        independent monitor: the issue's "done when" case."""
        flag = os.path.join(self.dir, "db-is-ready")
        graph = {"db": {}, "cache": {}, "monitor": {},
                 "api1": {"db": "ready"}, "api2": {"db": "ready"}, "api3": {"db": "ready", "cache": "ready"},
                 "api4": {"db": "ready"}, "web": {"api1": "ready", "api2": "ready"},
                 "worker": {"api3": "ready", "api4": "ready"}, "edge": {"web": "ready", "worker": "ready"}}
        db_ready = f'ready = {{ exec = {q("test -e " + flag)}, timeout = "30s" }}\n'
        self.write_config("".join(self.program(name, requires, start="boot", extra=db_ready if name == "db" else "")
                                  for name, requires in graph.items()))
        self.start_svd()
        waiting = {name for name, requires in graph.items() if requires}
        status = wait_for(lambda: (s := self.status()) and all(s[n]["state"] == "WAITING" for n in waiting) and s,
                          timeout=10, what="every dependent of db to be WAITING")
        for name in waiting:
            message = status[name]["message"]
            self.assertIn("waiting for", message, status[name])
            unmet = [dep for dep in graph[name] if dep != "cache"]
            self.assertTrue(any(dep in message for dep in unmet), f"{name} does not say what it waits for: {message}")
            self.assertIsNone(status[name]["pid"])
        for name in ("cache", "monitor"):
            self.assertEqual(self.wait_state(name, "RUNNING")["state"], "RUNNING")
        table = self.svctl("status").stdout
        for name in waiting:
            line = next((line for line in table.splitlines() if line.startswith(name + " ")), "")
            self.assertIn("waiting for", line, f"the table does not explain {name}:\n{table}")

        open(flag, "w").close()
        wait_for(lambda: all(p["state"] == "RUNNING" for p in self.status().values()), timeout=15,
                 what="the whole diamond to be RUNNING")
        times = {name: stamps[0] for name, stamps in self.start_times().items()}
        self.assertEqual(sorted(times), sorted(graph), f"each program started once: {times}")
        for name, requires in graph.items():
            for dep in requires:
                self.assertGreaterEqual(times[name] - times[dep], 0.1, f"{name} started before {dep} was ready: {times}")
        apis = [times[f"api{i}"] for i in range(1, 5)]
        self.assertLess(max(apis) - min(apis), 0.3, f"the four apis did not start together: {times}")
        self.assertLess(abs(times["web"] - times["worker"]), 0.3, f"web and worker did not start together: {times}")

    def test_start_name_starts_what_it_requires_first(self):
        self.write_config(self.chain_config() + self.program("x"))
        self.start_svd()
        result = self.svctl("start", "c")
        self.assertEqual(result.returncode, 0)
        status = self.status()
        for name in "abc":
            self.assertEqual(status[name]["state"], "RUNNING", status[name])
        self.assertEqual(status["x"]["state"], "STOPPED", "a program c does not require was started")
        self.assertIsNone(status["x"]["pid"])
        times = {name: stamps[0] for name, stamps in self.start_times().items()}
        self.assertEqual(sorted(times), ["a", "b", "c"])
        self.assertLess(times["a"], times["b"], times)
        self.assertLess(times["b"], times["c"], times)


class WaitingTest(OrderingTestCase):
    def test_waiting_state_says_what_it_waits_for(self):
        flag = os.path.join(self.dir, "a-is-ready")
        self.write_config(
            self.program("a", start="boot", extra=f'ready = {{ exec = {q("test -e " + flag)}, timeout = "20s" }}\n') +
            self.program("b", {"a": "ready"}, start="boot"))
        self.start_svd()
        b = wait_for(lambda: (s := self.status("b")["b"])["state"] == "WAITING" and s, timeout=5,
                     what="b to be WAITING")
        self.assertIn("waiting for a", b["message"])
        self.assertIsNone(b["pid"])
        self.assertFalse(b["ready"])
        a = self.status("a")["a"]
        self.assertEqual(a["state"], "STARTING")
        self.assertFalse(a["ready"])
        # The plain status table says it too, on b's line.
        table = self.svctl("status").stdout
        b_line = next((line for line in table.splitlines() if line.startswith("b ")), "")
        self.assertIn("WAITING", b_line, table)
        self.assertIn("waiting for a", b_line, table)
        time.sleep(0.5)
        self.assertNotIn("b", self.start_times(), "b started while a was not ready")

        open(flag, "w").close()
        self.wait_state("a", "RUNNING", timeout=5)
        b = self.wait_state("b", "RUNNING", timeout=5)
        self.assertNotIn("waiting", b["message"])
        times = {name: stamps[0] for name, stamps in self.start_times().items()}
        self.assertGreater(times["b"], os.stat(flag).st_mtime - 0.05, "b started before its dependency was ready")

    def test_fatal_dependency_leaves_dependent_unstarted(self):
        broken = f"[program.a]\ncommand = {self.command('exit 3')}\nstart = \"manual\"\n" \
                 'start_grace = "200ms"\nbackoff = { initial = "100ms", max = "200ms", retries = 1 }\n\n'
        self.write_config(broken + self.program("b", {"a": "ready"}))
        self.start_svd()
        result = self.svctl("start", "all", check=False)
        self.assertEqual(result.returncode, 1, f"`svctl start all` succeeded with a FATAL program:\n{result.stdout}")
        status = self.status()
        self.assertEqual(status["a"]["state"], "FATAL", status["a"])
        self.assertEqual(status["a"]["exit_code"], 3)
        b = status["b"]
        self.assertIsNone(b["pid"])
        self.assertNotIn(b["state"], ("RUNNING", "STARTING"))
        self.assertRegex(b["message"], r"\ba\b.*FATAL", "b's state must say that a is FATAL")
        self.assertRegex(result.stderr, r"(?m)^b: .*\ba\b.*FATAL", "svctl must say why b did not start")
        self.assertRegex(result.stderr, r"(?m)^a: FATAL")

        # Asking for b alone retries a, fails again, and says so.
        result = self.svctl("start", "b", check=False, timeout=30)
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertRegex(result.stderr, r"\ba\b.*FATAL")
        self.assertNotIn("b", self.start_times(), "b was started although a never became ready")
        self.assertIsNone(self.status("b")["b"]["pid"])


class StopOrderTest(OrderingTestCase):
    def start_chain(self):
        self.write_config(self.chain_config(start="boot"))
        self.start_svd()
        wait_for(lambda: all(p["state"] == "RUNNING" for p in self.status().values()), timeout=10,
                 what="the chain to be RUNNING")

    def test_stop_all_stops_dependents_first(self):
        self.start_chain()
        result = self.svctl("stop", "all")
        self.assertEqual(result.returncode, 0)
        self.assertEqual(self.stop_order(), ["c", "b", "a"])
        for name, program in self.status().items():
            self.assertEqual(program["state"], "STOPPED", program)
            self.assertIsNone(program["pid"])

    def test_shutdown_stops_dependents_first(self):
        self.start_chain()
        self.svctl("shutdown")
        self.assertEqual(self.svd.wait(10), 0)
        self.assertEqual(self.stop_order(), ["c", "b", "a"])

    def test_stop_name_also_stops_its_dependents_and_says_so(self):
        self.write_config(self.chain_config(start="boot") + self.program("x", start="boot"))
        self.start_svd()
        wait_for(lambda: all(p["state"] == "RUNNING" for p in self.status().values()), timeout=10,
                 what="every program to be RUNNING")
        result = self.svctl("stop", "a")
        self.assertEqual(result.returncode, 0)
        also = next((line for line in result.stdout.splitlines() if "also stopped" in line), None)
        self.assertIsNotNone(also, f"svctl did not tell which dependents it stopped:\n{result.stdout}")
        self.assertRegex(also, r"\bb\b")
        self.assertRegex(also, r"\bc\b")
        self.assertNotRegex(also, r"\bx\b")
        self.assertEqual(self.stop_order(), ["c", "b", "a"])
        status = self.status()
        for name in "abc":
            self.assertEqual(status[name]["state"], "STOPPED", status[name])
        self.assertEqual(status["x"]["state"], "RUNNING", "an unrelated program was stopped")

    def test_stop_leaf_stops_nothing_else(self):
        self.start_chain()
        result = self.svctl("stop", "c")
        self.assertNotIn("also stopped", result.stdout)
        self.assertEqual(self.stop_order(), ["c"])
        status = self.status()
        self.assertEqual((status["a"]["state"], status["b"]["state"]), ("RUNNING", "RUNNING"))


class DependentsFollowTest(OrderingTestCase):
    """Issue 3, "Dependents follow": restarting NAME, by hand or automatically,
    restarts the programs that require it with ready/healthy, after it is
    ready again; programs that do not require it keep running."""

    def start_pair(self):
        self.write_config(self.program("a", start="boot", extra='restart = "always"\n') +
                          self.program("b", {"a": "ready"}, start="boot") + self.program("x", start="boot"))
        self.start_svd()
        wait_for(lambda: all(p["state"] == "RUNNING" for p in self.status().values()), timeout=10,
                 what="every program to be RUNNING")

    def assert_b_followed(self):
        times = wait_for(lambda: len((t := self.start_times()).get("b", [])) >= 2 and t, timeout=5,
                         what="b to be restarted after a")
        self.assertEqual(len(times["a"]), 2, times)
        self.assertGreater(times["b"][1], times["a"][1], "b restarted before a was back")
        self.assertEqual(len(times["x"]), 1, "a program that does not require a was restarted")
        self.wait_state("b", "RUNNING")

    def test_restart_name_restarts_its_dependents(self):
        self.start_pair()
        self.svctl("restart", "a")
        self.assert_b_followed()

    def test_automatic_restart_restarts_its_dependents(self):
        self.start_pair()
        self.svctl("signal", "KILL", "a")
        self.assert_b_followed()


class OneshotTest(OrderingTestCase):
    def test_completed_condition_and_creates_skip(self):
        done = os.path.join(self.dir, "initialised")
        script = f'echo "init START $(date +%s.%N)" >> {self.events}; sleep 0.4; touch {done}'
        init = (f"[program.init]\ntype = \"oneshot\"\nstart = \"manual\"\ncreates = {q(done)}\n"
                f"command = {self.command(script)}\n\n")
        self.write_config(init + self.program("app", {"init": "completed"}))
        self.start_svd()
        result = self.svctl("start", "all")
        self.assertEqual(result.returncode, 0, result.stderr)
        status = self.status()
        self.assertEqual(status["init"]["state"], "EXITED", status["init"])
        self.assertEqual(status["init"]["exit_code"], 0)
        self.assertEqual(status["app"]["state"], "RUNNING", status["app"])
        times = self.start_times()
        self.assertEqual(len(times["init"]), 1)
        self.assertGreaterEqual(times["app"][0], os.stat(done).st_mtime - 0.05,
                                "app started before the oneshot it requires completed")

        self.svctl("stop", "all")
        result = self.svctl("start", "all")
        self.assertEqual(result.returncode, 0, result.stderr)
        init_status = self.status("init")["init"]
        self.assertEqual(init_status["state"], "EXITED")
        self.assertIn("skipped", init_status["message"])
        self.assertEqual(len(self.start_times()["init"]), 1, "the oneshot ran again although 'creates' exists")
        self.assertEqual(len(self.start_times()["app"]), 2)
        self.assertEqual(self.status("app")["app"]["state"], "RUNNING")

    def test_failed_oneshot_is_visible_and_blocks_its_dependent(self):
        init = ("[program.init]\ntype = \"oneshot\"\nstart = \"manual\"\nrestart = \"never\"\n"
                f"command = {self.command('echo migration failed >&2; exit 4')}\n\n")
        self.write_config(init + self.program("app", {"init": "completed"}))
        self.start_svd()
        result = self.svctl("start", "all", check=False)
        self.assertEqual(result.returncode, 1, result.stdout)
        status = self.status()
        self.assertEqual(status["init"]["state"], "FATAL", status["init"])
        self.assertEqual(status["init"]["exit_code"], 4)
        self.assertIn("exit status 4", status["init"]["message"])
        self.assertIsNone(status["app"]["pid"])
        self.assertIn("init", status["app"]["message"])
        self.assertNotIn("app", self.start_times())
        self.assertIn("init", result.stderr)


class ConfigErrorTest(OrderingTestCase):
    def check(self):
        return subprocess.run([SVD, "--check", "--config", self.config], capture_output=True, text=True, timeout=30)

    def line_of(self, text, needle):
        for number, line in enumerate(text.splitlines(), 1):
            if needle in line:
                return number
        raise AssertionError(needle)

    def test_cycle_is_an_error_naming_every_edge_with_its_location(self):
        text = (self.program("a", {"c": "ready"}) + self.program("b", {"a": "started"}) +
                self.program("c", {"b": "ready"}) + self.program("free"))
        self.write_config(text)
        result = self.check()
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        output = result.stdout + result.stderr
        self.assertIn("cycle", output)
        cycle_lines = [line for line in output.splitlines() if "cycle" in line]
        self.assertEqual(len(cycle_lines), 1, f"one cycle, reported once:\n{output}")
        cycle = cycle_lines[0]
        for needle in ('c = "ready"', 'a = "started"', 'b = "ready"'):
            self.assertIn(f"{self.config}:{self.line_of(text, needle)}:", cycle,
                          f"the edge {needle} is not located in:\n{cycle}")
        for name in "abc":
            self.assertRegex(cycle, rf"\b{name}\b")
        self.assertNotIn("free", cycle)
        # svd itself refuses the config the same way and starts nothing.
        self.start_svd(wait=False)
        self.assertEqual(self.svd.wait(10), 1)
        self.assertIn("cycle", self.svd_output())

    def test_unknown_dependency_is_an_error_with_a_suggestion(self):
        text = self.program("postgres") + self.program("pywps", {"postgress": "ready"})
        self.write_config(text)
        result = self.check()
        self.assertEqual(result.returncode, 1)
        output = result.stdout + result.stderr
        self.assertIn(f"{self.config}:{self.line_of(text, 'postgress')}:", output)
        self.assertIn("postgress", output)
        self.assertRegex(output, r"did you mean.*'?postgres'?")

    def test_valid_chain_passes_the_check(self):
        self.write_config(self.chain_config())
        result = self.check()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)


if __name__ == "__main__":
    unittest.main()
