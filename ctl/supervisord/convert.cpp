// `svctl import`'s whole-file pass: the files [include] names, what
// [supervisord] and [group:x] give every program, and which kind each
// section is. Programs themselves are program.cpp's.
#include "supervisord/convert.h"

#include "supervisord/converter.h"
#include "supervisord/values.h"
#include "text/join.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <glob.h>
#include <set>

namespace svctl::supervisord {
namespace {

const std::set<std::string> kServerSections = {"unix_http_server", "inet_http_server", "supervisorctl"};

} // namespace

std::optional<Conversion> Converter::run(const std::string& path, std::string& error) {
    auto main = read_ini(path, error);
    if (!main) return std::nullopt;
    files_.push_back(std::move(*main));
    read_includes(error);
    if (!error.empty()) return std::nullopt;
    read_supervisord_section();
    read_groups();
    for (const IniFile& file : files_)
        for (const IniSection& section : file.sections) convert_section(file, section);
    note_groups();
    suggest_ordering();
    assemble();
    return std::move(result_);
}

void Converter::note(const IniFile& file, int line, std::string message) {
    result_.notes.push_back({file.path + ":" + std::to_string(line), std::move(message)});
}

void Converter::fail(const IniFile& file, int line, std::string message) {
    result_.errors.push_back({file.path + ":" + std::to_string(line), std::move(message)});
}

Expander Converter::file_expander(const IniFile& file) const {
    Expander expander;
    expander.values["here"] = file.directory;
    return expander;
}

void Converter::read_includes(std::string& error) {
    const IniSection* include = files_[0].find("include");
    if (!include) return;
    const IniValue* files = include->find("files");
    if (!files) return;
    Expander expander = file_expander(files_[0]);
    std::string why;
    auto patterns = expander.literal(files->text, why);
    if (!patterns) {
        note(files_[0], files->line, "[include] files: " + why + "; nothing included");
        return;
    }
    std::set<std::string> seen = {std::filesystem::absolute(files_[0].path).lexically_normal().string()};
    std::size_t start = 0;
    std::string all = *patterns;
    while (start < all.size()) {
        while (start < all.size() && std::isspace(static_cast<unsigned char>(all[start]))) ++start;
        std::size_t end = start;
        while (end < all.size() && !std::isspace(static_cast<unsigned char>(all[end]))) ++end;
        if (end == start) break;
        std::string pattern = all.substr(start, end - start);
        start = end;
        if (pattern[0] != '/') pattern = files_[0].directory + "/" + pattern;
        glob_t matches{};
        if (::glob(pattern.c_str(), 0, nullptr, &matches) == 0) {
            for (std::size_t i = 0; i < matches.gl_pathc; ++i) {
                std::string found = matches.gl_pathv[i];
                std::string identity = std::filesystem::absolute(found).lexically_normal().string();
                if (!seen.insert(identity).second) continue;
                auto included = read_ini(found, error);
                if (!included) {
                    ::globfree(&matches);
                    return;
                }
                if (included->find("include"))
                    note(*included, included->find("include")->line,
                         "[include] in an included file: supervisord ignores it, and so does the import");
                files_.push_back(std::move(*included));
            }
        } else {
            note(files_[0], files->line, "[include] files: nothing matches " + pattern);
        }
        ::globfree(&matches);
    }
}

void Converter::read_supervisord_section() {
    const IniSection* section = files_[0].find("supervisord");
    if (!section) return;
    Expander expander = file_expander(files_[0]);
    std::vector<std::string> ignored;
    for (const auto& [key, value] : section->keys) {
        std::string why;
        if (key == "environment") {
            auto text = expander.svd_text(value.text, why);
            auto pairs = text ? parse_environment(*text, why) : std::nullopt;
            if (pairs) global_environment_ = std::move(*pairs);
            else note(files_[0], value.line, "[supervisord] environment: " + why + "; not converted");
        } else if (key == "umask") {
            global_umask_ = trim(value.text);
        } else if (key == "user") {
            note(files_[0], value.line,
                 "[supervisord] user=" + value.text +
                     ": svd never switches user; start it as that user (e.g. `runuser -u " + value.text +
                     " -- svd --daemon`)");
        } else if (key == "childlogdir" || key == "logfile") {
            note(files_[0], value.line,
                 "[supervisord] " + key + "=" + value.text +
                     ": svd writes its own log and every program's to log_dir; set log_dir in [svd] to choose "
                     "the directory");
        } else {
            ignored.push_back(key);
        }
    }
    if (!ignored.empty()) {
        std::string list = svd::text::join(ignored, ", ");
        note(files_[0], section->line, "[supervisord] " + list + ": settings of supervisord itself, not needed by svd");
    }
}

void Converter::read_groups() {
    for (const IniFile& file : files_)
        for (const IniSection& section : file.sections) {
            if (!starts_with(section.name, "group:")) continue;
            std::string group = section.name.substr(6);
            const IniValue* programs = section.find("programs");
            std::vector<std::string> members;
            if (programs) {
                std::string text = programs->text;
                std::replace(text.begin(), text.end(), '\n', ',');
                std::size_t start = 0;
                while (start <= text.size()) {
                    auto comma = text.find(',', start);
                    std::string member = trim(text.substr(start, comma == std::string::npos ? std::string::npos
                                                                                             : comma - start));
                    if (!member.empty()) {
                        members.push_back(member);
                        group_of_[member] = group;
                    }
                    if (comma == std::string::npos) break;
                    start = comma + 1;
                }
            }
            if (const IniValue* priority = section.find("priority"))
                if (auto number = parse_integer(priority->text)) group_priority_[group] = *number;
            groups_.push_back({group, members, &file, section.line});
        }
}

void Converter::convert_section(const IniFile& file, const IniSection& section) {
    const std::string& name = section.name;
    if (name == "supervisord" || name == "include" || starts_with(name, "group:")) return;
    if (kServerSections.count(name) || starts_with(name, "rpcinterface:")) {
        if (!server_noted_) {
            note(file, section.line,
                 "[" + name + "] and the like: svctl talks to svd over its own socket in run_dir (mode 0600), "
                 "so no server or rpcinterface section is needed");
            server_noted_ = true;
        }
        return;
    }
    if (starts_with(name, "eventlistener:")) {
        note(file, section.line, "[" + name + "] not converted: svd has no event listeners (`svctl status --json` "
                                              "gives the states to poll instead)");
        return;
    }
    if (starts_with(name, "fcgi-program:")) {
        note(file, section.line,
             "[" + name + "] not converted: svd passes held sockets as fd 3 with LISTEN_FDS (systemd's way), "
                          "not as stdin as FastCGI programs expect; write [socket.x] and sockets = [\"x\"] by "
                          "hand if the program can take a systemd socket");
        return;
    }
    if (name.empty()) {
        note(file, section.line, "keys before the first [section]: supervisord refuses them; ignored");
        return;
    }
    if (!starts_with(name, "program:")) {
        note(file, section.line, "[" + name + "]: not a section supervisord knows; ignored");
        return;
    }
    convert_program(file, section);
}

std::optional<Conversion> convert(const std::string& path, std::string& error) {
    error.clear();
    return Converter().run(path, error);
}

} // namespace svctl::supervisord
