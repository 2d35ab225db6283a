#include "config/units.h"

#include <catch2/catch.hpp>

using namespace svd::config;
using std::chrono::milliseconds;

namespace {

long long duration_ms(const std::string& text) {
    std::string error;
    auto parsed = parse_duration(text, &error);
    INFO("parse_duration(\"" << text << "\"): " << error);
    REQUIRE(parsed.has_value());
    return parsed->count();
}

std::string duration_error(const std::string& text) {
    std::string error;
    auto parsed = parse_duration(text, &error);
    INFO("parse_duration(\"" << text << "\")");
    REQUIRE_FALSE(parsed.has_value());
    REQUIRE_FALSE(error.empty());
    return error;
}

unsigned long long size_bytes(const std::string& text) {
    std::string error;
    auto parsed = parse_size(text, &error);
    INFO("parse_size(\"" << text << "\"): " << error);
    REQUIRE(parsed.has_value());
    return *parsed;
}

std::string size_error(const std::string& text) {
    std::string error;
    auto parsed = parse_size(text, &error);
    INFO("parse_size(\"" << text << "\")");
    REQUIRE_FALSE(parsed.has_value());
    REQUIRE_FALSE(error.empty());
    return error;
}

} // namespace

TEST_CASE("parse_duration reads each unit", "[config][units]") {
    CHECK(duration_ms("500ms") == 500);
    CHECK(duration_ms("2s") == 2000);
    CHECK(duration_ms("1m") == 60'000);
    CHECK(duration_ms("1h") == 3'600'000);
    CHECK(duration_ms("1d") == 86'400'000);
    CHECK(duration_ms("0s") == 0);
}

TEST_CASE("parse_duration adds up compound durations", "[config][units]") {
    CHECK(duration_ms("1h30m") == 5'400'000);
    CHECK(duration_ms("1m30s") == 90'000);
    CHECK(duration_ms("1s500ms") == 1500);
    CHECK(duration_ms("1h 30m") == 5'400'000);
    CHECK(duration_ms("  2s ") == 2000);
}

TEST_CASE("parse_duration takes fractions and any case", "[config][units]") {
    CHECK(duration_ms("1.5s") == 1500);
    CHECK(duration_ms("0.25m") == 15'000);
    CHECK(duration_ms(".5s") == 500);
    CHECK(duration_ms("2S") == 2000);
    CHECK(duration_ms("10MS") == 10);
}

TEST_CASE("parse_duration rejects a bare number and asks for a unit", "[config][units]") {
    std::string error = duration_error("10");
    CHECK_THAT(error, Catch::Contains("missing unit"));
    CHECK_THAT(error, Catch::Contains("\"10s\""));
    CHECK_THAT(duration_error("1h30"), Catch::Contains("missing unit"));
}

TEST_CASE("parse_duration rejects malformed text", "[config][units]") {
    CHECK_THAT(duration_error(""), Catch::Contains("expected a duration"));
    CHECK_THAT(duration_error("   "), Catch::Contains("expected a duration"));
    CHECK_THAT(duration_error("5x"), Catch::Contains("unknown unit 'x'"));
    CHECK_THAT(duration_error("5sec"), Catch::Contains("unknown unit 'sec'"));
    CHECK_THAT(duration_error("-1s"), Catch::Contains("negative"));
    CHECK_THAT(duration_error("s"), Catch::Contains("expected a number"));
    CHECK_THAT(duration_error("1.s"), Catch::Contains("digits after the decimal point"));
    CHECK_THAT(duration_error("1.0001ms"), Catch::Contains("whole number of milliseconds"));
    CHECK_THAT(duration_error("1e3s"), Catch::Contains("unknown unit 'e'"));
    CHECK_THAT(duration_error("99999999999999999999999d"), Catch::Contains("too large"));
    CHECK_THAT(duration_error("200000000d"), Catch::Contains("100 years"));
}

TEST_CASE("format_duration gives back what parse_duration reads", "[config][units]") {
    CHECK(format_duration(milliseconds(0)) == "0s");
    CHECK(format_duration(milliseconds(250)) == "250ms");
    CHECK(format_duration(milliseconds(2000)) == "2s");
    CHECK(format_duration(milliseconds(5'400'000)) == "1h30m");
    CHECK(format_duration(milliseconds(90'061'001)) == "1d1h1m1s1ms");
    for (long long ms : {1LL, 999LL, 61'000LL, 86'400'000LL, 123'456'789LL})
        CHECK(duration_ms(format_duration(milliseconds(ms))) == ms);
}

TEST_CASE("human_duration writes fractions of a second as decimals", "[config][units]") {
    CHECK(human_duration(milliseconds(1000)) == "1s");
    CHECK(human_duration(milliseconds(1500)) == "1.5s");
    CHECK(human_duration(milliseconds(2050)) == "2.05s");
    CHECK(human_duration(milliseconds(250)) == "250ms");
    CHECK(human_duration(milliseconds(90'000)) == "1m30s");
}

TEST_CASE("parse_size reads bytes and 1024-based units", "[config][units]") {
    CHECK(size_bytes("512") == 512);
    CHECK(size_bytes("0") == 0);
    CHECK(size_bytes("512B") == 512);
    CHECK(size_bytes("10KB") == 10 * 1024);
    CHECK(size_bytes("50MB") == 50ull * 1024 * 1024);
    CHECK(size_bytes("1GB") == 1024ull * 1024 * 1024);
    CHECK(size_bytes("2TB") == 2ull * 1024 * 1024 * 1024 * 1024);
}

TEST_CASE("parse_size takes K/KiB/KB synonyms in any case", "[config][units]") {
    CHECK(size_bytes("1K") == 1024);
    CHECK(size_bytes("1KiB") == 1024);
    CHECK(size_bytes("1kb") == 1024);
    CHECK(size_bytes("3M") == 3ull * 1024 * 1024);
    CHECK(size_bytes("3mib") == 3ull * 1024 * 1024);
    CHECK(size_bytes("1G") == 1024ull * 1024 * 1024);
    CHECK(size_bytes("1GiB") == 1024ull * 1024 * 1024);
    CHECK(size_bytes("50 MB") == 50ull * 1024 * 1024);
    CHECK(size_bytes("1.5KB") == 1536);
}

TEST_CASE("parse_size rejects malformed text", "[config][units]") {
    CHECK_THAT(size_error(""), Catch::Contains("expected a size"));
    CHECK_THAT(size_error("10XB"), Catch::Contains("unknown unit 'XB'"));
    CHECK_THAT(size_error("MB"), Catch::Contains("expected a number"));
    CHECK_THAT(size_error("-1MB"), Catch::Contains("negative"));
    CHECK_THAT(size_error("0.3B"), Catch::Contains("whole number of bytes"));
    CHECK_THAT(size_error("10MB5"), Catch::Contains("unknown unit"));
    CHECK_THAT(size_error("99999999999TB"), Catch::Contains("too large"));
}
