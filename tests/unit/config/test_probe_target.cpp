#include "config/probe_target.h"

#include <catch2/catch.hpp>

using namespace svd::config;

namespace {

ProbeEndpoint tcp(const std::string& text) {
    std::string error;
    auto endpoint = parse_tcp_target(text, &error);
    INFO(text << ": " << error);
    REQUIRE(endpoint);
    return *endpoint;
}

ProbeEndpoint http(const std::string& text) {
    std::string error;
    auto endpoint = parse_http_target(text, &error);
    INFO(text << ": " << error);
    REQUIRE(endpoint);
    return *endpoint;
}

std::string tcp_error(const std::string& text) {
    std::string error;
    CHECK_FALSE(parse_tcp_target(text, &error));
    return error;
}

std::string http_error(const std::string& text) {
    std::string error;
    CHECK_FALSE(parse_http_target(text, &error));
    return error;
}

} // namespace

TEST_CASE("tcp probe targets parse into a numeric endpoint", "[config][probe]") {
    auto v4 = tcp("127.0.0.1:5432");
    CHECK(v4.family == ProbeEndpoint::Family::V4);
    CHECK((v4.host == "127.0.0.1" && v4.port == 5432));
    auto v6 = tcp("[::1]:8080");
    CHECK(v6.family == ProbeEndpoint::Family::V6);
    CHECK((v6.host == "::1" && v6.port == 8080));
    CHECK(tcp("localhost:1").host == "127.0.0.1");
    // A target copied from a `listen` value means this machine.
    CHECK(tcp("*:80").host == "127.0.0.1");
    CHECK(tcp("0.0.0.0:80").host == "127.0.0.1");
    CHECK(tcp("[::]:80").host == "::1");
}

TEST_CASE("tcp probe targets the runtime could never use are refused", "[config][probe]") {
    CHECK_THAT(tcp_error("localhost6:5432"), Catch::Contains("\"localhost6\" is a name") &&
                                                 Catch::Contains("\"[::1]\""));
    CHECK_THAT(tcp_error("db.example.org:5432"), Catch::Contains("without name lookups"));
    CHECK_THAT(tcp_error("::1:5432"), Catch::Contains("in brackets: \"[::1]:5432\""));
    CHECK_THAT(tcp_error("[::1"), Catch::Contains("[IPv6]:PORT"));
    CHECK_THAT(tcp_error("[fe80::zz]:1"), Catch::Contains("invalid IPv6 address"));
    CHECK_THAT(tcp_error("127.0.0.1"), Catch::Contains("port is missing"));
    CHECK_THAT(tcp_error(":80"), Catch::Contains("host is missing"));
    CHECK_THAT(tcp_error("127.0.0.1:0"), Catch::Contains("from 1 to 65535"));
    CHECK_THAT(tcp_error("127.0.0.1:65536"), Catch::Contains("from 1 to 65535"));
    CHECK_THAT(tcp_error("127.0.0.1:8x"), Catch::Contains("from 1 to 65535"));
}

TEST_CASE("http probe URLs keep path, query and the Host header as written", "[config][probe]") {
    auto plain = http("http://localhost:8081/wps?service=WPS");
    CHECK((plain.host == "127.0.0.1" && plain.port == 8081));
    CHECK(plain.path == "/wps?service=WPS");
    CHECK(plain.host_header == "localhost:8081");
    auto bare = http("http://127.0.0.1");
    CHECK((bare.port == 80 && bare.path == "/" && bare.host_header == "127.0.0.1"));
    auto v6 = http("http://[::1]:9000?x=1#frag");
    CHECK((v6.family == ProbeEndpoint::Family::V6 && v6.port == 9000));
    CHECK(v6.path == "/?x=1");
}

TEST_CASE("http probe URLs the runtime could never use are refused", "[config][probe]") {
    CHECK_THAT(http_error("https://127.0.0.1/"), Catch::Contains("https is not supported"));
    CHECK_THAT(http_error("ftp://127.0.0.1/"), Catch::Contains("expected an http:// URL"));
    CHECK_THAT(http_error("http://app.internal:8080/"), Catch::Contains("\"app.internal\" is a name"));
    CHECK_THAT(http_error("http://user@127.0.0.1/"), Catch::Contains("user information"));
    CHECK_THAT(http_error("http://127.0.0.1:99999/"), Catch::Contains("from 1 to 65535"));
    CHECK_THAT(http_error("http:///x"), Catch::Contains("host is missing"));
}
