// Topic parsing, identifiers, JSON input and the broker's topic policy.

#include <catch2/catch.hpp>

#include <string>

#include "fota/cloud/identifiers.hpp"
#include "fota/cloud/jobs_topic.hpp"
#include "fota/cloud/json_input.hpp"
#include "fota/cloud/shadow_topic.hpp"
#include "fota/cloud/topic_policy.hpp"

using namespace fota::cloud;

TEST_CASE("jobs topics parse by level count", "[topics]") {
    auto op = [](const std::string& topic) {
        auto parsed = parse_jobs_topic(topic);
        REQUIRE(parsed);
        return parsed->operation;
    };
    CHECK(op("$aws/things/T/jobs/get") == JobsOperation::get_pending);
    CHECK(op("$aws/things/T/jobs/start-next") == JobsOperation::start_next);
    CHECK(op("$aws/things/T/jobs/$next/get") == JobsOperation::describe);
    CHECK(op("$aws/things/T/jobs/get/get") == JobsOperation::describe);
    CHECK(op("$aws/things/T/jobs/notify/update") == JobsOperation::update);
    CHECK(op("$aws/things/T/jobs/notify") == JobsOperation::reply);
    CHECK(op("$aws/things/T/jobs/notify-next") == JobsOperation::reply);
    CHECK(op("$aws/things/T/jobs/get/accepted") == JobsOperation::reply);
    CHECK(op("$aws/things/T/jobs/j1/update/rejected") == JobsOperation::reply);
    CHECK(op("$aws/things/T/jobs/$next/get/accepted") == JobsOperation::reply);
    CHECK(op("$aws/things/T/jobs/$next/update") == JobsOperation::invalid);
    CHECK(op("$aws/things/T/jobs") == JobsOperation::invalid);
    CHECK(op("$aws/things/T/jobs/") == JobsOperation::invalid);
    CHECK(op("$aws/things/T/jobs/a/b/c/d") == JobsOperation::invalid);
    CHECK(op("$aws/things/T/jobs/j!/get") == JobsOperation::invalid);
    CHECK(parse_jobs_topic("$aws/things/T/jobs/j1/get")->job_id == "j1");
    CHECK(parse_jobs_topic("$aws/things/T/jobs/j1/get")->thing_name == "T");
    CHECK_FALSE(parse_jobs_topic("$aws/things/T/shadow/get"));
    CHECK_FALSE(parse_jobs_topic("$aws/things/T"));
    CHECK_FALSE(parse_jobs_topic("things/T/jobs/get"));
    CHECK_FALSE(parse_jobs_topic(""));
}

TEST_CASE("shadow topics", "[topics]") {
    auto parsed = parse_shadow_topic("$aws/things/T/shadow/name/fw/update");
    REQUIRE(parsed);
    CHECK(parsed->operation == ShadowOperation::update);
    CHECK(parsed->shadow_name == "fw");
    CHECK(parse_shadow_topic("$aws/things/T/shadow/get")->operation == ShadowOperation::get);
    CHECK(parse_shadow_topic("$aws/things/T/shadow/delete")->operation == ShadowOperation::del);
    CHECK(parse_shadow_topic("$aws/things/T/shadow/update/delta")->operation ==
          ShadowOperation::reply);
    CHECK(parse_shadow_topic("$aws/things/T/shadow/get/delta")->operation ==
          ShadowOperation::other);
    CHECK(parse_shadow_topic("$aws/things/T/shadow/name//get")->operation ==
          ShadowOperation::other);
    CHECK(parse_shadow_topic("$aws/things/T/shadow")->operation == ShadowOperation::other);
    CHECK_FALSE(parse_shadow_topic("$aws/things/T/jobs/get"));
}

