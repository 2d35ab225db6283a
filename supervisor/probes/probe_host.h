#pragma once
// What probes need from whoever runs the programs (runtime::Supervisor
// implements it): find a program to tell it "ready" or "unhealthy", its
// output to record a failed attempt, and a nudge for the plan afterwards.
// Probes see nothing else of the runtime, so probes/ does not include it.
#include <string>
#include <vector>

namespace svd::logs {
class ProgramOutput;
}
namespace svd::process {
class Program;
}

namespace svd::probes {

class ProbeHost {
public:
    virtual ~ProbeHost() = default;
    /// Names of the programs, in config order.
    virtual std::vector<std::string> names() const = 0;
    virtual process::Program* find(const std::string& name) = 0;
    virtual logs::ProgramOutput* output(const std::string& name) = 0;
    /// A probe result may let the plan move on.
    virtual void request_settle() = 0;
};

} // namespace svd::probes
