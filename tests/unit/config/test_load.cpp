#include "config/model.h"

#include "config_test_support.h"

#include <catch2/catch.hpp>
#include <csignal>

using namespace svd::config;
using svd::config::testing::ScopedEnv;
using svd::config::testing::TempDir;
using namespace std::chrono_literals;
using Words = std::vector<std::string>;

namespace {

/// Loads `content` written as svd.toml in `dir`.
LoadResult load_text(const TempDir& dir, const std::string& content) {
    return load_config(dir.write("svd.toml", content));
}

} // namespace

TEST_CASE("load_config reads every key of a full config", "[config][load]") {
    TempDir dir;
    ScopedEnv home_env("SVD_TEST_HOME", (dir / "home").c_str());
    std::string main = dir.write("svd.toml", R"([svd]
home = "${env:SVD_TEST_HOME}"
prefix = "/opt/x"
log_dir = "${home}/logs"
run_dir = "run"
socket = "${run_dir}/ctl.sock"
include = ["conf.d/*.toml", "extra.toml"]
watch_config = true

[socket.wps]
listen = "127.0.0.1:8081"
backlog = 64

[program.postgres]
command = "${prefix}/bin/postgres -D '${home}/pg data' -k ${run_dir}"
ready = { notify = true, timeout = "45s" }
stop_signal = "INT"
stop_timeout = "30s"

[program.pgdata-init]
type = "oneshot"
command = ["${prefix}/bin/initdb", "-D", "${home}/pg data"]
creates = "${home}/pg data/PG_VERSION"
umask = "077"
)");
    dir.write("conf.d/10-web.toml", R"([socket.local]
listen = "unix:${run_dir}/web.sock"
mode = "0660"

[program.gunicorn]
command = "gunicorn --workers 2 wsgi:application"
directory = "share/pywps"
environment = { PYTHONUNBUFFERED = "1", WHERE = "${log_dir}" }
env_file = "${home}/etc/pywps.env"
sockets = ["wps", "local"]
socket_protocol = "nginx"
start = "on-demand"
requires = { postgres = "ready", pgdata-init = "completed" }
health = { http = "http://127.0.0.1:8081/wps", interval = "5s", timeout = "2s", retries = 4 }
restart = "always"
exit_codes = [0, 3]
backoff = { initial = "2s", max = "1m", retries = 7 }
start_grace = "1500ms"
log = { max_size = "10MB", keep = 4, compress = true, rotate_every = "daily", stderr = "separate", timestamps = true }
umask = 0o027
watch = ["${home}/share/pywps/**/*.py", "app"]
)");
    dir.write("conf.d/20-ignored.toml.bak", "this is not TOML [");
    dir.write("extra.toml", R"([program.checker]
command = "check"
ready = { tcp = "127.0.0.1:55432" }
health = { exec = "pg_isready -h ${run_dir}" }
start = "manual"
restart = "never"
stop_signal = 1

[program.delayed]
command = "x"
ready = { delay = "2s" }
requires = { checker = "healthy", gunicorn = "started" }

[program.delayed.log]
max_size = 1024

[program.probe-exec]
command = "y"
ready = { exec = ["probe", "a b"] }

[program.probe-http]
command = "z"
ready = { http = "http://localhost:9/x" }
)");

    LoadResult result = load_config(main);
    REQUIRE_LOADED(result);
    const Config& config = *result.config;
    const std::string home = dir / "home";

    CHECK(config.file == main);
    CHECK(config.files == Words{main, dir / "conf.d/10-web.toml", dir / "extra.toml"});
    CHECK(config.svd.home == home);
    CHECK(config.svd.prefix == "/opt/x");
    CHECK(config.svd.log_dir == home + "/logs");
    CHECK(config.svd.run_dir == dir / "run");
    CHECK(config.svd.socket == dir / "run/ctl.sock");
    CHECK(config.svd.include == Words{dir / "conf.d/*.toml", dir / "extra.toml"});
    CHECK(config.svd.watch_config);

    REQUIRE(config.sockets.size() == 2);
    const Socket* wps = config.find_socket("wps");
    REQUIRE(wps);
    CHECK(wps->where.str() == main + ":10:1");
    CHECK(wps->kind == Socket::Kind::Tcp);
    CHECK(wps->listen == "127.0.0.1:8081");
    CHECK(wps->host == "127.0.0.1");
    CHECK(wps->port == 8081);
    CHECK(wps->backlog == 64);
    const Socket* local = config.find_socket("local");
    REQUIRE(local);
    CHECK(local->kind == Socket::Kind::Unix);
    CHECK(local->listen == "unix:" + dir / "run/web.sock");
    CHECK(local->path == dir / "run/web.sock");
    CHECK(local->mode == 0660);
    CHECK(local->backlog == 128);
    CHECK(config.find_socket("nope") == nullptr);

    std::vector<std::string> order;
    for (const Program& program : config.programs) order.push_back(program.name);
    CHECK(order == Words{"postgres", "pgdata-init", "gunicorn", "checker", "delayed", "probe-exec", "probe-http"});

    const Program& postgres = *config.find_program("postgres");
    CHECK(postgres.where.str() == main + ":14:1");
    CHECK(postgres.type == ProgramType::Longrun);
    CHECK(postgres.argv == Words{"/opt/x/bin/postgres", "-D", home + "/pg data", "-k", dir / "run"});
    CHECK(postgres.command_where.str() == main + ":15:11");
    CHECK(postgres.ready.kind == Probe::Kind::Notify);
    CHECK(postgres.ready.timeout == 45s);
    CHECK(postgres.ready.where.str() == main + ":16:9");
    CHECK(postgres.health.kind == Probe::Kind::None);
    CHECK(postgres.stop_signal == SIGINT);
    CHECK(postgres.stop_timeout == 30s);
    // Defaults.
    CHECK(postgres.restart == RestartPolicy::OnFailure);
    CHECK(postgres.start == StartMode::Boot);
    CHECK(postgres.exit_codes == std::vector<int>{0});
    CHECK(postgres.start_grace == 1s);
    CHECK(postgres.directory.empty());
    CHECK_FALSE(postgres.umask.has_value());

    const Program& init = *config.find_program("pgdata-init");
    CHECK(init.type == ProgramType::Oneshot);
    CHECK(init.argv == Words{"/opt/x/bin/initdb", "-D", home + "/pg data"});
    CHECK(init.creates == home + "/pg data/PG_VERSION");
    CHECK(init.umask == mode_t{077});

    const std::string web_file = dir / "conf.d/10-web.toml";
    const Program& gunicorn = *config.find_program("gunicorn");
    CHECK(gunicorn.where.str() == web_file + ":5:1");
    CHECK(gunicorn.argv == Words{"gunicorn", "--workers", "2", "wsgi:application"});
    CHECK(gunicorn.directory == home + "/share/pywps");
    CHECK(gunicorn.environment == std::map<std::string, std::string>{{"PYTHONUNBUFFERED", "1"},
                                                                     {"WHERE", home + "/logs"}});
    CHECK(gunicorn.env_file == home + "/etc/pywps.env");
    CHECK(gunicorn.sockets == Words{"wps", "local"});
    CHECK(gunicorn.sockets_where.str() == web_file + ":10:11");
    CHECK(gunicorn.socket_protocol == SocketProtocol::Nginx);
    CHECK(gunicorn.start == StartMode::OnDemand);
    REQUIRE(gunicorn.dependencies.size() == 2);
    CHECK(gunicorn.dependencies[0].name == "postgres");
    CHECK(gunicorn.dependencies[0].condition == Condition::Ready);
    CHECK(gunicorn.dependencies[0].where.str() == web_file + ":13:14");
    CHECK(gunicorn.dependencies[1].name == "pgdata-init");
    CHECK(gunicorn.dependencies[1].condition == Condition::Completed);
    CHECK(gunicorn.health.kind == Probe::Kind::Http);
    CHECK(gunicorn.health.target == "http://127.0.0.1:8081/wps");
    CHECK(gunicorn.health.interval == 5s);
    CHECK(gunicorn.health.timeout == 2s);
    CHECK(gunicorn.health.retries == 4);
    CHECK(gunicorn.ready.kind == Probe::Kind::None);
    CHECK(gunicorn.restart == RestartPolicy::Always);
    CHECK(gunicorn.exit_codes == std::vector<int>{0, 3});
    CHECK(gunicorn.backoff.initial == 2s);
    CHECK(gunicorn.backoff.max == 60s);
    CHECK(gunicorn.backoff.retries == 7);
    CHECK(gunicorn.start_grace == 1500ms);
    CHECK(gunicorn.log.max_size == 10ull * 1024 * 1024);
    CHECK(gunicorn.log.keep == 4);
    CHECK(gunicorn.log.compress);
    CHECK(gunicorn.log.rotate_every == RotateEvery::Daily);
    CHECK(gunicorn.log.stderr_mode == StderrMode::Separate);
    CHECK(gunicorn.log.timestamps);
    CHECK(gunicorn.umask == mode_t{027});
    CHECK(gunicorn.watch == Words{home + "/share/pywps/**/*.py", home + "/app"});

    const Program& checker = *config.find_program("checker");
    CHECK(checker.ready.kind == Probe::Kind::Tcp);
    CHECK(checker.ready.target == "127.0.0.1:55432");
    CHECK(checker.ready.timeout == 30s);
    CHECK(checker.health.kind == Probe::Kind::Exec);
    CHECK(checker.health.exec_argv == Words{"pg_isready", "-h", dir / "run"});
    CHECK(checker.start == StartMode::Manual);
    CHECK(checker.restart == RestartPolicy::Never);
    CHECK(checker.stop_signal == SIGHUP);

    const Program& delayed = *config.find_program("delayed");
    CHECK(delayed.ready.kind == Probe::Kind::Delay);
    CHECK(delayed.ready.delay == 2s);
    CHECK(delayed.log.max_size == 1024);
    REQUIRE(delayed.dependencies.size() == 2);
    CHECK(delayed.dependencies[0].condition == Condition::Healthy);
    CHECK(delayed.dependencies[1].condition == Condition::Started);

    CHECK(config.find_program("probe-exec")->ready.exec_argv == Words{"probe", "a b"});
    CHECK(config.find_program("probe-http")->ready.target == "http://localhost:9/x");
    CHECK(config.find_program("missing") == nullptr);
}

