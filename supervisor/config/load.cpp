// load_config: reads svd.toml and its drop-ins, in this order:
//   1. parse the main file; read [svd], which defines ${home} and friends
//      and lists the drop-ins;
//   2. parse every drop-in;
//   3. read every [socket.*], then every [program.*] (programs refer to
//      sockets, which may be defined in any file);
//   4. cross_check what needs the whole config (requires, cycles).
// Errors are gathered all along; the Config is returned only without any.
#include "config/model.h"

#include "config/cross_check.h"
#include "config/expand.h"
#include "config/limits.h"
#include "config/loader.h"
#include "config/read_program.h"
#include "config/read_socket.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <tuple>

namespace svd::config {
namespace loading {
namespace {

const std::vector<std::string> kMainKeys = {"svd", "program", "socket", "profile"};

bool valid_name(std::string_view name) {
    if (name.empty()) return false;
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '.' || c == '-';
        if (!ok) return false;
    }
    return true;
}

} // namespace

LoadResult Loader::run() {
    LoadResult result;
    load();
    sort_errors();
    if (diag_.not_kept > 0)
        diag_.errors.push_back(ConfigError{Location{main_path_}, std::to_string(diag_.not_kept) +
                                                                     " more errors not shown; fix these first"});
    result.socket = config_.svd.socket;
    if (diag_.empty()) result.config = std::move(config_);
    result.errors = std::move(diag_.errors);
    return result;
}

void Loader::load() {
    read_order_.push_back(main_path_);
    auto main = parse_file(main_path_, "config file", diag_, Location{main_path_});
    if (!main) return;
    config_.file = main->absolute;
    config_.files.push_back(main->absolute);
    main_dir_as_given_ = std::filesystem::path(main_path_).parent_path().string();
    main_dir_ = std::filesystem::path(main->absolute).parent_path().string();
    files_.push_back(std::move(*main));
    TableFields top(files_[0].table, files_[0].path, "", "", kMainKeys, diag_);

    profile_table_ = select_profile(top);
    read_svd_table(top);
    if (scope_ == Scope::ControlSocket) return;
    read_includes(top);
    if (profile_table_) apply_profile_includes(*profile_table_);
    read_named_tables("socket", [&](const std::string& name, const toml::table& table, const ParsedFile& file) {
        if (auto socket = read_socket(name, table, file.path, *expander_, diag_))
            config_.sockets.push_back(std::move(*socket));
        else
            broken_sockets_.push_back(name);
    });
    std::vector<std::string> socket_names = broken_sockets_;
    for (const Socket& socket : config_.sockets) socket_names.push_back(socket.name);
    read_named_tables("program", [&](const std::string& name, const toml::table& table, const ParsedFile& file) {
        config_.programs.push_back(read_program(name, table, file.path, *expander_,
                                                all_files_read_ ? &socket_names : nullptr, diag_));
    });
    if (profile_table_) {
        if (const toml::table* sockets = profile_table_->get_as<toml::table>("socket"))
            for (auto&& [key, node] : *sockets) socket_names.emplace_back(key.str());
        apply_profile_tables(*profile_table_, socket_names);
    }
    cross_check(config_, all_files_read_, diag_);
}

/// Errors in reading order: file by file as loaded, then line by line;
/// each once ("${x} ${x}" in a command fails twice the same way).
void Loader::sort_errors() {
    auto rank = [&](const Location& where) {
        std::size_t index = 0;
        while (index < read_order_.size() && read_order_[index] != where.file) ++index;
        return std::tuple(index, where.line, where.column);
    };
    std::stable_sort(diag_.errors.begin(), diag_.errors.end(),
                     [&](const ConfigError& a, const ConfigError& b) { return rank(a.where) < rank(b.where); });
    auto same = [](const ConfigError& a, const ConfigError& b) {
        return a.where.str() == b.where.str() && a.message == b.message;
    };
    diag_.errors.erase(std::unique(diag_.errors.begin(), diag_.errors.end(), same), diag_.errors.end());
}

/// Calls `read` for each [kind.NAME] of every file, in the order written,
/// after checking the name and that it is not defined twice.
template <typename Read>
void Loader::read_named_tables(const std::string& kind, Read read) {
    std::map<std::string, Location> defined;
    for (const ParsedFile& file : files_) {
        const toml::node* group = file.table.get(kind);
        if (!group) continue;
        const toml::table* tables = group->as_table();
        if (!tables) {
            diag_.error(location_of(group->source(), file.path), type_mismatch("a table", kind, *group));
            continue;
        }
        std::vector<NamedTable> entries;
        for (auto&& [key, value] : *tables) {
            std::string name(key.str());
            Location where = location_of(value.source(), file.path);
            if (!value.is_table()) {
                diag_.error(where, type_mismatch("a table", kind + "." + name, value));
                continue;
            }
            entries.push_back({name, location_of(key.source(), file.path), where, value.as_table()});
        }
        std::stable_sort(entries.begin(), entries.end(), [](const NamedTable& a, const NamedTable& b) {
            return std::pair(a.where.line, a.where.column) < std::pair(b.where.line, b.where.column);
        });
        for (const NamedTable& entry : entries) {
            if (!valid_name(entry.name)) {
                diag_.error(entry.key_where, "invalid " + kind + " name '" + entry.name +
                                                 "': use only letters, digits, '_', '.' and '-'");
                continue;
            }
            if (entry.name.size() > kMaxNameBytes) {
                diag_.error(entry.key_where, kind + " name '" + entry.name.substr(0, 32) + "…' is " +
                                                 std::to_string(entry.name.size()) + " bytes; the limit is " +
                                                 std::to_string(kMaxNameBytes) +
                                                 (kind == "program" ? " (names become file names in log_dir)"
                                                                    : " (names go into LISTEN_FDNAMES)"));
                continue;
            }
            if (entry.name == "all") {
                diag_.error(entry.key_where, "'all' cannot be a " + kind +
                                                 " name: svctl uses it to mean every program");
                continue;
            }
            auto [it, inserted] = defined.emplace(entry.name, entry.where);
            if (!inserted) {
                diag_.error(entry.where, kind + " '" + entry.name + "' is already defined at " + it->second.str());
                continue;
            }
            read(entry.name, *entry.table, file);
        }
    }
}

} // namespace loading

