// The Loader behind load_config, shared by the files that each read one part
// of the config: load.cpp (the order of it all), config_file.cpp (reading and
// parsing one file), load_svd.cpp ([svd]), load_includes.cpp (drop-ins) and
// load_profiles.cpp ([profile.*]). Not for use outside config/.
#pragma once

#include "config/diagnostics.h"
#include "config/model.h"
#include "config/toml_fields.h"
#include "config/value_expander.h"

#include <deque>
#include <optional>
#include <string>
#include "config/toml.h"
#include <vector>

namespace svd::config::loading {

struct ParsedFile {
    std::string path; ///< as opened, for messages
    std::string absolute;
    toml::table table;
};

/// The file parsed, or nullopt with the reason in `diag` (at `opened_from`
/// when given, e.g. the include that named the file).
std::optional<ParsedFile> parse_file(const std::string& path, const std::string& what, Diagnostics& diag,
                                     const Location& opened_from);

class Loader {
public:
    /// What to read: everything, or only what locates the control socket.
    enum class Scope { Everything, ControlSocket };

    Loader(std::string main_path, std::string profile, Scope scope = Scope::Everything)
        : main_path_(std::move(main_path)), profile_(std::move(profile)), scope_(scope) {}

    LoadResult run();

private:
    struct NamedTable {
        std::string name;
        Location key_where;
        Location where;
        const toml::table* table;
    };

    // load.cpp
    void load();
    void sort_errors();
    template <typename Read>
    void read_named_tables(const std::string& kind, Read read);
    // load_svd.cpp
    void read_svd_table(const TableFields& top);
    void read_user_variables(const TableFields& svd);
    void read_vars_table(const toml::table& vars, const TableFields& svd);
    std::string svd_path(const TableFields& svd, const char* key, const std::string& fallback);
    // load_includes.cpp
    void read_includes(const TableFields& top);
    std::vector<std::string> glob_files(const std::string& pattern, const Location& where);
    void include_file(const std::string& path, const Location& where, std::vector<std::string>& seen);
    void apply_profile_includes(const toml::table& profile);
    // load_profiles.cpp
    const toml::table* select_profile(const TableFields& top);
    void apply_profile_tables(const toml::table& profile, const std::vector<std::string>& socket_names);

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

} // namespace svd::config::loading