TEST_CASE("load_config fills in defaults from the config's directory", "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", "[program.a]\ncommand = \"sleep 1\"\n");
    LoadResult result = load_config(main);
    REQUIRE_LOADED(result);
    const Config& config = *result.config;
    CHECK(config.svd.home == dir.path());
    CHECK(config.svd.prefix == "/usr");
    CHECK(config.svd.log_dir == dir / "var/log");
    CHECK(config.svd.run_dir == dir / "var/run");
    CHECK(config.svd.socket == dir / "var/run/svd.sock");
    CHECK(config.svd.include.empty());
    CHECK_FALSE(config.svd.watch_config);
    CHECK(config.files == Words{main});
    REQUIRE(config.programs.size() == 1);
    const Program& a = config.programs[0];
    CHECK(a.argv == Words{"sleep", "1"});
    CHECK(a.ready.kind == Probe::Kind::None);
    CHECK(a.stop_signal == SIGTERM);
    CHECK(a.stop_timeout == 10s);
    CHECK(a.backoff.initial == 1s);
    CHECK(a.backoff.max == 60s);
    CHECK(a.backoff.retries == 5);
    CHECK(a.log.max_size == 50ull * 1024 * 1024);
    CHECK(a.log.keep == 10);
    CHECK(a.log.stderr_mode == StderrMode::Merge);
}

TEST_CASE("load_config accepts an empty config", "[config][load]") {
    TempDir dir;
    LoadResult result = load_text(dir, "");
    REQUIRE_LOADED(result);
    CHECK(result.config->programs.empty());
    CHECK(result.config->sockets.empty());
}

