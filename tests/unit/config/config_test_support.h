// Helpers for the config tests: a scratch directory and error matching.
#pragma once

#include "config/model.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace svd::config::testing {

/// A fresh directory under /tmp, removed with everything in it.
class TempDir {
public:
    TempDir() {
        char pattern[] = "/tmp/svd-config-test-XXXXXX";
        const char* made = ::mkdtemp(pattern);
        REQUIRE(made != nullptr);
        path_ = made;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }
    std::string operator/(const std::string& relative) const { return path_ + "/" + relative; }

    /// Writes `content` to `relative` (creating directories); returns the full path.
    std::string write(const std::string& relative, const std::string& content) const {
        std::filesystem::path full = std::filesystem::path(path_) / relative;
        std::filesystem::create_directories(full.parent_path());
        std::ofstream(full) << content;
        return full.string();
    }

private:
    std::string path_;
};

/// Sets an environment variable for one scope, restoring the old value.
class ScopedEnv {
public:
    ScopedEnv(std::string name, const char* value) : name_(std::move(name)) {
        if (const char* old = std::getenv(name_.c_str())) old_ = old;
        if (value) ::setenv(name_.c_str(), value, 1);
        else ::unsetenv(name_.c_str());
    }
    ~ScopedEnv() {
        if (old_) ::setenv(name_.c_str(), old_->c_str(), 1);
        else ::unsetenv(name_.c_str());
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    std::string name_;
    std::optional<std::string> old_;
};

inline std::string all_errors(const LoadResult& result) {
    std::string text;
    for (const ConfigError& error : result.errors) text += error.str() + "\n";
    return text.empty() ? "(no errors)" : text;
}

inline bool has_error(const LoadResult& result, const std::string& where, const std::string& part) {
    for (const ConfigError& error : result.errors)
        if (error.where.str() == where && error.message.find(part) != std::string::npos) return true;
    return false;
}

} // namespace svd::config::testing

/// Asserts an error at exactly `where` ("file:line:col") whose message contains `part`.
#define REQUIRE_CONFIG_ERROR(result, where, part)                                            \
    do {                                                                                     \
        INFO("errors:\n" << ::svd::config::testing::all_errors(result));                     \
        INFO("expected at " << (where) << ": " << (part));                                   \
        REQUIRE(::svd::config::testing::has_error((result), (where), (part)));               \
    } while (false)

#define REQUIRE_LOADED(result)                                                               \
    do {                                                                                     \
        INFO("errors:\n" << ::svd::config::testing::all_errors(result));                     \
        REQUIRE((result).errors.empty());                                                    \
        REQUIRE((result).config.has_value());                                                \
    } while (false)
