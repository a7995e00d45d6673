// ShadowService: MQTT and iot-data semantics (spec §5, §6).

#include <catch2/catch.hpp>

#include <string>

#include "fota/cloud/shadow_service.hpp"
#include "test_support.hpp"

using namespace fota::cloud;
using fota::cloud::test::describe;
using fota::cloud::test::json;
using fota::cloud::test::on_topic;
using fota::cloud::test::only;

namespace {

constexpr std::int64_t t0 = 1730481958;
const std::string base = "$aws/things/dev1/shadow";

struct Fixture {
    KvStore store{":memory:"};
    ShadowService shadow{store};
    Messages send(const std::string& op, const std::string& payload, std::int64_t now = t0,
                  const std::string& prefix = base) {
        return shadow.handle_request("dev1", prefix + "/" + op, payload, now);
    }
};

} // namespace

TEST_CASE("get on a missing shadow: 404 without timestamp, name in quotes", "[shadow]") {
    Fixture f;
    auto out = f.send("get", "");
    CHECK(only(out, base + "/get/rejected") ==
          json{{"code", 404}, {"message", "No shadow exists with name: 'dev1'"}});
    out = f.send("get", R"({"clientToken":"c"})");
    CHECK(only(out, base + "/get/rejected")["clientToken"] == "c");
    out = f.send("get", "", t0, base + "/name/fota");
    CHECK(only(out, base + "/name/fota/get/rejected")["message"] ==
          "No shadow exists with name: 'fota'");
    out = f.send("delete", "");
    CHECK(only(out, base + "/delete/rejected")["code"] == 404);
}

TEST_CASE("first update creates version 1: accepted, documents without previous, no delta",
          "[shadow]") {
    Fixture f;
    auto out = f.send("update", R"({"state":{"reported":{"Color":"green"}},"clientToken":"t1"})");
    INFO(describe(out));
    REQUIRE(out.size() == 2);
    CHECK(out[0].client_id.empty()); // shadow replies go through the broker
    CHECK(
        only(out, base + "/update/accepted") ==
        json::parse(
            R"({"clientToken":"t1","state":{"reported":{"Color":"green"}},"metadata":{"reported":{"Color":{"timestamp":1730481958}}},"timestamp":1730481958,"version":1})"));
    CHECK(
        only(out, base + "/update/documents") ==
        json::parse(
            R"({"clientToken":"t1","current":{"state":{"reported":{"Color":"green"}},"metadata":{"reported":{"Color":{"timestamp":1730481958}}},"version":1},"timestamp":1730481958})"));
}

TEST_CASE("delta: desired vs reported, arrays whole, nested paths kept", "[shadow]") {
    Fixture f;
    f.send("update", R"({"state":{"reported":{"foo":1,"lights":{"color":{"r":1,"g":2}}}}})", t0);
    auto out = f.send("update",
                      R"({"state":{"desired":{"foo":2,"lights":{"color":{"g":255}},"arr":[1,2]}}})",
                      t0 + 10);
    INFO(describe(out));
    const json delta = only(out, base + "/update/delta");
    CHECK(delta["state"] == json::parse(R"({"foo":2,"lights":{"color":{"g":255}},"arr":[1,2]})"));
    CHECK(delta["metadata"]["arr"] ==
          json::parse(R"([{"timestamp":1730481968},{"timestamp":1730481968}])"));
    CHECK(delta["version"] == 2);
    const json documents = only(out, base + "/update/documents");
    CHECK(documents["previous"]["version"] == 1);
    CHECK(documents["current"]["version"] == 2);
    CHECK_FALSE(documents["current"]["state"].contains("delta"));

    // reported catches up with everything: no delta; desired stays (never cleared).
    out = f.send("update",
                 R"({"state":{"reported":{"foo":2,"lights":{"color":{"g":255}},"arr":[1,2]}}})",
                 t0 + 20);
    CHECK(on_topic(out, base + "/update/delta").empty());
    out = f.send("get", R"({"clientToken":"g"})", t0 + 30);
    const json doc = only(out, base + "/get/accepted");
    CHECK(doc["state"]["desired"]["foo"] == 2);
    CHECK_FALSE(doc["state"].contains("delta"));
    CHECK(doc["version"] == 3);
    CHECK(doc["timestamp"] == t0 + 30);
    CHECK(doc["clientToken"] == "g");
    // Untouched leaves keep their timestamps.
    CHECK(doc["metadata"]["reported"]["lights"]["color"]["r"]["timestamp"] == t0);
    CHECK(doc["metadata"]["reported"]["foo"]["timestamp"] == t0 + 20);
}

