// Drop-ins: [svd] include and [profile.P] include, globbed and read once each.
#include "config/loader.h"

#include "config/expand.h"
#include "config/suggest.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <glob.h>
#include <sys/stat.h>

namespace svd::config::loading {
namespace {

const std::vector<std::string> kDropInKeys = {"program", "socket"};

bool is_glob_pattern(std::string_view pattern) {
    return pattern.find_first_of("*?[") != std::string_view::npos;
}

bool is_regular_file(const std::string& path) {
    struct stat info{};
    return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

} // namespace

void Loader::read_includes(const TableFields& top) {
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
std::vector<std::string> Loader::glob_files(const std::string& pattern, const Location& where) {
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

void Loader::include_file(const std::string& path, const Location& where, std::vector<std::string>& seen) {
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

/// [profile.P] include: more drop-ins, e.g. "conf.d/dev/*.toml".
void Loader::apply_profile_includes(const toml::table& profile) {
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

} // namespace svd::config::loading
