// The planner with made-up program states, the way Program is tested with
// FakeHost: a small world carries out each action the way the runtime does
// (a stop leaves STOPPING until exited() is played; a start STARTING until
// up() is played) and the tests play exits and readiness in between.
#include "plan/planner.h"

#include <catch2/catch.hpp>

using namespace svd;
using config::Condition;
using plan::Action;
using plan::JobType;
using process::State;

namespace {

using Programs = std::vector<std::pair<std::string, std::vector<std::pair<std::string, Condition>>>>;

struct World {
    config::Config config;
    plan::Graph graph;
    plan::Views views;
    std::vector<std::string> log; ///< "stop web", "start db", ...
    bool shutting_down = false;

    explicit World(const Programs& programs) {
        for (const auto& [name, requires_] : programs) {
            config::Program program;
            program.name = name;
            for (const auto& [target, condition] : requires_) program.dependencies.push_back({target, condition, {}});
            config.programs.push_back(program);
            views[name];
        }
        graph = plan::Graph(config);
    }

    bool ask(const std::string& name, plan::Request request) {
        plan::Merged merged = plan::merge(views[name].job, request, shutting_down);
        if (!merged.refused.empty()) return false;
        views[name].job = merged.job;
        return true;
    }

    /// What the runtime's settle() does: act until only waiting is left.
    void settle() {
        for (int round = 0; round < 100; ++round) {
            bool progress = false;
            for (const Action& action : plan::next_actions(graph, views)) {
                plan::ProgramView& view = views[action.name];
                switch (action.kind) {
                case Action::Kind::Stop:
                    view.job.stop_sent = true;
                    if (process::has_process(view.state)) view.state = State::Stopping;
                    else view.state = State::Stopped;
                    log.push_back("stop " + action.name);
                    break;
                case Action::Kind::StopDone: view.job = {}; break;
                case Action::Kind::Relaunch: view.job = {JobType::Start, false}; break;
                case Action::Kind::Start:
                    view.job = {};
                    view.state = State::Starting;
                    view.ready = false;
                    log.push_back("start " + action.name);
                    break;
                case Action::Kind::ArmOnDemand: view.job = {}; view.armed = true; break;
                case Action::Kind::Wait: view.state = State::Waiting; view.message = action.reason; break;
                case Action::Kind::GiveUp:
                    view.job = {};
                    view.state = State::Waiting;
                    view.message = action.reason;
                    break;
                case Action::Kind::Forget: views.erase(action.name); break;
                }
                progress = progress || action.kind != Action::Kind::Wait;
            }
            if (!progress) return;
        }
        FAIL("the plan did not settle in 100 rounds");
    }
    void up(const std::string& name) {
        views[name].state = State::Running;
        views[name].ready = true;
        settle();
    }
    void exited(const std::string& name) {
        views[name].state = State::Stopped;
        views[name].ready = false;
        settle();
    }
    void fatal(const std::string& name) {
        views[name].state = State::Fatal;
        views[name].ready = false;
        settle();
    }
    std::vector<std::string> take_log() { return std::exchange(log, {}); }
};

World diamond() {
    return World(Programs{{"db", {}},
                  {"left", {{"db", Condition::Ready}}},
                  {"right", {{"db", Condition::Ready}}},
                  {"web", {{"left", Condition::Ready}, {"right", Condition::Ready}}}});
}

void start_all(World& world) {
    for (const auto& name : world.graph.order()) world.ask(name, plan::Request::Start);
    world.settle();
    for (const char* name : {"db", "left", "right", "web"}) world.up(name);
    world.take_log();
}

} // namespace

TEST_CASE("diamond start: each program once what it requires is ready, siblings together", "[plan]") {
    World world = diamond();
    for (const auto& name : world.graph.order()) world.ask(name, plan::Request::Start);
    world.settle();
    CHECK(world.take_log() == std::vector<std::string>{"start db"});
    CHECK(world.views["web"].state == State::Waiting);
    CHECK(world.views["web"].message == "waiting for left (ready), right (ready)");
    world.up("db");
    CHECK(world.take_log() == std::vector<std::string>{"start left", "start right"});
    world.up("left");
    CHECK(world.take_log().empty());
    world.up("right");
    CHECK(world.take_log() == std::vector<std::string>{"start web"});
}

