// The sd_notify side of Probes: the datagram socket given to programs as
// NOTIFY_SOCKET, and what they send on it (READY=1, STATUS=, STOPPING=1).
#include "probes/probes.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace svd::probes {

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
        watch_notify_fd();
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
    watch_notify_fd();
    return true;
}

void Probes::watch_notify_fd() {
    uv_poll_init(loop_, notify_poll_.make(), notify_fd_);
    notify_poll_->data = this;
    uv_poll_start(notify_poll_.get(), UV_READABLE, [](uv_poll_t* poll, int, int) {
        if (auto* self = static_cast<Probes*>(poll->data)) self->on_notify();
    });
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
        for (const auto& name : host_.names()) {
            process::Program* program = host_.find(name);
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
    host_.request_settle();
}

std::string Probes::notify_status(const std::string& name) const {
    auto found = runs_.find(name);
    return found == runs_.end() ? std::string{} : found->second->notify_status;
}

void Probes::add_environment(const process::Program& program, std::map<std::string, std::string>& env) const {
    if (program.spec().ready.kind == config::Probe::Kind::Notify && notify_fd_ >= 0)
        env["NOTIFY_SOCKET"] = notify_path_;
}

} // namespace svd::probes
