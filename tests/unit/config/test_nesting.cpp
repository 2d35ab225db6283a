#include "config/nesting.h"

#include <catch2/catch.hpp>
#include <string>

using namespace svd::config;

namespace {

std::string repeat(const std::string& part, int times, const std::string& separator = "") {
    std::string out;
    for (int i = 0; i < times; ++i) out += (i ? separator : "") + part;
    return out;
}

} // namespace

TEST_CASE("nesting: svd's own deepest keys are far below the limit", "[config][nesting]") {
    const std::string config = R"(
[svd]
home = "~/svd"   # [not.a.header]
vars = { a = "x.y.z", b = '[[[[' }
[profile.dev.program.web]
log.keep = 3
log = { max_size = "1MB" }
command = ["a", "[b", "{c"]
note = """
[x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x]
"""
literal = '''{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{'''
"quoted.key.with.dots" = 1
)";
    CHECK_FALSE(find_excess_nesting(config, kMaxNestingDepth).has_value());
}

TEST_CASE("nesting: a table header deeper than the limit is found at its first excess part", "[config][nesting]") {
    std::string header = "[" + repeat("a", 40000, ".") + "]\n";
    auto found = find_excess_nesting("# x\n" + header, 32);
    REQUIRE(found.has_value());
    CHECK(found->line == 2);
    CHECK(found->column == 1 + 1 + 32 * 2); // after "[" and 32 "a."
    CHECK_FALSE(find_excess_nesting("[" + repeat("a", 32, ".") + "]\n", 32).has_value());
    CHECK(find_excess_nesting("[[" + repeat("a", 33, ".") + "]]\n", 32).has_value());
}

TEST_CASE("nesting: dotted keys add to the table they are in", "[config][nesting]") {
    CHECK(find_excess_nesting(repeat("a", 50000, ".") + " = 1\n", 32).has_value());
    CHECK_FALSE(find_excess_nesting("[" + repeat("a", 16, ".") + "]\n" + repeat("b", 16, ".") + " = 1\n", 32).has_value());
    CHECK(find_excess_nesting("[" + repeat("a", 16, ".") + "]\n" + repeat("b", 17, ".") + " = 1\n", 32).has_value());
    // A new header starts again from the top.
    CHECK_FALSE(find_excess_nesting("[" + repeat("a", 30, ".") + "]\n[b]\n" + repeat("c", 30, ".") + " = 1\n", 32).has_value());
}

TEST_CASE("nesting: arrays and inline tables count, across lines", "[config][nesting]") {
    CHECK(find_excess_nesting("x = " + repeat("[", 1000) + repeat("]", 1000) + "\n", 32).has_value());
    CHECK(find_excess_nesting("x = " + repeat("{a=", 1000) + "1" + repeat("}", 1000) + "\n", 32).has_value());
    CHECK(find_excess_nesting("x = [\n" + repeat("[\n", 40) + "\n", 32).has_value());
    CHECK_FALSE(find_excess_nesting("x = " + repeat("[", 31) + repeat("]", 31) + "\n", 32).has_value());
    // Siblings do not add up.
    CHECK_FALSE(find_excess_nesting("x = [" + repeat("[[[[[[[[1]]]]]]]]", 100, ",") + "]\n", 32).has_value());
    CHECK_FALSE(find_excess_nesting("x = {" + repeat("a.b.c.d.e.f.g.h = 1", 1, "") + ", " +
                                        "i.j.k.l.m.n.o.p = 2}\n", 32).has_value());
}

TEST_CASE("nesting: brackets inside strings and comments do not count", "[config][nesting]") {
    CHECK_FALSE(find_excess_nesting("x = \"" + repeat("[", 100) + "\\\"" + repeat("{", 100) + "\"\n", 32).has_value());
    CHECK_FALSE(find_excess_nesting("x = 1 # " + repeat("[", 100) + "\n", 32).has_value());
    CHECK_FALSE(find_excess_nesting("x = '''\n" + repeat("[", 100) + "\n'''\n", 32).has_value());
    // The line count goes on through multi-line strings.
    auto found = find_excess_nesting("x = \"\"\"\na \\\nb\n\"\"\"\n" + repeat("y", 40, ".") + " = 1\n", 32);
    REQUIRE(found.has_value());
    CHECK(found->line == 5);
}
