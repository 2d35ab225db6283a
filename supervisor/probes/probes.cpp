#include "probes/probes.h"
#include "runtime/supervisor.h"
#include "spawn/spawn.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace svd::probes {

namespace {
constexpr std::uint64_t kReadinessRetryMs = 250;
constexpr std::uint64_t kFirstReadinessMs = 20;

struct Endpoint {
    std::string host;
    int port = 0;
    std::string path = "/";
    bool ok = false;
};

/// "host:port", "[v6]:port" or "http://host:port/path".
Endpoint parse_endpoint(std::string text) {
    Endpoint endpoint;
    if (text.rfind("http://", 0) == 0) {
        text = text.substr(7);
        auto slash = text.find('/');
        if (slash != std::string::npos) {
            endpoint.path = text.substr(slash);
            text = text.substr(0, slash);
        }
        endpoint.port = 80;
    }
    std::string host = text;
    if (!text.empty() && text[0] == '[') {
        auto close = text.find(']');
        if (close == std::string::npos) return endpoint;
        host = text.substr(1, close - 1);
        if (close + 1 < text.size() && text[close + 1] == ':') endpoint.port = std::atoi(text.c_str() + close + 2);
    } else if (auto colon = text.rfind(':'); colon != std::string::npos) {
        host = text.substr(0, colon);
        endpoint.port = std::atoi(text.c_str() + colon + 1);
    }
    if (host == "localhost" || host.empty() || host == "*" || host == "0.0.0.0") host = "127.0.0.1";
    if (host == "::") host = "::1";
    endpoint.host = host;
    endpoint.ok = endpoint.port > 0 && endpoint.port < 65536;
    return endpoint;
}

} // namespace

/// One probe attempt in flight. Owns its libuv handles and deletes itself
/// once all of them are closed.
struct Attempt {
    Probes* owner;
    std::string program;
    std::uint64_t generation;
    bool for_health;
    uv_timer_t timeout{};
    uv_tcp_t tcp{};
    uv_connect_t connect{};
    uv_write_t write{};
    bool tcp_open = false;
    bool http = false;
    std::string request;
    std::string response;
    pid_t pid = 0;
    int open_handles = 0;
    bool finished = false;

    void finish(bool success, const std::string& detail) {
        if (finished) return;
        finished = true;
        owner->attempt_done(this, success, detail);
        close_all();
    }
    void close_all() {
        auto on_closed = [](uv_handle_t* handle) {
            auto* self = static_cast<Attempt*>(handle->data);
            if (--self->open_handles == 0) delete self;
        };
        uv_timer_stop(&timeout);
        uv_close(reinterpret_cast<uv_handle_t*>(&timeout), on_closed);
        if (tcp_open) uv_close(reinterpret_cast<uv_handle_t*>(&tcp), on_closed);
    }
};

Probes::Probes(uv_loop_t* loop, Supervisor& supervisor) : loop_(loop), supervisor_(supervisor) {}

Probes::~Probes() {
    for (auto& [name, run] : runs_)
        uv_close(reinterpret_cast<uv_handle_t*>(run->timer),
                 [](uv_handle_t* handle) { delete reinterpret_cast<uv_timer_t*>(handle); });
    if (notify_poll_)
        uv_close(reinterpret_cast<uv_handle_t*>(notify_poll_),
                 [](uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); });
    if (notify_fd_ >= 0) close(notify_fd_);
    if (!notify_path_.empty()) unlink(notify_path_.c_str());
}

