#include "fota/jobs_topics.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <string>

using namespace fota;

TEST_CASE("parse_jobs_topic decides by level count", "[core][topics]") {
    const auto kind = [](const std::string& topic) { return parse_jobs_topic(topic, "dev1").kind; };
    CHECK(kind("$aws/things/dev1/jobs/notify-next") == JobsTopicKind::NotifyNext);
    CHECK(kind("$aws/things/dev1/jobs/notify") == JobsTopicKind::Notify);
    CHECK(kind("$aws/things/dev1/jobs/get") == JobsTopicKind::GetPending);
    CHECK(kind("$aws/things/dev1/jobs/start-next") == JobsTopicKind::StartNext);
    CHECK(kind("$aws/things/dev1/jobs/get/accepted") == JobsTopicKind::GetPendingReply);
    CHECK(kind("$aws/things/dev1/jobs/start-next/rejected") == JobsTopicKind::StartNextReply);
    // A job whose ID is "get", "notify" or "start-next" is still a job.
    const JobsTopic describe_get = parse_jobs_topic("$aws/things/dev1/jobs/get/get", "dev1");
    CHECK(describe_get.kind == JobsTopicKind::Describe);
    CHECK(describe_get.job_id == "get");
    const JobsTopic update_notify =
        parse_jobs_topic("$aws/things/dev1/jobs/notify/update/accepted", "dev1");
    CHECK(update_notify.kind == JobsTopicKind::UpdateReply);
    CHECK(update_notify.job_id == "notify");
    CHECK(update_notify.accepted);
    const JobsTopic next = parse_jobs_topic("$aws/things/dev1/jobs/$next/get/rejected", "dev1");
    CHECK(next.kind == JobsTopicKind::DescribeReply);
    CHECK(next.job_id == "$next");
    CHECK_FALSE(next.accepted);
    CHECK(kind("$aws/things/dev1/jobs/get/get/accepted") == JobsTopicKind::DescribeReply);
    CHECK(kind("$aws/things/dev1/jobs/start-next/update") == JobsTopicKind::Update);
}

TEST_CASE("parse_jobs_topic rejects other things and malformed topics", "[core][topics]") {
    for (const char* topic :
         {"", "$aws", "$aws/things/dev2/jobs/notify-next", "$aws/things/dev1/shadow/update",
          "$aws/things/dev1/jobs", "$aws/things/dev1/jobs/", "$aws/things/dev1/jobs/foo",
          "$aws/things/dev1/jobs/j1/update/accepted/x", "$aws/things/dev1/jobs/j1/delete",
          "$aws/things/dev1/jobs/j 1/update", "$aws/things/dev1/jobs/$next/update",
          "$aws/things/dev1/jobs/j1/update/done", "aws/things/dev1/jobs/notify",
          "$aws/things/dev1/jobs//update", "$aws/things/dev1/jobs/notify-next/"}) {
        INFO(topic);
        CHECK(parse_jobs_topic(topic, "dev1").kind == JobsTopicKind::NotJobs);
    }
    const std::string long_id(kMaxJobIdLength + 1, 'a');
    CHECK(parse_jobs_topic("$aws/things/dev1/jobs/" + long_id + "/update", "dev1").kind ==
          JobsTopicKind::NotJobs);
    const std::string max_id(kMaxJobIdLength, 'a');
    CHECK(parse_jobs_topic("$aws/things/dev1/jobs/" + max_id + "/update", "dev1").kind ==
          JobsTopicKind::Update);
}

TEST_CASE("identifier rules", "[core][topics]") {
    CHECK(is_valid_thing_name("a:b_c-D9"));
    CHECK_FALSE(is_valid_thing_name(""));
    CHECK_FALSE(is_valid_thing_name("a/b"));
    CHECK(is_valid_thing_name(std::string(kMaxThingNameLength, 't')));
    CHECK_FALSE(is_valid_thing_name(std::string(kMaxThingNameLength + 1, 't')));
    CHECK(is_valid_job_id("a_b-9", false));
    CHECK_FALSE(is_valid_job_id("a:b", false));
    CHECK_FALSE(is_valid_job_id("$next", false));
    CHECK(is_valid_job_id("$next", true));
}

TEST_CASE("topics are built into bounded buffers", "[core][topics]") {
    std::array<char, kMaxTopicLength + 1> buffer{};
    std::string_view view;
    REQUIRE(build_thing_topic(buffer, "dev1", ThingTopic::NotifyNext, view) == TopicStatus::Ok);
    CHECK(view == "$aws/things/dev1/jobs/notify-next");
    REQUIRE(build_thing_topic(buffer, "dev1", ThingTopic::NextGet, view) == TopicStatus::Ok);
    CHECK(view == "$aws/things/dev1/jobs/$next/get");
    REQUIRE(build_thing_topic(buffer, "dev1", ThingTopic::ShadowUpdate, view) == TopicStatus::Ok);
    CHECK(view == "$aws/things/dev1/shadow/update");
    REQUIRE(build_job_topic(buffer, "dev1", "j1", JobTopic::UpdateRejected, view) ==
            TopicStatus::Ok);
    CHECK(view == "$aws/things/dev1/jobs/j1/update/rejected");
    CHECK(build_job_topic(buffer, "dev1", "$next", JobTopic::Update, view) ==
          TopicStatus::InvalidJobId);
    CHECK(build_job_topic(buffer, "bad/thing", "j1", JobTopic::Update, view) ==
          TopicStatus::InvalidThing);
    // The longest legal thing and job ID fit exactly.
    const std::string thing(kMaxThingNameLength, 't');
    const std::string job(kMaxJobIdLength, 'j');
    REQUIRE(build_job_topic(buffer, thing, job, JobTopic::UpdateAccepted, view) == TopicStatus::Ok);
    CHECK(view.size() == kMaxTopicLength);
    CHECK(parse_jobs_topic(view, thing).kind == JobsTopicKind::UpdateReply);
    std::array<char, 20> small{};
    CHECK(build_job_topic(small, "dev1", "j1", JobTopic::Update, view) == TopicStatus::TooLong);
    CHECK(view.empty());
}
