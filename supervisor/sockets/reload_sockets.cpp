// Sockets: what `svctl reload` binds before it re-executes svd. A socket the
// new config adds (or moves) is bound here, in the old image, so that an
// address someone else holds refuses the reload with a message instead of
// failing in the new image, with every program attached.
#include "sockets/sockets.h"

#include <unistd.h>

namespace svd::sockets {

bool Sockets::bind_for_reload(const config::Config& next, const ConfigDiff& diff, std::map<std::string, int>& fds,
                              std::vector<int>& fresh, std::string& error) {
    auto is_in = [](const auto& list, const std::string& name) {
        for (const auto& entry : list)
            if (entry == name) return true;
        return false;
    };
    std::vector<std::string> changed;
    for (const auto& change : diff.sockets_changed) changed.push_back(change.name);
    for (const auto& spec : next.sockets) {
        auto held = held_.find(spec.name);
        if (held != held_.end() && !is_in(changed, spec.name) && !is_in(diff.sockets_added, spec.name)) {
            fds[spec.name] = held->second.fd;
            continue;
        }
        Held bound;
        bound.spec = spec;
        if (!bind_one(bound, error)) {
            for (int fd : fresh) close(fd);
            fresh.clear();
            fds.clear();
            return false;
        }
        fds[spec.name] = bound.fd;
        fresh.push_back(bound.fd);
    }
    return true;
}

} // namespace svd::sockets
