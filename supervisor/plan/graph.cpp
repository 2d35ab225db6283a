#include "plan/graph.h"

#include <algorithm>
#include <set>

namespace svd::plan {
namespace {

const std::vector<Edge> kNoEdges;

enum Mark { Unvisited = 0, OnPath, Done };

} // namespace

Graph::Graph(const config::Config& config) {
    for (const config::Program& program : config.programs) {
        forward_[program.name];
        backward_[program.name];
    }
    for (const config::Program& program : config.programs)
        for (const config::Dependency& dependency : program.dependencies) {
            if (dependency.name == program.name || !config.find_program(dependency.name)) continue;
            forward_[program.name].push_back(
                {program.name, dependency.name, dependency.condition, dependency.kind, &dependency});
        }
    // Reverse edges point at the forward ones' data, so build them after
    // every forward vector has its final size.
    for (const config::Program& program : config.programs)
        for (const Edge& edge : forward_[program.name]) backward_[edge.to].push_back(edge);

    // Depth-first, in config order: post-order is a topological order, and
    // a back edge (to a program still on the path) closes a cycle.
    std::map<std::string, int> mark;
    std::vector<const Edge*> path;
    for (const config::Program& program : config.programs)
        if (mark[program.name] == Unvisited) visit(program.name, mark, path);
    for (std::size_t i = 0; i < order_.size(); ++i) position_[order_[i]] = i;
}

void Graph::visit(const std::string& name, std::map<std::string, int>& mark, std::vector<const Edge*>& path) {
    mark[name] = OnPath;
    for (const Edge& edge : forward_[name]) {
        path.push_back(&edge);
        int target = mark[edge.to];
        if (target == OnPath) {
            // The cycle starts at the first edge on the path leaving edge.to.
            auto first = std::find_if(path.begin(), path.end(), [&](const Edge* e) { return e->from == edge.to; });
            cycles_.emplace_back(first, path.end());
        } else if (target == Unvisited) {
            visit(edge.to, mark, path);
        }
        path.pop_back();
    }
    mark[name] = Done;
    order_.push_back(name);
}

const std::vector<Edge>& Graph::edges_from(const std::string& name) const {
    auto found = forward_.find(name);
    return found == forward_.end() ? kNoEdges : found->second;
}

const std::vector<Edge>& Graph::edges_to(const std::string& name) const {
    auto found = backward_.find(name);
    return found == backward_.end() ? kNoEdges : found->second;
}

std::vector<std::string> Graph::reach(const std::string& name, bool forward, const EdgeFilter& keep) const {
    std::set<std::string> seen{name};
    std::vector<std::string> frontier{name};
    std::vector<std::string> out;
    while (!frontier.empty()) {
        std::string current = std::move(frontier.back());
        frontier.pop_back();
        for (const Edge& edge : forward ? edges_from(current) : edges_to(current)) {
            const std::string& next = forward ? edge.to : edge.from;
            if (!keep(edge) || !seen.insert(next).second) continue;
            out.push_back(next);
            frontier.push_back(next);
        }
    }
    std::sort(out.begin(), out.end(), [this](const std::string& a, const std::string& b) {
        return position_.at(a) < position_.at(b);
    });
    return out;
}

namespace {

bool is_requires(const Edge& edge) { return edge.kind == config::DependencyKind::Requires; }

} // namespace

std::vector<std::string> Graph::dependencies_of(const std::string& name) const {
    return reach(name, true, is_requires);
}

std::vector<std::string> Graph::dependents_of(const std::string& name) const {
    return reach(name, false, is_requires);
}

std::vector<std::string> Graph::successors_of(const std::string& name) const {
    return reach(name, false, [](const Edge&) { return true; });
}

std::vector<std::string> Graph::followers_of(const std::string& name) const {
    return reach(name, false, [](const Edge& edge) {
        return is_requires(edge) &&
               (edge.condition == config::Condition::Ready || edge.condition == config::Condition::Healthy);
    });
}

} // namespace svd::plan