TEST_CASE("load_config resolves relative [svd] paths against the config's directory", "[config][load]") {
    TempDir dir;
    ScopedEnv home_env("HOME", "/home/tester");
    LoadResult result = load_text(dir, R"([svd]
home = "./h/../state"
prefix = "~/.local"
log_dir = "/var/log/x/"
)");
    REQUIRE_LOADED(result);
    CHECK(result.config->svd.home == dir / "state");
    CHECK(result.config->svd.prefix == "/home/tester/.local");
    CHECK(result.config->svd.log_dir == "/var/log/x");
    CHECK(result.config->svd.run_dir == dir / "state/var/run");
}

TEST_CASE("load_config keeps a home with spaces in one argument", "[config][load]") {
    TempDir dir;
    LoadResult result = load_text(dir, R"([svd]
home = "/srv/my svd"
[program.a]
command = "${home}/bin/run --flag"
)");
    REQUIRE_LOADED(result);
    CHECK(result.config->programs[0].argv == Words{"/srv/my svd/bin/run", "--flag"});
}

TEST_CASE("load_config names a missing main file and the reason", "[config][load]") {
    TempDir dir;
    std::string path = dir / "nope.toml";
    LoadResult result = load_config(path);
    CHECK_FALSE(result.config);
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].where.str() == path);
    CHECK_THAT(result.errors[0].message, Catch::Contains(path));
    CHECK_THAT(result.errors[0].message, Catch::Contains("No such file or directory"));
    CHECK(result.errors[0].str() == path + ": error: " + result.errors[0].message);
}

TEST_CASE("load_config reports a directory given as the config", "[config][load]") {
    TempDir dir;
    LoadResult result = load_config(dir.path());
    REQUIRE(result.errors.size() == 1);
    CHECK_THAT(result.errors[0].message, Catch::Contains("is a directory, not a regular file"));
}

TEST_CASE("load_config reports a TOML syntax error with the parser's position", "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", "[program.a]\ncommand = \"unclosed\n");
    LoadResult result = load_config(main);
    CHECK_FALSE(result.config);
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].where.file == main);
    CHECK(result.errors[0].where.line == 2);
    CHECK(result.errors[0].where.column > 0);
    CHECK_FALSE(result.errors[0].message.empty());
}

TEST_CASE("load_config reports the same table defined twice in one file as TOML does", "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", "[program.a]\ncommand = \"x\"\n[program.a]\ncommand = \"y\"\n");
    LoadResult result = load_config(main);
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].where.str() == main + ":3:1");
    CHECK_THAT(result.errors[0].message, Catch::Contains("redefine"));
}

TEST_CASE("load_config reports unknown keys with a suggestion", "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", R"([programs.a]
command = "x"

[svd]
hom = "/x"

[program.b]
comand = "x"
log = { max_sise = "1MB" }
health = { http = "http://x/", intervall = "1s" }
zzzzzzzz = 1
)");
    LoadResult result = load_config(main);
    CHECK_FALSE(result.config);
    REQUIRE_CONFIG_ERROR(result, main + ":1:2", "unknown key 'programs'; did you mean 'program'?");
    REQUIRE_CONFIG_ERROR(result, main + ":5:1", "unknown key 'hom' in [svd]; did you mean 'home'?");
    REQUIRE_CONFIG_ERROR(result, main + ":8:1", "unknown key 'comand' in [program.b]; did you mean 'command'?");
    REQUIRE_CONFIG_ERROR(result, main + ":9:9", "unknown key 'log.max_sise' in [program.b]; did you mean 'log.max_size'?");
    REQUIRE_CONFIG_ERROR(result, main + ":10:32", "did you mean 'health.interval'?");
    REQUIRE_CONFIG_ERROR(result, main + ":11:1", "unknown key 'zzzzzzzz' in [program.b]");
    // The misspelled command also leaves the program without one.
    REQUIRE_CONFIG_ERROR(result, main + ":7:1", "missing required key 'command' in [program.b]");
}

TEST_CASE("load_config collects every error, not just the first", "[config][load]") {
    TempDir dir;
    LoadResult result = load_text(dir, R"([program.a]
command = 1
restart = "sometimes"
stop_timeout = "10"
exit_codes = [0, 256]
)");
    CHECK_FALSE(result.config);
    CHECK(result.errors.size() == 4);
}

TEST_CASE("load_config names the expected and actual TOML types", "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", R"([svd]
watch_config = "yes"
include = "conf.d/*.toml"

[program.a]
command = 5
environment = { A = 1, B = "ok" }
sockets = "wps"
directory = ["x"]
stop_timeout = 10
exit_codes = [0, "1"]
log = "big"
requires = ["b"]
ready = "notify"
backoff = { retries = "3" }
stop_signal = true
umask = 1.5
)");
    LoadResult result = load_config(main);
    REQUIRE_CONFIG_ERROR(result, main + ":2:16", "expected true or false for 'watch_config', got string");
    REQUIRE_CONFIG_ERROR(result, main + ":3:11", "expected an array of strings for 'include', got string");
    REQUIRE_CONFIG_ERROR(result, main + ":6:11", "expected a string or an array of strings for 'command', got integer");
    REQUIRE_CONFIG_ERROR(result, main + ":7:21", "expected a string for 'environment.A', got integer");
    REQUIRE_CONFIG_ERROR(result, main + ":8:11", "expected an array of strings for 'sockets', got string");
    REQUIRE_CONFIG_ERROR(result, main + ":9:13", "expected a string for 'directory', got array");
    REQUIRE_CONFIG_ERROR(result, main + ":10:16", "expected a duration string such as \"10s\" for 'stop_timeout', got integer; add a unit: \"10s\"");
    REQUIRE_CONFIG_ERROR(result, main + ":11:18", "expected an integer for 'exit_codes[1]', got string");
    REQUIRE_CONFIG_ERROR(result, main + ":12:7", "expected a table for 'log', got string");
    REQUIRE_CONFIG_ERROR(result, main + ":13:12", "expected a table for 'requires', got array");
    REQUIRE_CONFIG_ERROR(result, main + ":14:9", "expected a table for 'ready', got string");
    REQUIRE_CONFIG_ERROR(result, main + ":15:23", "expected an integer for 'backoff.retries', got string");
    REQUIRE_CONFIG_ERROR(result, main + ":16:15", "expected a signal name such as \"TERM\" for 'stop_signal', got boolean");
    REQUIRE_CONFIG_ERROR(result, main + ":17:9", "for 'umask', got floating-point number");
}

