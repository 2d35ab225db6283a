// The program state machine, driven by a fake host: no fork, no clock, no
// signals. Each test plays the events a real run would produce.
#include "process/program.h"

#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>
#include <sys/wait.h>
#include <vector>

using namespace svd;
using process::State;

namespace {

int exited(int code) { return code << 8; } // what wait(2) reports for exit(code)
int killed(int signal) { return signal; }

struct FakeHost : process::ProgramHost {
    process::Clock::time_point clock{};
    std::vector<pid_t> spawned;
    std::vector<std::pair<pid_t, int>> signals;
    std::optional<process::Millis> timer;
    std::vector<State> transitions;
    bool fail_spawn = false;
    int spawn_errno = 0; ///< with fail_spawn: the errno it fails with
    pid_t next_pid = 100;

    spawn::SpawnResult launch(process::Program&) override {
        spawn::SpawnResult result;
        if (fail_spawn && spawn_errno != 0) {
            result.error = spawn_errno;
            result.message = "set up fds for /dev/null: Too many open files";
            return result;
        }
        if (fail_spawn) {
            result.message = "exec /nope: No such file or directory";
            return result;
        }
        result.pid = next_pid++;
        spawned.push_back(result.pid);
        return result;
    }
    void signal_group(pid_t pgid, int signal) override { signals.emplace_back(pgid, signal); }
    void set_timer(process::Program&, process::Millis delay) override { timer = delay; }
    void cancel_timer(process::Program&) override { timer.reset(); }
    process::Clock::time_point now() override { return clock; }
    void changed(process::Program& program, State from) override {
        if (program.state() != from) transitions.push_back(program.state());
    }
    void advance(process::Millis by) { clock += by; }
};

config::Program spec(const char* name = "web") {
    config::Program program;
    program.name = name;
    program.argv = {"/bin/true"};
    program.start_grace = process::Millis(1000);
    program.backoff.initial = process::Millis(100);
    program.backoff.max = process::Millis(1000);
    program.backoff.retries = 3;
    return program;
}

} // namespace

TEST_CASE("a program becomes RUNNING and ready after start_grace", "[process]") {
    FakeHost host;
    process::Program program(spec(), host);
    REQUIRE(program.start());
    CHECK(program.state() == State::Starting);
    CHECK(program.pid() == 100);
    CHECK(host.timer == process::Millis(1000));
    CHECK_FALSE(program.ready());
    program.on_timer();
    CHECK(program.state() == State::Running);
    CHECK(program.ready());
}

TEST_CASE("exits during STARTING back off exponentially, then FATAL", "[process]") {
    FakeHost host;
    process::Program program(spec(), host);
    program.start();
    std::vector<process::Millis> delays;
    for (int attempt = 0; attempt < 3; ++attempt) {
        program.on_exit(exited(1));
        REQUIRE(program.state() == State::Backoff);
        delays.push_back(*host.timer);
        program.on_timer(); // backoff over: spawn again
        REQUIRE(program.state() == State::Starting);
    }
    CHECK(delays == std::vector<process::Millis>{process::Millis(100), process::Millis(200), process::Millis(400)});
    program.on_exit(exited(1));
    CHECK(program.state() == State::Fatal);
    CHECK_THAT(program.message(), Catch::Contains("exit status 1") && Catch::Contains("gave up after 4"));
    CHECK_FALSE(host.timer.has_value());
}

TEST_CASE("an exec failure is FATAL at once, with the reason", "[process]") {
    FakeHost host;
    host.fail_spawn = true;
    process::Program program(spec(), host);
    CHECK_FALSE(program.start());
    CHECK(program.state() == State::Fatal);
    CHECK_THAT(program.message(), Catch::Contains("No such file or directory"));
}

TEST_CASE("stop signals the group, escalates to SIGKILL after stop_timeout", "[process]") {
    FakeHost host;
    auto options = spec();
    options.stop_signal = SIGINT;
    options.stop_timeout = process::Millis(5000);
    process::Program program(options, host);
    program.start();
    program.on_timer();
    program.stop();
    CHECK(program.state() == State::Stopping);
    REQUIRE(host.signals.size() == 1);
    CHECK(host.signals[0] == std::pair<pid_t, int>{100, SIGINT});
    CHECK(host.timer == process::Millis(5000));
    program.on_timer();
    CHECK(host.signals.back() == std::pair<pid_t, int>{100, SIGKILL});
    program.on_exit(killed(SIGKILL));
    CHECK(program.state() == State::Stopped);
    CHECK(program.pid() == 0);
}

