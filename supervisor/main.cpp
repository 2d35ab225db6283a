// svd: the daemon. Parses the command line, validates the config, takes the
// tree's lock, opens the control socket and runs the one event loop.
#include "config/model.h"
#include "control/server.h"
#include "control/commands.h"
#include "daemon/daemonize.h"
#include "daemon/binary.h"
#include "daemon/handover.h"
#include "daemon/socket_pointer.h"
#include "daemon/options.h"
#include "sockets/sockets.h"
#include "daemon/state_file.h"
#include "spawn/fd_reserve.h"
#include "spawn/spawn.h"
#include "runtime/supervisor.h"
#include "daemon/tree.h"
#include "daemon/tree_watch.h"
#include "files/private_dir.h"

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <uv.h>

namespace {

/// Everything that lives as long as the loop runs.
struct Daemon {
    uv_loop_t loop{};
    std::unique_ptr<svd::runtime::Supervisor> supervisor;
    std::unique_ptr<svd::control::Server> server;
    std::unique_ptr<svd::control::Commands> commands;
    uv_signal_t sigchld{}, sigterm{}, sigint{}, sighup{}, sigusr1{};
    bool stopping = false;
    svd::daemon::TreeLock* lock = nullptr;
    std::vector<std::string> argv;
    std::string binary; ///< what a reload re-executes (see daemon/binary.h)
    bool log_to_file = false;

    Daemon() { uv_loop_init(&loop); }
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;
    /// Tears down in order, then lets the loop run the close callbacks that
    /// free the handles: on every way out of main, nothing stays allocated
    /// (LeakSanitizer checks that in the sanitizer build).
    ~Daemon() {
        commands.reset();
        server.reset();
        supervisor.reset();
        uv_walk(
            &loop,
            [](uv_handle_t* handle, void*) {
                if (!uv_is_closing(handle)) uv_close(handle, nullptr);
            },
            nullptr);
        uv_run(&loop, UV_RUN_DEFAULT); // only closing handles are left: returns once they are closed
        uv_loop_close(&loop);
    }

    /// svctl reload: hand everything over to a fresh image of svd, after
    /// checking in this one all that could make the new one fail: the
    /// config, the sockets it adds, the binary. The client's answer comes
    /// from the new image (or from this one when it refuses).
    void reload(const std::shared_ptr<svd::control::Client>& client) {
        if (stopping) {
            client->send(svd::control::error_reply("svd is shutting down"));
            return;
        }
        auto loaded = supervisor->read_config_again();
        if (!loaded.config) {
            client->send(svd::control::error_reply("the config on disk has errors; svd keeps running as it is",
                                                   "'svctl reread' lists them"));
            return;
        }
        if (std::string why = svd::daemon::why_not_executable(binary); !why.empty()) {
            client->send(svd::control::error_reply("reload refused, svd keeps running as it is: cannot re-execute " +
                                                   why));
            return;
        }
        std::string error;
        std::map<std::string, int> sockets;
        std::vector<int> fresh;
        auto diff = svd::config::diff_configs(supervisor->config(), *loaded.config);
        if (!supervisor->sockets().bind_for_reload(*loaded.config, diff, sockets, fresh, error)) {
            client->send(svd::control::error_reply("reload refused, svd keeps running as it is: " + error));
            return;
        }
        auto close_fresh = [&] {
            for (int fd : fresh) close(fd);
        };
        nlohmann::json state = supervisor->export_state();
        state["lock_fd"] = lock->fd();
        state["control_fd"] = server->listener_fd();
        state["log_to_file"] = log_to_file;
        state["sockets"] = sockets;
        state["argv"] = argv;
        state["before"] = svd::daemon::image_identity();
        // Our own binary, deleted or not: where a failing new image falls back to.
        state["fallback_exe_fd"] = open("/proc/self/exe", O_RDONLY);
        nlohmann::json clients = nlohmann::json::array();
        for (const auto& handed : server->clients_for_handover({client.get()}))
            clients.push_back({{"fd", handed.fd}, {"buffer", handed.buffer}});
        state["clients"] = clients;
        state["waiting"] = nlohmann::json::array({svd::control::Server::fd_of(*client)});
        int state_fd = svd::daemon::prepare_handover(state, error);
        if (state_fd >= 0) {
            svd::daemon::reexec(binary, argv, state_fd, error);
            // Still here: the exec failed, and nothing was given up.
            svd::daemon::abandon_handover(state, state_fd);
        }
        if (state["fallback_exe_fd"].get<int>() >= 0) close(state["fallback_exe_fd"].get<int>());
        close_fresh();
        spdlog::error("reload failed, svd keeps running: {}", error);
        client->send(svd::control::error_reply("reload failed, svd keeps running as it is: " + error));
    }

