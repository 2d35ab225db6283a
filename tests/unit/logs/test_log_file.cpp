// LogFile against a real directory, with the clock injected and the disk
// "filled" by RLIMIT_FSIZE: the cases an integration test can only hit by luck
// (where a read ends, what time it is, when the disk refuses bytes).
#include "logs/log_file.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <dirent.h>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

using svd::logs::LogFile;

namespace {

struct TempDir {
    std::string path;
    TempDir() {
        char name[] = "/tmp/svd-logfile-XXXXXX";
        REQUIRE(mkdtemp(name) != nullptr);
        path = name;
    }
    ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
    std::string file(const std::string& name) const { return path + "/" + name; }
    std::set<std::string> names() const {
        std::set<std::string> found;
        if (DIR* dir = opendir(path.c_str())) {
            while (dirent* entry = readdir(dir))
                if (entry->d_name[0] != '.') found.insert(entry->d_name);
            closedir(dir);
        }
        return found;
    }
};

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

svd::config::LogOptions options(std::uint64_t max_size, int keep) {
    svd::config::LogOptions result;
    result.max_size = max_size;
    result.keep = keep;
    return result;
}

/// Local time as epoch milliseconds.
std::int64_t local_ms(int year, int month, int day, int hour, int minute, int second) {
    struct tm parts {};
    parts.tm_year = year - 1900;
    parts.tm_mon = month - 1;
    parts.tm_mday = day;
    parts.tm_hour = hour;
    parts.tm_min = minute;
    parts.tm_sec = second;
    parts.tm_isdst = -1;
    return static_cast<std::int64_t>(mktime(&parts)) * 1000;
}

} // namespace

TEST_CASE("a line that crosses max_size is finished in its file, even across writes", "[logs]") {
    TempDir dir;
    LogFile log(dir.file("app.log"), options(100, 5));
    REQUIRE(log.open());
    log.write(std::string(60, 'a') + "\n");
    log.write(std::string(30, 'b'));               // the read ended mid-line at 91 bytes
    log.write(std::string(20, 'b') + "\nccc\n");   // the line ends past max_size
    CHECK(read_file(dir.file("app.log.1")) == std::string(60, 'a') + "\n" + std::string(50, 'b') + "\n");
    CHECK(read_file(dir.file("app.log")) == "ccc\n");
    CHECK(log.dropped_bytes() == 0);
}

TEST_CASE("a file left ending mid-line gets its line finished before it rotates", "[logs]") {
    TempDir dir;
    {
        std::ofstream left(dir.file("app.log"), std::ios::binary);
        left << std::string(60, 'a') << "\n" << std::string(30, 'b'); // svd stopped mid-line
    }
    LogFile log(dir.file("app.log"), options(100, 5));
    REQUIRE(log.open());
    log.write(std::string(20, 'b') + "\nccc\n"); // past max_size: the b line stays whole
    CHECK(read_file(dir.file("app.log.1")) == std::string(60, 'a') + "\n" + std::string(50, 'b') + "\n");
    CHECK(read_file(dir.file("app.log")) == "ccc\n");
}

TEST_CASE("a line that fits goes whole to the next file", "[logs]") {
    TempDir dir;
    LogFile log(dir.file("app.log"), options(100, 5));
    REQUIRE(log.open());
    log.write(std::string(79, 'a') + "\n" + std::string(39, 'b') + "\n");
    CHECK(read_file(dir.file("app.log.1")) == std::string(79, 'a') + "\n");
    CHECK(read_file(dir.file("app.log")) == std::string(39, 'b') + "\n");
}

TEST_CASE("a line longer than max_size is cut at max_size, nothing lost", "[logs]") {
    TempDir dir;
    LogFile log(dir.file("app.log"), options(10, 10));
    REQUIRE(log.open());
    log.write("ab\n" + std::string(25, 'x') + "\nz\n");
    CHECK(read_file(dir.file("app.log.3")) == "ab\n");
    CHECK(read_file(dir.file("app.log.2")) == std::string(10, 'x'));
    CHECK(read_file(dir.file("app.log.1")) == std::string(10, 'x'));
    CHECK(read_file(dir.file("app.log")) == std::string(5, 'x') + "\nz\n");
}

