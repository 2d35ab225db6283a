// Supervisor: the last step of a shutdown. Every program is down, but
// processes may be left that no process group leads to any more: ones a
// program detached with setsid (and `env -i`, so no SVD_PROGRAM marker
// names them) and that svd, as subreaper, now parents. They get the stop
// signal and the longest stop_timeout, then SIGKILL, before svd exits.
// Also: how long the rest of a tree gets once its main process exited, and
// the SIGKILL to everything that a second SIGTERM asks for.
#include "probes/probes.h"
#include "runtime/remnants.h"
#include "runtime/supervisor.h"

#include <algorithm>
#include <csignal>

namespace svd::runtime {

bool Supervisor::remnants_ended() {
    if (!orphans_ended_) {
        orphans_ended_ = true;
        process::Millis longest{0};
        for (const auto& spec : config_.programs) longest = std::max(longest, spec.stop_timeout);
        remnants_->end_orphans([this](pid_t pid) { return by_pid_.count(pid) > 0 || probes_->tracks(pid); },
                               SIGTERM, longest);
    }
    return remnants_->size() == 0;
}

void Supervisor::kill_all_now() {
    for (const auto& [pid, program] : by_pid_) {
        remnants_->signal_escaped(pid, SIGKILL);
        kill(-pid, SIGKILL);
    }
    remnants_->kill_all();
}

process::Millis Supervisor::time_left_to_stop(const process::Program& program) const {
    const process::Millis timeout = program.spec().stop_timeout;
    if (program.state() != process::State::Stopping) return timeout;
    auto spent = std::chrono::duration_cast<process::Millis>(process::Clock::now() - program.state_since());
    return std::max(process::Millis{0}, timeout - spent);
}

} // namespace svd::runtime
