#include "config/command_split.h"

#include <catch2/catch.hpp>

using namespace svd::config;
using Words = std::vector<std::string>;

namespace {

Words split(const std::string& command) {
    std::string error;
    auto words = split_command(command, &error);
    INFO("split_command(" << command << "): " << error);
    REQUIRE(words.has_value());
    return *words;
}

struct Failure {
    std::string message;
    std::size_t offset;
};

Failure split_failure(const std::string& command) {
    std::string error;
    std::size_t offset = 12345;
    auto words = split_command(command, &error, &offset);
    INFO("split_command(" << command << ")");
    REQUIRE_FALSE(words.has_value());
    return {error, offset};
}

} // namespace

TEST_CASE("split_command separates words on blanks", "[config][command_split]") {
    CHECK(split("postgres -D /data -p 55432") == Words{"postgres", "-D", "/data", "-p", "55432"});
    CHECK(split("  a \t b\n c  ") == Words{"a", "b", "c"});
    CHECK(split("single") == Words{"single"});
    CHECK(split("").empty());
    CHECK(split(" \t\n ").empty());
}

TEST_CASE("split_command keeps single quotes literal", "[config][command_split]") {
    CHECK(split("nginx -g 'daemon off;'") == Words{"nginx", "-g", "daemon off;"});
    CHECK(split(R"('a "b" \n $x')") == Words{R"(a "b" \n $x)"});
    CHECK(split(R"(sh -c 'echo $HOME')") == Words{"sh", "-c", "echo $HOME"});
}

TEST_CASE("split_command unescapes \\\" \\\\ \\$ \\` inside double quotes only", "[config][command_split]") {
    CHECK(split(R"(echo "a b")") == Words{"echo", "a b"});
    CHECK(split(R"("say \"hi\"")") == Words{R"(say "hi")"});
    CHECK(split(R"("back\\slash")") == Words{R"(back\slash)"});
    CHECK(split(R"("\$HOME \`x\`")") == Words{"$HOME `x`"});
    // Other backslashes stay, as in sh.
    CHECK(split(R"("a\nb \x")") == Words{R"(a\nb \x)"});
    CHECK(split(R"("it's")") == Words{"it's"});
}

TEST_CASE("split_command lets a backslash outside quotes escape one character", "[config][command_split]") {
    CHECK(split(R"(a\ b c)") == Words{"a b", "c"});
    CHECK(split(R"(\'quoted\')") == Words{"'quoted'"});
    CHECK(split(R"(\"x\")") == Words{"\"x\""});
    CHECK(split(R"(a\\b)") == Words{R"(a\b)"});
    CHECK(split("one \\\ntwo") == Words{"one", "two"});
}

TEST_CASE("split_command joins adjacent quoted parts and keeps empty words", "[config][command_split]") {
    CHECK(split(R"(a'b'"c"d)") == Words{"abcd"});
    CHECK(split(R"(--name='my app')") == Words{"--name=my app"});
    CHECK(split("a '' b") == Words{"a", "", "b"});
    CHECK(split(R"("")") == Words{""});
}

TEST_CASE("split_command reports an unterminated quote with its offset", "[config][command_split]") {
    Failure single = split_failure("echo 'abc");
    CHECK(single.offset == 5);
    CHECK_THAT(single.message, Catch::Contains("unterminated single quote"));
    CHECK_THAT(single.message, Catch::Contains("offset 5"));

    Failure double_quote = split_failure(R"(a "b)");
    CHECK(double_quote.offset == 2);
    CHECK_THAT(double_quote.message, Catch::Contains("unterminated double quote"));

    Failure escaped_close = split_failure(R"(x "abc\")");
    CHECK(escaped_close.offset == 2);
}

TEST_CASE("split_command reports a trailing backslash", "[config][command_split]") {
    Failure failure = split_failure("a \\");
    CHECK(failure.offset == 2);
    CHECK_THAT(failure.message, Catch::Contains("trailing backslash"));
}

TEST_CASE("split_command works without an offset pointer", "[config][command_split]") {
    std::string error;
    CHECK_FALSE(split_command("'", &error).has_value());
    CHECK_FALSE(error.empty());
}

TEST_CASE("join_command quotes only what needs it and round-trips", "[config][command_split]") {
    CHECK(join_command({"nginx", "-g", "daemon off;"}) == "nginx -g 'daemon off;'");
    CHECK(join_command({"a", ""}) == "a ''");
    const std::vector<Words> cases = {
        {"plain", "words"}, {"with space", "it's", R"(back\slash)", "\"dq\""}, {"", "x"}, {"$HOME", "~"}};
    for (const Words& words : cases) CHECK(split(join_command(words)) == words);
}
