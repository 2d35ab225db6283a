// svctl's side of the control socket: blocking, one request at a time.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace svctl {

class Client {
public:
    ~Client();
    /// Connects to svd's socket. False and `error` ("svd is not running ...") when it cannot.
    [[nodiscard]] bool connect(const std::string& path, std::string& error);
    bool connected() const { return fd_ >= 0; }
    const std::string& path() const { return path_; }
    [[nodiscard]] bool send(const nlohmann::json& request, std::string& error);
    /// The next JSON line from svd; nullopt at EOF or on error (then `error` says why).
    [[nodiscard]] std::optional<nlohmann::json> receive(std::string& error);

private:
    int fd_ = -1;
    std::string path_;
    std::string buffer_;
};

} // namespace svctl
