// The import's working state, internal to ctl/supervisord/: one Converter
// reads a supervisord config (and what its [include] names) and builds the
// drop-ins. Its passes live in files of one job each:
//   convert.cpp   the files: [include], [supervisord], [group:x], which section is what
//   program.cpp   one [program:x] → a [program.NAME] per process
//   logs.cpp      a program's stdout/stderr settings → log = { ... }
//   assemble.cpp  notes on groups and priorities, and the drop-ins' text
#pragma once

#include "supervisord/convert.h"
#include "supervisord/expander.h"
#include "supervisord/ini.h"

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace svctl::supervisord {

struct Process {
    std::string name;
    std::vector<std::string> lines; ///< "key = value" lines of [program.NAME]
    std::vector<std::pair<std::string, std::string>> environment; ///< already svd text
};

/// One [program:x] on its way to x.toml.
struct Section {
    std::string label; ///< "[program:x]"
    std::string program; ///< x
    std::string where;   ///< "file:line"
    std::string file_name;
    std::vector<std::string> comments; ///< the drop-in's top comments
    std::vector<std::string> process_comments; ///< comments inside each [program.NAME]
    std::vector<Process> processes;
    long priority = 999;
    bool priority_written = false;
};

/// Says something about one key of one [program:x], at the key's line (the
/// section's when the key is not written). `fail` also means "not converted".
struct KeyReports {
    std::function<void(const std::string& key, const std::string& message)> note;
    std::function<void(const std::string& key, const std::string& message)> fail;
};

class Converter {
public:
    [[nodiscard]] std::optional<Conversion> run(const std::string& path, std::string& error);

private:
    void note(const IniFile& file, int line, std::string message);
    void fail(const IniFile& file, int line, std::string message);
    Expander file_expander(const IniFile& file) const;

    void read_includes(std::string& error);
    /// [supervisord]: its environment and umask reach every program; the
    /// rest configures supervisord itself.
    void read_supervisord_section();
    void read_groups();
    void convert_section(const IniFile& file, const IniSection& section);

    void convert_program(const IniFile& file, const IniSection& ini);
    std::optional<Process> convert_process(const IniFile& file, const IniSection& ini, Section& out,
                                           Expander& expander, const std::string& process_name, bool first,
                                           const KeyReports& report);
    /// stdout/stderr: svd writes NAME.log (and NAME.err.log) in log_dir,
    /// rotated by log.max_size and log.keep.
    [[nodiscard]] bool convert_logs(const IniSection& ini, Expander& expander, Process& process, bool first,
                      const KeyReports& report);

    void note_groups();
    /// supervisord starts by ascending priority; svd starts everything at
    /// once unless `requires` says otherwise. Suggest, never invent, order.
    void suggest_ordering();
    void assemble();

    struct Group {
        std::string name;
        std::vector<std::string> members;
        const IniFile* file;
        int line;
    };

    std::deque<IniFile> files_;
    std::vector<std::pair<std::string, std::string>> global_environment_;
    std::optional<std::string> global_umask_;
    std::map<std::string, std::string> group_of_;
    std::map<std::string, long> group_priority_;
    std::vector<Group> groups_;
    std::vector<Section> sections_;
    std::vector<std::string> names_taken_;
    bool server_noted_ = false;
    Conversion result_;
};

} // namespace svctl::supervisord
