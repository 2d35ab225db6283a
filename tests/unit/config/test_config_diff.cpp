#include "config/config_diff.h"

#include <catch2/catch.hpp>

using namespace svd;

namespace {
config::Program program(const char* name) {
    config::Program p;
    p.name = name;
    p.argv = {"/bin/sleep", "100"};
    return p;
}
} // namespace

TEST_CASE("a diff classifies spawn keys (restart) and policy keys (in place)", "[daemon]") {
    config::Config before, after;
    before.programs = {program("same"), program("cmd"), program("policy"), program("gone")};
    after.programs = {program("same"), program("cmd"), program("policy"), program("new")};
    after.programs[1].argv = {"/bin/sleep", "200"};
    after.programs[2].backoff.retries = 9;
    after.programs[2].log.max_size = 1;
    auto diff = config::diff_configs(before, after);
    CHECK(diff.added == std::vector<std::string>{"new"});
    CHECK(diff.removed == std::vector<std::string>{"gone"});
    REQUIRE(diff.changed.size() == 2);
    CHECK(diff.changed[0].name == "cmd");
    CHECK(diff.changed[0].keys == std::vector<std::string>{"command"});
    CHECK(diff.changed[0].needs_restart);
    CHECK(diff.changed[1].keys == std::vector<std::string>{"backoff", "log.max_size"});
    CHECK_FALSE(diff.changed[1].needs_restart);
}

TEST_CASE("a program on a socket whose address changed needs a restart", "[daemon]") {
    config::Config before, after;
    config::Socket socket;
    socket.name = "web";
    socket.listen = "127.0.0.1:8080";
    before.sockets = {socket};
    socket.listen = "127.0.0.1:8081";
    after.sockets = {socket};
    auto p = program("app");
    p.sockets = {"web"};
    before.programs = after.programs = {p};
    auto diff = config::diff_configs(before, after);
    REQUIRE(diff.sockets_changed.size() == 1);
    REQUIRE(diff.changed.size() == 1);
    CHECK(diff.changed[0].keys == std::vector<std::string>{"socket"});
    CHECK(diff.changed[0].needs_restart);
    CHECK(config::diff_configs(before, before).empty());
}
