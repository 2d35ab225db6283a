// `requires` and `after` as read from a config: both kinds kept apart, the
// same checks for each, one cycle check across both.
#include "config/model.h"

#include "config_test_support.h"

#include <catch2/catch.hpp>

using namespace svd::config;
using svd::config::testing::TempDir;

TEST_CASE("load_config reads after as an order-only dependency, in the order written", "[config][load]") {
    TempDir dir;
    LoadResult result = load_config(dir.write("svd.toml", R"([program.proxy]
command = "x"
requires = { db = "started" }
after = { web = "ready", cache = "healthy" }
[program.web]
command = "x"
[program.db]
command = "x"
[program.cache]
command = "x"
health = { tcp = "localhost:1" }
)"));
    REQUIRE_LOADED(result);
    const Program* proxy = result.config->find_program("proxy");
    REQUIRE(proxy->dependencies.size() == 3);
    CHECK(proxy->dependencies[0].name == "db");
    CHECK(proxy->dependencies[0].kind == DependencyKind::Requires);
    CHECK(proxy->dependencies[1].name == "web");
    CHECK(proxy->dependencies[1].kind == DependencyKind::After);
    CHECK(proxy->dependencies[2].name == "cache");
    CHECK(proxy->dependencies[2].condition == Condition::Healthy);
}

TEST_CASE("load_config checks after like requires", "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", R"([program.proxy]
command = "x"
requires = { web = "ready" }
after = { wbe = "ready", proxy = "ready", web = "started", init = "completed", cache = "alive" }
[program.web]
command = "x"
[program.init]
command = "x"
[program.cache]
command = "x"
)");
    LoadResult result = load_config(main);
    REQUIRE_CONFIG_ERROR(result, main + ":4:11",
                         "program 'proxy' is ordered after unknown program 'wbe'; did you mean 'web'?");
    REQUIRE_CONFIG_ERROR(result, main + ":4:26", "program 'proxy' is ordered after itself");
    REQUIRE_CONFIG_ERROR(result, main + ":4:43", "'web' is in both 'requires'");
    REQUIRE_CONFIG_ERROR(result, main + ":4:60", "'completed' only applies to oneshot programs");
    REQUIRE_CONFIG_ERROR(result, main + ":4:88", "invalid value \"alive\" for 'after.cache'");
    CHECK(result.errors.size() == 5);
}

TEST_CASE("load_config reports a cycle across requires and after", "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", R"([program.a]
command = "x"
requires = { b = "ready" }
[program.b]
command = "x"
after = { a = "ready" }
)");
    LoadResult result = load_config(main);
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].message == "dependency cycle: a -> b (" + main + ":3:14) -> a (" + main + ":6:11)");
}
