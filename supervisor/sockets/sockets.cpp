#include "sockets/sockets.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace svd::sockets {

Sockets::Sockets(uv_loop_t* loop, std::function<void(const std::string& program)> start_on_demand)
    : loop_(loop), start_on_demand_(std::move(start_on_demand)) {}

Sockets::~Sockets() { close_all(); }

std::string Sockets::users_of(const std::string& socket) const {
    std::string users;
    if (!config_) return users;
    for (const auto& program : config_->programs)
        for (const auto& name : program.sockets)
            if (name == socket) users += (users.empty() ? "" : ", ") + program.name;
    return users.empty() ? "no program" : users;
}

bool Sockets::bind_one(Held& held, std::string& error) {
    const config::Socket& spec = held.spec;
    auto fail = [&](const std::string& what) {
        int saved = errno;
        error = "socket " + spec.name + " (" + spec.listen + ", for " + users_of(spec.name) + "): " + what + ": " +
                std::strerror(saved);
        if (saved == EADDRINUSE) error += "; another process listens there, pick another port";
        if (saved == EACCES && spec.kind == config::Socket::Kind::Tcp && spec.port < 1024)
            error += "; ports below 1024 need root, use a port of 1024 or above";
        if (held.fd >= 0) close(held.fd);
        held.fd = -1;
        return false;
    };
    if (spec.kind == config::Socket::Kind::Unix) {
        held.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (held.fd < 0) return fail("socket");
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        if (spec.path.size() >= sizeof address.sun_path) {
            errno = ENAMETOOLONG;
            return fail("path too long");
        }
        std::strcpy(address.sun_path, spec.path.c_str());
        struct stat info {};
        // A socket file left by an earlier run makes bind fail; nothing else may be removed.
        if (lstat(spec.path.c_str(), &info) == 0 && S_ISSOCK(info.st_mode)) unlink(spec.path.c_str());
        mode_t old_mask = umask(0177);
        int rc = bind(held.fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
        umask(old_mask);
        if (rc != 0) return fail("bind");
        chmod(spec.path.c_str(), spec.mode);
    } else {
        bool v6 = spec.host.find(':') != std::string::npos;
        held.fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (held.fd < 0) return fail("socket");
        int one = 1;
        setsockopt(held.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        int rc;
        if (v6) {
            setsockopt(held.fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
            sockaddr_in6 address{};
            address.sin6_family = AF_INET6;
            address.sin6_port = htons(static_cast<uint16_t>(spec.port));
            if (inet_pton(AF_INET6, spec.host.c_str(), &address.sin6_addr) != 1) {
                errno = EINVAL;
                return fail("bad IPv6 address");
            }
            rc = bind(held.fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
        } else {
            sockaddr_in address{};
            address.sin_family = AF_INET;
            address.sin_port = htons(static_cast<uint16_t>(spec.port));
            if (inet_pton(AF_INET, spec.host.c_str(), &address.sin_addr) != 1) {
                errno = EINVAL;
                return fail("bad IPv4 address");
            }
            rc = bind(held.fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
        }
        if (rc != 0) return fail("bind");
    }
    if (listen(held.fd, spec.backlog) != 0) return fail("listen");
    return true;
}

bool Sockets::bind_all(const config::Config& config, std::string& error) {
    config_ = &config;
    for (const auto& spec : config.sockets) {
        Held held;
        held.spec = spec;
        if (auto adopted = adopted_.find(spec.name); adopted != adopted_.end()) {
            // Taken over from the svd we were exec'd from: never closed, no connection lost.
            held.fd = adopted->second;
            fcntl(held.fd, F_SETFD, FD_CLOEXEC);
            adopted_.erase(adopted);
            held_.emplace(spec.name, std::move(held));
            continue;
        }
        if (!bind_one(held, error)) {
            close_all();
            return false;
        }
        spdlog::info("socket {}: listening on {}", spec.name, spec.listen);
        held_.emplace(spec.name, std::move(held));
    }
    for (auto& [name, fd] : adopted_) close(fd); // no longer in the config
    adopted_.clear();
    return true;
}

std::map<std::string, int> Sockets::held_fds() const {
    std::map<std::string, int> fds;
    for (const auto& [name, held] : held_) fds[name] = held.fd;
    return fds;
}

bool Sockets::apply(const config::Config& next, const ConfigDiff& diff, std::string& error) {
    std::map<std::string, Held> fresh;
    auto rollback = [&] {
        for (auto& [name, held] : fresh)
            if (held.fd >= 0) close(held.fd);
        return false;
    };
    for (const auto& name : diff.sockets_added) {
        Held held;
        held.spec = *next.find_socket(name);
        if (!bind_one(held, error)) return rollback();
        fresh.emplace(name, std::move(held));
    }
    for (const auto& change : diff.sockets_changed) {
        const config::Socket& spec = *next.find_socket(change.name);
        Held& current = held_.at(change.name);
        if (current.spec.listen == spec.listen) continue; // mode/backlog: adjusted in place below
        Held held;
        held.spec = spec;
        if (!bind_one(held, error)) return rollback();
        fresh.emplace(change.name, std::move(held));
    }
    // Everything new is bound: now nothing below can fail.
    for (const auto& name : diff.sockets_removed) {
        auto found = held_.find(name);
        if (found == held_.end()) continue;
        disarm(found->second);
        if (found->second.fd >= 0) close(found->second.fd);
        if (found->second.spec.kind == config::Socket::Kind::Unix) unlink(found->second.spec.path.c_str());
        spdlog::info("socket {}: closed (removed from the config)", name);
        held_.erase(found);
    }
    for (const auto& change : diff.sockets_changed) {
        const config::Socket& spec = *next.find_socket(change.name);
        Held& current = held_.at(change.name);
        auto replacement = fresh.find(change.name);
        if (replacement == fresh.end()) {
            current.spec = spec;
            listen(current.fd, spec.backlog);
            if (spec.kind == config::Socket::Kind::Unix) chmod(spec.path.c_str(), spec.mode);
            continue;
        }
        disarm(current);
        if (current.fd >= 0) close(current.fd);
        // A UNIX path that moved leaves its old file behind otherwise.
        if (current.spec.kind == config::Socket::Kind::Unix && current.spec.path != spec.path)
            unlink(current.spec.path.c_str());
        spdlog::info("socket {}: now listening on {} (was {})", change.name, spec.listen, current.spec.listen);
        current = std::move(replacement->second);
        fresh.erase(replacement);
    }
    for (auto& [name, held] : fresh) {
        spdlog::info("socket {}: listening on {}", name, held.spec.listen);
        held_.emplace(name, std::move(held));
    }
    return true;
}

void Sockets::clear_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0 && (flags & O_NONBLOCK)) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
}

void Sockets::disarm(Held& held) {
    if (!held.poll) return;
    held.poll.reset();
    held.armed_for.clear();
}

void Sockets::close_all() {
    for (auto& [name, held] : held_) {
        disarm(held);
        if (held.fd >= 0) close(held.fd);
        held.fd = -1;
        if (held.spec.kind == config::Socket::Kind::Unix) unlink(held.spec.path.c_str());
    }
    held_.clear();
}

std::vector<int> Sockets::fds_for(const process::Program& program) const {
    std::vector<int> fds;
    for (const auto& name : program.spec().sockets) {
        auto found = held_.find(name);
        if (found != held_.end() && found->second.fd >= 0) fds.push_back(found->second.fd);
    }
    return fds;
}

void Sockets::add_environment(const process::Program& program, std::map<std::string, std::string>& env) const {
    const auto& names = program.spec().sockets;
    if (names.empty()) return;
    if (program.spec().socket_protocol == config::SocketProtocol::Nginx) {
        std::string value;
        for (std::size_t i = 0; i < names.size(); ++i) value += std::to_string(3 + i) + ";";
        env["NGINX"] = value;
        return;
    }
    env["LISTEN_FDS"] = std::to_string(names.size());
    std::string fd_names;
    for (std::size_t i = 0; i < names.size(); ++i) fd_names += (i ? ":" : "") + names[i];
    env["LISTEN_FDNAMES"] = fd_names;
    // LISTEN_PID is written by the spawner in the child, between fork and exec.
}

bool Sockets::armed(const std::string& name) const {
    for (const auto& [socket, held] : held_)
        if (held.armed_for == name) return true;
    return false;
}

void Sockets::arm_on_demand(const process::Program& program) {
    std::string name = program.name();
    for (const auto& socket : program.spec().sockets) {
        auto found = held_.find(socket);
        if (found == held_.end() || found->second.poll) continue;
        Held& held = found->second;
        uv_poll_init_socket(loop_, held.poll.make(), held.fd);
        // libuv made the socket non-blocking; the flag lives on the shared
        // file description, and a program with a plain blocking accept()
        // loop must get the socket as it was bound.
        clear_nonblocking(held.fd);
        held.armed_for = name;
        held.poll->data = this;
        uv_poll_start(held.poll.get(), UV_READABLE, [](uv_poll_t* poll, int, int) {
            auto* self = static_cast<Sockets*>(poll->data);
            if (!self) return;
            std::string program;
            for (auto& [socket, held] : self->held_)
                if (held.poll.get() == poll) program = held.armed_for;
            if (program.empty()) return;
            spdlog::info("{}: connection waiting, starting on demand", program);
            self->demanded_.insert(program);
            for (auto& [socket, held] : self->held_)
                if (held.armed_for == program) self->disarm(held);
            self->start_on_demand_(program);
        });
    }
    spdlog::info("{}: waiting for a connection to start (on-demand)", name);
}

void Sockets::program_stopped(const process::Program& program) {
    demanded_.erase(program.name());
    for (auto& [socket, held] : held_)
        if (held.armed_for == program.name()) disarm(held);
}

nlohmann::json Sockets::describe() const {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [name, held] : held_) {
        nlohmann::json programs = nlohmann::json::array();
        if (config_)
            for (const auto& program : config_->programs)
                for (const auto& socket : program.sockets)
                    if (socket == name) programs.push_back(program.name);
        out.push_back({{"name", name},
                       {"listen", held.spec.listen},
                       {"kind", held.spec.kind == config::Socket::Kind::Unix ? "unix" : "tcp"},
                       {"fd", held.fd},
                       {"programs", programs},
                       {"on_demand_armed", static_cast<bool>(held.poll)}});
    }
    return out;
}

} // namespace svd::sockets
