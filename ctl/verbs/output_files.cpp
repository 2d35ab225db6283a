#include "verbs/output_files.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace svctl {

void print_files(const std::vector<OutputFile>& files) {
    for (std::size_t i = 0; i < files.size(); ++i) {
        if (i) std::cout << "\n";
        std::cout << "# ---- " << files[i].name << " ----\n" << files[i].text;
    }
}

bool write_files(const std::string& dir, const std::vector<OutputFile>& files, bool force, const std::string& who) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) {
        std::cerr << who << ": cannot create " << dir << ": " << error.message() << "\n";
        return false;
    }
    if (!force) {
        std::vector<std::string> existing;
        for (const auto& file : files)
            if (std::filesystem::exists(dir + "/" + file.name)) existing.push_back(dir + "/" + file.name);
        if (!existing.empty()) {
            for (const auto& path : existing) std::cerr << who << ": " << path << " already exists\n";
            std::cerr << "hint: pass --force to overwrite, or choose another --out directory\n";
            return false;
        }
    }
    for (const auto& file : files) {
        std::string path = dir + "/" + file.name;
        std::string temporary = path + ".tmp";
        {
            std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
            out << file.text;
            out.close();
            if (!out) {
                std::cerr << who << ": cannot write " << temporary << ": " << std::strerror(errno) << "\n";
                std::remove(temporary.c_str());
                return false;
            }
        }
        if (std::rename(temporary.c_str(), path.c_str()) != 0) {
            std::cerr << who << ": cannot rename " << temporary << " to " << path << ": " << std::strerror(errno) << "\n";
            std::remove(temporary.c_str());
            return false;
        }
        std::cout << path << "\n";
    }
    return true;
}

} // namespace svctl