TEST_CASE("keep bounds the numbered files; keep = 0 keeps only the live file", "[logs]") {
    TempDir dir;
    {
        LogFile log(dir.file("app.log"), options(4, 2));
        REQUIRE(log.open());
        for (char c = 'a'; c <= 'f'; ++c) log.write(std::string(3, c) + "\n");
        CHECK(dir.names() == std::set<std::string>{"app.log", "app.log.1", "app.log.2"});
        CHECK(read_file(dir.file("app.log.2")) == "ddd\n");
        CHECK(read_file(dir.file("app.log")) == "fff\n");
    }
    LogFile none(dir.file("b.log"), options(4, 0));
    REQUIRE(none.open());
    for (char c = 'a'; c <= 'c'; ++c) none.write(std::string(3, c) + "\n");
    CHECK(read_file(dir.file("b.log")) == "ccc\n");
    CHECK(dir.names().count("b.log.1") == 0);
}

TEST_CASE("daily rotation happens once at the first write after midnight", "[logs]") {
    TempDir dir;
    auto opts = options(0, 10);
    opts.rotate_every = svd::config::RotateEvery::Daily;
    LogFile log(dir.file("app.log"), opts);
    std::int64_t now = local_ms(2026, 3, 10, 23, 59, 0);
    log.set_clock([&now] { return now; });
    REQUIRE(log.open());
    log.set_clock([&now] { return now; }); // the period starts now
    log.write("evening\n");
    now = local_ms(2026, 3, 10, 23, 59, 59);
    log.write("late\n");
    CHECK(dir.names().count("app.log.1") == 0);
    now = local_ms(2026, 3, 13, 8, 0, 0); // three midnights later
    log.write("morning\n");
    CHECK(read_file(dir.file("app.log.1")) == "evening\nlate\n");
    CHECK(read_file(dir.file("app.log")) == "morning\n");
    CHECK(dir.names().count("app.log.2") == 0);
    now = local_ms(2026, 3, 13, 23, 0, 0);
    log.write("same day\n");
    CHECK(dir.names().count("app.log.2") == 0);
}

TEST_CASE("hourly rotation waits for the end of a line begun before the hour", "[logs]") {
    TempDir dir;
    auto opts = options(0, 10);
    opts.rotate_every = svd::config::RotateEvery::Hourly;
    LogFile log(dir.file("app.log"), opts);
    std::int64_t now = local_ms(2026, 3, 10, 9, 59, 0);
    log.set_clock([&now] { return now; });
    REQUIRE(log.open());
    log.set_clock([&now] { return now; });
    log.write("nine o'clock, and a line that");
    now = local_ms(2026, 3, 10, 10, 0, 1);
    log.write(" ends after ten\nten\n");
    CHECK(read_file(dir.file("app.log.1")) == "nine o'clock, and a line that ends after ten\n");
    CHECK(read_file(dir.file("app.log")) == "ten\n");
}

TEST_CASE("interval rotation counts from the start of the file; an empty file does not rotate", "[logs]") {
    TempDir dir;
    auto opts = options(0, 10);
    opts.rotate_every = svd::config::RotateEvery::Interval;
    opts.rotate_interval = svd::config::Millis(1500);
    LogFile log(dir.file("app.log"), opts);
    std::int64_t now = 1'000'000;
    log.set_clock([&now] { return now; });
    REQUIRE(log.open());
    log.set_clock([&now] { return now; });
    now += 2000; // past the first period, but the file is empty: a new period starts
    log.write("one\n");
    CHECK(dir.names().count("app.log.1") == 0);
    now += 1499;
    log.write("two\n");
    CHECK(dir.names().count("app.log.1") == 0);
    now += 1;
    log.write("three\n"); // 1.5 s after the file got its first line
    CHECK(read_file(dir.file("app.log.1")) == "one\ntwo\n");
    now += 10'000; // idle: the live file rotates once at its next write
    log.write("four\n");
    CHECK(read_file(dir.file("app.log.1")) == "three\n");
    CHECK(read_file(dir.file("app.log")) == "four\n");
    CHECK(read_file(dir.file("app.log.2")) == "one\ntwo\n");
    CHECK(dir.names().count("app.log.3") == 0);
}

TEST_CASE("a refused write is dropped and counted; writing resumes at a line start", "[logs]") {
    TempDir dir;
    LogFile log(dir.file("app.log"), options(0, 1));
    REQUIRE(log.open());
    struct rlimit saved {};
    REQUIRE(getrlimit(RLIMIT_FSIZE, &saved) == 0);
    auto old_handler = signal(SIGXFSZ, SIG_IGN); // EFBIG instead of death: svd's "disk full"
    struct rlimit small = saved;
    small.rlim_cur = 20;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
    log.write("0123456789\n");           // 11 bytes
    log.write("abcdefghijklmnop\n");     // 9 fit, 8 refused (they end a line)
    log.write("qrst");                   // a new line, refused
    log.write("uv\nwx");                 // its end, then the start of another, refused
    CHECK(log.dropped_bytes() == 8 + 4 + 3 + 2);
    CHECK_FALSE(log.error().empty());
    REQUIRE(setrlimit(RLIMIT_FSIZE, &saved) == 0);
    signal(SIGXFSZ, old_handler);
    log.write("yz\nback\n");              // the end of the lost line is skipped
    CHECK(log.dropped_bytes() == 20);
    // The cut line is ended with a newline; the next line is whole.
    CHECK(read_file(dir.file("app.log")) == "0123456789\nabcdefghi\nback\n");
    CHECK(log.error().empty());
}

