#include "config/signals.h"

#include <array>
#include <cctype>
#include <csignal>

namespace svd::config {
namespace {

struct NamedSignal {
    std::string_view name;
    int number;
};

// The ones used to stop or steer a program come first: "did you mean"
// picks the earliest of equally close names.
constexpr std::array<NamedSignal, 28> kSignals{{
    {"TERM", SIGTERM},   {"INT", SIGINT},       {"QUIT", SIGQUIT},   {"HUP", SIGHUP},
    {"KILL", SIGKILL},   {"USR1", SIGUSR1},     {"USR2", SIGUSR2},   {"WINCH", SIGWINCH},
    {"CONT", SIGCONT},   {"STOP", SIGSTOP},     {"TSTP", SIGTSTP},   {"ALRM", SIGALRM},
    {"ILL", SIGILL},     {"TRAP", SIGTRAP},     {"ABRT", SIGABRT},   {"BUS", SIGBUS},
    {"FPE", SIGFPE},     {"SEGV", SIGSEGV},     {"PIPE", SIGPIPE},   {"CHLD", SIGCHLD},
    {"TTIN", SIGTTIN},   {"TTOU", SIGTTOU},     {"URG", SIGURG},     {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ},   {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},   {"IO", SIGIO},
}};

constexpr int kMaxSignal = 64; // SIGRTMAX on Linux

} // namespace

std::optional<int> signal_number(std::string_view text) {
    if (text.empty()) return std::nullopt;
    if (std::isdigit(static_cast<unsigned char>(text.front()))) {
        int number = 0;
        for (char c : text) {
            if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
            number = number * 10 + (c - '0');
            if (number > kMaxSignal) return std::nullopt;
        }
        if (number < 1) return std::nullopt;
        return number;
    }
    std::string upper;
    for (char c : text) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string_view name = upper;
    if (name.size() > 3 && name.substr(0, 3) == "SIG") name.remove_prefix(3);
    for (const NamedSignal& signal : kSignals)
        if (signal.name == name) return signal.number;
    return std::nullopt;
}

std::string signal_name(int number) {
    for (const NamedSignal& signal : kSignals)
        if (signal.number == number) return std::string(signal.name);
    return std::to_string(number);
}

std::vector<std::string> signal_names() {
    std::vector<std::string> names;
    for (const NamedSignal& signal : kSignals) names.emplace_back(signal.name);
    return names;
}

} // namespace svd::config
