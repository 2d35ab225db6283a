// One probe attempt in flight: a tcp connect (and for http one GET), or an
// exec probe's process. Probes owns every attempt; destroying one closes its
// handles (loop::Handle), so a result can never reach a freed attempt.
#pragma once

#include "config/model.h"
#include "loop/handle.h"

#include <cstdint>
#include <string>
#include <sys/types.h>
#include <uv.h>

namespace svd::probes {

class Probes;

struct Attempt {
    Attempt(Probes& owner, std::string program, std::uint64_t generation, bool for_health)
        : owner(owner), program(std::move(program)), generation(generation), for_health(for_health) {}
    ~Attempt();
    Attempt(const Attempt&) = delete;
    Attempt& operator=(const Attempt&) = delete;

    /// Fails the attempt (with `detail`) unless it is done by then. An exec
    /// probe still running then has its process group killed.
    void arm_timeout(uv_loop_t* loop, config::Millis timeout);
    /// Connects to `endpoint`; with `http`, sends one GET and waits for the status line.
    void connect_to(uv_loop_t* loop, const config::ProbeEndpoint& endpoint, bool http);
    /// Reports the result to the owner, which destroys the attempt: touch nothing after.
    void finish(bool success, const std::string& detail);

    Probes& owner;
    const std::string program;
    const std::uint64_t generation;
    const bool for_health;
    pid_t pid = 0;       ///< exec probes: the probe's process (0 once reaped)
    std::string command; ///< exec probes: argv[0], for messages

private:
    void on_connected(int status);
    void on_read(ssize_t nread, const uv_buf_t* buf);

    loop::Timer timeout_;
    loop::Handle<uv_tcp_t> tcp_;
    /// The connect request in flight: libuv holds it until its callback,
    /// which may come after we are gone (then its data is null).
    uv_connect_t* connect_ = nullptr;
    config::Millis timeout_after_{0};
    bool http_ = false;
    std::string request_;
    std::string response_;
};

} // namespace svd::probes
