// A few fds svd keeps in reserve for spawning. When something else uses up
// svd's open-files limit (idle control clients, a leak in a library), the
// spawn that needs /dev/null and a status pipe still finds fds: the reserve
// is lent to each spawn and taken back after it.
#pragma once

namespace svd::spawn {

/// How many fds the reserve holds: /dev/null, the status pipe and the
/// child's fd moves, with room to spare.
inline constexpr int kReservedSpawnFds = 8;

/// Opens the reserve (fds on /dev/null, close-on-exec). Call once, at start.
void hold_spawn_reserve();

/// Frees the reserve for as long as it lives; takes it back (as far as fds
/// are free again) when it ends. spawn_process holds one.
class ReserveLoan {
public:
    ReserveLoan();
    ~ReserveLoan();
    ReserveLoan(const ReserveLoan&) = delete;
    ReserveLoan& operator=(const ReserveLoan&) = delete;
};

} // namespace svd::spawn
