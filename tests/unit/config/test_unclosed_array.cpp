#include "config/unclosed_array.h"

#include <catch2/catch.hpp>

using namespace svd::config;

TEST_CASE("unclosed array: a header inside an open array points back at the line where it opened", "[config][unclosed_array]") {
    const char* text = "[svd]\nhome = \"/x\"\ninclude = [\"a\",\n\n[program.a]\ncommand = \"x\"\n";
    auto opened = unclosed_array_before(text, 5);
    REQUIRE(opened);
    CHECK(opened->line == 3);
    CHECK(opened->column == 11);
}

TEST_CASE("unclosed array: closed arrays, strings and comments are no finding", "[config][unclosed_array]") {
    CHECK_FALSE(unclosed_array_before("a = [1,\n 2]\n[t]\nx = ?\n", 4));
    CHECK_FALSE(unclosed_array_before("a = \"[\" # [\n[t]\n", 2));
    // An error inside a multi-line array that is not a header stays where toml++ put it.
    CHECK_FALSE(unclosed_array_before("a = [\n  1,\n  ?,\n]\n", 3));
}
