#include "config/suggest.h"

#include <catch2/catch.hpp>

using namespace svd::config;

TEST_CASE("edit_distance counts insertions, deletions and substitutions", "[config][suggest]") {
    CHECK(edit_distance("", "") == 0);
    CHECK(edit_distance("abc", "abc") == 0);
    CHECK(edit_distance("", "abc") == 3);
    CHECK(edit_distance("kitten", "sitting") == 3);
    CHECK(edit_distance("comand", "command") == 1);
    CHECK(edit_distance("restart", "retsart") == 2);
}

TEST_CASE("closest_match offers a near candidate only", "[config][suggest]") {
    const std::vector<std::string> keys = {"command", "directory", "restart", "stop_signal", "log"};
    CHECK(closest_match("comand", keys) == "command");
    CHECK(closest_match("directroy", keys) == "directory");
    CHECK(closest_match("stop_sginal", keys) == "stop_signal");
    CHECK(closest_match("lgo", keys) == "log");
    CHECK_FALSE(closest_match("environment", keys));
    CHECK_FALSE(closest_match("xy", {"ab"}));
    CHECK_FALSE(closest_match("", keys));
    CHECK_FALSE(closest_match("anything", {}));
}

TEST_CASE("closest_match allows more edits for longer words", "[config][suggest]") {
    // 15 letters allow 5 edits; 3 letters allow 2.
    CHECK(closest_match("socket_protcool", {"socket_protocol"}) == "socket_protocol");
    CHECK(closest_match("sockt_prtocl", {"socket_protocol"}) == "socket_protocol");
    CHECK_FALSE(closest_match("abc", {"xyzabc"}));
}

TEST_CASE("closest_match prefers the closest, then the first", "[config][suggest]") {
    CHECK(closest_match("stat", {"start", "stat"}) == "stat");
    CHECK(closest_match("bat", {"cat", "hat"}) == "cat");
}

TEST_CASE("did_you_mean phrases the suggestion", "[config][suggest]") {
    CHECK(did_you_mean("comand", {"command"}) == "; did you mean 'command'?");
    CHECK(did_you_mean("zzzzzz", {"command"}).empty());
}

TEST_CASE("closest_match ignores case", "[config][suggest]") {
    CHECK(closest_match("Command", {"command"}) == "command");
    CHECK(closest_match("ENV", {"home", "env"}) == "env");
}