TEST_CASE("identifiers", "[topics]") {
    CHECK(is_valid_thing_name("nrf-352656100000000"));
    CHECK(is_valid_thing_name(std::string(128, 'a')));
    CHECK_FALSE(is_valid_thing_name(std::string(129, 'a')));
    CHECK_FALSE(is_valid_thing_name(""));
    CHECK_FALSE(is_valid_thing_name("a/b"));
    CHECK(is_valid_job_id(std::string(64, 'a')));
    CHECK_FALSE(is_valid_job_id(std::string(65, 'a')));
    CHECK_FALSE(is_valid_job_id("$next"));
    CHECK_FALSE(is_valid_job_id("a:b"));
    CHECK(is_valid_shadow_name("fota"));
    CHECK_FALSE(is_valid_shadow_name("$x"));
    CHECK(is_valid_details_value("ok"));
    CHECK(is_valid_details_value(std::string(1024, 'v')));
    CHECK_FALSE(is_valid_details_value(std::string(1025, 'v')));
    CHECK_FALSE(is_valid_details_value("a\nb"));
    CHECK(is_valid_details_value("\xc3\xa9t\xc3\xa9"));
    CHECK_FALSE(is_valid_utf8("\xc0\xaf"));     // overlong
    CHECK_FALSE(is_valid_utf8("\xed\xa0\x80")); // surrogate
    CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));
    CHECK(is_valid_utf8("\xf0\x9f\x98\x80"));
}

