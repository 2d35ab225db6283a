// plan/: the one job a program has at a time, and how a new request merges
// into it (as systemd merges jobs: a stop after a pending start cancels it).
// Every refusal lives here: no start or restart while svd shuts down,
// whoever asks (svctl, update, watch, a connection to an on-demand socket).
#pragma once

#include <string>

namespace svd::plan {

enum class JobType {
    None,
    Start,   ///< run it once what it requires holds
    Stop,    ///< stop it once nothing that requires it runs
    Restart, ///< stop as above, then start as above
    Remove,  ///< removed from the config: stop, then forget it
};
const char* to_string(JobType type);

struct Job {
    JobType type = JobType::None;
    /// The stop of a Stop, Restart or Remove has been sent; the job waits
    /// for the process to be gone.
    bool stop_sent = false;

    bool stops() const { return type == JobType::Stop || type == JobType::Restart || type == JobType::Remove; }
    bool starts() const { return type == JobType::Start || type == JobType::Restart; }
    friend bool operator==(const Job&, const Job&) = default;
};

enum class Request { Start, Stop, Restart, Remove };

struct Merged {
    Job job;
    std::string refused; ///< why the request was not taken (job unchanged); empty when taken
};

/// The job that `request` leaves on a program whose job is `current`.
Merged merge(Job current, Request request, bool shutting_down);

} // namespace svd::plan
