// libFuzzer target: the env_file parser on arbitrary bytes. parse_env_text
// must never throw or crash; every variable it returns has a valid name and
// no value holds a NUL (execve would cut it short); every warning names the
// file and its line.
#include "config/env_file.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    svd::config::EnvFile file = svd::config::parse_env_text(text, "fuzz.env");
    for (const auto& [key, value] : file.values) {
        if (key.empty() || key.find_first_of(std::string("=\0", 2)) != std::string::npos) std::abort();
        if (value.find('\0') != std::string::npos) std::abort();
    }
    for (const auto& warning : file.warnings)
        if (warning.rfind("fuzz.env:", 0) != 0) std::abort();
    return 0;
}