TEST_CASE("stopping a shared dependency stops its dependents first", "[plan]") {
    World world = diamond();
    start_all(world);
    for (const char* name : {"db", "left", "right", "web"}) world.ask(name, plan::Request::Stop);
    world.settle();
    CHECK(world.take_log() == std::vector<std::string>{"stop web"});
    CHECK(plan::verdict(world.graph, world.views, plan::Goal::Down, "db") == std::nullopt);
    world.exited("web");
    auto log = world.take_log();
    std::sort(log.begin(), log.end());
    CHECK(log == std::vector<std::string>{"stop left", "stop right"});
    world.exited("left");
    CHECK(world.take_log().empty()); // right still runs
    world.exited("right");
    CHECK(world.take_log() == std::vector<std::string>{"stop db"});
    world.exited("db");
    auto down = plan::verdict(world.graph, world.views, plan::Goal::Down, "db");
    REQUIRE(down);
    CHECK(down->ok);
    CHECK(plan::all_down(world.views));
}

TEST_CASE("a restart that dependents follow: down from the top, up from the bottom", "[plan]") {
    World world = diamond();
    start_all(world);
    world.ask("db", plan::Request::Restart);
    for (const auto& follower : world.graph.followers_of("db")) world.ask(follower, plan::Request::Restart);
    world.settle();
    CHECK(world.take_log() == std::vector<std::string>{"stop web"});
    world.exited("web");
    world.exited("left");
    world.exited("right");
    world.take_log();
    world.exited("db");
    CHECK(world.take_log() == std::vector<std::string>{"start db"});
    CHECK(plan::verdict(world.graph, world.views, plan::Goal::Up, "web") == std::nullopt);
    world.up("db");
    world.up("left");
    world.up("right");
    CHECK(world.take_log() == std::vector<std::string>{"start left", "start right", "start web"});
    world.up("web");
    auto verdict = plan::verdict(world.graph, world.views, plan::Goal::Up, "web");
    REQUIRE(verdict);
    CHECK(verdict->ok);
}

TEST_CASE("a dependency gone FATAL: the start gives up with the reason", "[plan]") {
    World world = diamond();
    for (const auto& name : world.graph.order()) world.ask(name, plan::Request::Start);
    world.settle();
    world.fatal("db");
    CHECK(world.views["left"].job.type == JobType::None);
    CHECK(world.views["left"].message == "waiting for db is FATAL");
    auto verdict = plan::verdict(world.graph, world.views, plan::Goal::Up, "left");
    REQUIRE(verdict);
    CHECK_FALSE(verdict->ok);
    // web waits on left and right, which wait on db: it gives up too, in turn.
    auto web = plan::verdict(world.graph, world.views, plan::Goal::Up, "web");
    CHECK((web == std::nullopt || !web->ok));
}

TEST_CASE("shutdown while jobs are pending: pending starts become stops", "[plan]") {
    World world = diamond();
    for (const auto& name : world.graph.order()) world.ask(name, plan::Request::Start);
    world.settle();
    world.up("db"); // left and right are STARTING, web waits
    world.take_log();
    world.shutting_down = true;
    for (auto& [name, view] : world.views) world.ask(name, plan::Request::Stop);
    world.settle();
    auto log = world.take_log();
    std::sort(log.begin(), log.end());
    CHECK(log == std::vector<std::string>{"stop left", "stop right", "stop web"});
    CHECK_FALSE(plan::all_down(world.views));
    world.exited("left");
    world.exited("right");
    CHECK(world.take_log() == std::vector<std::string>{"stop db"});
    world.exited("db");
    CHECK(plan::all_down(world.views));
}

TEST_CASE("a job arriving during shutdown is refused and the shutdown still ends", "[plan]") {
    World world = diamond();
    start_all(world);
    world.shutting_down = true;
    for (auto& [name, view] : world.views) world.ask(name, plan::Request::Stop);
    world.settle();
    world.exited("web");
    CHECK_FALSE(world.ask("web", plan::Request::Restart));
    CHECK_FALSE(world.ask("web", plan::Request::Start));
    for (const char* name : {"left", "right", "db"}) world.exited(name);
    for (const auto& entry : world.take_log()) CHECK(entry.rfind("start", 0) != 0);
    CHECK(plan::all_down(world.views));
}

TEST_CASE("an on-demand program is armed, not started, until its first connection", "[plan]") {
    World world(Programs{{"app", {}}});
    world.views["app"].on_demand = true;
    world.ask("app", plan::Request::Start);
    world.settle();
    CHECK(world.take_log().empty());
    CHECK(world.views["app"].armed);
    auto verdict = plan::verdict(world.graph, world.views, plan::Goal::Up, "app");
    REQUIRE(verdict);
    CHECK(verdict->ok);
    world.views["app"].demand_seen = true;
    world.ask("app", plan::Request::Start);
    world.settle();
    CHECK(world.take_log() == std::vector<std::string>{"start app"});
}

