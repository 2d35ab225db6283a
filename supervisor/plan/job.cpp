#include "plan/job.h"

namespace svd::plan {

const char* to_string(JobType type) {
    switch (type) {
    case JobType::None: return "none";
    case JobType::Start: return "start";
    case JobType::Stop: return "stop";
    case JobType::Restart: return "restart";
    case JobType::Remove: return "remove";
    }
    return "?";
}

// The rules, current job × request:
//   anything  × any but Remove, while being removed → refused
//   anything  × Start|Restart, while shutting down  → refused
//   None|Start × Start → Start;  Stop × Start → Start, or Restart once the stop is sent
//   any       × Stop → Stop (a pending start is cancelled; a sent stop stays sent)
//   any       × Restart → Restart (a sent stop stays sent: the start follows it)
//   Restart   × Start → Restart (the start is already part of it)
//   any       × Remove → Remove
Merged merge(Job current, Request request, bool shutting_down) {
    if (current.type == JobType::Remove && request != Request::Remove)
        return {current, "it is being removed from the config"};
    if (shutting_down && (request == Request::Start || request == Request::Restart))
        return {current, "svd is shutting down"};
    Job next = current;
    switch (request) {
    case Request::Start:
        if (current.type == JobType::Restart) break;
        if (current.type == JobType::Stop && current.stop_sent) next.type = JobType::Restart;
        else next = {JobType::Start, false};
        break;
    case Request::Stop:
        next.type = JobType::Stop;
        next.stop_sent = current.stops() && current.stop_sent;
        break;
    case Request::Restart:
        next.type = JobType::Restart;
        next.stop_sent = current.stops() && current.stop_sent;
        break;
    case Request::Remove:
        next.type = JobType::Remove;
        next.stop_sent = current.stops() && current.stop_sent;
        break;
    }
    return {next, {}};
}

} // namespace svd::plan