TEST_CASE("load_config checks values against their allowed sets", "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", R"([program.a]
command = "x"
type = "oneshoot"
restart = "on-falure"
start = "later"
socket_protocol = "inetd"
log = { rotate_every = "weekly", stderr = "merged", keep = -1, max_size = "5XB" }
stop_signal = "TREM"
exit_codes = [0, 256]
backoff = { initial = "10s", max = "1s", retries = -1 }
)");
    LoadResult result = load_config(main);
    REQUIRE_CONFIG_ERROR(result, main + ":3:8",
                         "invalid value \"oneshoot\" for 'type': expected \"longrun\" or \"oneshot\"; did you mean 'oneshot'?");
    REQUIRE_CONFIG_ERROR(result, main + ":4:11", "did you mean 'on-failure'?");
    REQUIRE_CONFIG_ERROR(result, main + ":5:9", "expected \"boot\", \"on-demand\" or \"manual\"");
    REQUIRE_CONFIG_ERROR(result, main + ":6:19", "invalid value \"inetd\" for 'socket_protocol'");
    REQUIRE_CONFIG_ERROR(result, main + ":7:24", "invalid value \"weekly\" for 'log.rotate_every'");
    REQUIRE_CONFIG_ERROR(result, main + ":7:43", "did you mean 'merge'?");
    REQUIRE_CONFIG_ERROR(result, main + ":7:60", "'log.keep' must be between 0 and 1000, not -1");
    REQUIRE_CONFIG_ERROR(result, main + ":7:75", "invalid size \"5XB\" for 'log.max_size'");
    REQUIRE_CONFIG_ERROR(result, main + ":8:15", "unknown signal \"TREM\" for 'stop_signal'; did you mean 'TERM'?");
    REQUIRE_CONFIG_ERROR(result, main + ":9:18", "'exit_codes[1]' must be between 0 and 255, not 256");
    REQUIRE_CONFIG_ERROR(result, main + ":10:36", "'backoff.max' must not be shorter than 'backoff.initial'");
    REQUIRE_CONFIG_ERROR(result, main + ":10:52", "'backoff.retries' must be at least 0, not -1");
}

TEST_CASE("load_config defines the user's own variables from [svd] vars", "[config][load]") {
    TempDir dir;
    ScopedEnv port("SVD_TEST_PORT", "58080");
    std::string main = dir.write("svd.toml", R"([svd]
home = "/srv/svd"
vars = { http_port = "${env:SVD_TEST_PORT}", pg_port = 5433, data = "${home}/data" }
socket = "/tmp/${pg_port}.sock"
[socket.web]
listen = "127.0.0.1:${http_port}"
[program.pg]
command = "postgres -p ${pg_port} -D ${data}"
)");
    LoadResult result = load_config(main);
    REQUIRE_LOADED(result);
    const Config& config = *result.config;
    CHECK(config.svd.vars == std::map<std::string, std::string>{
                                 {"http_port", "58080"}, {"pg_port", "5433"}, {"data", "/srv/svd/data"}});
    CHECK(config.svd.socket == "/tmp/5433.sock");
    CHECK(config.sockets[0].port == 58080);
    CHECK(config.programs[0].argv == Words{"postgres", "-p", "5433", "-D", "/srv/svd/data"});
}

TEST_CASE("load_config checks [svd] vars", "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", R"([svd]
vars = { home = "/x", "1st" = "a", flag = true, ok = "${nope}", pg_port = "1" }
[program.a]
command = "x ${pg_prot}"
)");
    LoadResult result = load_config(main);
    REQUIRE_CONFIG_ERROR(result, main + ":2:10", "'home' is svd's own variable");
    REQUIRE_CONFIG_ERROR(result, main + ":2:23", "invalid variable name '1st'");
    REQUIRE_CONFIG_ERROR(result, main + ":2:43", "expected a string for 'vars.flag', got boolean");
    REQUIRE_CONFIG_ERROR(result, main + ":2:54", "cannot expand 'vars.ok': unknown variable '${nope}'");
    REQUIRE_CONFIG_ERROR(result, main + ":4:11", "unknown variable '${pg_prot}'; did you mean '${pg_port}'?");
    CHECK(result.errors.size() == 5);
}

TEST_CASE("the demo config shipped with svd loads", "[config][load]") {
    // The repository's own template and drop-ins, as svd-init installs them.
    const std::filesystem::path repo = std::filesystem::path(__FILE__).parent_path() / "../../..";
    const std::filesystem::path templ = repo / "share/templates/svd.toml.in";
    if (!std::filesystem::exists(templ) || !std::filesystem::exists(repo / "conf.d")) {
        WARN("no shipped demo config next to the sources; skipped");
        return;
    }
    std::ifstream in(templ);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    TempDir dir;
    const std::vector<std::pair<std::string, std::string>> values = {
        {"@HOME@", dir.path()}, {"@PREFIX@", "/usr"}, {"@PG_PORT@", "55432"},
        {"@HTTP_HOST@", "127.0.0.1"}, {"@HTTP_PORT@", "58080"}, {"@USER@", "svc"}};
    for (const auto& [placeholder, value] : values)
        for (auto at = text.find(placeholder); at != std::string::npos; at = text.find(placeholder))
            text.replace(at, placeholder.size(), value);
    std::string main = dir.write("etc/svd.toml", text);
    for (const auto& entry : std::filesystem::directory_iterator(repo / "conf.d")) {
        std::ifstream drop_in(entry.path());
        dir.write("etc/conf.d/" + entry.path().filename().string(),
                  std::string((std::istreambuf_iterator<char>(drop_in)), std::istreambuf_iterator<char>()));
    }
    LoadResult result = load_config(main);
    REQUIRE_LOADED(result);
    CHECK_FALSE(result.config->programs.empty());
}

TEST_CASE("load_config explains a duration without a unit", "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", "[program.a]\ncommand = \"x\"\nstop_timeout = \"10\"\nstart_grace = \"1x\"\n");
    LoadResult result = load_config(main);
    REQUIRE_CONFIG_ERROR(result, main + ":3:16", "invalid duration \"10\" for 'stop_timeout': missing unit");
    REQUIRE_CONFIG_ERROR(result, main + ":4:15", "invalid duration \"1x\" for 'start_grace': unknown unit 'x'");
}

