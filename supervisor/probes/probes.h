// Readiness and health probes: tcp connect, http GET (2xx/3xx), exec (exit
// 0), sd_notify (READY=1 on NOTIFY_SOCKET) and a plain delay. All of them run
// on the loop without blocking; each attempt has its own timeout.
//
// Readiness: attempts repeat every 250 ms from spawn until one succeeds; the
// program's own timer (ready.timeout) decides when to give up.
// Health: once the program is RUNNING and ready, one attempt every
// `interval`; `retries` failures in a row make it unhealthy, one success
// healthy again.
#pragma once

#include "config/model.h"
#include "loop/handle.h"
#include "probes/probe_host.h"
#include "process/program.h"

#include <map>
#include <memory>
#include <string>
#include <uv.h>

namespace svd::probes {

struct Attempt;

class Probes {
public:
    Probes(uv_loop_t* loop, ProbeHost& host);
    ~Probes();

    /// Binds the datagram socket given to programs as NOTIFY_SOCKET.
    [[nodiscard]] bool open_notify_socket(const std::string& path, std::string& error);
    /// The notify socket handed over across exec; used instead of binding anew.
    void adopt_notify_socket(int fd) { adopted_notify_fd_ = fd; }
    int notify_fd() const { return notify_fd_; }

    void begin(process::Program& program);
    void end(process::Program& program);
    void state_changed(process::Program& program);
    void add_environment(const process::Program& program, std::map<std::string, std::string>& env) const;
    /// True when `pid` was an exec probe (and is now handled).
    bool reaped(pid_t pid, int wait_status);
    /// True while `pid` is an exec probe of ours, not yet reaped.
    bool tracks(pid_t pid) const { return exec_attempts_.count(pid) > 0; }
    /// The last STATUS= a program sent with sd_notify.
    std::string notify_status(const std::string& name) const;

    /// Called by an attempt when it finishes; destroys the attempt.
    void attempt_done(Attempt* attempt, bool success, const std::string& detail);

private:
    struct Run {
        std::string name;
        Probes* owner = nullptr;
        loop::Timer timer;             ///< next readiness attempt or health check
        std::uint64_t generation = 0;  ///< bumps on end(): results of older attempts are ignored
        bool health_active = false;
        bool readiness_active = false;
        int health_failures = 0;
        std::string notify_status;
    };
    Run& run_for(const std::string& name);
    void schedule(Run& run, std::uint64_t delay_ms);
    void fire(Run& run);
    void launch_attempt(Run& run, const config::Probe& probe, bool for_health);
    void launch_exec(Attempt& attempt, const config::Probe& probe);
    /// What a finished attempt means for its program: ready, a retry, health.
    void apply_result(const Attempt& attempt, bool success, const std::string& detail);
    void watch_notify_fd();
    void on_notify();

    uv_loop_t* loop_;
    ProbeHost& host_;
    std::map<std::string, std::unique_ptr<Run>> runs_;
    std::map<Attempt*, std::unique_ptr<Attempt>> attempts_; ///< every attempt in flight
    std::map<pid_t, Attempt*> exec_attempts_; ///< null: timed out, the pid still to be reaped
    loop::Poll notify_poll_;
    int notify_fd_ = -1;
    int adopted_notify_fd_ = -1;
    std::string notify_path_;
};

} // namespace svd::probes
