// --daemon: the parent waits until the child reports that the control
// socket accepts connections (or why it could not), so `svd --daemon && svctl
// status` never races.
#pragma once

#include <string>

namespace svd::daemon {

class Detacher {
public:
    /// Forks. Returns true in the child (now detached: new session, stdio on
    /// /dev/null). In the parent returns false once the child has reported:
    /// `error` is empty when it is up and running.
    [[nodiscard]] bool detach(std::string& error);
    /// In the child: the daemon is up. No-op when not detached.
    void succeed();
    /// In the child: the daemon could not start, say why to the parent.
    void fail(const std::string& error);

private:
    int report_fd_ = -1;
};

} // namespace svd::daemon