bool Probes::open_notify_socket(const std::string& path, std::string& error) {
    sockaddr_un address{};
    if (path.size() >= sizeof address.sun_path) {
        error = "notify socket path too long: " + path;
        return false;
    }
    if (adopted_notify_fd_ >= 0) {
        notify_fd_ = adopted_notify_fd_;
        fcntl(notify_fd_, F_SETFD, FD_CLOEXEC);
        notify_path_ = path;
        notify_poll_ = new uv_poll_t;
        uv_poll_init(loop_, notify_poll_, notify_fd_);
        notify_poll_->data = this;
        uv_poll_start(notify_poll_, UV_READABLE, [](uv_poll_t* poll, int, int) {
            static_cast<Probes*>(poll->data)->on_notify();
        });
        return true;
    }
    notify_fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (notify_fd_ < 0) {
        error = std::string("socket: ") + std::strerror(errno);
        return false;
    }
    address.sun_family = AF_UNIX;
    std::strcpy(address.sun_path, path.c_str());
    unlink(path.c_str());
    mode_t old_mask = umask(0177);
    int rc = bind(notify_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    umask(old_mask);
    int one = 1;
    if (rc != 0 || setsockopt(notify_fd_, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0) {
        error = "bind " + path + ": " + std::strerror(errno);
        close(notify_fd_);
        notify_fd_ = -1;
        return false;
    }
    notify_path_ = path;
    notify_poll_ = new uv_poll_t;
    uv_poll_init(loop_, notify_poll_, notify_fd_);
    notify_poll_->data = this;
    uv_poll_start(notify_poll_, UV_READABLE, [](uv_poll_t* poll, int, int) {
        static_cast<Probes*>(poll->data)->on_notify();
    });
    return true;
}

void Probes::on_notify() {
    for (;;) {
        char data[4096];
        char control[CMSG_SPACE(sizeof(struct ucred))];
        iovec io{data, sizeof data - 1};
        msghdr message{};
        message.msg_iov = &io;
        message.msg_iovlen = 1;
        message.msg_control = control;
        message.msg_controllen = sizeof control;
        ssize_t n = recvmsg(notify_fd_, &message, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0) break; // drained; settle() below must still run
        data[n] = '\0';
        pid_t sender = 0;
        for (cmsghdr* header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header))
            if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_CREDENTIALS) {
                ucred credentials{};
                std::memcpy(&credentials, CMSG_DATA(header), sizeof credentials);
                sender = credentials.pid;
            }
        if (sender <= 0) continue;
        // Accept the main process or anything in its process group; a
        // message from an unrelated process cannot mark a program ready.
        process::Program* from = nullptr;
        pid_t group = getpgid(sender);
        for (const auto& name : supervisor_.names()) {
            process::Program* program = supervisor_.find(name);
            if (program && program->pid() > 0 && (program->pid() == sender || program->pid() == group)) from = program;
        }
        if (!from) {
            spdlog::warn("notify: ignored a message from pid {}, which is no program of ours", sender);
            continue;
        }
        std::string text(data, static_cast<std::size_t>(n));
        std::size_t start = 0;
        while (start < text.size()) {
            std::size_t end = text.find('\n', start);
            if (end == std::string::npos) end = text.size();
            std::string line = text.substr(start, end - start);
            start = end + 1;
            if (line == "READY=1") {
                if (from->spec().ready.kind == config::Probe::Kind::Notify) from->on_ready();
            } else if (line.rfind("STATUS=", 0) == 0) {
                run_for(from->name()).notify_status = line.substr(7);
            } else if (line == "STOPPING=1") {
                spdlog::info("{}: says it is stopping", from->name());
            }
        }
    }
    supervisor_.request_settle();
}

Probes::Run& Probes::run_for(const std::string& name) {
    auto& slot = runs_[name];
    if (!slot) {
        slot = std::make_unique<Run>();
        slot->name = name;
        slot->owner = this;
        slot->timer = new uv_timer_t;
        uv_timer_init(loop_, slot->timer);
        slot->timer->data = slot.get();
    }
    return *slot;
}

std::string Probes::notify_status(const std::string& name) const {
    auto found = runs_.find(name);
    return found == runs_.end() ? std::string{} : found->second->notify_status;
}

void Probes::add_environment(const process::Program& program, std::map<std::string, std::string>& env) const {
    if (program.spec().ready.kind == config::Probe::Kind::Notify && notify_fd_ >= 0)
        env["NOTIFY_SOCKET"] = notify_path_;
}

void Probes::schedule(Run& run, std::uint64_t delay_ms) {
    uv_timer_start(
        run.timer,
        [](uv_timer_t* timer) {
            auto* run = static_cast<Run*>(timer->data);
            run->owner->fire(*run);
        },
        delay_ms, 0);
}

