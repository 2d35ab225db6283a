// [profile.*]: choosing one, and laying its tables over the base config.
#include "config/loader.h"

#include "config/read_program.h"
#include "config/read_socket.h"
#include "config/suggest.h"
#include "text/join.h"

#include <algorithm>

namespace svd::config::loading {
namespace {

const std::vector<std::string> kProfileKeys = {"vars", "program", "socket", "include"};

} // namespace

/// The selected [profile.NAME], checking every profile's shape on the way.
const toml::table* Loader::select_profile(const TableFields& top) {
    const toml::node* node = top.find("profile");
    const toml::table* profiles = node ? node->as_table() : nullptr;
    if (node && !profiles) {
        diag_.error(location_of(node->source(), files_[0].path), type_mismatch("a table", "profile", *node));
        return nullptr;
    }
    std::vector<std::string> known;
    const toml::table* selected = nullptr;
    if (profiles)
        for (auto&& [key, value] : *profiles) {
            std::string name(key.str());
            known.push_back(name);
            const toml::table* table = value.as_table();
            if (!table) {
                diag_.error(location_of(value.source(), files_[0].path),
                            type_mismatch("a table", "profile." + name, value));
                continue;
            }
            for (auto&& [inner, inner_value] : *table)
                if (std::find(kProfileKeys.begin(), kProfileKeys.end(), inner.str()) == kProfileKeys.end())
                    diag_.error(location_of(inner.source(), files_[0].path),
                                "unknown key '" + std::string(inner.str()) + "' in [profile." + name + "]" +
                                    did_you_mean(inner.str(), kProfileKeys));
            if (name == profile_) selected = table;
        }
    if (!profile_.empty() && !selected) {
        std::string list = text::join(known, ", ");
        diag_.error(Location{files_[0].path}, "unknown profile '" + profile_ + "'" + did_you_mean(profile_, known) +
                                                  (list.empty() ? "; this config defines no [profile.*]"
                                                                : "; defined: " + list));
    }
    config_.profile = selected ? profile_ : std::string{};
    return selected;
}

/// [profile.P.program.X] over [program.X] (or a new program), and
/// [profile.P.socket.Y] (a whole socket, replacing one of that name).
/// Read from the profile's own table, so errors point at its lines.
void Loader::apply_profile_tables(const toml::table& profile, const std::vector<std::string>& socket_names) {
    if (const toml::table* sockets = profile.get_as<toml::table>("socket"))
        for (auto&& [key, node] : *sockets) {
            const toml::table* table = node.as_table();
            if (!table) continue;
            std::string name(key.str());
            auto socket = read_socket(name, *table, files_[0].path, *expander_, diag_);
            if (!socket) continue;
            auto existing = std::find_if(config_.sockets.begin(), config_.sockets.end(),
                                         [&](const Socket& s) { return s.name == name; });
            if (existing != config_.sockets.end()) *existing = std::move(*socket);
            else config_.sockets.push_back(std::move(*socket));
        }
    if (const toml::table* programs = profile.get_as<toml::table>("program"))
        for (auto&& [key, node] : *programs) {
            const toml::table* table = node.as_table();
            if (!table) continue;
            std::string name(key.str());
            auto existing = std::find_if(config_.programs.begin(), config_.programs.end(),
                                         [&](const Program& p) { return p.name == name; });
            const Program* base = existing != config_.programs.end() ? &*existing : nullptr;
            Program program = read_program(name, *table, files_[0].path, *expander_,
                                           all_files_read_ ? &socket_names : nullptr, diag_, base);
            if (base) *existing = std::move(program);
            else config_.programs.push_back(std::move(program));
        }
}

} // namespace svd::config::loading
