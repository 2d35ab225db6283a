#include "daemon/binary.h"

#include "spawn/spawn.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <elf.h>
#include <link.h>
#include <sys/stat.h>
#include <unistd.h>

namespace svd::daemon {

std::string resolve_installed_binary(const std::string& argv0) {
    if (!argv0.empty() && argv0[0] == '/') return argv0;
    if (argv0.find('/') != std::string::npos) {
        char cwd[PATH_MAX];
        if (getcwd(cwd, sizeof cwd)) return std::string(cwd) + "/" + argv0;
    } else if (!argv0.empty()) {
        const char* path = std::getenv("PATH");
        spawn::Executable found = spawn::find_executable(argv0, path ? path : "/usr/local/bin:/usr/bin:/bin");
        if (!found.path.empty() && found.path[0] == '/') return found.path;
    }
    char target[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", target, sizeof target - 1);
    if (n <= 0) return "/proc/self/exe";
    std::string out(target, static_cast<std::size_t>(n));
    const std::string deleted = " (deleted)";
    if (out.size() > deleted.size() && out.compare(out.size() - deleted.size(), deleted.size(), deleted) == 0)
        out.resize(out.size() - deleted.size());
    return out;
}

std::string why_not_executable(const std::string& path) {
    struct stat info {};
    if (stat(path.c_str(), &info) != 0) return path + ": " + std::strerror(errno);
    if (!S_ISREG(info.st_mode)) return path + " is not a regular file";
    if (access(path.c_str(), X_OK) != 0) return path + ": " + std::strerror(errno);
    return {};
}

namespace {

/// Finds NT_GNU_BUILD_ID in the main program's PT_NOTE segments.
int find_build_id(dl_phdr_info* info, size_t, void* out) {
    if (info->dlpi_name && info->dlpi_name[0] != '\0') return 0; // the first entry is the program itself
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const ElfW(Phdr)& header = info->dlpi_phdr[i];
        if (header.p_type != PT_NOTE) continue;
        const char* at = reinterpret_cast<const char*>(info->dlpi_addr + header.p_vaddr);
        const char* end = at + header.p_memsz;
        while (at + sizeof(ElfW(Nhdr)) <= end) {
            const auto* note = reinterpret_cast<const ElfW(Nhdr)*>(at);
            const char* name = at + sizeof(ElfW(Nhdr));
            const char* desc = name + ((note->n_namesz + 3) & ~3u);
            if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0) {
                static const char hex[] = "0123456789abcdef";
                auto& text = *static_cast<std::string*>(out);
                for (unsigned j = 0; j < note->n_descsz; ++j) {
                    auto byte = static_cast<unsigned char>(desc[j]);
                    text += hex[byte >> 4];
                    text += hex[byte & 15];
                }
                return 1;
            }
            at = desc + ((note->n_descsz + 3) & ~3u);
        }
    }
    return 1; // only the program itself is of interest
}

} // namespace

const std::string& build_id() {
    static const std::string id = [] {
        std::string text;
        dl_iterate_phdr(find_build_id, &text);
        return text.empty() ? std::string("unknown") : text;
    }();
    return id;
}

nlohmann::json image_identity() {
    char target[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", target, sizeof target - 1);
    return {{"version", SVD_VERSION},
            {"build_id", build_id()},
            {"pid", getpid()},
            {"exe", n > 0 ? std::string(target, static_cast<std::size_t>(n)) : std::string()}};
}

} // namespace svd::daemon
