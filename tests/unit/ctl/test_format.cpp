#include "format.h"

#include <catch2/catch.hpp>

#include <cstdlib>

using svctl::colour_state;
using svctl::human_duration;

TEST_CASE("human_duration reads like 3h12m", "[ctl][format]") {
    CHECK(human_duration(0) == "0s");
    CHECK(human_duration(42) == "42s");
    CHECK(human_duration(59) == "59s");
    CHECK(human_duration(60) == "1m00s");
    CHECK(human_duration(185) == "3m05s");
    CHECK(human_duration(3 * 3600 + 12 * 60 + 59) == "3h12m");
    CHECK(human_duration(86399) == "23h59m");
    CHECK(human_duration(2 * 86400 + 4 * 3600 + 30) == "2d04h");
    CHECK(human_duration(-5) == "0s");
}

TEST_CASE("colour_state colours only when asked, and keeps the name", "[ctl][format]") {
    CHECK(colour_state("RUNNING", false) == "RUNNING");
    CHECK(colour_state("RUNNING", true) == "\033[32mRUNNING\033[0m");
    CHECK(colour_state("FATAL", true) == "\033[31mFATAL\033[0m");
    CHECK(colour_state("STOPPED", true).find("STOPPED") != std::string::npos);
}

TEST_CASE("use_colour is off with NO_COLOR, and when stdout is not a terminal", "[ctl][format]") {
    // The test runner's stdout is a pipe or a file under ctest.
    unsetenv("NO_COLOR");
    bool tty = isatty(1) == 1;
    CHECK(svctl::use_colour() == (tty && std::getenv("TERM") && std::string(std::getenv("TERM")) != "dumb"));
    setenv("NO_COLOR", "1", 1);
    CHECK_FALSE(svctl::use_colour());
    unsetenv("NO_COLOR");
}
