#include "daemon/socket_pointer.h"

#include "config/expand.h"
#include "daemon/tree.h"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace svd::daemon {
namespace {

/// The config's real path: every spelling of it (relative, through a
/// symlink) finds the same pointer.
std::optional<std::string> real_path(const std::string& config_path) {
    std::error_code error;
    auto canonical = std::filesystem::canonical(config_path, error);
    if (error) return std::nullopt;
    return canonical.string();
}

/// The per-user directory holding the pointers (see the header for why).
std::optional<std::string> pointer_directory() {
    if (auto runtime = config::getenv_lookup("XDG_RUNTIME_DIR"); runtime && !runtime->empty() && runtime->front() == '/')
        return *runtime + "/svd";
    if (auto cache = config::getenv_lookup("XDG_CACHE_HOME"); cache && !cache->empty() && cache->front() == '/')
        return *cache + "/svd/run";
    if (auto home = config::current_user_home()) return *home + "/.cache/svd/run";
    return std::nullopt;
}

/// FNV-1a, 64 bits: stable across builds and runs, unlike std::hash, so
/// any svctl finds what any svd wrote.
std::string hex_hash(const std::string& text) {
    std::uint64_t hash = 14695981039346656037ull;
    for (unsigned char c : text) {
        hash ^= c;
        hash *= 1099511628211ull;
    }
    char out[17];
    std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(hash));
    return out;
}

/// The pointer's two lines: the config it is for, then the socket.
struct Pointer {
    std::string config;
    std::string socket;
};

std::optional<Pointer> read_pointer(const std::string& path) {
    std::ifstream in(path);
    Pointer pointer;
    if (!std::getline(in, pointer.config) || !std::getline(in, pointer.socket) || pointer.socket.empty())
        return std::nullopt;
    return pointer;
}

} // namespace

std::string socket_pointer_path(const std::string& config_path) {
    auto real = real_path(config_path);
    auto directory = pointer_directory();
    if (!real || !directory) return "";
    return *directory + "/" + hex_hash(*real) + ".socket";
}

bool write_socket_pointer(const std::string& config_path, const std::string& socket, std::string& error) {
    const std::string path = socket_pointer_path(config_path);
    if (path.empty()) {
        error = "no per-user directory for svctl's pointer to the control socket (neither XDG_RUNTIME_DIR nor a home)";
        return false;
    }
    if (!make_directories(std::filesystem::path(path).parent_path().string(), 0700, error)) return false;
    const std::string temporary = path + "." + std::to_string(getpid());
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << *real_path(config_path) << "\n" << socket << "\n";
        if (!out.flush()) {
            error = "cannot write " + temporary;
            return false;
        }
    }
    std::error_code renamed;
    std::filesystem::rename(temporary, path, renamed);
    if (renamed) {
        error = "cannot rename " + temporary + " to " + path + ": " + renamed.message();
        std::filesystem::remove(temporary, renamed);
        return false;
    }
    return true;
}

void remove_socket_pointer(const std::string& config_path, const std::string& socket) {
    const std::string path = socket_pointer_path(config_path);
    if (path.empty()) return;
    auto pointer = read_pointer(path);
    if (!pointer || pointer->socket != socket) return;
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
}

std::optional<std::string> read_socket_pointer(const std::string& config_path) {
    const std::string path = socket_pointer_path(config_path);
    if (path.empty()) return std::nullopt;
    auto pointer = read_pointer(path);
    if (!pointer || pointer->config != real_path(config_path)) return std::nullopt;
    return pointer->socket;
}

} // namespace svd::daemon
