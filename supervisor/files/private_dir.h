// Directories svd keeps its files in (home, run_dir, log_dir, the control
// socket's directory) must be svd's alone: a directory another user can
// write lets them plant a symlink named svd.log or web.log pointing at a
// file of svd's user, which svd would then append to. A shared sticky
// directory such as /tmp is fine as a parent of svd's own directory, never
// as that directory itself.
#pragma once

#include <string>
#include <sys/types.h>

namespace svd::files {

/// Checks that the existing directory `path` is owned by svd's uid and not
/// writable by group or others (its mode is never changed: svd did not
/// create it). `what` names it in the error ("log_dir").
[[nodiscard]] bool check_own_dir(const std::string& path, const std::string& what, std::string& error);

/// Creates `path` and its missing parents with exactly `mode` (whatever the
/// umask), or checks it with check_own_dir when it exists. Only directories
/// created here are ever chmod'ed.
[[nodiscard]] bool make_own_dir(const std::string& path, mode_t mode, const std::string& what, std::string& error);

/// Opens (creating with exactly `mode`, whatever the umask) the file at
/// `path` with `flags`, refusing a symlink (O_NOFOLLOW) and anything but a
/// regular file owned by svd's uid; never blocks (a planted FIFO). The fd
/// is close-on-exec; -1 and `error` on failure. For log files, svd.log and
/// (later) the lock and state files. Its directory must pass check_own_dir,
/// or the file could be swapped after the check.
[[nodiscard]] int open_own_file(const std::string& path, int flags, mode_t mode, std::string& error);

} // namespace svd::files
