// Errors gathered while loading the config: loading goes on after each one,
// so a user fixes all of them in one round.
#pragma once

#include "config/model.h"

#include <string>
#include <utility>
#include <vector>

namespace svd::config {

struct Diagnostics {
    /// Errors kept (and shown); the rest are only counted. A 15 MB file of
    /// unknown keys made 1.5 million messages: 25 s and 490 MB for --check,
    /// and as long a stall in a running svd.
    static constexpr std::size_t kMaxErrors = 100;

    std::vector<ConfigError> errors;
    std::size_t not_kept = 0; ///< errors past kMaxErrors

    void error(Location where, std::string message) {
        if (full()) {
            ++not_kept;
            return;
        }
        errors.push_back(ConfigError{std::move(where), std::move(message)});
    }
    /// No more errors are kept: callers may skip composing them (suggestions cost).
    bool full() const { return errors.size() >= kMaxErrors; }
    bool empty() const { return errors.empty(); }
};

} // namespace svd::config
