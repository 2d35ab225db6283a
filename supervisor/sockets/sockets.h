// Listening sockets that svd binds once and holds for its whole life, so a
// program can be restarted, upgraded or started on the first connection
// without a single refused connection: clients wait in the backlog.
// Passed to programs as fds 3, 4, ... with the systemd protocol (LISTEN_FDS,
// LISTEN_PID, LISTEN_FDNAMES) or nginx's (NGINX="3;4;").
#pragma once

#include "config/model.h"
#include "config/config_diff.h"
#include "loop/handle.h"
#include "process/program.h"

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <uv.h>
#include <vector>

namespace svd::sockets {
using config::ConfigDiff;


class Sockets {
public:
    /// `start_on_demand` starts a program whose armed socket got a connection.
    Sockets(uv_loop_t* loop, std::function<void(const std::string& program)> start_on_demand);
    ~Sockets();

    /// Binds every [socket.*]. On failure nothing stays bound and `error`
    /// names the socket, its address and the programs that wanted it.
    [[nodiscard]] bool bind_all(const config::Config& config, std::string& error);
    /// Sockets handed over across exec (svctl reload), by name: bind_all
    /// uses them instead of binding when the address is the same.
    void adopt(std::map<std::string, int> fds) { adopted_ = std::move(fds); }
    /// name → fd of every held socket, for the handover.
    std::map<std::string, int> held_fds() const;
    /// Closes everything and removes UNIX socket files.
    void close_all();
    /// Brings the held sockets in line with `next`: binds added ones and the
    /// new address of changed ones before closing anything, so a failure
    /// (`error`) leaves every socket as it was. Unchanged sockets stay bound.
    [[nodiscard]] bool apply(const config::Config& next, const ConfigDiff& diff, std::string& error);
    void set_config(const config::Config& config) { config_ = &config; }
    /// For svctl reload: name -> fd for every socket of `next`, the held fd
    /// where the address stays, a new one bound now where it is added or
    /// changed (also listed in `fresh`: the caller closes them when the
    /// reload does not happen). False with `error`, and nothing bound, when
    /// one cannot be bound; the running sockets are never touched.
    [[nodiscard]] bool bind_for_reload(const config::Config& next, const ConfigDiff& diff,
                                       std::map<std::string, int>& fds, std::vector<int>& fresh, std::string& error);

    std::vector<int> fds_for(const process::Program& program) const;
    void add_environment(const process::Program& program, std::map<std::string, std::string>& env) const;

    /// Waits for the first connection on the program's sockets, then starts it.
    void arm_on_demand(const process::Program& program);
    bool demand_seen(const std::string& name) const { return demanded_.count(name) > 0; }
    /// The program was stopped by request: forget the demand, stop watching.
    void program_stopped(const process::Program& program);
    bool armed(const std::string& name) const;

    /// [{name, listen, fd, programs:[..]}] for `svctl sockets` and status.
    nlohmann::json describe() const;

private:
    struct Held {
        config::Socket spec;
        int fd = -1;
        loop::Poll poll; ///< set while armed for on-demand start
        std::string armed_for;
    };
    [[nodiscard]] bool bind_one(Held& held, std::string& error);
    void disarm(Held& held);
    static void clear_nonblocking(int fd);
    std::string users_of(const std::string& socket) const;

    uv_loop_t* loop_;
    std::function<void(const std::string& program)> start_on_demand_;
    const config::Config* config_ = nullptr;
    std::map<std::string, Held> held_;
    std::set<std::string> demanded_;
    std::map<std::string, int> adopted_;
};

} // namespace svd::sockets
