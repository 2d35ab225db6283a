#include "config/cross_check.h"

#include "config/suggest.h"
#include "plan/graph.h"

#include <map>

namespace svd::config {
namespace {

void check_requirements(const Config& config, bool all_files_read, Diagnostics& diag) {
    std::vector<std::string> names;
    for (const Program& program : config.programs) names.push_back(program.name);
    for (const Program& program : config.programs) {
        for (const Dependency& dependency : program.dependencies) {
            const Program* target = config.find_program(dependency.name);
            if (!target) {
                if (!all_files_read) continue;
                diag.error(dependency.where, "program '" + program.name + "' " +
                                                 (dependency.kind == DependencyKind::After ? "is ordered after"
                                                                                           : "requires") +
                                                 " unknown program '" + dependency.name + "'" +
                                                 did_you_mean(dependency.name, names));
                continue;
            }
            if (dependency.condition == Condition::Completed && target->type != ProgramType::Oneshot) {
                diag.error(dependency.where, "'completed' only applies to oneshot programs, and '" + dependency.name +
                                                 "' is a " + to_string(target->type) + " (defined at " +
                                                 target->where.str() + ")");
            }
            // A health table that failed to read has its own error already.
            bool health_written = target->health.where.line > 0;
            if (dependency.condition == Condition::Healthy && !health_written) {
                diag.error(dependency.where, "'" + dependency.name + "' has no 'health' check, so it is never " +
                                                 "healthy; add one to it (" + target->where.str() +
                                                 ") or require \"ready\"");
            }
        }
    }
}

/// A cycle is reported once, at the edge that closes it first.
void check_cycles(const Config& config, Diagnostics& diag) {
    plan::Graph graph(config);
    for (const plan::Graph::Cycle& cycle : graph.cycles()) {
        std::string message = "dependency cycle: " + cycle.front()->from;
        for (const plan::Edge* edge : cycle) message += " -> " + edge->to + " (" + edge->source->where.str() + ")";
        diag.error(cycle.front()->source->where, std::move(message));
    }
}

std::string address_of(const Socket& socket) {
    if (socket.kind == Socket::Kind::Unix) return "unix:" + socket.path;
    return socket.host + ":" + std::to_string(socket.port);
}

void check_socket_collisions(const Config& config, Diagnostics& diag) {
    std::map<std::string, const Socket*> first_at;
    for (const Socket& socket : config.sockets) {
        std::string address = address_of(socket);
        auto [it, inserted] = first_at.emplace(address, &socket);
        if (!inserted)
            diag.error(socket.where, "socket '" + socket.name + "' listens on " + address + ", as socket '" +
                                         it->second->name + "' does (" + it->second->where.str() + ")");
        if (socket.kind == Socket::Kind::Unix && socket.path == config.svd.socket)
            diag.error(socket.where, "socket '" + socket.name + "' uses the path of svd's control socket, " +
                                         config.svd.socket);
    }
}

} // namespace

/// A socket may be shared: programs that list the same one all get it and
/// accept in turn (two gunicorns on one port, an old and a new version).
/// Not by an on-demand program: svd watches its sockets for the first
/// connection, and another program accepting on them would start it
/// never, or at random.
static void check_shared_sockets(const Config& config, Diagnostics& diag) {
    std::map<std::string, std::vector<const Program*>> users;
    for (const Program& program : config.programs)
        for (const std::string& socket : program.sockets) users[socket].push_back(&program);
    for (const auto& [socket, programs] : users) {
        if (programs.size() < 2) continue;
        for (const Program* program : programs) {
            if (program->start != StartMode::OnDemand) continue;
            std::string others;
            for (const Program* other : programs)
                if (other != program) others += (others.empty() ? "'" : ", '") + other->name + "'";
            diag.error(program->sockets_where, "program '" + program->name +
                                                   "' starts on demand, so it needs its sockets to itself, but socket '" +
                                                   socket + "' is also used by " + others);
        }
    }
}

void cross_check(const Config& config, bool all_files_read, Diagnostics& diag) {
    check_requirements(config, all_files_read, diag);
    check_cycles(config, diag);
    check_socket_collisions(config, diag);
    check_shared_sockets(config, diag);
}

} // namespace svd::config
