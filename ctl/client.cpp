#include "client.h"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace svctl {

Client::~Client() {
    if (fd_ >= 0) close(fd_);
}

bool Client::connect(const std::string& path, std::string& error) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof address.sun_path) {
        error = "control socket path too long: " + path;
        return false;
    }
    std::strcpy(address.sun_path, path.c_str());
    path_ = path;
    if (fd_ >= 0) close(fd_); // a second try, after the socket pointer failed
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        error = std::string("socket: ") + std::strerror(errno);
        return false;
    }
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        int saved = errno;
        if (saved == ENOENT || saved == ECONNREFUSED)
            error = "svd is not running (no one listens on " + path + "); start it with `svd --daemon`";
        else if (saved == EACCES)
            error = "permission denied on " + path + ": svd belongs to another user";
        else
            error = "cannot connect to " + path + ": " + std::strerror(saved);
        return false;
    }
    return true;
}

bool Client::send(const nlohmann::json& request, std::string& error) {
    std::string line = request.dump() + "\n";
    std::size_t sent = 0;
    while (sent < line.size()) {
        ssize_t n = ::send(fd_, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            error = std::string("sending to svd: ") + std::strerror(errno);
            return false;
        }
        sent += static_cast<std::size_t>(n);
    }
    return true;
}

std::optional<nlohmann::json> Client::receive(std::string& error) {
    for (;;) {
        auto newline = buffer_.find('\n');
        if (newline != std::string::npos) {
            std::string line = buffer_.substr(0, newline);
            buffer_.erase(0, newline + 1);
            auto message = nlohmann::json::parse(line, nullptr, false);
            if (message.is_discarded()) {
                error = "svd sent something that is not JSON";
                return std::nullopt;
            }
            return message;
        }
        char chunk[65536];
        ssize_t n = read(fd_, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            error = n == 0 ? "svd closed the connection" : std::string("reading from svd: ") + std::strerror(errno);
            return std::nullopt;
        }
        buffer_.append(chunk, static_cast<std::size_t>(n));
    }
}

} // namespace svctl