TEST_CASE("dropping mid-line resynchronises at the next newline of later input", "[logs]") {
    TempDir dir;
    LogFile log(dir.file("app.log"), options(0, 1));
    REQUIRE(log.open());
    struct rlimit saved {};
    REQUIRE(getrlimit(RLIMIT_FSIZE, &saved) == 0);
    auto old_handler = signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = saved;
    small.rlim_cur = 3;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
    log.write("ab\n");      // fits
    log.write("cdef\n");    // refused whole, ends at a line end
    REQUIRE(setrlimit(RLIMIT_FSIZE, &saved) == 0);
    signal(SIGXFSZ, old_handler);
    log.write("gh\n");      // the input was at a line start: nothing more to skip
    CHECK(read_file(dir.file("app.log")) == "ab\ngh\n");
    CHECK(log.dropped_bytes() == 5);
}

TEST_CASE("compressed rotations: dated names in order, keep counts rotations, one gzip at a time", "[logs]") {
    TempDir dir;
    uv_loop_t loop;
    uv_loop_init(&loop);
    auto opts = options(8, 3);
    opts.compress = true;
    {
        LogFile log(dir.file("app.log"), opts, &loop);
        std::int64_t now = local_ms(2026, 3, 10, 12, 0, 0);
        log.set_clock([&now] { return now; });
        REQUIRE(log.open());
        // Twelve rotations within one second: STAMP, STAMP-1 … STAMP-11
        // (-10 sorts after -9: numbers, not text).
        for (int i = 0; i < 13; ++i) log.write("line " + std::to_string(i) + "\n");
        uv_run(&loop, UV_RUN_DEFAULT); // until the last gzip has exited
        while (waitpid(-1, nullptr, WNOHANG) > 0) {
        }
    }
    uv_loop_close(&loop);
    CHECK(dir.names() == std::set<std::string>{"app.log", "app.log.20260310-120000-9.gz",
                                               "app.log.20260310-120000-10.gz", "app.log.20260310-120000-11.gz"});
    for (int n = 9; n <= 11; ++n) {
        std::string command = "gzip -dc '" + dir.file("app.log.20260310-120000-" + std::to_string(n) + ".gz") + "'";
        FILE* in = popen(command.c_str(), "r");
        REQUIRE(in != nullptr);
        char buffer[64] = {};
        std::size_t got = fread(buffer, 1, sizeof buffer - 1, in);
        CHECK(pclose(in) == 0);
        CHECK(std::string(buffer, got) == "line " + std::to_string(n) + "\n");
    }
    CHECK(read_file(dir.file("app.log")) == "line 12\n");
}

TEST_CASE("a rotation renames what is on disk, not keep files", "[logs]") {
    TempDir dir;
    // With keep = 1,000,000 each rotation used to try a million renames on
    // the loop (about a second each); now it stops at the first missing file.
    LogFile log(dir.file("app.log"), options(4, 1'000'000));
    REQUIRE(log.open());
    auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < 200; ++i) log.write("abc\n");
    auto took = std::chrono::steady_clock::now() - started;
    CHECK(dir.names().size() == 200);
    CHECK(read_file(dir.file("app.log.199")) == "abc\n");
    // A generous bound, not a measurement: the old code needed minutes here.
    CHECK(took < std::chrono::seconds(30));
}

TEST_CASE("a rotation shifts only the run of files from .1 and deletes the one at keep", "[logs]") {
    TempDir dir;
    std::ofstream(dir.file("app.log.1")) << "one\n";
    std::ofstream(dir.file("app.log.2")) << "two\n";
    std::ofstream(dir.file("app.log.3")) << "three\n";
    LogFile log(dir.file("app.log"), options(4, 3));
    REQUIRE(log.open());
    log.write("aaa\n");
    log.write("bbb\n");
    CHECK(dir.names() == std::set<std::string>{"app.log", "app.log.1", "app.log.2", "app.log.3"});
    CHECK(read_file(dir.file("app.log.1")) == "aaa\n");
    CHECK(read_file(dir.file("app.log.2")) == "one\n");
    CHECK(read_file(dir.file("app.log.3")) == "two\n");
}