TEST_CASE("a removed program is stopped, then forgotten", "[plan]") {
    World world(Programs{{"app", {}}});
    world.ask("app", plan::Request::Start);
    world.settle();
    world.up("app");
    world.ask("app", plan::Request::Remove);
    world.settle();
    CHECK(world.views.count("app") == 1);
    world.exited("app");
    CHECK(world.views.count("app") == 0);
}

TEST_CASE("conditions", "[plan]") {
    plan::ProgramView view;
    view.state = State::Starting;
    CHECK(plan::condition_holds(view, Condition::Started));
    CHECK_FALSE(plan::condition_holds(view, Condition::Ready));
    view.state = State::Running;
    view.ready = true;
    CHECK(plan::condition_holds(view, Condition::Ready));
    CHECK(plan::condition_holds(view, Condition::Healthy)); // no health check: ready is enough
    view.has_health_check = true;
    CHECK_FALSE(plan::condition_holds(view, Condition::Healthy));
    view.healthy = true;
    CHECK(plan::condition_holds(view, Condition::Healthy));
    CHECK_FALSE(plan::condition_holds(view, Condition::Completed));
    view.state = State::Exited;
    view.completed = true;
    CHECK(plan::condition_holds(view, Condition::Completed));
}

namespace {

/// proxy after = { app = "ready" }; app requires db ready.
World proxy_world() {
    World world(Programs{{"db", {}}, {"app", {{"db", Condition::Ready}}}, {"proxy", {}}});
    world.config.programs[2].dependencies.push_back({"app", Condition::Ready, {}, config::DependencyKind::After});
    world.graph = plan::Graph(world.config);
    return world;
}

} // namespace

TEST_CASE("after: when both start, the later one waits for the condition", "[plan]") {
    World world = proxy_world();
    for (const auto& name : world.graph.order()) world.ask(name, plan::Request::Start);
    world.settle();
    CHECK(world.take_log() == std::vector<std::string>{"start db"});
    CHECK(world.views["proxy"].message == "waiting for app (ready)");
    world.up("db");
    CHECK(world.take_log() == std::vector<std::string>{"start app"});
    world.up("app");
    CHECK(world.take_log() == std::vector<std::string>{"start proxy"});
}

TEST_CASE("after: starting alone does not wait for a program that is not coming", "[plan]") {
    World world = proxy_world();
    world.ask("proxy", plan::Request::Start);
    world.settle();
    CHECK(world.take_log() == std::vector<std::string>{"start proxy"});
    world.views["app"].state = State::Fatal;
    world.views["proxy"] = {};
    world.ask("proxy", plan::Request::Start);
    world.settle();
    CHECK(world.take_log() == std::vector<std::string>{"start proxy"});
}

TEST_CASE("after: restarting or stopping the earlier one leaves the later one running", "[plan]") {
    World world = proxy_world();
    for (const auto& name : world.graph.order()) world.ask(name, plan::Request::Start);
    world.settle();
    for (const char* name : {"db", "app", "proxy"}) world.up(name);
    world.take_log();
    world.ask("app", plan::Request::Restart);
    for (const auto& follower : world.graph.followers_of("app")) world.ask(follower, plan::Request::Restart);
    world.settle();
    CHECK(world.take_log() == std::vector<std::string>{"stop app"});
    world.exited("app");
    CHECK(world.take_log() == std::vector<std::string>{"start app"});
    world.up("app");
    CHECK(world.views["proxy"].state == State::Running);
    world.ask("app", plan::Request::Stop);
    world.settle();
    CHECK(world.take_log() == std::vector<std::string>{"stop app"});
    CHECK(world.views["proxy"].state == State::Running);
}

TEST_CASE("after: when both stop, the later one stops first", "[plan]") {
    World world = proxy_world();
    for (const auto& name : world.graph.order()) world.ask(name, plan::Request::Start);
    world.settle();
    for (const char* name : {"db", "app", "proxy"}) world.up(name);
    world.take_log();
    world.ask("app", plan::Request::Stop);
    world.ask("proxy", plan::Request::Stop);
    world.settle();
    CHECK(world.take_log() == std::vector<std::string>{"stop proxy"});
    world.exited("proxy");
    CHECK(world.take_log() == std::vector<std::string>{"stop app"});
}
