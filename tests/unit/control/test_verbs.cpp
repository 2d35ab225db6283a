#include "control/protocol.h"
#include "control/verbs.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

using namespace svd::control;

TEST_CASE("every verb is listed once; an alias names a verb svd answers", "[control][verbs]") {
    std::set<std::string_view> names;
    for (const Verb& verb : verbs()) {
        CHECK(names.insert(verb.name).second);
        if (verb.alias_of.empty()) {
            CHECK_FALSE(verb.help.empty());
        } else {
            const Verb* target = find_verb(verb.alias_of);
            REQUIRE(target);
            CHECK(target->alias_of.empty());
            CHECK(target->side == verb.side);
        }
    }
    CHECK(find_verb("logs")->alias_of == "tail");
    CHECK(find_verb("frobnicate") == nullptr);
}

TEST_CASE("svd suggests among the verbs it answers, not svctl's own or aliases", "[control][verbs]") {
    auto names = svd_verb_names();
    CHECK(std::count(names.begin(), names.end(), "status") == 1);
    CHECK(std::count(names.begin(), names.end(), "reload") == 1);
    for (const char* not_svds : {"logs", "import", "export"})
        CHECK(std::count(names.begin(), names.end(), not_svds) == 0);
}

TEST_CASE("usage lines put the help in one column, or 3 spaces after a long synopsis", "[control][verbs]") {
    std::string lines = verb_usage_lines();
    CHECK(lines.find("  status [NAME...|all]            programs, states, pids, uptime (--json for scripts)\n") !=
          std::string::npos);
    CHECK(lines.find("  tail [-f] [-n N] [--stderr] NAME...|all   show (and follow) program output\n") !=
          std::string::npos);
    CHECK(lines.find("  version                         versions of svctl and svd\n") != std::string::npos);
    CHECK(lines.find("logs") == std::string::npos);
    CHECK(verb_usage(*find_verb("start")) == "usage: svctl start NAME...|all [--no-wait]");
    CHECK(verb_usage(*find_verb("reread")) == "usage: svctl reread");
}

TEST_CASE("make_request builds what parse_request accepts", "[control][protocol]") {
    auto line = make_request({"start", {"web"}, {{"wait", false}}}).dump();
    auto parsed = parse_request(line);
    REQUIRE(parsed.request);
    CHECK(parsed.request->verb == "start");
    CHECK(parsed.request->names == std::vector<std::string>{"web"});
    CHECK(parsed.request->args["wait"] == false);
    CHECK(make_request({"version"})["v"] == kProtocolVersion);
}
