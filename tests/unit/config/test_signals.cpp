#include "config/signals.h"

#include <catch2/catch.hpp>
#include <csignal>

using namespace svd::config;

TEST_CASE("signal_number knows the names svd users write", "[config][signals]") {
    CHECK(signal_number("TERM") == SIGTERM);
    CHECK(signal_number("INT") == SIGINT);
    CHECK(signal_number("QUIT") == SIGQUIT);
    CHECK(signal_number("HUP") == SIGHUP);
    CHECK(signal_number("KILL") == SIGKILL);
    CHECK(signal_number("USR1") == SIGUSR1);
    CHECK(signal_number("USR2") == SIGUSR2);
    CHECK(signal_number("WINCH") == SIGWINCH);
}

TEST_CASE("signal_number takes SIG prefixes, any case and numbers", "[config][signals]") {
    CHECK(signal_number("SIGTERM") == SIGTERM);
    CHECK(signal_number("sigint") == SIGINT);
    CHECK(signal_number("term") == SIGTERM);
    CHECK(signal_number("9") == 9);
    CHECK(signal_number("15") == 15);
    CHECK(signal_number("64") == 64);
}

TEST_CASE("signal_number refuses what is no signal", "[config][signals]") {
    CHECK_FALSE(signal_number(""));
    CHECK_FALSE(signal_number("0"));
    CHECK_FALSE(signal_number("65"));
    CHECK_FALSE(signal_number("99999999999999999999"));
    CHECK_FALSE(signal_number("-9"));
    CHECK_FALSE(signal_number("9x"));
    CHECK_FALSE(signal_number("SIG"));
    CHECK_FALSE(signal_number("TREM"));
    CHECK_FALSE(signal_number("SIGSIGTERM"));
}

TEST_CASE("signal_name is the inverse of signal_number", "[config][signals]") {
    CHECK(signal_name(SIGTERM) == "TERM");
    CHECK(signal_name(SIGKILL) == "KILL");
    CHECK(signal_name(40) == "40");
    for (const std::string& name : signal_names()) {
        auto number = signal_number(name);
        REQUIRE(number);
        CHECK(signal_name(*number) == name);
    }
}
