// Errors gathered while loading the config: loading goes on after each one,
// so a user fixes all of them in one round.
#pragma once

#include "config/model.h"

#include <string>
#include <utility>
#include <vector>

namespace svd::config {

struct Diagnostics {
    std::vector<ConfigError> errors;

    void error(Location where, std::string message) {
        errors.push_back(ConfigError{std::move(where), std::move(message)});
    }
    bool empty() const { return errors.empty(); }
};

} // namespace svd::config