TEST_CASE("a reported-only update that leaves a property out of sync publishes delta with "
          "the desired timestamp",
          "[shadow]") {
    Fixture f;
    f.send("update", R"({"state":{"desired":{"Status":"Great"}}})", t0);
    auto out =
        f.send("update", R"({"state":{"reported":{"Status":"Bad"}},"clientToken":"x"})", t0 + 100);
    const json delta = only(out, base + "/update/delta");
    CHECK(
        delta ==
        json::parse(
            R"({"state":{"Status":"Great"},"metadata":{"Status":{"timestamp":1730481958}},"timestamp":1730482058,"version":2,"clientToken":"x"})"));
    out = f.send("get", "", t0 + 101);
    CHECK(only(out, base + "/get/accepted")["metadata"]["delta"]["Status"]["timestamp"] == t0);
}

TEST_CASE("null deletes keys and sections; state null keeps the shadow", "[shadow]") {
    Fixture f;
    f.send("update", R"({"state":{"desired":{"a":1,"b":2},"reported":{"a":1}}})");
    auto out = f.send("update", R"({"state":{"desired":{"a":null}}})", t0 + 1);
    CHECK(only(out, base + "/update/documents")["current"]["state"]["desired"] == json{{"b", 2}});
    out = f.send("update", R"({"state":{"desired":null}})", t0 + 2);
    CHECK_FALSE(only(out, base + "/update/documents")["current"]["state"].contains("desired"));
    out = f.send("update", R"({"state":null})", t0 + 3);
    CHECK(only(out, base + "/update/accepted")["version"] == 4);
    out = f.send("get", "", t0 + 4);
    CHECK(only(out, base + "/get/accepted")["state"] == json{{"reported", {{"a", 1}}}});
}

TEST_CASE("update validation: AWS's codes and messages", "[shadow]") {
    Fixture f;
    auto rejected = [&](const std::string& payload) {
        const auto out = f.send("update", payload);
        INFO(payload << "\n" << describe(out));
        REQUIRE(out.size() == 1);
        REQUIRE(out[0].topic == base + "/update/rejected");
        return json::parse(out[0].payload);
    };
    CHECK(rejected("nope") == json{{"code", 400}, {"message", "Invalid JSON"}, {"timestamp", t0}});
    CHECK(rejected("{}")["message"] == "Missing required node: state");
    CHECK(rejected(R"({"state":5})")["message"] == "State node must be an object");
    CHECK(rejected(R"({"state":{"delta":{}}})")["message"] ==
          "State contains an invalid node: 'delta'");
    CHECK(rejected(R"({"state":{"desired":[1]}})")["message"] == "Desired node must be an object");
    CHECK(rejected(R"({"state":{"reported":"x"}})")["message"] ==
          "Reported node must be an object");
    CHECK(rejected(R"({"state":{"reported":{}},"version":"1"})")["message"] == "Invalid version");
    CHECK(rejected(R"({"state":{"reported":{}},"clientToken":")" + std::string(65, 'c') +
                   "\"}")["message"] == "Invalid clientToken");
    CHECK(rejected(
              R"({"state":{"reported":{"a":{"b":{"c":{"d":{"e":{"f":{"g":1}}}}}}}}})")["message"] ==
          "JSON contains too many levels of nesting; maximum is 6");
    CHECK(rejected(R"({"state":{"reported":{"a":[null,"RED"]}}})")["code"] == 400);
    json big{{"state", {{"reported", {{"blob", std::string(8200, 'x')}}}}}};
    const json too_big = rejected(big.dump());
    CHECK(too_big["code"] == 413);
    CHECK(too_big["message"] == "The payload exceeds the maximum size allowed");
    const json encoding = rejected("{\"state\":{\"reported\":{\"a\":\"\xc3\x28\"}}}");
    CHECK(encoding["code"] == 415);
    CHECK(encoding["message"] == "Unsupported documented encoding; supported encoding is UTF-8");
    // depth 6 is fine; unknown top-level keys are ignored
    auto out =
        f.send("update", R"({"state":{"reported":{"a":{"b":{"c":{"d":{"e":{"f":1}}}}}}},"x":1})");
    CHECK(on_topic(out, base + "/update/accepted").size() == 1);
    // version conflict
    const json conflict =
        rejected(R"({"state":{"reported":{"q":1}},"version":7,"clientToken":"v"})");
    CHECK(conflict == json{{"code", 409},
                           {"message", "Version conflict"},
                           {"timestamp", t0},
                           {"clientToken", "v"}});
    out = f.send("update", R"({"state":{"reported":{"q":1}},"version":1})");
    CHECK(only(out, base + "/update/accepted")["version"] == 2);
}