TEST_CASE("restart policies decide what follows an exit from RUNNING", "[process]") {
    FakeHost host;
    auto run_and_exit = [&](config::RestartPolicy policy, int status) {
        auto options = spec();
        options.restart = policy;
        auto program = std::make_unique<process::Program>(options, host);
        program->start();
        program->on_timer();
        host.advance(process::Millis(5000)); // ran long enough: no backoff
        program->on_exit(status);
        return program;
    };
    CHECK(run_and_exit(config::RestartPolicy::Never, exited(1))->state() == State::Exited);
    CHECK(run_and_exit(config::RestartPolicy::OnFailure, exited(0))->state() == State::Exited);
    auto restarted = run_and_exit(config::RestartPolicy::OnFailure, exited(3));
    CHECK(restarted->state() == State::Starting);
    CHECK(restarted->restarts() == 1);
    CHECK(run_and_exit(config::RestartPolicy::Always, exited(0))->state() == State::Starting);
    CHECK(run_and_exit(config::RestartPolicy::OnFailure, killed(SIGSEGV))->state() == State::Starting);
}

TEST_CASE("exit_codes lists the exits that count as success", "[process]") {
    FakeHost host;
    auto options = spec();
    options.exit_codes = {0, 2};
    process::Program program(options, host);
    program.start();
    program.on_timer();
    host.advance(process::Millis(5000));
    program.on_exit(exited(2));
    CHECK(program.state() == State::Exited);
}

TEST_CASE("a program that keeps crashing soon after RUNNING waits longer each time", "[process]") {
    FakeHost host;
    auto options = spec();
    options.restart = config::RestartPolicy::Always;
    process::Program program(options, host);
    program.start();
    std::vector<process::Millis> delays;
    for (int i = 0; i < 4; ++i) {
        program.on_timer(); // RUNNING after grace
        REQUIRE(program.state() == State::Running);
        host.advance(process::Millis(10));
        program.on_exit(exited(1));
        REQUIRE(program.state() == State::Backoff);
        delays.push_back(*host.timer);
        program.on_timer(); // spawn again
    }
    CHECK(delays ==
          std::vector<process::Millis>{process::Millis(100), process::Millis(200), process::Millis(400), process::Millis(800)});
}

TEST_CASE("readiness: RUNNING only on on_ready; a timeout is a failed start", "[process]") {
    FakeHost host;
    auto options = spec();
    options.ready.kind = config::Probe::Kind::Tcp;
    options.ready.timeout = process::Millis(3000);
    process::Program program(options, host);
    program.start();
    CHECK(host.timer == process::Millis(3000));
    SECTION("ready in time") {
        program.on_ready();
        CHECK(program.state() == State::Running);
        CHECK(program.ready());
    }
    SECTION("timeout stops it and backs off") {
        program.on_timer();
        CHECK(program.state() == State::Stopping);
        program.on_exit(killed(SIGTERM));
        CHECK(program.state() == State::Backoff);
        CHECK_THAT(program.message(), Catch::Contains("not ready within 3s"));
    }
    SECTION("the timeout says why the last attempt failed") {
        program.set_probe_error("connect: connection refused");
        program.on_timer();
        program.on_exit(killed(SIGTERM));
        CHECK(program.message() == "not ready within 3s: connect: connection refused");
        CHECK(program.probe_error() == "connect: connection refused");
        program.on_timer(); // the backoff ends: a new spawn starts with a clean slate
        CHECK(program.state() == State::Starting);
        CHECK(program.probe_error().empty());
    }
}

TEST_CASE("oneshot: EXITED and completed on success; skipped when `creates` exists", "[process]") {
    FakeHost host;
    auto options = spec("init");
    options.type = config::ProgramType::Oneshot;
    process::Program program(options, host);
    program.start();
    CHECK(program.state() == State::Starting);
    CHECK_FALSE(host.timer.has_value()); // no grace for a oneshot: done when it exits
    program.on_exit(exited(0));
    CHECK(program.state() == State::Exited);
    CHECK(program.completed());

    options.creates = "/";
    process::Program skipped(options, host);
    auto spawned_before = host.spawned.size();
    skipped.start();
    CHECK(skipped.state() == State::Exited);
    CHECK(skipped.completed());
    CHECK(host.spawned.size() == spawned_before);
    CHECK_THAT(skipped.message(), Catch::Contains("skipped"));
}