TEST_CASE("load_config reads stop_signal as a name or a number", "[config][load]") {
    TempDir dir;
    LoadResult result = load_text(dir, R"([program.a]
command = "x"
stop_signal = "SIGQUIT"
[program.b]
command = "x"
stop_signal = "9"
[program.c]
command = "x"
stop_signal = 10
)");
    REQUIRE_LOADED(result);
    CHECK(result.config->programs[0].stop_signal == SIGQUIT);
    CHECK(result.config->programs[1].stop_signal == 9);
    CHECK(result.config->programs[2].stop_signal == 10);
}

TEST_CASE("load_config takes umask and mode in octal only", "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", R"([program.a]
command = "x"
umask = 22
[program.b]
command = "x"
umask = "0o022"
[program.c]
command = "x"
umask = "089"
[program.d]
command = "x"
umask = 0
[program.e]
command = "x"
umask = "1777"
)");
    LoadResult result = load_config(main);
    REQUIRE_CONFIG_ERROR(result, main + ":3:9", "write 'umask' in octal, as a string \"022\" or as 0o22");
    REQUIRE_CONFIG_ERROR(result, main + ":9:9", "invalid 'umask' \"089\": expected octal digits");
    REQUIRE_CONFIG_ERROR(result, main + ":15:9", "'umask' must be at most 0777");
    CHECK(result.errors.size() == 3);
}

TEST_CASE("load_config splits a string command and reports bad quoting", "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", R"([program.a]
command = "nginx -g 'daemon off;"
[program.b]
command = "   "
[program.c]
command = []
[program.d]
command = ["", "x"]
)");
    LoadResult result = load_config(main);
    REQUIRE_CONFIG_ERROR(result, main + ":2:11", "cannot split 'command': unterminated single quote at offset 9");
    REQUIRE_CONFIG_ERROR(result, main + ":4:11", "'command' is empty");
    REQUIRE_CONFIG_ERROR(result, main + ":6:11", "'command' is an empty array");
    REQUIRE_CONFIG_ERROR(result, main + ":8:11", "the program to run in 'command' is empty");
}

TEST_CASE("load_config reports expansion problems at the value", "[config][load]") {
    TempDir dir;
    ScopedEnv unset("SVD_TEST_SURELY_UNSET", nullptr);
    std::string main = dir.write("svd.toml", R"([svd]
home = "${run_dir}/x"

[program.a]
command = "${prefx}/bin/a"
environment = { TOKEN = "${env:SVD_TEST_SURELY_UNSET}" }
directory = "${home"
)");
    LoadResult result = load_config(main);
    REQUIRE_CONFIG_ERROR(result, main + ":2:8", "cannot expand 'home': ${run_dir} cannot be used here");
    REQUIRE_CONFIG_ERROR(result, main + ":5:11", "cannot expand 'command': unknown variable '${prefx}'; did you mean '${prefix}'?");
    REQUIRE_CONFIG_ERROR(result, main + ":6:25",
                         "cannot expand 'environment.TOKEN': environment variable 'SVD_TEST_SURELY_UNSET' is not set");
    REQUIRE_CONFIG_ERROR(result, main + ":7:13", "unterminated '${'");
}

TEST_CASE("load_config reports the same mistake at one place once", "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", "[program.a]\ncommand = \"${nope} ${nope}\"\n");
    LoadResult result = load_config(main);
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].where.str() == main + ":2:11");
}

TEST_CASE("load_config validates probes", "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", R"([program.a]
command = "x"
ready = { timeout = "5s" }
health = { tcp = "127.0.0.1:1", http = "http://x/" }
[program.b]
command = "x"
ready = { notify = true, interval = "1s" }
health = { delay = "1s", retries = 0 }
[program.c]
command = "x"
ready = { http = "https://x/" }
health = { tcp = "localhost", timeout = "0s" }
[program.d]
command = "x"
ready = { notify = false }
health = { exec = "check 'x", interval = "0ms" }
)");
    LoadResult result = load_config(main);
    REQUIRE_CONFIG_ERROR(result, main + ":3:9", "'ready' needs one of tcp, http, exec, notify or delay");
    REQUIRE_CONFIG_ERROR(result, main + ":4:40", "'health' has both 'tcp' and 'http'");
    REQUIRE_CONFIG_ERROR(result, main + ":7:37", "'interval' only applies to 'health', not to 'ready'");
    REQUIRE_CONFIG_ERROR(result, main + ":8:20", "'delay' only applies to 'ready', not to 'health'");
    REQUIRE_CONFIG_ERROR(result, main + ":8:36", "'health.retries' must be at least 1, not 0");
    REQUIRE_CONFIG_ERROR(result, main + ":11:18", "expected an http:// URL (https is not supported");
    REQUIRE_CONFIG_ERROR(result, main + ":12:18", "invalid 'health.tcp' \"localhost\": expected \"HOST:PORT\"");
    REQUIRE_CONFIG_ERROR(result, main + ":12:41", "'health.timeout' must be longer than 0");
    REQUIRE_CONFIG_ERROR(result, main + ":15:20", "'ready.notify' can only be true");
    REQUIRE_CONFIG_ERROR(result, main + ":16:19", "cannot split 'health.exec': unterminated single quote");
    REQUIRE_CONFIG_ERROR(result, main + ":16:42", "'health.interval' must be longer than 0");
}

TEST_CASE("load_config checks what programs require", "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", R"([program.web]
command = "x"
requires = { postgress = "ready", init = "completed", db = "healthy", web = "started", cache = "alive" }
[program.postgres]
command = "x"
[program.init]
command = "x"
[program.db]
command = "x"
[program.cache]
command = "x"
)");
    LoadResult result = load_config(main);
    REQUIRE_CONFIG_ERROR(result, main + ":3:14",
                         "program 'web' requires unknown program 'postgress'; did you mean 'postgres'?");
    REQUIRE_CONFIG_ERROR(result, main + ":3:35", "'completed' only applies to oneshot programs, and 'init' is a longrun (defined at " + main + ":6:1)");
    REQUIRE_CONFIG_ERROR(result, main + ":3:55", "'db' has no 'health' check");
    REQUIRE_CONFIG_ERROR(result, main + ":3:71", "program 'web' requires itself");
    REQUIRE_CONFIG_ERROR(result, main + ":3:96", "invalid value \"alive\" for 'requires.cache'");
    CHECK(result.errors.size() == 5);
}