void Probes::fire(Run& run) {
    process::Program* program = supervisor_.find(run.name);
    if (!program) return;
    const config::Program& spec = program->spec();
    if (run.readiness_active) {
        if (spec.ready.kind == config::Probe::Kind::Delay) {
            run.readiness_active = false;
            program->on_ready();
            supervisor_.request_settle();
            return;
        }
        launch_attempt(run, spec.ready, false);
        return;
    }
    if (run.health_active) launch_attempt(run, spec.health, true);
}

void Probes::begin(process::Program& program) {
    Run& run = run_for(program.name());
    ++run.generation;
    uv_timer_stop(run.timer);
    run.health_active = false;
    run.health_failures = 0;
    run.notify_status.clear();
    auto kind = program.spec().ready.kind;
    run.readiness_active = kind != config::Probe::Kind::None && kind != config::Probe::Kind::Notify;
    if (!run.readiness_active) return;
    schedule(run, kind == config::Probe::Kind::Delay ? static_cast<std::uint64_t>(program.spec().ready.delay.count())
                                                     : kFirstReadinessMs);
}

void Probes::end(process::Program& program) {
    auto found = runs_.find(program.name());
    if (found == runs_.end()) return;
    Run& run = *found->second;
    ++run.generation;
    uv_timer_stop(run.timer);
    run.readiness_active = false;
    run.health_active = false;
}

void Probes::state_changed(process::Program& program) {
    const config::Probe& health = program.spec().health;
    if (health.kind == config::Probe::Kind::None) return;
    if (program.state() == process::State::Running && program.ready()) {
        Run& run = run_for(program.name());
        if (run.health_active || run.readiness_active) return;
        run.health_active = true;
        run.health_failures = 0;
        schedule(run, kFirstReadinessMs);
    } else if (!process::has_process(program.state())) {
        end(program);
    }
}

