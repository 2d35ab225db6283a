#include "files/private_dir.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace svd::files {
namespace {

std::string octal(mode_t mode) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
    return text;
}

} // namespace

bool check_own_dir(const std::string& path, const std::string& what, std::string& error) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        error = "cannot use " + what + " " + path + ": " + std::strerror(errno);
        return false;
    }
    if (!S_ISDIR(info.st_mode)) {
        error = what + " " + path + " is not a directory";
        return false;
    }
    if (info.st_uid != ::getuid()) {
        error = what + " " + path + " belongs to uid " + std::to_string(info.st_uid) + ", not to svd's uid " +
                std::to_string(::getuid()) + "; svd keeps its files only in its own directories";
        return false;
    }
    if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        error = what + " " + path + " is writable by " + ((info.st_mode & S_IWOTH) ? "others" : "its group") +
                " (mode " + octal(info.st_mode) + "): another user could plant files in it; make it " +
                "'chmod go-w', or use a directory of svd's own below it";
        return false;
    }
    return true;
}

bool make_own_dir(const std::string& path, mode_t mode, const std::string& what, std::string& error) {
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0) return check_own_dir(path, what, error);
    // Missing: create each missing part; those svd creates are its own (0700,
    // the last one `mode`), whatever the umask.
    for (std::size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
        std::string part = slash == std::string::npos ? path : path.substr(0, slash);
        bool last = slash == std::string::npos;
        if (::mkdir(part.c_str(), 0700) == 0) {
            if (::chmod(part.c_str(), last ? mode : 0700) != 0) {
                error = "cannot set the mode of " + part + ": " + std::strerror(errno);
                return false;
            }
        } else if (errno != EEXIST) {
            error = "cannot create " + what + " " + part + ": " + std::strerror(errno);
            return false;
        } else if (last) {
            return check_own_dir(path, what, error); // made meanwhile by someone else
        }
        if (last) return true;
    }
}

int open_own_file(const std::string& path, int flags, mode_t mode, std::string& error) {
    int fd = ::open(path.c_str(), flags | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, mode);
    if (fd < 0) {
        error = errno == ELOOP ? path + " is a symlink; svd does not write through one (remove it)"
                               : "open " + path + ": " + std::strerror(errno);
        return -1;
    }
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode) || info.st_uid != ::getuid()) {
        error = path + (S_ISREG(info.st_mode) ? " belongs to uid " + std::to_string(info.st_uid) + ", not to svd's"
                                              : std::string(" is not a regular file"));
        ::close(fd);
        return -1;
    }
    // Back to blocking writes (regular files never block anyway), and the
    // mode svd means, whatever the umask or an earlier chmod.
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    if ((info.st_mode & 07777) != mode) ::fchmod(fd, mode);
    return fd;
}

} // namespace svd::files
