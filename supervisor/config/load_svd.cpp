// [svd]: svd's own settings and variables, which everything after them uses.
#include "config/loader.h"

#include "config/expand.h"
#include "config/limits.h"
#include "config/read_socket.h"

#include <algorithm>
#include <iterator>

namespace svd::config::loading {
namespace {

const std::vector<std::string> kSvdKeys = {"home",    "prefix", "log_dir",      "run_dir",
                                           "socket",  "include", "watch_config", "vars", "max_clients"};

bool valid_variable_name(std::string_view name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

} // namespace

/// [svd]: ${home} first, then each variable from those before it.
void Loader::read_svd_table(const TableFields& top) {
    Variables vars;
    vars.env = getenv_lookup;
    vars.user_home = current_user_home();
    expander_.emplace(std::move(vars), main_dir_, diag_);

    static const toml::table kEmpty;
    const toml::table* table = top.subtable("svd");
    TableFields svd(table ? *table : kEmpty, files_[0].path, "[svd]", "", kSvdKeys, diag_);
    DaemonSettings& settings = config_.svd;

    settings.home = svd_path(svd, "home", main_dir_);
    expander_->define("home", settings.home);
    settings.prefix = svd_path(svd, "prefix", "/usr");
    expander_->define("prefix", settings.prefix);
    settings.log_dir = svd_path(svd, "log_dir", settings.home + "/var/log");
    expander_->define("log_dir", settings.log_dir);
    settings.run_dir = svd_path(svd, "run_dir", settings.home + "/var/run");
    expander_->define("run_dir", settings.run_dir);
    read_user_variables(svd);
    settings.socket = svd_path(svd, "socket", settings.run_dir + "/svd.sock");
    if (auto watch = svd.boolean("watch_config")) settings.watch_config = *watch;
    if (auto clients = svd.integer("max_clients", 1, 65536)) settings.max_clients = static_cast<int>(*clients);

    if (settings.socket.size() > kMaxUnixPathBytes) {
        const char* culprit = svd.has("socket") ? "socket" : svd.has("run_dir") ? "run_dir" : "home";
        diag_.error(table ? svd.where(culprit) : Location{main_path_},
                    "control socket path \"" + settings.socket + "\" is " + std::to_string(settings.socket.size()) +
                        " bytes; the limit is " + std::to_string(kMaxUnixPathBytes) +
                        " (sun_path), so set a shorter 'socket' or 'run_dir' in [svd]");
    }
    // NAME.err.log.STAMP-N.gz under log_dir must still fit PATH_MAX.
    constexpr std::size_t kMaxLogDirBytes = kMaxPathBytes - 1 - kMaxNameBytes - kLongestLogSuffixBytes;
    if (settings.log_dir.size() > kMaxLogDirBytes)
        diag_.error(table ? svd.where(svd.has("log_dir") ? "log_dir" : "home") : Location{main_path_},
                    "log_dir \"" + settings.log_dir.substr(0, 64) + "…\" is " + std::to_string(settings.log_dir.size()) +
                        " bytes; the limit is " + std::to_string(kMaxLogDirBytes) +
                        " so that every log file's path fits PATH_MAX");
    // Programs and sockets take relative paths from ${home}.
    expander_->set_base_dir(settings.home);
}

/// [svd] vars: each value may use svd's variables and ${env:NAME}, not
/// another of vars (their order in TOML is not kept).
void Loader::read_user_variables(const TableFields& svd) {
    if (const toml::table* table = svd.subtable("vars")) read_vars_table(*table, svd);
    // [profile.P] vars override [svd] vars, read the same way.
    if (profile_table_)
        if (const toml::table* overrides = profile_table_->get_as<toml::table>("vars"))
            read_vars_table(*overrides, svd);
}

void Loader::read_vars_table(const toml::table& vars, const TableFields& svd) {
    const toml::table* table = &vars;
    std::vector<std::pair<std::string, std::string>> defined;
    for (auto&& [key, value] : *table) {
        std::string name(key.str());
        Location key_where = location_of(key.source(), svd.file());
        Location where = location_of(value.source(), svd.file());
        if (!valid_variable_name(name)) {
            diag_.error(key_where, "invalid variable name '" + name +
                                       "': use letters, digits and '_', not starting with a digit");
            continue;
        }
        if (std::find(std::begin(kVariableNames), std::end(kVariableNames), name) != std::end(kVariableNames) ||
            name == "env") {
            diag_.error(key_where, "'" + name + "' is svd's own variable; choose another name");
            continue;
        }
        std::string text;
        if (auto string = value.value<std::string>()) text = *string;
        else if (value.is_integer()) text = std::to_string(value.as_integer()->get());
        else {
            diag_.error(where, type_mismatch("a string", "vars." + name, value));
            continue;
        }
        if (auto expanded = expander_->text(text, where, "vars." + name)) defined.emplace_back(name, *expanded);
    }
    for (auto& [name, value] : defined) {
        expander_->define(name, value);
        config_.svd.vars[name] = value;
    }

}

/// [svd] `key` expanded and absolute (against the main file's directory),
/// or `fallback` when absent or wrong.
std::string Loader::svd_path(const TableFields& svd, const char* key, const std::string& fallback) {
    auto text = svd.string(key);
    if (!text) return fallback;
    auto path = expander_->path(*text, svd.where(key), key);
    return path ? *path : fallback;
}

} // namespace svd::config::loading