TEST_CASE("delete keeps the version within 48 h and restarts it after", "[shadow]") {
    Fixture f;
    f.send("update", R"({"state":{"reported":{"a":1}}})", t0);
    f.send("update", R"({"state":{"reported":{"a":2}}})", t0 + 1);
    auto out = f.send("delete", R"({"clientToken":"d"})", t0 + 2);
    CHECK(only(out, base + "/delete/accepted") ==
          json{{"version", 2}, {"timestamp", t0 + 2}, {"clientToken", "d"}});
    out = f.send("get", "", t0 + 3);
    CHECK(only(out, base + "/get/rejected")["code"] == 404);
    out = f.send("update", R"({"state":{"reported":{"a":3}}})", t0 + 4);
    CHECK(only(out, base + "/update/accepted")["version"] == 3);
    CHECK_FALSE(only(out, base + "/update/documents").contains("previous"));
    f.send("delete", "", t0 + 5);
    out = f.send("update", R"({"state":{"reported":{"a":3}}})", t0 + 5 + 48 * 3600);
    CHECK(only(out, base + "/update/accepted")["version"] == 1);
}

TEST_CASE("named shadows are separate from the classic one", "[shadow]") {
    Fixture f;
    const std::string named = base + "/name/fota";
    f.send("update", R"({"state":{"reported":{"v":"1.0.0"}}})", t0, named);
    auto out = f.send("get", "", t0);
    CHECK(only(out, base + "/get/rejected")["code"] == 404);
    out = f.send("get", "", t0, named);
    CHECK(only(out, named + "/get/accepted")["state"]["reported"]["v"] == "1.0.0");
    auto list = f.shadow.list_named_shadows_for_thing("dev1", ListQuery{}, t0);
    CHECK(list.body["results"] == json::array({"fota"}));
    // Not operations: nothing happens.
    CHECK(f.send("update/delta", "{}").empty());
    CHECK(f.send("foo", "{}").empty());
    CHECK(f.send("get", "", t0, base + "/name/$bad").empty());
}

TEST_CASE("iot-data calls: same semantics, MQTT notifications for subscribers", "[shadow]") {
    Fixture f;
    auto r = f.shadow.get_thing_shadow("dev1", "", t0);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error->type == "ResourceNotFoundException");
    r = f.shadow.update_thing_shadow("dev1", "", R"({"state":{"desired":{"fw":"1.0.1"}}})", t0);
    REQUIRE(r.ok());
    CHECK(r.body["version"] == 1);
    CHECK(on_topic(r.messages, base + "/update/accepted").size() == 1);
    CHECK(on_topic(r.messages, base + "/update/documents").size() == 1);
    CHECK(only(r.messages, base + "/update/delta")["state"] == json{{"fw", "1.0.1"}});
    r = f.shadow.update_thing_shadow("dev1", "", "{bad", t0);
    CHECK(r.error->type == "InvalidRequestException");
    r = f.shadow.update_thing_shadow("dev1", "", R"({"state":{"desired":{}},"version":9})", t0);
    CHECK(r.error->type == "ConflictException");
    CHECK(r.error->http_status == 409);
    r = f.shadow.get_thing_shadow("dev1", "", t0 + 1);
    REQUIRE(r.ok());
    CHECK(r.body["state"]["delta"] == json{{"fw", "1.0.1"}});
    r = f.shadow.delete_thing_shadow("dev1", "", t0 + 2);
    REQUIRE(r.ok());
    CHECK(r.body == json{{"version", 1}, {"timestamp", t0 + 2}});
    CHECK(on_topic(r.messages, base + "/delete/accepted").size() == 1);
}

TEST_CASE("shadow state survives a restart", "[shadow][persistence]") {
    KvStore store(":memory:");
    {
        ShadowService shadow(store);
        shadow.handle_request("dev1", base + "/update", R"({"state":{"reported":{"a":1}}})", t0);
    }
    ShadowService again(store);
    auto out = again.handle_request("dev1", base + "/get", "", t0 + 1);
    CHECK(only(out, base + "/get/accepted")["version"] == 1);
}
