// Shared by the spawn tests: run a program through spawn_process and collect
// what it printed, so each test checks what the child itself saw.
#pragma once

#include "spawn/spawn.h"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>

namespace spawn_test {

/// Runs options.argv with stdout to a pipe; returns (output, wait status).
inline std::pair<std::string, int> run_argv(svd::spawn::SpawnOptions options) {
    int out[2];
    REQUIRE(pipe2(out, O_CLOEXEC) == 0);
    options.stdout_fd = out[1];
    auto result = svd::spawn::spawn_process(options);
    close(out[1]);
    INFO(result.message);
    REQUIRE(result.ok());
    std::string text;
    char buffer[4096];
    ssize_t n;
    while ((n = read(out[0], buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(n));
    close(out[0]);
    int status = 0;
    waitpid(result.pid, &status, 0);
    return {text, status};
}

/// Runs `script` under /bin/sh -c.
inline std::pair<std::string, int> run(svd::spawn::SpawnOptions options, const std::string& script) {
    options.argv = {"/bin/sh", "-c", script};
    return run_argv(std::move(options));
}

} // namespace spawn_test
