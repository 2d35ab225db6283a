// libFuzzer target: the config loader on arbitrary bytes. The input is a
// main svd.toml, optionally followed by a line "#--- drop-in" and the text of
// one drop-in, written to conf.d/a.toml next to it (the seeds include
// "conf.d/*.toml"). load_config must never throw or crash, and it returns
// either a config or errors, never both, never neither; every error names a
// file and, for files that were read, a line and column inside them.
#include "config/model.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

namespace {

std::string make_tree() {
    char templ[] = "/tmp/svd-fuzz-config-XXXXXX";
    const char* dir = mkdtemp(templ);
    if (!dir) std::abort();
    std::string root = dir;
    if (mkdir((root + "/conf.d").c_str(), 0700) != 0) std::abort();
    return root;
}

void write_file(const std::string& path, std::string_view text) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) std::abort();
    while (!text.empty()) {
        ssize_t n = write(fd, text.data(), text.size());
        if (n <= 0) std::abort();
        text.remove_prefix(static_cast<std::size_t>(n));
    }
    close(fd);
}

std::string root_dir() {
    static const std::string root = [] {
        std::string made = make_tree();
        // The loader reads $HOME for "~"; keep it inside the tree.
        setenv("HOME", made.c_str(), 1);
        static std::string cleanup_dir = made;
        std::atexit([] {
            unlink((cleanup_dir + "/conf.d/a.toml").c_str());
            rmdir((cleanup_dir + "/conf.d").c_str());
            unlink((cleanup_dir + "/svd.toml").c_str());
            rmdir(cleanup_dir.c_str());
        });
        return made;
    }();
    return root;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string& root = root_dir();
    std::string_view input(reinterpret_cast<const char*>(data), size);
    constexpr std::string_view kSplit = "#--- drop-in\n";
    std::string_view main_text = input;
    std::string_view drop_in;
    if (auto split = input.find(kSplit); split != std::string_view::npos) {
        main_text = input.substr(0, split);
        drop_in = input.substr(split + kSplit.size());
    }
    const std::string main_path = root + "/svd.toml";
    const std::string drop_in_path = root + "/conf.d/a.toml";
    write_file(main_path, main_text);
    if (drop_in.data()) write_file(drop_in_path, drop_in);
    else unlink(drop_in_path.c_str());

    svd::config::LoadResult result = svd::config::load_config(main_path);
    if (result.config.has_value() == !result.errors.empty()) std::abort();
    for (const auto& error : result.errors) {
        if (error.message.empty() || error.where.file.empty()) std::abort();
        (void)error.str();
    }
    if (result.config) {
        const auto& config = *result.config;
        for (const auto& program : config.programs)
            if (program.argv.empty() || program.argv[0].empty() || config.find_program(program.name) != &program)
                std::abort();
    }
    return 0;
}
