// plan/: what starts and stops when, decided without running anything.
//
// The dependency graph of one loaded config: who requires or is ordered
// after whom, on which condition, in both directions, a topological order
// and the cycles (across both kinds). Built
// once per config (svd start, update, reload) and asked by the planner, the
// runtime and the config checker (which reports the cycles).
#pragma once

#include "config/model.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace svd::plan {

/// `from` waits for `to` to reach `condition` first; with kind Requires it
/// also starts, stops and restarts with it.
struct Edge {
    std::string from;
    std::string to;
    config::Condition condition = config::Condition::Ready;
    config::DependencyKind kind = config::DependencyKind::Requires;
    const config::Dependency* source = nullptr; ///< where it is written, for messages
};

class Graph {
public:
    Graph() = default;
    /// Edges to programs the config does not define are left out (the
    /// checker reports them); so is a program requiring itself.
    explicit Graph(const config::Config& config);
    // Cycles point into the edge lists: moving keeps them, copying would not.
    Graph(const Graph&) = delete;
    Graph& operator=(const Graph&) = delete;
    Graph(Graph&&) = default;
    Graph& operator=(Graph&&) = default;

    /// What `name` waits for directly (requires and after), in the order written.
    const std::vector<Edge>& edges_from(const std::string& name) const;
    /// Who waits for `name` directly (requires and after).
    const std::vector<Edge>& edges_to(const std::string& name) const;

    /// Everything `name` requires, directly or not, dependencies first.
    std::vector<std::string> dependencies_of(const std::string& name) const;
    /// Everything that requires `name`, directly or not: they stop with it.
    std::vector<std::string> dependents_of(const std::string& name) const;
    /// Everything ordered after `name` over either kind, directly or not:
    /// when they stop together, they stop first.
    std::vector<std::string> successors_of(const std::string& name) const;
    /// Dependents that require `name` ready or healthy, directly or through
    /// others that do: they restart when `name` restarts. (`after` never
    /// makes a follower.)
    std::vector<std::string> followers_of(const std::string& name) const;

    /// Every program, each after what it requires (config order among
    /// equals; a cycle is broken where it was entered).
    const std::vector<std::string>& order() const { return order_; }

    /// Each cycle as the edges that close it, first edge first.
    using Cycle = std::vector<const Edge*>;
    const std::vector<Cycle>& cycles() const { return cycles_; }

private:
    using EdgeFilter = std::function<bool(const Edge&)>;
    /// Names reachable from `name` over edges (forward: requires; backward:
    /// required by) that pass `keep`, in topological order.
    std::vector<std::string> reach(const std::string& name, bool forward, const EdgeFilter& keep) const;
    void visit(const std::string& name, std::map<std::string, int>& mark, std::vector<const Edge*>& path);

    std::map<std::string, std::vector<Edge>> forward_;
    std::map<std::string, std::vector<Edge>> backward_;
    std::map<std::string, std::size_t> position_; ///< index in order_
    std::vector<std::string> order_;
    std::vector<Cycle> cycles_;
};

} // namespace svd::plan
