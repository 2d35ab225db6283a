// The import's last passes: what supervisord's groups and priorities become
// (notes and commented suggestions, never invented order), then the
// drop-ins' text.
#include "supervisord/converter.h"

#include "supervisord/svd_text.h"
#include "text/join.h"

#include <iterator>
#include <set>

namespace svctl::supervisord {

void Converter::note_groups() {
    for (const auto& group : groups_) {
        std::string members = svd::text::join(group.members, ", ");
        std::string processes;
        for (const auto& member : group.members) {
            bool found = false;
            for (Section& section : sections_)
                if (section.program == member) {
                    found = true;
                    for (const Process& process : section.processes)
                        processes += (processes.empty() ? "" : " ") + process.name;
                    section.comments.push_back("supervisord [group:" + group.name + "] had: " + members +
                                               ". svd has no groups; act on them together with `svctl restart " +
                                               "NAME...`.");
                }
            if (!found) note(*group.file, group.line, "[group:" + group.name + "] lists " + member + ", which is not a converted program");
        }
        note(*group.file, group.line,
             "[group:" + group.name + "] (" + members + "): svd has no groups; name the programs together, e.g. "
                                                        "`svctl restart " + processes + "`");
    }
}

void Converter::suggest_ordering() {
    std::set<long> priorities;
    bool any_written = false;
    for (const Section& section : sections_) {
        priorities.insert(section.priority);
        any_written = any_written || section.priority_written;
    }
    if (!any_written || priorities.size() < 2) return;
    for (Section& section : sections_) {
        auto below = priorities.lower_bound(section.priority);
        if (below == priorities.begin()) continue;
        long previous = *std::prev(below);
        std::string requires_line, names;
        for (const Section& other : sections_) {
            if (other.priority != previous) continue;
            for (const Process& process : other.processes) {
                requires_line += (requires_line.empty() ? "" : ", ") + toml_key(process.name) + " = \"started\"";
                names += (names.empty() ? "" : ", ") + process.name;
            }
        }
        section.process_comments.push_back("supervisord started this after " + names + " (priority " +
                                           std::to_string(previous) + " < " + std::to_string(section.priority) +
                                           "). svd orders only by requires; if it needs them:");
        section.process_comments.push_back("requires = { " + requires_line + " }");
        result_.notes.push_back({section.where, section.label + " priority=" + std::to_string(section.priority) +
                                                    ": svd has no priority and starts programs in parallel, "
                                                    "ordered by requires; a commented requires = { " +
                                                    requires_line + " } was written to suggest one"});
    }
}

void Converter::assemble() {
    for (const Section& section : sections_) {
        OutputFile file;
        file.name = section.file_name;
        for (const std::string& comment : section.comments) file.text += "# " + comment + "\n";
        for (const Process& process : section.processes) {
            file.programs.push_back(process.name);
            file.text += "\n[program." + toml_key(process.name) + "]\n";
            for (const std::string& line : process.lines) file.text += line + "\n";
            for (const std::string& comment : section.process_comments) file.text += "# " + comment + "\n";
            if (!process.environment.empty()) {
                file.text += "\n[program." + toml_key(process.name) + ".environment]\n";
                for (const auto& [key, value] : process.environment)
                    file.text += toml_key(key) + " = " + toml_string(value) + "\n";
            }
        }
        result_.files.push_back(std::move(file));
    }
}

} // namespace svctl::supervisord
