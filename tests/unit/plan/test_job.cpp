// How requests merge into a program's one job.
#include "plan/job.h"

#include <catch2/catch.hpp>

using namespace svd::plan;

namespace {
Job job(JobType type, bool sent = false) { return {type, sent}; }
} // namespace

TEST_CASE("a stop after a pending start cancels it", "[plan]") {
    CHECK(merge(job(JobType::Start), Request::Stop, false).job == job(JobType::Stop));
}

TEST_CASE("a start cancels a stop not yet sent, and follows one already sent", "[plan]") {
    CHECK(merge(job(JobType::Stop), Request::Start, false).job == job(JobType::Start));
    CHECK(merge(job(JobType::Stop, true), Request::Start, false).job == job(JobType::Restart, true));
}

TEST_CASE("a restart keeps a stop already sent; a start joins a restart", "[plan]") {
    CHECK(merge(job(JobType::None), Request::Restart, false).job == job(JobType::Restart));
    CHECK(merge(job(JobType::Stop, true), Request::Restart, false).job == job(JobType::Restart, true));
    CHECK(merge(job(JobType::Restart, true), Request::Start, false).job == job(JobType::Restart, true));
    CHECK(merge(job(JobType::Restart, true), Request::Stop, false).job == job(JobType::Stop, true));
}

TEST_CASE("no start or restart while shutting down, whatever the job", "[plan]") {
    for (JobType type : {JobType::None, JobType::Start, JobType::Stop, JobType::Restart}) {
        for (Request request : {Request::Start, Request::Restart}) {
            Merged merged = merge(job(type), request, true);
            CHECK(merged.refused == "svd is shutting down");
            CHECK(merged.job == job(type));
        }
        CHECK(merge(job(type), Request::Stop, true).refused.empty());
    }
}

TEST_CASE("a program being removed takes nothing but its removal", "[plan]") {
    for (Request request : {Request::Start, Request::Stop, Request::Restart})
        CHECK_FALSE(merge(job(JobType::Remove, true), request, false).refused.empty());
    CHECK(merge(job(JobType::Start), Request::Remove, false).job == job(JobType::Remove));
    CHECK(merge(job(JobType::Stop, true), Request::Remove, false).job == job(JobType::Remove, true));
}
