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
#include "config/diagnostics.h"
#include "config/expand.h"
#include "config/read_program.h"
#include "config/read_socket.h"
#include "config/suggest.h"
#include "config/toml_fields.h"
#include "config/value_expander.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <filesystem>
#include <glob.h>
#include <map>
#include <sys/stat.h>
#include <tuple>
#include <unistd.h>

namespace svd::config {
namespace {

const std::vector<std::string> kMainKeys = {"svd", "program", "socket", "profile"};
const std::vector<std::string> kProfileKeys = {"vars", "program", "socket", "include"};
const std::vector<std::string> kDropInKeys = {"program", "socket"};
const std::vector<std::string> kSvdKeys = {"home",    "prefix", "log_dir",      "run_dir",
                                           "socket",  "include", "watch_config", "vars"};

// A config this large is a mistake (or /dev/zero); stop before eating memory.
constexpr std::size_t kMaxConfigBytes = 16 * 1024 * 1024;

struct ParsedFile {
    std::string path; ///< as opened, for messages
    std::string absolute;
    toml::table table;
};

std::optional<std::string> read_whole_file(const std::string& path, std::string* error) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *error = std::strerror(errno);
        return std::nullopt;
    }
    std::string content;
    char buffer[65536];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            *error = std::strerror(errno);
            ::close(fd);
            return std::nullopt;
        }
        if (n == 0) break;
        content.append(buffer, static_cast<std::size_t>(n));
        if (content.size() > kMaxConfigBytes) {
            *error = "larger than " + std::to_string(kMaxConfigBytes / (1024 * 1024)) + " MiB";
            ::close(fd);
            return std::nullopt;
        }
    }
    ::close(fd);
    return content;
}

/// The file parsed, or nullopt with the reason in `diag` (at `opened_from`
/// when given, e.g. the include that named the file).
std::optional<ParsedFile> parse_file(const std::string& path, const std::string& what, Diagnostics& diag,
                                     const Location& opened_from) {
    std::string why;
    auto content = read_whole_file(path, &why);
    if (!content) {
        diag.error(opened_from, "cannot read " + what + " '" + path + "': " + why);
        return std::nullopt;
    }
    try {
        ParsedFile file;
        file.path = path;
        file.absolute = absolute_path(path, std::filesystem::current_path().string());
        file.table = toml::parse(std::string_view(*content), std::string(path));
        return file;
    } catch (const toml::parse_error& error) {
        diag.error(location_of(error.source(), path), std::string(error.description()));
        return std::nullopt;
    }
}

bool is_glob_pattern(std::string_view pattern) {
    return pattern.find_first_of("*?[") != std::string_view::npos;
}