TEST_CASE("load_config names a whole dependency cycle with each edge's location", "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", R"([program.a]
command = "x"
requires = { b = "ready" }
[program.b]
command = "x"
requires = { c = "started" }
[program.c]
command = "x"
requires = { a = "ready" }
[program.d]
command = "x"
requires = { a = "ready" }
)");
    LoadResult result = load_config(main);
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].where.str() == main + ":3:14");
    CHECK(result.errors[0].message == "dependency cycle: a -> b (" + main + ":3:14) -> c (" + main + ":6:14) -> a (" +
                                          main + ":9:14)");
}

TEST_CASE("load_config finds a cycle across files and a two-program cycle", "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", R"([svd]
include = ["conf.d/*.toml"]
[program.x]
command = "x"
requires = { y = "ready" }
)");
    std::string other = dir.write("conf.d/y.toml", "[program.y]\ncommand = \"y\"\nrequires = { x = \"started\" }\n");
    LoadResult result = load_config(main);
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].message == "dependency cycle: x -> y (" + main + ":5:14) -> x (" + other + ":3:14)");
}

TEST_CASE("load_config reads sockets in every listen form", "[config][load]") {
    TempDir dir;
    LoadResult result = load_text(dir, R"([socket.local]
listen = "localhost:8080"
[socket.any]
listen = "*:8081"
[socket.all4]
listen = "0.0.0.0:8082"
[socket.v6]
listen = "[::1]:8083"
[socket.path]
listen = "unix:sock/a.sock"
mode = 0o600
)");
    REQUIRE_LOADED(result);
    const Config& config = *result.config;
    CHECK(config.find_socket("local")->host == "127.0.0.1");
    CHECK(config.find_socket("local")->port == 8080);
    CHECK(config.find_socket("any")->host == "0.0.0.0");
    CHECK(config.find_socket("all4")->host == "0.0.0.0");
    CHECK(config.find_socket("v6")->host == "::1");
    CHECK(config.find_socket("v6")->port == 8083);
    CHECK(config.find_socket("path")->path == dir / "sock/a.sock");
    CHECK(config.find_socket("path")->mode == 0600);
}

TEST_CASE("load_config checks socket addresses", "[config][load]") {
    TempDir dir;
    std::string long_name(120, 'x');
    std::string main = dir.write("svd.toml", R"([socket.low]
listen = "127.0.0.1:80"
[socket.zero]
listen = "127.0.0.1:0"
[socket.big]
listen = "127.0.0.1:70000"
[socket.named]
listen = "example.com:8080"
[socket.v6]
listen = "::1:8080"
[socket.badv6]
listen = "[::g]:8080"
[socket.noport]
listen = "8080"
[socket.long]
listen = "unix:/tmp/)" + long_name + R"(.sock"
[socket.tcpmode]
listen = "127.0.0.1:9000"
mode = "0660"
backlog = 0
[socket.nolisten]
backlog = 5
[socket.empty]
listen = "unix:"
)");
    LoadResult result = load_config(main);
    REQUIRE_CONFIG_ERROR(result, main + ":2:10",
                         "invalid 'listen' for socket 'low': port 80 is below 1024, and binding it needs root; "
                         "use a port of 1024 or more, such as 8080");
    REQUIRE_CONFIG_ERROR(result, main + ":4:10", "invalid port \"0\": expected a number from 1 to 65535");
    REQUIRE_CONFIG_ERROR(result, main + ":6:10", "invalid port \"70000\"");
    REQUIRE_CONFIG_ERROR(result, main + ":8:10", "invalid host \"example.com\"");
    REQUIRE_CONFIG_ERROR(result, main + ":10:10", "write an IPv6 address in brackets: \"[::1]:8080\"");
    REQUIRE_CONFIG_ERROR(result, main + ":12:10", "invalid IPv6 address \"::g\"");
    REQUIRE_CONFIG_ERROR(result, main + ":14:10", "expected \"HOST:PORT\", \"[IPv6]:PORT\" or \"unix:PATH\"");
    REQUIRE_CONFIG_ERROR(result, main + ":16:10", "bytes; the limit is 107");
    REQUIRE_CONFIG_ERROR(result, main + ":19:8", "'mode' only applies to unix sockets");
    REQUIRE_CONFIG_ERROR(result, main + ":20:11", "'backlog' must be between 1 and 65535, not 0");
    REQUIRE_CONFIG_ERROR(result, main + ":21:1", "missing required key 'listen' in [socket.nolisten]");
    REQUIRE_CONFIG_ERROR(result, main + ":24:10", "missing path after \"unix:\"");
}

TEST_CASE("load_config reports sockets that collide", "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", R"([svd]
run_dir = "/tmp/r"
[socket.a]
listen = "127.0.0.1:8080"
[socket.b]
listen = "localhost:8080"
[socket.ctl]
listen = "unix:/tmp/r/svd.sock"
)");
    LoadResult result = load_config(main);
    REQUIRE_CONFIG_ERROR(result, main + ":5:1", "socket 'b' listens on 127.0.0.1:8080, as socket 'a' does (" + main + ":3:1)");
    REQUIRE_CONFIG_ERROR(result, main + ":7:1", "uses the path of svd's control socket");
}

TEST_CASE("load_config checks the sockets a program names", "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", R"([socket.wps]
listen = "127.0.0.1:8081"
[program.a]
command = "x"
sockets = ["wsp", "wps", "wps", "zzzzzz"]
[program.b]
command = "x"
start = "on-demand"
[program.c]
command = "x"
creates = "/x"
)");
    LoadResult result = load_config(main);
    REQUIRE_CONFIG_ERROR(result, main + ":5:12", "unknown socket 'wsp' in 'sockets'; did you mean 'wps'?");
    REQUIRE_CONFIG_ERROR(result, main + ":5:26", "socket 'wps' is listed twice");
    REQUIRE_CONFIG_ERROR(result, main + ":5:33", "unknown socket 'zzzzzz' in 'sockets'");
    REQUIRE_CONFIG_ERROR(result, main + ":8:9", "needs 'sockets'");
    REQUIRE_CONFIG_ERROR(result, main + ":11:11", "'creates' only applies to oneshot programs");
}

