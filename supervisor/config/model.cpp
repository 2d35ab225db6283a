#include "config/model.h"

#include <algorithm>

namespace svd::config {

std::string Location::str() const {
    if (line <= 0) return file;
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::string ConfigError::str() const {
    return where.str() + ": error: " + message;
}

const char* to_string(ProgramType type) {
    switch (type) {
    case ProgramType::Longrun: return "longrun";
    case ProgramType::Oneshot: return "oneshot";
    }
    return "?";
}

const char* to_string(RestartPolicy policy) {
    switch (policy) {
    case RestartPolicy::Always: return "always";
    case RestartPolicy::OnFailure: return "on-failure";
    case RestartPolicy::Never: return "never";
    }
    return "?";
}

const char* to_string(StartMode mode) {
    switch (mode) {
    case StartMode::Boot: return "boot";
    case StartMode::OnDemand: return "on-demand";
    case StartMode::Manual: return "manual";
    }
    return "?";
}

const char* to_string(SocketProtocol protocol) {
    switch (protocol) {
    case SocketProtocol::Systemd: return "systemd";
    case SocketProtocol::Nginx: return "nginx";
    }
    return "?";
}

const char* to_string(Condition condition) {
    switch (condition) {
    case Condition::Started: return "started";
    case Condition::Ready: return "ready";
    case Condition::Healthy: return "healthy";
    case Condition::Completed: return "completed";
    }
    return "?";
}

const char* to_string(DependencyKind kind) {
    switch (kind) {
    case DependencyKind::Requires: return "requires";
    case DependencyKind::After: return "after";
    }
    return "?";
}

const char* to_string(StderrMode mode) {
    switch (mode) {
    case StderrMode::Merge: return "merge";
    case StderrMode::Separate: return "separate";
    case StderrMode::Discard: return "discard";
    }
    return "?";
}

const char* to_string(RotateEvery every) {
    switch (every) {
    case RotateEvery::Never: return "never";
    case RotateEvery::Hourly: return "hourly";
    case RotateEvery::Daily: return "daily";
    case RotateEvery::Interval: return "interval";
    }
    return "?";
}

const char* to_string(Probe::Kind kind) {
    switch (kind) {
    case Probe::Kind::None: return "none";
    case Probe::Kind::Tcp: return "tcp";
    case Probe::Kind::Http: return "http";
    case Probe::Kind::Exec: return "exec";
    case Probe::Kind::Notify: return "notify";
    case Probe::Kind::Delay: return "delay";
    }
    return "?";
}

const Program* Config::find_program(const std::string& name) const {
    auto it = std::find_if(programs.begin(), programs.end(),
                           [&](const Program& p) { return p.name == name; });
    return it == programs.end() ? nullptr : &*it;
}

const Socket* Config::find_socket(const std::string& name) const {
    auto it = std::find_if(sockets.begin(), sockets.end(),
                           [&](const Socket& s) { return s.name == name; });
    return it == sockets.end() ? nullptr : &*it;
}

} // namespace svd::config
