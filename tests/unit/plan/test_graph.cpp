// The dependency graph: edges both ways, order, closures and cycles.
#include "plan/graph.h"

#include <catch2/catch.hpp>

using namespace svd;
using config::Condition;

namespace {

config::Config make_config(const std::vector<std::pair<std::string, std::vector<std::pair<std::string, Condition>>>>& programs) {
    config::Config config;
    int line = 1;
    for (const auto& [name, requires_] : programs) {
        config::Program program;
        program.name = name;
        for (const auto& [target, condition] : requires_) {
            config::Dependency dependency{target, condition, {}};
            dependency.where.file = "svd.toml";
            dependency.where.line = line++;
            program.dependencies.push_back(dependency);
        }
        config.programs.push_back(program);
    }
    return config;
}

} // namespace

TEST_CASE("a diamond: order puts every program after what it requires", "[plan]") {
    auto config = make_config({{"web", {{"left", Condition::Ready}, {"right", Condition::Started}}},
                               {"left", {{"db", Condition::Ready}}},
                               {"right", {{"db", Condition::Healthy}}},
                               {"db", {}}});
    plan::Graph graph(config);
    const auto& order = graph.order();
    auto at = [&](const std::string& name) { return std::find(order.begin(), order.end(), name) - order.begin(); };
    REQUIRE(order.size() == 4);
    CHECK(at("db") < at("left"));
    CHECK(at("db") < at("right"));
    CHECK(at("left") < at("web"));
    CHECK(at("right") < at("web"));
    CHECK(graph.dependencies_of("web") == std::vector<std::string>{"db", "left", "right"});
    auto dependents = graph.dependents_of("db");
    std::sort(dependents.begin(), dependents.end());
    CHECK(dependents == std::vector<std::string>{"left", "right", "web"});
    CHECK(graph.edges_to("db").size() == 2);
    CHECK(graph.edges_from("web").size() == 2);
    CHECK(graph.cycles().empty());
}

TEST_CASE("followers are the dependents that need it ready or healthy", "[plan]") {
    auto config = make_config({{"web", {{"right", Condition::Ready}}},
                               {"right", {{"db", Condition::Started}}},
                               {"left", {{"db", Condition::Ready}}},
                               {"job", {{"left", Condition::Healthy}}},
                               {"db", {}}});
    plan::Graph graph(config);
    // right only needs db started: it does not follow, so neither does web.
    CHECK(graph.followers_of("db") == std::vector<std::string>{"left", "job"});
}

TEST_CASE("unknown targets and self-edges are left to the checker", "[plan]") {
    auto config = make_config({{"a", {{"ghost", Condition::Ready}, {"a", Condition::Ready}}}});
    plan::Graph graph(config);
    CHECK(graph.edges_from("a").empty());
    CHECK(graph.cycles().empty());
    CHECK(graph.edges_from("nobody").empty());
}

TEST_CASE("a cycle is reported by the edges that close it", "[plan]") {
    auto config = make_config({{"a", {{"b", Condition::Ready}}},
                               {"b", {{"c", Condition::Ready}}},
                               {"c", {{"a", Condition::Started}}},
                               {"d", {{"a", Condition::Ready}}}});
    plan::Graph graph(config);
    REQUIRE(graph.cycles().size() == 1);
    const auto& cycle = graph.cycles().front();
    REQUIRE(cycle.size() == 3);
    CHECK(cycle[0]->from == "a");
    CHECK(cycle[0]->to == "b");
    CHECK(cycle[2]->to == "a");
    CHECK(cycle[2]->source->where.line == 3);
    CHECK(graph.order().size() == 4); // broken where entered, every program still ordered
}

TEST_CASE("a moved graph keeps its cycles", "[plan]") {
    auto config = make_config({{"a", {{"b", Condition::Ready}}}, {"b", {{"a", Condition::Ready}}}});
    plan::Graph moved;
    moved = plan::Graph(config);
    REQUIRE(moved.cycles().size() == 1);
    CHECK(moved.cycles().front().front()->from == "a");
}

namespace {

/// Adds `from` after = { to = condition } at `line`.
void add_after(config::Config& config, const std::string& from, const std::string& to, int line) {
    for (auto& program : config.programs)
        if (program.name == from) {
            config::Dependency dependency{to, Condition::Ready, {}, config::DependencyKind::After};
            dependency.where.file = "svd.toml";
            dependency.where.line = line;
            program.dependencies.push_back(dependency);
        }
}

} // namespace

TEST_CASE("after orders but neither starts, stops nor restarts with it", "[plan]") {
    auto config = make_config({{"proxy", {}}, {"app", {{"db", Condition::Ready}}}, {"db", {}}});
    add_after(config, "proxy", "app", 10);
    plan::Graph graph(config);
    const auto& order = graph.order();
    auto at = [&](const std::string& name) { return std::find(order.begin(), order.end(), name) - order.begin(); };
    CHECK(at("app") < at("proxy"));
    CHECK(graph.edges_from("proxy").size() == 1);
    CHECK(graph.edges_from("proxy").front().kind == config::DependencyKind::After);
    CHECK(graph.dependencies_of("proxy").empty());
    CHECK(graph.dependents_of("app").empty());
    CHECK(graph.followers_of("app").empty());
    CHECK(graph.followers_of("db") == std::vector<std::string>{"app"});
    CHECK(graph.successors_of("db") == std::vector<std::string>{"app", "proxy"});
}

TEST_CASE("a cycle through requires and after is a cycle", "[plan]") {
    auto config = make_config({{"a", {{"b", Condition::Ready}}}, {"b", {}}});
    add_after(config, "b", "a", 7);
    plan::Graph graph(config);
    REQUIRE(graph.cycles().size() == 1);
    const auto& cycle = graph.cycles().front();
    REQUIRE(cycle.size() == 2);
    CHECK(cycle[1]->kind == config::DependencyKind::After);
    CHECK(cycle[1]->source->where.line == 7);
}