    void begin_shutdown(std::function<void()> then) {
        if (stopping) {
            // A second request while stopping: the user is out of patience.
            if (then) then();
            return;
        }
        stopping = true;
        spdlog::info("shutting down: stopping every program");
        supervisor->shutdown([this, then] {
            spdlog::info("every program stopped; svd exits");
            if (then) then();
            server->close();
            supervisor->sockets().close_all();
            uv_stop(&loop);
        });
    }
};

void on_signal(uv_signal_t* handle, int signum) {
    auto* daemon = static_cast<Daemon*>(handle->data);
    switch (signum) {
    case SIGCHLD:
        daemon->supervisor->reap_children();
        break;
    case SIGTERM:
    case SIGINT:
        if (daemon->stopping) {
            spdlog::warn("second {} while stopping: killing every program now", sigabbrev_np(signum));
            daemon->supervisor->kill_all_now();
            return;
        }
        spdlog::info("received SIG{}", sigabbrev_np(signum));
        daemon->begin_shutdown(nullptr);
        break;
    case SIGHUP:
    case SIGUSR1:
        spdlog::info("received SIG{}: reopening log files", sigabbrev_np(signum));
        daemon->supervisor->reopen_logs();
        break;
    }
}

/// The directories svd keeps files in are its own (see files/private_dir.h):
/// prepare_tree made them if missing; one that was there must be svd's uid's
/// and writable by no one else.
[[nodiscard]] bool check_own_directories(const svd::config::Config& config, std::string& error) {
    return svd::files::check_own_dir(config.svd.home, "home", error) &&
           svd::files::check_own_dir(config.svd.log_dir, "log_dir", error) &&
           svd::files::check_own_dir(config.svd.run_dir, "run_dir", error);
}

[[nodiscard]] bool setup_logging(const svd::config::Config& config, bool to_file, std::string& error) {
    std::shared_ptr<spdlog::logger> logger;
    if (to_file) {
        // spdlog opens by path and would follow a planted symlink: svd.log is
        // first made (or checked) here, a regular file of svd's, mode 0640.
        const std::string path = config.svd.log_dir + "/svd.log";
        int fd = svd::files::open_own_file(path, O_WRONLY | O_APPEND, 0640, error);
        if (fd < 0) return false;
        close(fd);
        // spdlog opens the file with fopen("ab"), without O_CLOEXEC: every
        // reload and every child would inherit it. Set it on each (re)open.
        spdlog::file_event_handlers handlers;
        handlers.after_open = [](const spdlog::filename_t&, std::FILE* file) {
            if (file) fcntl(fileno(file), F_SETFD, FD_CLOEXEC);
        };
        logger = spdlog::rotating_logger_mt("svd", path, 5 * 1024 * 1024, 5, false, handlers);
    } else {
        logger = spdlog::stderr_color_mt("svd");
    }
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
    return true;
}

/// After a reload: serve the handed-over clients and answer those waiting.
void answer_reload(Daemon& daemon, const nlohmann::json& handover) {
    std::vector<int> waiting = handover.value("waiting", std::vector<int>{});
    const std::string error = handover.value("reload_error", std::string());
    for (const auto& handed : handover.value("clients", nlohmann::json::array())) {
        int fd = handed.value("fd", -1);
        if (fd < 0) continue;
        auto client = daemon.server->adopt_client({fd, handed.value("buffer", std::string())});
        if (!client || std::find(waiting.begin(), waiting.end(), fd) == waiting.end()) continue;
        nlohmann::json reply = error.empty()
                                   ? svd::control::ok_reply()
                                   : svd::control::error_reply("reload failed: " + error +
                                                               "; svd carries on with the binary it ran before, "
                                                               "every program kept");
        reply["pid"] = getpid();
        reply["before"] = handover.value("before", nlohmann::json::object());
        reply["after"] = svd::daemon::image_identity();
        client->send(reply);
    }
    if (int exe_fd = handover.value("fallback_exe_fd", -1); exe_fd >= 0) close(exe_fd);
    // Everything handed over is ours now: CLOEXEC again, like every fd svd owns.
    for (int fd : svd::daemon::handed_fds(handover))
        if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (!error.empty()) spdlog::error("reload failed in the new image, carrying on as before: {}", error);
}

} // namespace