bool is_regular_file(const std::string& path) {
    struct stat info{};
    return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

bool valid_variable_name(std::string_view name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

bool valid_name(std::string_view name) {
    if (name.empty()) return false;
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '.' || c == '-';
        if (!ok) return false;
    }
    return true;
}

class Loader {
public:
    /// What to read: everything, or only what locates the control socket.
    enum class Scope { Everything, ControlSocket };

    Loader(std::string main_path, std::string profile, Scope scope = Scope::Everything)
        : main_path_(std::move(main_path)), profile_(std::move(profile)), scope_(scope) {}

    LoadResult run() {
        LoadResult result;
        load();
        sort_errors();
        result.socket = config_.svd.socket;
        if (diag_.empty()) result.config = std::move(config_);
        result.errors = std::move(diag_.errors);
        return result;
    }

private:
    void load() {
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
    void sort_errors() {
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

    /// [svd]: ${home} first, then each variable from those before it.
    void read_svd_table(const TableFields& top) {
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

        if (settings.socket.size() > kMaxUnixPathBytes) {
            const char* culprit = svd.has("socket") ? "socket" : svd.has("run_dir") ? "run_dir" : "home";
            diag_.error(table ? svd.where(culprit) : Location{main_path_},
                        "control socket path \"" + settings.socket + "\" is " + std::to_string(settings.socket.size()) +
                            " bytes; the limit is " + std::to_string(kMaxUnixPathBytes) +
                            " (sun_path), so set a shorter 'socket' or 'run_dir' in [svd]");
        }
        // Programs and sockets take relative paths from ${home}.
        expander_->set_base_dir(settings.home);
    }

    /// [svd] vars: each value may use svd's variables and ${env:NAME}, not
    /// another of vars (their order in TOML is not kept).
    void read_user_variables(const TableFields& svd) {
        if (const toml::table* table = svd.subtable("vars")) read_vars_table(*table, svd);
        // [profile.P] vars override [svd] vars, read the same way.
        if (profile_table_)
            if (const toml::table* overrides = profile_table_->get_as<toml::table>("vars"))
                read_vars_table(*overrides, svd);
    }

    void read_vars_table(const toml::table& vars, const TableFields& svd) {
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
    std::string svd_path(const TableFields& svd, const char* key, const std::string& fallback) {
        auto text = svd.string(key);
        if (!text) return fallback;
        auto path = expander_->path(*text, svd.where(key), key);
        return path ? *path : fallback;
    }

    void read_includes(const TableFields& top) {
        const toml::node* node = top.find("svd");
        const toml::table* table = node ? node->as_table() : nullptr;
        if (!table) return; // read_svd_table reported a wrong type
        TableFields svd(*table, files_[0].path, "[svd]", "", diag_);
        auto patterns = svd.strings("include");
        if (!patterns) return;
        const toml::array& array = *svd.find("include")->as_array();
        std::vector<std::string> seen = {files_[0].absolute};
        for (std::size_t i = 0; i < patterns->size(); ++i) {
            Location where = svd.where(*array.get(i));
            std::string key = "include[" + std::to_string(i) + "]";
            auto pattern = expander_->text((*patterns)[i], where, key);
            if (!pattern) continue;
            if (pattern->empty()) {
                diag_.error(where, "'" + key + "' is empty");
                continue;
            }
            config_.svd.include.push_back(absolute_path(*pattern, main_dir_));
            // Paths as the user would write them: relative to where svd was pointed.
            std::string as_given = (std::filesystem::path(main_dir_as_given_) / *pattern).string();
            for (const std::string& path : glob_files(as_given, where))
                include_file(path, where, seen);
        }
    }

    /// The files `pattern` names, sorted. A pattern matching nothing is fine
    /// (conf.d may be empty); a plain path that does not exist is not.
    std::vector<std::string> glob_files(const std::string& pattern, const Location& where) {
        std::vector<std::string> paths;
        if (!is_glob_pattern(pattern)) {
            struct stat info{};
            if (::stat(pattern.c_str(), &info) != 0) {
                diag_.error(where, "included file '" + pattern + "' cannot be read: " + std::strerror(errno));
            } else if (!S_ISREG(info.st_mode)) {
                diag_.error(where, "included path '" + pattern + "' is not a file");
            } else {
                paths.push_back(pattern);
            }
            return paths;
        }
        glob_t matches{};
        int status = ::glob(pattern.c_str(), 0, nullptr, &matches);
        if (status == 0) {
            for (std::size_t i = 0; i < matches.gl_pathc; ++i)
                if (is_regular_file(matches.gl_pathv[i])) paths.emplace_back(matches.gl_pathv[i]);
        } else if (status != GLOB_NOMATCH) {
            diag_.error(where, "cannot expand include pattern '" + pattern + "'" +
                                   (status == GLOB_ABORTED ? ": a directory could not be read" : ""));
        }
        ::globfree(&matches);
        return paths;
    }

    void include_file(const std::string& path, const Location& where, std::vector<std::string>& seen) {
        std::error_code error;
        std::string identity = std::filesystem::weakly_canonical(path, error).string();
        if (error) identity = absolute_path(path, main_dir_);
        if (std::find(seen.begin(), seen.end(), identity) != seen.end()) return;
        seen.push_back(identity);

        read_order_.push_back(path);
        auto file = parse_file(path, "included file", diag_, where);
        if (!file) {
            all_files_read_ = false;
            return;
        }
        config_.files.push_back(file->absolute);
        for (auto&& [key, value] : file->table) {
            if (key.str() == "svd") {
                diag_.error(location_of(key.source(), file->path),
                            "[svd] is only allowed in the main config file, " + files_[0].path);
            } else if (std::find(kDropInKeys.begin(), kDropInKeys.end(), key.str()) == kDropInKeys.end()) {
                diag_.error(location_of(key.source(), file->path),
                            "unknown key '" + std::string(key.str()) + "'" + did_you_mean(key.str(), kDropInKeys));
            }
        }
        files_.push_back(std::move(*file));
    }

    struct NamedTable {
        std::string name;
        Location key_where;
        Location where;
        const toml::table* table;
    };

    /// Calls `read` for each [kind.NAME] of every file, in the order written,
    /// after checking the name and that it is not defined twice.
    template <typename Read>
    void read_named_tables(const std::string& kind, Read read) {
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

    /// The selected [profile.NAME], checking every profile's shape on the way.
    const toml::table* select_profile(const TableFields& top) {
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
            std::string list;
            for (const auto& name : known) list += (list.empty() ? "" : ", ") + name;
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
    void apply_profile_tables(const toml::table& profile, const std::vector<std::string>& socket_names) {
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

    /// [profile.P] include: more drop-ins, e.g. "conf.d/dev/*.toml".
    void apply_profile_includes(const toml::table& profile) {
        if (const toml::array* includes = profile.get_as<toml::array>("include")) {
            std::vector<std::string> seen(config_.files.begin(), config_.files.end());
            for (auto&& item : *includes) {
                Location where = location_of(item.source(), files_[0].path);
                auto text = item.value<std::string>();
                if (!text) {
                    diag_.error(where, type_mismatch("a string", "include", item));
                    continue;
                }
                auto pattern = expander_->text(*text, where, "include");
                if (!pattern) continue;
                config_.svd.include.push_back(absolute_path(*pattern, main_dir_));
                std::string as_given = (std::filesystem::path(main_dir_as_given_) / *pattern).string();
                for (const std::string& path : glob_files(as_given, where)) include_file(path, where, seen);
            }
        }
    }

    const toml::table* profile_table_ = nullptr;

    std::string main_path_;
    std::string profile_;
    Scope scope_;
    std::string main_dir_as_given_;
    std::string main_dir_;
    std::deque<ParsedFile> files_; // a deque: TableFields hold references into it
    std::vector<std::string> read_order_; // every file tried, even those that did not parse
    std::optional<ValueExpander> expander_;
    std::vector<std::string> broken_sockets_;
    bool all_files_read_ = true;
    Config config_;
    Diagnostics diag_;
};

} // namespace

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
