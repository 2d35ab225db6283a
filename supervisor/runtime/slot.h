// runtime/: one program's slot: its state machine, its output, its timer
// and the one job the plan gave it. Teardown is the destructor.
#pragma once

#include "logs/program_output.h"
#include "loop/handle.h"
#include "plan/job.h"
#include "process/program.h"

#include <memory>

namespace svd::runtime {

class Supervisor;

/// ProgramOutput closes its pipes on the loop; it frees itself when done.
struct CloseOutput {
    void operator()(logs::ProgramOutput* output) const {
        output->close([output] { delete output; });
    }
};

struct Slot {
    Supervisor* owner = nullptr; ///< for the timer's callback
    std::unique_ptr<process::Program> program;
    std::unique_ptr<logs::ProgramOutput, CloseOutput> output;
    loop::Timer timer;
    plan::Job job;
    std::string start_note; ///< passed to the next Program::start (a watch restart says why)
};

} // namespace svd::runtime
