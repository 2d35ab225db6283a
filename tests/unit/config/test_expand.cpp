#include "config/expand.h"

#include <catch2/catch.hpp>

using namespace svd::config;

namespace {

Variables sample_variables() {
    Variables vars;
    vars.values = {{"home", "/srv/svd"}, {"prefix", "/usr"}, {"log_dir", "/srv/svd/var/log"},
                   {"run_dir", "/srv/svd/var/run"}};
    vars.env = [](const std::string& name) -> std::optional<std::string> {
        if (name == "PORT") return std::string("8081");
        if (name == "EMPTY") return std::string();
        if (name == "DOLLAR") return std::string("a${home}$$b");
        return std::nullopt;
    };
    vars.user_home = "/home/svc";
    return vars;
}

std::string expanded(const std::string& text, const Variables& vars = sample_variables()) {
    std::string error;
    auto result = expand(text, vars, &error);
    INFO("expand(" << text << "): " << error);
    REQUIRE(result.has_value());
    return *result;
}

std::string expand_error(const std::string& text, const Variables& vars = sample_variables()) {
    std::string error;
    auto result = expand(text, vars, &error);
    INFO("expand(" << text << ")");
    REQUIRE_FALSE(result.has_value());
    return error;
}

} // namespace

TEST_CASE("expand substitutes svd's variables", "[config][expand]") {
    CHECK(expanded("${home}/share") == "/srv/svd/share");
    CHECK(expanded("${prefix}/bin/gunicorn") == "/usr/bin/gunicorn");
    CHECK(expanded("-k ${run_dir} --log ${log_dir}/x.log") == "-k /srv/svd/var/run --log /srv/svd/var/log/x.log");
    CHECK(expanded("no variables here") == "no variables here");
    CHECK(expanded("") == "");
}

TEST_CASE("expand reads the environment with ${env:NAME}", "[config][expand]") {
    CHECK(expanded("127.0.0.1:${env:PORT}") == "127.0.0.1:8081");
    CHECK(expanded("[${env:EMPTY}]") == "[]");
    // Substituted text is not expanded again.
    CHECK(expanded("${env:DOLLAR}") == "a${home}$$b");
}

TEST_CASE("expand uses getenv by default", "[config][expand]") {
    ::setenv("SVD_EXPAND_TEST_VAR", "from-env", 1);
    Variables vars;
    CHECK(expanded("${env:SVD_EXPAND_TEST_VAR}", vars) == "from-env");
    ::unsetenv("SVD_EXPAND_TEST_VAR");
    CHECK_THAT(expand_error("${env:SVD_EXPAND_TEST_VAR}", vars),
               Catch::Contains("environment variable 'SVD_EXPAND_TEST_VAR' is not set"));
}

TEST_CASE("expand turns $$ into $ and leaves other dollars alone", "[config][expand]") {
    CHECK(expanded("price: $$5") == "price: $5");
    CHECK(expanded("$${home}") == "${home}");
    CHECK(expanded("sh -c 'echo $HOME'") == "sh -c 'echo $HOME'");
    CHECK(expanded("end$") == "end$");
    CHECK(expanded("$$$$") == "$$");
}

TEST_CASE("expand replaces a leading ~", "[config][expand]") {
    CHECK(expanded("~") == "/home/svc");
    CHECK(expanded("~/svd") == "/home/svc/svd");
    CHECK(expanded("~user/svd") == "~user/svd");
    CHECK(expanded("a/~/b") == "a/~/b");
    Variables no_home = sample_variables();
    no_home.user_home.reset();
    CHECK_THAT(expand_error("~/x", no_home), Catch::Contains("$HOME"));
    CHECK(expanded("x~", no_home) == "x~");
}

TEST_CASE("expand names an unset environment variable", "[config][expand]") {
    CHECK(expand_error("${env:NOPE}") == "environment variable 'NOPE' is not set");
    CHECK_THAT(expand_error("${env:}"), Catch::Contains("missing environment variable name"));
}

TEST_CASE("expand suggests a known name for an unknown variable", "[config][expand]") {
    CHECK(expand_error("${hom}/x") == "unknown variable '${hom}'; did you mean '${home}'?");
    CHECK_THAT(expand_error("${rundir}"), Catch::Contains("did you mean '${run_dir}'?"));
    CHECK_THAT(expand_error("${ENV:PORT}"), Catch::Contains("did you mean 'env'?"));
    CHECK_THAT(expand_error("${completely_different}"), Catch::Contains("unknown variable '${completely_different}'"));
    CHECK_THAT(expand_error("${}"), Catch::Contains("empty variable name"));
}

TEST_CASE("expand refuses a variable that is not defined yet", "[config][expand]") {
    Variables only_home = sample_variables();
    only_home.values = {{"home", "/srv/svd"}};
    std::string error = expand_error("${run_dir}/x", only_home);
    CHECK_THAT(error, Catch::Contains("${run_dir} cannot be used here"));
    CHECK_THAT(error, Catch::Contains("${home}"));
}

TEST_CASE("expand reports an unterminated ${", "[config][expand]") {
    CHECK_THAT(expand_error("a ${home"), Catch::Contains("unterminated '${' at offset 2"));
}

TEST_CASE("expand suggests the user's own variables too", "[config][expand]") {
    Variables vars = sample_variables();
    vars.values["http_port"] = "58080";
    CHECK(expanded("${http_port}", vars) == "58080");
    CHECK_THAT(expand_error("${http_prot}", vars), Catch::Contains("did you mean '${http_port}'?"));
    CHECK_THAT(expand_error("${zzzzzzzzzz}", vars), Catch::Contains("${http_port}"));
}

TEST_CASE("expand refuses a value longer than one argument can be", "[config][expand]") {
    Variables vars = sample_variables();
    vars.values["big"] = std::string(100 * 1024, 'x');
    CHECK(expanded("${big}", vars).size() == 100 * 1024);
    CHECK(expand_error("${big}${big}", vars).find("more than 128 KiB") != std::string::npos);
    CHECK(expand_error(std::string(129 * 1024, 'y'), vars).find("longer than 128 KiB") != std::string::npos);
}
