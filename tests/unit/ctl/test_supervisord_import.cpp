#include "supervisord/convert.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <unistd.h>

using namespace svctl::supervisord;

namespace {

std::string write_ini(const std::string& text) {
    char dir[] = "/tmp/svd-import-XXXXXX";
    REQUIRE(mkdtemp(dir));
    std::string path = std::string(dir) + "/supervisord.conf";
    std::ofstream(path) << text;
    return path;
}

Conversion convert_text(const std::string& text) {
    std::string error;
    auto conversion = convert(write_ini(text), error);
    INFO(error);
    REQUIRE(conversion);
    return *conversion;
}

bool has(const std::string& text, const std::string& part) {
    INFO(text);
    return text.find(part) != std::string::npos;
}

bool noted(const Conversion& conversion, const std::string& part) {
    for (const auto& note : conversion.notes)
        if (note.message.find(part) != std::string::npos) return true;
    return false;
}

} // namespace

TEST_CASE("toml_string and toml_key escape for TOML", "[ctl][import]") {
    CHECK(toml_string("plain") == "'plain'");
    CHECK(toml_string("it's") == "\"it's\"");
    CHECK(toml_string("tab\there") == "'tab\there'");
    CHECK(toml_string("a\nb") == "\"a\\nb\"");
    CHECK(toml_string("it's \"q\" \\") == "\"it's \\\"q\\\" \\\\\"");
    CHECK(toml_key("web_1-a") == "web_1-a");
    CHECK(toml_key("api.v2") == "'api.v2'");
}

TEST_CASE("import expands supervisord's %(...)s and keeps $ literal for svd", "[ctl][import]") {
    auto conversion = convert_text(R"([program:x]
command=/bin/sh -c 'echo $$ ${HOME} %(program_name)s %(ENV_USER)s %%d'
directory=%(here)s/app
)");
    REQUIRE(conversion.files.size() == 1);
    const std::string& text = conversion.files[0].text;
    CHECK(has(text, "command = \"/bin/sh -c 'echo $$$ $${HOME} x ${env:USER} %d'\""));
    CHECK(has(text, "directory = '/tmp/svd-import-"));
    CHECK(has(text, "/app'"));
}

TEST_CASE("import maps the start, restart and stop keys", "[ctl][import]") {
    auto conversion = convert_text(R"(
[program:w]
command = /bin/sleep 10
autostart = false
autorestart = unexpected
exitcodes = 0, 3
startsecs = 0
startretries = 7
stopsignal = QUIT
stopwaitsecs = 25
redirect_stderr = true
stdout_logfile_maxbytes = 1KB
stdout_logfile_backups = 0
environment = A="1,2", B = 'x y',C=plain
)");
    REQUIRE(conversion.errors.empty());
    const std::string& text = conversion.files.at(0).text;
    CHECK(has(text, "start = \"manual\""));
    CHECK(has(text, "restart = \"on-failure\""));
    CHECK(has(text, "exit_codes = [0, 3]"));
    CHECK(has(text, "start_grace = \"0s\""));
    CHECK(has(text, "backoff = { retries = 7 }"));
    CHECK(has(text, "stop_signal = \"QUIT\""));
    CHECK(has(text, "stop_timeout = \"25s\""));
    CHECK(has(text, "log = { max_size = \"1KB\", keep = 0, stderr = \"merge\" }"));
    CHECK(has(text, "A = '1,2'\nB = 'x y'\nC = 'plain'\n"));
}

TEST_CASE("import writes one program per process with numprocs", "[ctl][import]") {
    auto conversion = convert_text(R"([program:q]
command=/bin/sleep %(process_num)d
process_name=%(program_name)s-%(process_num)02d
numprocs=3
numprocs_start=8
)");
    REQUIRE(conversion.files.size() == 1);
    CHECK(conversion.files[0].programs == std::vector<std::string>{"q-08", "q-09", "q-10"});
    CHECK(has(conversion.files[0].text, "[program.q-10]\ncommand = '/bin/sleep 10'"));
    CHECK(noted(conversion, "one svd program per process"));
}

TEST_CASE("import refuses what supervisord refuses, and converts the rest", "[ctl][import]") {
    auto conversion = convert_text(R"([program:bad]
command=/bin/sleep 1
numprocs=2
[program:worse]
autostart=maybe
command=/bin/true
[program:good]
command=/bin/true
user=nobody
priority=5
[program:later]
command=/bin/true
[group:g]
programs=good,later
[eventlistener:e]
command=/bin/true
)");
    REQUIRE(conversion.errors.size() == 2);
    CHECK(has(conversion.errors[0].message, "process_num"));
    CHECK(has(conversion.errors[1].message, "autostart"));
    REQUIRE(conversion.files.size() == 2);
    CHECK(noted(conversion, "cannot switch user"));
    CHECK(noted(conversion, "svd has no groups"));
    CHECK(noted(conversion, "[eventlistener:e] not converted"));
    CHECK(has(conversion.files[1].text, "# requires = { good = \"started\" }"));
    CHECK(has(conversion.files[0].text, "[group:g] had: good, later"));
}

TEST_CASE("import reports a file it cannot parse", "[ctl][import]") {
    std::string error;
    CHECK_FALSE(convert(write_ini("[program:x]\ncommand=/bin/true\nnot a pair\n"), error));
    CHECK(has(error, ":3: "));
    CHECK_FALSE(convert("/nonexistent/supervisord.conf", error));
    CHECK(has(error, "No such file"));
}