TEST_CASE("JSON input: depth guard, UTF-8, syntax", "[topics]") {
    CHECK(parse_json_input(R"({"a":[1,{"b":2}]})").status == JsonInputStatus::ok);
    CHECK(parse_json_input(std::string(65, '[') + std::string(65, ']')).status ==
          JsonInputStatus::too_deep);
    CHECK(parse_json_input(
              R"({"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["})")
              .status == JsonInputStatus::ok);
    CHECK(parse_json_input("{\"a\":\"\xff\"}").status == JsonInputStatus::invalid_utf8);
    CHECK(parse_json_input("{} x").status == JsonInputStatus::invalid_json);
    CHECK(parse_json_input("").status == JsonInputStatus::invalid_json);
}

TEST_CASE("topic policy: reserved topics belong to their thing", "[policy]") {
    auto allowed = [](const char* client, const char* topic, TopicAccess access, int qos = 1,
                      bool retain = false, std::size_t size = 10) {
        return is_topic_access_allowed({client, topic, access, qos, retain, size});
    };
    using A = TopicAccess;
    CHECK(allowed("dev1", "$aws/things/dev1/jobs/get", A::write));
    CHECK_FALSE(allowed("dev2", "$aws/things/dev1/jobs/get", A::write));
    CHECK_FALSE(allowed("dev1", "$aws/things/dev1/jobs/notify", A::write));
    CHECK_FALSE(allowed("dev1", "$aws/things/dev1/jobs/get/accepted", A::write));
    CHECK_FALSE(allowed("dev1", "$aws/things/dev1/jobs/get", A::write, 2));
    CHECK_FALSE(allowed("dev1", "$aws/things/dev1/jobs/get", A::write, 1, true));
    CHECK_FALSE(allowed("dev1", "$aws/things/dev1/jobs/get", A::write, 1, false, 128 * 1024 + 1));
    CHECK(allowed("dev1", "$aws/things/dev1/jobs/get", A::write, 1, false, 128 * 1024));
    CHECK(allowed("dev1", "$aws/things/dev1/jobs/foo/bar", A::write)); // InvalidTopic reply
    CHECK(allowed("dev1", "$aws/things/dev1/jobs/foo/bar/rejected", A::read));
    CHECK(allowed("dev1", "$fota/control", A::write));
    CHECK_FALSE(allowed("dev1", "$fota/control", A::write, 1, true));
    CHECK_FALSE(allowed("dev1", "$fota/control", A::read));
    CHECK(allowed("dev1", "$fota/control/reply/dev1", A::read));
    CHECK_FALSE(allowed("dev2", "$fota/control/reply/dev1", A::read));
    CHECK_FALSE(allowed("dev1", "$fota/control/reply/dev1", A::write));
    CHECK_FALSE(allowed("dev1", "a/b/c/d/e/f/g/h/i", A::write)); // 8 slashes
    CHECK(allowed("dev1", "a/b/c/d/e/f/g/h", A::write));
    CHECK_FALSE(allowed("x", "normal/topic", A::write, 2));
    CHECK(allowed("x", "normal/topic", A::write, 0, true));

    CHECK(allowed("dev1", "$aws/things/dev1/jobs/get/accepted", A::read));
    CHECK(allowed("dev1", "$aws/things/dev1/jobs/notify-next", A::read));
    CHECK_FALSE(allowed("dev2", "$aws/things/dev1/jobs/notify-next", A::read));
    CHECK_FALSE(allowed("dev1", "$aws/things/dev1/jobs/get", A::read)); // requests: nobody
    CHECK_FALSE(allowed("dev2", "$aws/things/dev1/jobs/j/update", A::read));
    CHECK(allowed("dev2", "$aws/things/dev1/shadow/update/accepted", A::read));
    CHECK_FALSE(allowed("dev2", "$aws/things/dev1/shadow/update", A::read));
    CHECK_FALSE(allowed("dev2", "$aws/things/dev1/shadow/update", A::write));
    CHECK(allowed("dev1", "$aws/things/dev1/shadow/update", A::write));

    CHECK(allowed("dev2", "$aws/things/+/jobs/#", A::subscribe));
    CHECK(allowed("dev2", "$aws/things/dev1/shadow/update/documents", A::subscribe));
    CHECK_FALSE(allowed("dev2", "$aws/things/dev1/shadow/update", A::subscribe));
    CHECK(allowed("dev1", "$aws/things/dev1/jobs/#", A::subscribe));
    CHECK_FALSE(allowed("dev2", "$aws/things/dev1/jobs/notify", A::subscribe));
    CHECK(allowed("dev2", "$aws/things/dev1/jobs/notify", A::unsubscribe));
}

TEST_CASE("topic policy: a certificate-bound client reaches its own thing's topics only",
          "[policy]") {
    auto allowed = [](const char* client, const char* topic, TopicAccess access) {
        TopicAccessRequest request{client, topic, access, 1, false, 10};
        request.certificate_bound = true;
        return is_topic_access_allowed(request);
    };
    using A = TopicAccess;
    CHECK(allowed("dev1", "$aws/things/dev1/jobs/get", A::write));
    CHECK(allowed("dev1", "$aws/things/dev1/jobs/notify-next", A::subscribe));
    CHECK(allowed("dev1", "$aws/things/dev1/jobs/notify-next", A::read));
    CHECK(allowed("dev1", "$aws/things/dev1/shadow/update/accepted", A::read));
    CHECK(allowed("dev1", "$aws/things/dev1/#", A::subscribe));
    CHECK_FALSE(allowed("dev1", "$aws/things/dev1/jobs/get/accepted", A::write));

    CHECK_FALSE(allowed("dev2", "$aws/things/dev1/jobs/get", A::write));
    CHECK_FALSE(allowed("dev2", "$aws/things/dev1/#", A::subscribe));
    CHECK_FALSE(allowed("dev2", "$aws/things/dev1/shadow/update/documents", A::subscribe));
    CHECK_FALSE(allowed("dev2", "$aws/things/dev1/shadow/update/accepted", A::read));
    // A wildcard filter is accepted; delivery then gives the client its own thing's messages.
    CHECK(allowed("dev2", "$aws/things/+/shadow/update/accepted", A::subscribe));
    CHECK_FALSE(allowed("dev2", "$aws/things/dev1/shadow/update/accepted", A::read));
    CHECK(allowed("dev2", "$aws/things/dev2/shadow/update/accepted", A::read));
    CHECK(allowed("dev2", "$aws/things/dev1/jobs/notify", A::unsubscribe));
    CHECK(allowed("dev2", "other/topic", A::subscribe));
    CHECK(allowed("dev2", "$fota/control/reply/dev2", A::read));
}

TEST_CASE("connect refusal: the client id must be the certificate's CN", "[policy]") {
    CHECK(connect_refusal("dev1", std::string("dev1")).empty());
    CHECK(connect_refusal("dev2", std::string("dev1")) ==
          "client id 'dev2' is not the certificate's thing 'dev1'");
    CHECK_FALSE(connect_refusal("dev1", std::nullopt).empty());
    CHECK_FALSE(connect_refusal("", std::string("dev1")).empty());
    CHECK_FALSE(connect_refusal("dev1", std::string("dev1 ")).empty());
    // A CreateKeysAndCertificate certificate's CN is no thing name: once the identity service no
    // longer knows it (deleted), the CN rule must not let it connect under that CN.
    CHECK_FALSE(connect_refusal("AWS IoT Certificate", std::string("AWS IoT Certificate")).empty());
}