static int run(int argc, char** argv) {
    std::optional<nlohmann::json> handover;
    if (int fd = svd::daemon::adopt_state_fd(argc, argv); fd >= 0) {
        std::string why;
        handover = svd::daemon::read_handover(fd, why);
        if (!handover) {
            std::cerr << "svd: reload: " << why << "\n";
            return 1;
        }
    }
    // In an image exec'd by a reload, every way out before the loop runs
    // must fall back to the previous image, which keeps the programs.
    auto fail = [&](const std::string& why) {
        if (handover) {
            std::string error;
            svd::daemon::fall_back(*handover, why, error);
            std::cerr << "svd: reload: " << error << "\n";
        }
        return 1;
    };
    // Fds inherited from whoever started svd are not ours to pass on: none
    // reaches a program (spawn closes them) nor a reloaded image.
    if (!handover) syscall(SYS_close_range, 3, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);
    svd::daemon::Options options;
    if (int rc = svd::daemon::parse_options(argc, argv, options); rc >= 0) {
        if (handover) return fail("the new svd does not take the options it was given (exit " + std::to_string(rc) +
                                  ")");
        return rc;
    }
    options.argv.assign(argv, argv + argc);

    if (getuid() == 0 && !options.allow_root && !options.check) {
        std::cerr << "svd: refusing to run as root. svd is built to run as an unprivileged service user\n"
                     "     (e.g. `runuser -u svc -- svd`); pass --allow-root if you really mean it.\n";
        return fail("refusing to run as root");
    }

    std::string config_path = options.config.empty() ? svd::config::default_config_path() : options.config;
    if (options.profile.empty())
        if (const char* profile = std::getenv("SVD_PROFILE")) options.profile = profile;
    svd::config::LoadResult loaded = svd::config::load_config(config_path, options.profile);
    if (!loaded.config) {
        for (const auto& error : loaded.errors) std::cerr << error.str() << "\n";
        std::cerr << "svd: " << loaded.errors.size() << " error" << (loaded.errors.size() == 1 ? "" : "s")
                  << " in the config; nothing was started\n";
        return fail("the new svd rejects the config: " +
                    (loaded.errors.empty() ? std::string("?") : loaded.errors.front().str()));
    }
    svd::config::Config config = std::move(*loaded.config);
    if (options.check) {
        auto count = [](std::size_t n, const char* what) {
            return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
        };
        std::cout << config.file << ": OK (" << count(config.programs.size(), "program") << ", "
                  << count(config.sockets.size(), "socket")
                  << (config.profile.empty() ? "" : ", profile " + config.profile) << ")\n";
        return 0;
    }

    std::string error;
    // Before anything is created: every file svd makes is at most 0640.
    svd::spawn::keep_files_private();
    if (!svd::daemon::prepare_tree(config, error) || !check_own_directories(config, error)) {
        std::cerr << "svd: " << error << "\n";
        return fail(error);
    }

    svd::daemon::Detacher detacher;
    if (options.daemon && !handover && !detacher.detach(error)) {
        // Only the waiting parent gets here; it reports the child's verdict.
        if (!error.empty()) std::cerr << "svd: " << error << "\n";
        return error.empty() ? 0 : 1;
    }

    svd::daemon::TreeLock lock;
    if (handover) {
        lock.adopt(handover->value("lock_fd", -1), svd::daemon::lock_path(config));
    } else if (!lock.acquire(svd::daemon::lock_path(config), error)) {
        detacher.fail(error);
        std::cerr << "svd: " << error << "\n";
        return 1;
    }

    const bool log_to_file = options.daemon || (handover && handover->value("log_to_file", false));
    if (!setup_logging(config, log_to_file, error)) {
        detacher.fail(error);
        std::cerr << "svd: " << error << "\n";
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    // Orphans of our programs (double-forking daemons, nginx workers) are
    // reparented to us instead of init, so they are reaped and accounted for.
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    svd::spawn::raise_open_files_limit();
    svd::spawn::hold_spawn_reserve();
    // What an svd killed before us left running (see daemon/state_file.h);
    // the lock above makes sure that svd is dead, not busy.
    const std::string state_path = config.svd.run_dir + "/svd.state";
    if (!handover) svd::daemon::end_leftovers(state_path); // after a reload they are ours

    Daemon daemon;
    daemon.supervisor = std::make_unique<svd::runtime::Supervisor>(&daemon.loop, config);
    svd::daemon::StateFile state_file(&daemon.loop, state_path);
    daemon.supervisor->set_state_file(&state_file);
    daemon.supervisor->set_profile(options.profile);
    daemon.lock = &lock;
    daemon.argv = options.argv;
    daemon.binary = svd::daemon::resolve_installed_binary(options.argv.empty() ? "svd" : options.argv[0]);
    daemon.argv[0] = daemon.binary;
    daemon.log_to_file = log_to_file;
    if (handover) daemon.supervisor->adopt_fds(*handover);
    if (!daemon.supervisor->prepare(error)) {
        spdlog::error("{}", error);
        detacher.fail(error);
        return fail(error);
    }
    daemon.commands = std::make_unique<svd::control::Commands>(
        *daemon.supervisor, [&daemon](std::function<void()> then) { daemon.begin_shutdown(std::move(then)); });
    daemon.server = std::make_unique<svd::control::Server>(
        &daemon.loop, [&daemon](const std::shared_ptr<svd::control::Client>& client, const std::string& line) {
            daemon.commands->handle(client, line);
        });
    daemon.server->set_max_clients(config.svd.max_clients);
    daemon.commands->on_reload([&daemon](const std::shared_ptr<svd::control::Client>& client) { daemon.reload(client); });
    bool listening = handover ? daemon.server->adopt(handover->value("control_fd", -1), config.svd.socket, error)
                              : daemon.server->listen(config.svd.socket, error);
    if (!listening) {
        spdlog::error("{}", error);
        detacher.fail(error);
        return fail(error);
    }

    // The tree under us: a deleted run_dir or socket is re-created, a
    // deleted home stops the stack (see daemon/tree_watch.h).
    svd::daemon::TreeWatch tree_watch(
        &daemon.loop, config,
        {[&daemon](const std::string& why) {
             spdlog::info("shutting down because {}", why);
             daemon.begin_shutdown(nullptr);
         },
         [&daemon, socket = config.svd.socket] {
             std::string why;
             if (!daemon.server->listen(socket, why)) spdlog::error("{}", why);
         }});
    if (std::string why; !tree_watch.start(why)) spdlog::warn("{}; a deleted run_dir or home goes unnoticed", why);

    for (auto [handle, signum] : {std::pair{&daemon.sigchld, SIGCHLD}, {&daemon.sigterm, SIGTERM},
                                  {&daemon.sigint, SIGINT}, {&daemon.sighup, SIGHUP}, {&daemon.sigusr1, SIGUSR1}}) {
        uv_signal_init(&daemon.loop, handle);
        handle->data = &daemon;
        uv_signal_start(handle, on_signal, signum);
    }

    spdlog::info("svd {} (build {}) running, pid {}, config {}, profile {}, control socket {}", SVD_VERSION,
                 svd::daemon::build_id(), getpid(), config.file, options.profile.empty() ? "(none)" : options.profile,
                 config.svd.socket);
    // Lets svctl find us while the config on disk is broken (daemon/socket_pointer.h).
    if (std::string why; !svd::daemon::write_socket_pointer(config.file, config.svd.socket, why))
        spdlog::warn("{}; svctl finds svd only through a readable config", why);
    detacher.succeed();
    std::set<std::string> adopted;
    if (handover) {
        adopted = daemon.supervisor->adopt_programs(*handover);
        spdlog::info("reload: took over {} programs, their sockets and output pipes", adopted.size());
        answer_reload(daemon, *handover);
    }
    daemon.supervisor->start_boot_programs(adopted);
    daemon.supervisor->reap_children(); // anything that exited before the handler was installed
    uv_run(&daemon.loop, UV_RUN_DEFAULT);
    state_file.discard(); // every program was stopped
    svd::daemon::remove_socket_pointer(config.file, config.svd.socket);
    daemon.supervisor->set_state_file(nullptr);
    spdlog::shutdown();
    return 0;
}

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const nlohmann::json::exception& error) {
        // Only the handover state (--adopt-state, written by svctl reload)
        // reaches here: a malformed one ends svd with a message, not an abort.
        std::cerr << "svd: the handover state is malformed: " << error.what() << "\n";
        return 1;
    }
}