TEST_CASE("unhealthy restarts the program when its policy allows", "[process]") {
    FakeHost host;
    process::Program program(spec(), host);
    program.start();
    program.on_timer();
    program.on_health(true);
    CHECK(program.healthy() == true);
    program.on_health(false);
    CHECK(program.state() == State::Stopping);
    program.on_exit(killed(SIGTERM));
    CHECK(program.state() == State::Starting);
}

TEST_CASE("stop during BACKOFF cancels the pending restart", "[process]") {
    FakeHost host;
    process::Program program(spec(), host);
    program.start();
    program.on_exit(exited(1));
    REQUIRE(program.state() == State::Backoff);
    program.stop();
    CHECK(program.state() == State::Stopped);
    CHECK_FALSE(host.timer.has_value());
}

TEST_CASE("a temporary spawn error (EMFILE, EAGAIN, ...) backs off and retries, never FATAL", "[process]") {
    for (int error : {EMFILE, ENFILE, EAGAIN, ENOMEM}) {
        FakeHost host;
        host.fail_spawn = true;
        host.spawn_errno = error;
        process::Program program(spec(), host);
        program.start();
        for (int attempt = 0; attempt < 10; ++attempt) { // more than backoff.retries = 3
            REQUIRE(program.state() == State::Backoff);
            CHECK_THAT(program.message(), Catch::Contains("Too many open files") && Catch::Contains("temporary"));
            REQUIRE(host.timer.has_value());
            CHECK(*host.timer >= process::Millis(100));
            program.on_timer();
        }
        host.fail_spawn = false; // the fds are back
        program.on_timer();
        CHECK(program.state() == State::Starting);
        program.on_timer();
        CHECK(program.state() == State::Running);
    }
}

namespace {

/// backoff = { initial = "0s", max = "0s" }, start_grace = "0s": the spin of issue 15.
config::Program zero_backoff() {
    auto options = spec();
    options.backoff.initial = process::Millis(0);
    options.backoff.max = process::Millis(0);
    options.start_grace = process::Millis(0);
    return options;
}

} // namespace

TEST_CASE("no backoff setting restarts sooner than the 100 ms floor", "[process]") {
    FakeHost host;
    process::Program program(zero_backoff(), host);
    program.start();
    program.on_timer(); // RUNNING
    program.on_exit(exited(1));
    REQUIRE(program.state() == State::Backoff);
    CHECK(host.timer == process::kMinRestartDelay);
}

TEST_CASE("crash_limit ends a crash loop in FATAL even when every run got past start_grace", "[process]") {
    FakeHost host;
    auto options = zero_backoff();
    options.crash_limit.count = 5;
    options.crash_limit.within = process::Millis(60000);
    process::Program program(options, host);
    program.start();
    for (int run = 1; run < 5; ++run) {
        program.on_timer(); // start_grace over: RUNNING
        REQUIRE(program.state() == State::Running);
        host.advance(process::Millis(500));
        program.on_exit(exited(1)); // ran past backoff.max: restarted at once
        REQUIRE(program.state() == State::Starting);
    }
    program.on_timer();
    host.advance(process::Millis(500));
    program.on_exit(exited(1));
    CHECK(program.state() == State::Fatal);
    CHECK_THAT(program.message(), Catch::Contains("5 restarts within 1m") && Catch::Contains("crash_limit"));
    // Crashes spread wider than the window never add up to the limit.
    process::Program slow(options, host);
    slow.start();
    for (int run = 0; run < 20; ++run) {
        slow.on_timer();
        REQUIRE(slow.state() == State::Running);
        host.advance(process::Millis(20000));
        slow.on_exit(exited(1));
        REQUIRE(slow.state() == State::Starting);
    }
}

TEST_CASE("restart = never: an exit within start_grace is the result, never retried", "[process]") {
    FakeHost host;
    auto options = spec();
    options.restart = config::RestartPolicy::Never;
    process::Program done(options, host);
    done.start();
    done.on_exit(exited(0)); // before start_grace: a job that finished quickly
    CHECK(done.state() == State::Exited);
    CHECK(done.restarts() == 0);

    process::Program failed(options, host);
    failed.start();
    failed.on_exit(exited(3));
    CHECK(failed.state() == State::Fatal);
    CHECK_THAT(failed.message(), Catch::Contains("exit status 3"));
    CHECK_THAT(failed.message(), Catch::Contains("restart = \"never\""));
    CHECK(failed.restarts() == 0);
}
