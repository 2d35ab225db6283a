#include "verbs/export_systemd.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <unistd.h>

using svctl::systemd_word;

TEST_CASE("systemd_word quotes what systemd would split or expand", "[ctl][export]") {
    CHECK(systemd_word("/usr/bin/sleep") == "/usr/bin/sleep");
    CHECK(systemd_word("--bind=127.0.0.1:8000") == "--bind=127.0.0.1:8000");
    CHECK(systemd_word("50%") == "50%%");
    CHECK(systemd_word("$HOME") == "$$HOME");
    CHECK(systemd_word("daemon off;") == "\"daemon off;\"");
    CHECK(systemd_word("say \"hi\"") == "\"say \\\"hi\\\"\"");
    CHECK(systemd_word("a\\b") == "\"a\\\\b\"");
    CHECK(systemd_word("") == "\"\"");
    CHECK(systemd_word(";") == "\\;");
    CHECK(systemd_word("it's") == "\"it's\"");
    CHECK(systemd_word("line\nbreak") == "\"line\\nbreak\"");
    CHECK(systemd_word("echo $x 100%") == "\"echo $$x 100%%\"");
}

namespace {

svd::config::Config load(const std::string& text) {
    char dir[] = "/tmp/svd-export-XXXXXX";
    REQUIRE(mkdtemp(dir));
    std::string path = std::string(dir) + "/svd.toml";
    std::ofstream(path) << "[svd]\nhome = \"" << dir << "\"\n" << text;
    auto loaded = svd::config::load_config(path);
    for (const auto& error : loaded.errors) INFO(error.str());
    REQUIRE(loaded.config);
    return *loaded.config;
}

const svctl::Unit& unit(const svctl::SystemdExport& exported, const std::string& name) {
    for (const auto& unit : exported.units)
        if (unit.name == name) return unit;
    FAIL("no unit " << name);
    return exported.units.front();
}

} // namespace

TEST_CASE("export_systemd maps types, restart, stop and requires", "[ctl][export]") {
    auto config = load(R"(
[program.db]
command = "/bin/sleep 100"
ready = { notify = true, timeout = "45s" }
stop_signal = "INT"
stop_timeout = "30s"
restart = "always"
backoff = { initial = "3s" }

[program.init]
type = "oneshot"
command = ["/bin/true"]
creates = "${home}/done"
restart = "never"

[program.app]
command = "sleep 5"
requires = { db = "ready", init = "completed" }
start = "manual"
exit_codes = [0, 4]
)");
    auto exported = svctl::export_systemd(config, "svd-", "/usr/bin:/bin");
    const auto& db = unit(exported, "svd-db.service").text;
    CHECK(db.find("Type=notify\n") != std::string::npos);
    CHECK(db.find("TimeoutStartSec=45s\n") != std::string::npos);
    CHECK(db.find("Restart=always\n") != std::string::npos);
    CHECK(db.find("RestartSec=3s\n") != std::string::npos);
    CHECK(db.find("KillSignal=SIGINT\n") != std::string::npos);
    CHECK(db.find("TimeoutStopSec=30s\n") != std::string::npos);
    CHECK(db.find("WantedBy=default.target\n") != std::string::npos);

    const auto& init = unit(exported, "svd-init.service").text;
    CHECK(init.find("Type=oneshot\nRemainAfterExit=yes\n") != std::string::npos);
    CHECK(init.find("ConditionPathExists=!" + config.svd.home + "/done\n") != std::string::npos);
    CHECK(init.find("Restart=no\n") != std::string::npos);

    const auto& app = unit(exported, "svd-app.service").text;
    CHECK(app.find("Requires=svd-db.service svd-init.service\n") != std::string::npos);
    CHECK(app.find("After=svd-db.service svd-init.service\n") != std::string::npos);
    CHECK((app.find("ExecStart=/usr/bin/sleep 5\n") != std::string::npos ||
           app.find("ExecStart=/bin/sleep 5\n") != std::string::npos));
    CHECK(app.find("SuccessExitStatus=4\n") != std::string::npos);
    CHECK(app.find("[Install]") == std::string::npos); // manual
}
