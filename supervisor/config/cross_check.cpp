#include "config/cross_check.h"

#include "config/suggest.h"

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
                diag.error(dependency.where, "program '" + program.name + "' requires unknown program '" +
                                                 dependency.name + "'" + did_you_mean(dependency.name, names));
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

/// Depth-first search over `requires` edges; a back edge closes a cycle.
class CycleFinder {
public:
    CycleFinder(const Config& config, Diagnostics& diag) : config_(config), diag_(diag) {}

    void run() {
        for (const Program& program : config_.programs)
            if (state_[program.name] == State::Unvisited) visit(program);
    }

private:
    enum class State { Unvisited, OnPath, Done };

    // edges_[i] leads from path_[i] to path_[i + 1] (or to the program being looked at).
    void visit(const Program& program) {
        state_[program.name] = State::OnPath;
        path_.push_back(program.name);
        for (const Dependency& dependency : program.dependencies) {
            const Program* target = config_.find_program(dependency.name);
            if (!target || target == &program) continue; // reported by check_requirements / read_program
            edges_.push_back(&dependency);
            State state = state_[target->name];
            if (state == State::OnPath) report(target->name);
            else if (state == State::Unvisited) visit(*target);
            edges_.pop_back();
        }
        path_.pop_back();
        state_[program.name] = State::Done;
    }

    void report(const std::string& start) {
        std::size_t first = 0;
        while (path_[first] != start) ++first;
        std::string message = "dependency cycle: " + start;
        for (std::size_t i = first; i < edges_.size(); ++i)
            message += " -> " + edges_[i]->name + " (" + edges_[i]->where.str() + ")";
        diag_.error(edges_[first]->where, std::move(message));
    }

    const Config& config_;
    Diagnostics& diag_;
    std::map<std::string, State> state_;
    std::vector<std::string> path_;
    std::vector<const Dependency*> edges_;
};

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
    CycleFinder(config, diag).run();
    check_socket_collisions(config, diag);
    check_shared_sockets(config, diag);
}

} // namespace svd::config
