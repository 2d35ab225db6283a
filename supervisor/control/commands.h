// Turns control requests into supervisor actions and JSON replies. Every
// verb of svctl lands here; anything malformed gets an error reply, never an
// exception that could take svd down.
#pragma once

#include "control/protocol.h"
#include "control/server.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace svd::runtime {
class Supervisor;
}

namespace svd::control {

using runtime::Supervisor;

class Commands {
public:
    /// `request_shutdown` runs when a client asks svd to exit.
    Commands(Supervisor& supervisor, std::function<void(std::function<void()>)> request_shutdown);

    void handle(const std::shared_ptr<control::Client>& client, const std::string& line);
    /// What `reload` does (re-execute svd); set by main, which owns the pieces.
    void on_reload(std::function<void(const std::shared_ptr<control::Client>&)> reload) { reload_ = std::move(reload); }

private:
    using ClientPtr = std::shared_ptr<control::Client>;
    /// Expands "all" and checks every name; false after sending an error reply.
    [[nodiscard]] bool resolve_names(const ClientPtr& client, const control::Request& request, std::vector<std::string>& names,
                       bool empty_means_all);
    void status(const ClientPtr& client, const control::Request& request);
    void start(const ClientPtr& client, const control::Request& request);
    void stop(const ClientPtr& client, const control::Request& request);
    void restart(const ClientPtr& client, const control::Request& request);
    void signal(const ClientPtr& client, const control::Request& request);
    void pid(const ClientPtr& client, const control::Request& request);
    void tail(const ClientPtr& client, const control::Request& request);
    void shutdown(const ClientPtr& client);
    /// reread (dry run) and update (apply).
    void reconfigure(const ClientPtr& client, const control::Request& request, bool apply);
    nlohmann::json describe(const std::string& name);

    Supervisor& supervisor_;
    std::function<void(std::function<void()>)> request_shutdown_;
    std::function<void(const std::shared_ptr<control::Client>&)> reload_;
};

} // namespace svd::control