using loading::Loader;

/// Runs a Loader; never throws for bad input.
static LoadResult run_loader(const std::string& path, const std::string& profile, Loader::Scope scope) {
    try {
        return Loader(path, profile, scope).run();
    } catch (const std::exception& error) {
        LoadResult result;
        result.errors.push_back(ConfigError{Location{path}, std::string("internal error while loading: ") + error.what()});
        return result;
    }
}

LoadResult load_control_socket(const std::string& path, const std::string& profile) {
    LoadResult result = run_loader(path, profile, Loader::Scope::ControlSocket);
    result.config.reset(); // partial: only its [svd] part was read
    if (!result.errors.empty()) result.socket.clear();
    return result;
}

LoadResult load_config(const std::string& path, const std::string& profile) {
    return run_loader(path, profile, Loader::Scope::Everything);
}

std::string default_config_path() {
    if (auto explicit_path = getenv_lookup("SVD_CONFIG"); explicit_path && !explicit_path->empty())
        return *explicit_path;
    // The XDG spec says to ignore a relative XDG_CONFIG_HOME.
    if (auto xdg = getenv_lookup("XDG_CONFIG_HOME"); xdg && !xdg->empty() && xdg->front() == '/')
        return *xdg + "/svd/svd.toml";
    if (auto home = current_user_home()) return *home + "/.config/svd/svd.toml";
    return "svd.toml";
}

} // namespace svd::config