void Probes::launch_attempt(Run& run, const config::Probe& probe, bool for_health) {
    auto* attempt = new Attempt{this, run.name, run.generation, for_health};
    uv_timer_init(loop_, &attempt->timeout);
    attempt->timeout.data = attempt;
    attempt->open_handles = 1;
    // Readiness attempts are short; the program's own timer bounds the whole wait.
    std::uint64_t timeout_ms = for_health ? static_cast<std::uint64_t>(probe.timeout.count()) : 2000;
    uv_timer_start(
        &attempt->timeout,
        [](uv_timer_t* timer) {
            auto* attempt = static_cast<Attempt*>(timer->data);
            if (attempt->pid > 0) kill(-attempt->pid, SIGKILL);
            attempt->finish(false, "timed out");
        },
        timeout_ms, 0);

    if (probe.kind == config::Probe::Kind::Exec) {
        spawn::SpawnOptions options;
        options.argv = probe.exec_argv;
        for (char** entry = environ; entry && *entry; ++entry) options.env.emplace_back(*entry);
        if (auto* output = supervisor_.output(run.name)) {
            options.stdout_fd = output->child_stdout();
            options.stderr_fd = output->child_stderr();
        }
        options.parent_death_signal = SIGKILL;
        spawn::SpawnResult result = spawn::spawn_process(options);
        if (!result.ok()) {
            attempt->finish(false, result.message);
            return;
        }
        attempt->pid = result.pid;
        exec_attempts_[result.pid] = attempt;
        return;
    }

    Endpoint endpoint = parse_endpoint(probe.target);
    if (!endpoint.ok) {
        attempt->finish(false, "bad probe address " + probe.target);
        return;
    }
    sockaddr_storage address{};
    int rc = endpoint.host.find(':') != std::string::npos
                 ? uv_ip6_addr(endpoint.host.c_str(), endpoint.port, reinterpret_cast<sockaddr_in6*>(&address))
                 : uv_ip4_addr(endpoint.host.c_str(), endpoint.port, reinterpret_cast<sockaddr_in*>(&address));
    if (rc != 0) {
        attempt->finish(false, "bad probe address " + probe.target);
        return;
    }
    uv_tcp_init(loop_, &attempt->tcp);
    attempt->tcp.data = attempt;
    attempt->tcp_open = true;
    ++attempt->open_handles;
    attempt->http = probe.kind == config::Probe::Kind::Http;
    if (attempt->http)
        attempt->request = "GET " + endpoint.path + " HTTP/1.0\r\nHost: " + endpoint.host + ":" +
                           std::to_string(endpoint.port) + "\r\nUser-Agent: svd-probe\r\nConnection: close\r\n\r\n";
    attempt->connect.data = attempt;
    rc = uv_tcp_connect(&attempt->connect, &attempt->tcp, reinterpret_cast<sockaddr*>(&address),
                        [](uv_connect_t* connect, int status) {
                            auto* attempt = static_cast<Attempt*>(connect->data);
                            if (status == UV_ECANCELED || attempt->finished) return;
                            if (status < 0) {
                                attempt->finish(false, std::string("connect: ") + uv_strerror(status));
                                return;
                            }
                            if (!attempt->http) {
                                attempt->finish(true, "connected");
                                return;
                            }
                            uv_buf_t buf = uv_buf_init(attempt->request.data(),
                                                       static_cast<unsigned>(attempt->request.size()));
                            attempt->write.data = attempt;
                            uv_write(&attempt->write, reinterpret_cast<uv_stream_t*>(&attempt->tcp), &buf, 1,
                                     [](uv_write_t*, int) {});
                            uv_read_start(
                                reinterpret_cast<uv_stream_t*>(&attempt->tcp),
                                [](uv_handle_t*, size_t, uv_buf_t* buf) {
                                    static char buffer[4096];
                                    *buf = uv_buf_init(buffer, sizeof buffer);
                                },
                                [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
                                    auto* attempt = static_cast<Attempt*>(stream->data);
                                    if (attempt->finished) return;
                                    if (nread > 0) attempt->response.append(buf->base, static_cast<std::size_t>(nread));
                                    auto line_end = attempt->response.find("\r\n");
                                    if (line_end == std::string::npos && nread > 0) return;
                                    // "HTTP/1.1 200 OK"
                                    std::string line = attempt->response.substr(0, line_end);
                                    auto space = line.find(' ');
                                    int code = space == std::string::npos ? 0 : std::atoi(line.c_str() + space + 1);
                                    attempt->finish(code >= 200 && code < 400,
                                                    code ? "HTTP " + std::to_string(code) : "no HTTP response");
                                });
                        });
    if (rc != 0) attempt->finish(false, std::string("connect: ") + uv_strerror(rc));
}

bool Probes::reaped(pid_t pid, int wait_status) {
    auto found = exec_attempts_.find(pid);
    if (found == exec_attempts_.end()) return false;
    Attempt* attempt = found->second;
    exec_attempts_.erase(found);
    kill(-pid, SIGKILL); // nothing the probe started may linger
    if (attempt && !attempt->finished) {
        attempt->pid = 0;
        attempt->finish(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0,
                        process::describe_wait_status(wait_status));
    }
    return true;
}

void Probes::attempt_done(Attempt* attempt, bool success, const std::string& detail) {
    if (attempt->pid > 0) {
        // Timed out: keep the pid known so the reaper recognises it, but forget the attempt.
        exec_attempts_[attempt->pid] = nullptr;
    }
    auto found = runs_.find(attempt->program);
    if (found == runs_.end()) return;
    Run& run = *found->second;
    if (run.generation != attempt->generation) return;
    process::Program* program = supervisor_.find(run.name);
    if (!program) return;
    if (!attempt->for_health) {
        if (!run.readiness_active) return;
        if (success) {
            run.readiness_active = false;
            program->on_ready();
        } else {
            schedule(run, kReadinessRetryMs);
        }
        supervisor_.request_settle();
        return;
    }
    if (!run.health_active) return;
    const config::Probe& health = program->spec().health;
    if (success) {
        run.health_failures = 0;
        program->on_health(true);
    } else if (++run.health_failures >= health.retries) {
        spdlog::warn("{}: health check failed {} times in a row: {}", run.name, run.health_failures, detail);
        program->on_health(false);
    }
    if (run.health_active) schedule(run, static_cast<std::uint64_t>(health.interval.count()));
    supervisor_.request_settle();
}

} // namespace svd::probes
