#include "watch/glob_match.h"

#include <catch2/catch.hpp>

using svd::watch::glob_match;
using svd::watch::glob_root;
using svd::watch::is_editor_temp_file;

TEST_CASE("** spans directories, * and ? stay in one", "[watch]") {
    CHECK(glob_match("/src/**/*.py", "/src/a.py"));
    CHECK(glob_match("/src/**/*.py", "/src/pkg/sub/a.py"));
    CHECK_FALSE(glob_match("/src/**/*.py", "/src/pkg/a.pyc"));
    CHECK_FALSE(glob_match("/src/*.py", "/src/pkg/a.py"));
    CHECK(glob_match("/src/?.py", "/src/a.py"));
    CHECK_FALSE(glob_match("/src/?.py", "/src/ab.py"));
    CHECK(glob_match("/etc/conf.d/*.toml", "/etc/conf.d/nginx.toml"));
    CHECK(glob_match("/x/[a-c]*.txt", "/x/beta.txt"));
    CHECK_FALSE(glob_match("/x/[!a-c]*.txt", "/x/beta.txt"));
    CHECK(glob_match("/src/**", "/src/any/thing"));
}

TEST_CASE("the root to watch is the fixed part of a glob", "[watch]") {
    CHECK(glob_root("/home/u/share/pywps/**/*.py") == "/home/u/share/pywps");
    CHECK(glob_root("/etc/conf.d/*.toml") == "/etc/conf.d");
    CHECK(glob_root("/etc/svd.toml") == "/etc");
}

TEST_CASE("editor temp files are recognised", "[watch]") {
    for (const char* name : {".app.py.swp", "4913", "app.py~", ".#app.py", "#app.py#", "x.tmp"})
        CHECK(is_editor_temp_file(name));
    for (const char* name : {"app.py", "svd.toml", "README"}) CHECK_FALSE(is_editor_temp_file(name));
}
