#include "spawn/fd_reserve.h"

#include <array>
#include <fcntl.h>
#include <unistd.h>

namespace svd::spawn {
namespace {

bool reserve_wanted = false;   ///< hold_spawn_reserve was called
std::array<int, kReservedSpawnFds> reserve = [] {
    std::array<int, kReservedSpawnFds> fds{};
    fds.fill(-1);
    return fds;
}();
int loans = 0; ///< loans alive; the reserve comes back when the last ends

void fill() {
    for (int& fd : reserve)
        if (fd < 0) fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

void release() {
    for (int& fd : reserve)
        if (fd >= 0) {
            ::close(fd);
            fd = -1;
        }
}

} // namespace

void hold_spawn_reserve() {
    reserve_wanted = true;
    fill();
}

ReserveLoan::ReserveLoan() {
    if (loans++ == 0) release();
}

ReserveLoan::~ReserveLoan() {
    if (--loans == 0 && reserve_wanted) fill();
}

} // namespace svd::spawn