TEST_CASE("load_config checks program and socket names", "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", R"([program."my prog"]
command = "x"
[program.all]
command = "x"
[socket."a/b"]
listen = "127.0.0.1:8000"
[program."ok_name-1.2"]
command = "x"
)");
    LoadResult result = load_config(main);
    REQUIRE_CONFIG_ERROR(result, main + ":1:10", "invalid program name 'my prog': use only letters, digits");
    REQUIRE_CONFIG_ERROR(result, main + ":3:10", "'all' cannot be a program name");
    REQUIRE_CONFIG_ERROR(result, main + ":5:9", "invalid socket name 'a/b'");
    CHECK(result.errors.size() == 3);
}

TEST_CASE("load_config wants tables under [program] and [socket]", "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", "socket = 1\n[program]\nweb = \"sleep\"\n");
    LoadResult result = load_config(main);
    REQUIRE_CONFIG_ERROR(result, main + ":1:10", "expected a table for 'socket', got integer");
    REQUIRE_CONFIG_ERROR(result, main + ":3:7", "expected a table for 'program.web', got string");
}

TEST_CASE("load_config loads drop-ins in sorted order and skips what the pattern does not match",
          "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", "[svd]\ninclude = [\"conf.d/*.toml\", \"none/*.toml\"]\n");
    dir.write("conf.d/b.toml", "[program.b]\ncommand = \"b\"\n");
    dir.write("conf.d/a.toml", "[program.a]\ncommand = \"a\"\n");
    dir.write("conf.d/c.toml.orig", "[program.c]\ncommand = \"c\"\n");
    dir.write("conf.d/.hidden.toml", "[program.h]\ncommand = \"h\"\n");
    std::filesystem::create_directories(dir / "conf.d/dir.toml");
    LoadResult result = load_config(main);
    REQUIRE_LOADED(result);
    REQUIRE(result.config->programs.size() == 2);
    CHECK(result.config->programs[0].name == "a");
    CHECK(result.config->programs[1].name == "b");
}

TEST_CASE("load_config reads a file matched by two patterns once", "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", "[svd]\ninclude = [\"conf.d/*.toml\", \"conf.d/a.toml\", \"*.toml\"]\n");
    dir.write("conf.d/a.toml", "[program.a]\ncommand = \"a\"\n");
    LoadResult result = load_config(main);
    REQUIRE_LOADED(result);
    CHECK(result.config->programs.size() == 1);
    CHECK(result.config->files.size() == 2);
}

TEST_CASE("load_config works with a relative config path", "[config][load]") {
    TempDir dir;
    dir.write("svd.toml", "[svd]\ninclude = [\"conf.d/*.toml\"]\n");
    dir.write("conf.d/a.toml", "[program.a]\ncommand = 1\n");
    auto old_cwd = std::filesystem::current_path();
    std::filesystem::current_path(dir.path());
    LoadResult result = load_config("svd.toml");
    std::filesystem::current_path(old_cwd);
    REQUIRE_CONFIG_ERROR(result, "conf.d/a.toml:2:11", "expected a string or an array of strings");
}

TEST_CASE("load_config reports a missing literal include", "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", "[svd]\ninclude = [\"extra.toml\", \"conf.d\"]\n");
    std::filesystem::create_directories(dir / "conf.d");
    LoadResult result = load_config(main);
    REQUIRE_CONFIG_ERROR(result, main + ":2:12", "included file '" + dir / "extra.toml" + "' cannot be read: No such file");
    REQUIRE_CONFIG_ERROR(result, main + ":2:26", "is not a file");
}

TEST_CASE("load_config reports errors inside a drop-in at the drop-in's lines", "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", "[svd]\ninclude = [\"conf.d/*.toml\"]\n");
    std::string broken = dir.write("conf.d/broken.toml", "[program.a]\ncommand = \"x\n");
    std::string drop_in = dir.write("conf.d/svd.toml", R"([svd]
home = "/x"
[programm.z]
command = "z"
)");
    LoadResult result = load_config(main);
    REQUIRE(result.errors.size() == 3);
    CHECK(result.errors[0].where.file == broken);
    CHECK(result.errors[0].where.line == 2);
    REQUIRE_CONFIG_ERROR(result, drop_in + ":1:2", "[svd] is only allowed in the main config file, " + main);
    REQUIRE_CONFIG_ERROR(result, drop_in + ":3:2", "unknown key 'programm'; did you mean 'program'?");
}

TEST_CASE("load_config does not blame references on a drop-in that did not parse", "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", R"([svd]
include = ["conf.d/*.toml"]
[program.web]
command = "x"
sockets = ["wps"]
requires = { db = "ready" }
)");
    std::string broken = dir.write("conf.d/db.toml", "[program.db]\ncommand = 5MB\n[socket.wps]\n");
    LoadResult result = load_config(main);
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].where.file == broken);
}

TEST_CASE("load_config reports a program or socket defined twice across files", "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", R"([svd]
include = ["conf.d/*.toml"]
[program.web]
command = "x"
[socket.wps]
listen = "127.0.0.1:8081"
)");
    std::string drop_in = dir.write("conf.d/web.toml", R"(
[program.web]
command = "y"
[socket.wps]
listen = "127.0.0.1:8082"
)");
    LoadResult result = load_config(main);
    REQUIRE(result.errors.size() == 2);
    REQUIRE_CONFIG_ERROR(result, drop_in + ":2:1", "program 'web' is already defined at " + main + ":3:1");
    REQUIRE_CONFIG_ERROR(result, drop_in + ":4:1", "socket 'wps' is already defined at " + main + ":5:1");
}

TEST_CASE("load_config refuses a control socket path too long for sun_path", "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", "[svd]\nrun_dir = \"/tmp/" + std::string(100, 'r') + "\"\n");
    LoadResult result = load_config(main);
    REQUIRE(result.errors.size() == 1);
    REQUIRE_CONFIG_ERROR(result, main + ":2:11", "the limit is 107");
    CHECK_THAT(result.errors[0].message, Catch::Contains("control socket path"));
}

TEST_CASE("load_config never throws on hostile input", "[config][load]") {
    TempDir dir;
    const std::vector<std::string> inputs = {
        std::string("\0\1\2\xff\xfe", 5),
        "[[[[",
        "a = [" + std::string(3000, '[') + std::string(3000, ']') + "]",
        "[program.a]\ncommand = \"" + std::string(100000, 'x') + "\"",
        "[program.a.b.c.d]\nx = 1",
        "program = [1, 2]",
        "[[program]]\nname = \"x\"",
        "[svd]\ninclude = [\"/proc/self/fd/*\"]",
        "[svd]\nhome = \"\"\n",
        "[program.a]\ncommand = \"${${${\"\nrequires = { a = { b = 1 } }\nready = { tcp = \":\" }",
        "[program.a]\ncommand = \"x\"\nhealth = { tcp = \"h:99999999999999999999\", exec = [] }",
        "[program.a]\ncommand = \"x\"\numask = -5\nexit_codes = [-9223372036854775808]",
        "[socket.s]\nlisten = \"[\"\n[socket.t]\nlisten = \"]:1\"\n[socket.u]\nlisten = \":\"",
        "[program.a]\ncommand = \"x\"\nstop_signal = -1\nlog = { max_size = -1 }",
        // Found by fuzz_config: an assertion inside toml++'s key parser, and
        // U+0483 where a table header may have whitespace, which reached
        // toml++'s __builtin_unreachable() (config/toml.h).
        "[= [\"stop_signalx\"",
        "[\xd2\x83x]\na = 1",
        "[a]\n\xd2\x83 = 1",
    };
    for (const std::string& input : inputs) {
        std::string main = dir.write("svd.toml", input);
        LoadResult result;
        REQUIRE_NOTHROW(result = load_config(main));
        CHECK(result.config.has_value() == result.errors.empty());
    }
}

TEST_CASE("default_config_path follows SVD_CONFIG, then XDG, then HOME", "[config][load]") {
    ScopedEnv home("HOME", "/home/tester");
    {
        ScopedEnv explicit_path("SVD_CONFIG", "/etc/custom.toml");
        ScopedEnv xdg("XDG_CONFIG_HOME", "/xdg");
        CHECK(default_config_path() == "/etc/custom.toml");
    }
    {
        ScopedEnv explicit_path("SVD_CONFIG", nullptr);
        ScopedEnv xdg("XDG_CONFIG_HOME", "/xdg");
        CHECK(default_config_path() == "/xdg/svd/svd.toml");
    }
    {
        ScopedEnv explicit_path("SVD_CONFIG", "");
        ScopedEnv xdg("XDG_CONFIG_HOME", nullptr);
        CHECK(default_config_path() == "/home/tester/.config/svd/svd.toml");
    }
    {
        ScopedEnv explicit_path("SVD_CONFIG", nullptr);
        ScopedEnv xdg("XDG_CONFIG_HOME", "relative/ignored");
        CHECK(default_config_path() == "/home/tester/.config/svd/svd.toml");
    }
}

TEST_CASE("Location and ConfigError print as file:line:col", "[config][model]") {
    CHECK(Location{"a.toml", 3, 7}.str() == "a.toml:3:7");
    CHECK(Location{"a.toml"}.str() == "a.toml");
    CHECK(ConfigError{Location{"a.toml", 1, 2}, "bad"}.str() == "a.toml:1:2: error: bad");
}

TEST_CASE("to_string names every enum value as the config spells it", "[config][model]") {
    CHECK(std::string(to_string(ProgramType::Oneshot)) == "oneshot");
    CHECK(std::string(to_string(RestartPolicy::OnFailure)) == "on-failure");
    CHECK(std::string(to_string(StartMode::OnDemand)) == "on-demand");
    CHECK(std::string(to_string(SocketProtocol::Nginx)) == "nginx");
    CHECK(std::string(to_string(Condition::Completed)) == "completed");
    CHECK(std::string(to_string(StderrMode::Discard)) == "discard");
    CHECK(std::string(to_string(RotateEvery::Hourly)) == "hourly");
    CHECK(std::string(to_string(Probe::Kind::Notify)) == "notify");
}

TEST_CASE("load_control_socket reads only what locates svd", "[config][load]") {
    TempDir dir;
    std::string main = dir.write("svd.toml", R"([svd]
home = "/srv/app"
vars = { sock = "ctl.sock" }
include = ["conf.d/*.toml"]

[program.a]
command = "sleep 1"

[profile.dev]
vars = { sock = "dev.sock" }
)");
    // A broken drop-in is not read: svctl still reaches the running svd.
    dir.write("conf.d/broken.toml", "[program.b\n");

    SECTION("the socket, without the drop-ins or programs") {
        LoadResult located = load_control_socket(main);
        CHECK(located.errors.empty());
        CHECK(located.socket == "/srv/app/var/run/svd.sock");
        CHECK_FALSE(located.config); // partial: never mistaken for a whole config
        CHECK_FALSE(load_config(main).errors.empty());
    }
    SECTION("a profile's vars reach the socket path") {
        dir.write("svd.toml", R"([svd]
home = "/srv/app"
vars = { sock = "ctl.sock" }
socket = "${run_dir}/${sock}"

[profile.dev]
vars = { sock = "dev.sock" }
)");
        CHECK(load_control_socket(main, "dev").socket == "/srv/app/var/run/dev.sock");
        CHECK(load_control_socket(main).socket == "/srv/app/var/run/ctl.sock");
    }
    SECTION("errors in [svd] leave no socket and say where") {
        dir.write("svd.toml", "[svd]\nhome = 42\n");
        LoadResult located = load_control_socket(main);
        CHECK(located.socket.empty());
        REQUIRE_FALSE(located.errors.empty());
        CHECK(located.errors[0].where.line == 2);
    }
}
