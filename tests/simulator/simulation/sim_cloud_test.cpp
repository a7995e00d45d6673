// The cloud on the in-memory broker: what the Mosquitto plugin guarantees a device holds here too
// (tests/conformance/mqtt checks the same against the real broker).
#include "fota/sim/simulation/sim_cloud.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace fota::sim::simulation;
using nlohmann::json;

namespace {

struct Device {
    std::vector<std::pair<std::string, std::string>> messages;
    bool connected = false;
    MqttClientCallbacks callbacks() {
        MqttClientCallbacks c;
        c.connected = [this](bool) { connected = true; };
        c.message = [this](const std::string& topic, const std::string& payload) {
            messages.emplace_back(topic, payload);
        };
        return c;
    }
    /// The payloads received on `topic`.
    std::vector<json> on(const std::string& topic) const {
        std::vector<json> out;
        for (const auto& [t, p] : messages) {
            if (t == topic) {
                out.push_back(json::parse(p));
            }
        }
        return out;
    }
};

struct World {
    explicit World(std::uint64_t seed = 3) : scheduler(seed) {}
    Scheduler scheduler;
    Broker broker{scheduler, NetworkOptions{}};
    SimCloud cloud{scheduler, broker};
    void settle() { scheduler.run_until(scheduler.now() + std::chrono::seconds(2)); }
    json control(const std::string& op, const json& args) {
        const auto result = cloud.control({{"op", op}, {"args", args}});
        INFO(op << " " << args.dump());
        REQUIRE(result.ok());
        return result.body;
    }
    void create_job(const std::string& job, const std::string& thing) {
        control("create_job",
                {{"jobId", job},
                 {"body",
                  {{"targets", {"arn:aws:iot:us-east-1:123456789012:thing/" + thing}},
                   {"document", R"({"operation":"app_fw_update","fwversion":"2.0.0"})"}}}});
    }
};

const std::string kNotifyNext = "$aws/things/dev-1/jobs/notify-next";

} // namespace

TEST_CASE("a device gets its replies without subscribing, and nobody else does", "[simulation]") {
    World w;
    w.control("create_thing", {{"thingName", "dev-1"}});
    w.create_job("job-1", "dev-1");
    Device dev;
    Device snoop;
    const auto c = w.broker.connect("dev-1", true, dev.callbacks());
    const auto s = w.broker.connect("snoop", true, snoop.callbacks());
    w.settle();
    REQUIRE(dev.connected);
    w.broker.subscribe(s, "$aws/things/+/jobs/#", 1, 1);
    w.settle();
    w.broker.publish(c, "$aws/things/dev-1/jobs/$next/get", R"({"clientToken":"t1"})", 1, 2);
    w.settle();
    const auto replies = dev.on("$aws/things/dev-1/jobs/$next/get/accepted");
    REQUIRE(replies.size() == 1);
    CHECK(replies[0]["execution"]["jobId"] == "job-1");
    CHECK(replies[0]["clientToken"] == "t1");
    CHECK(snoop.messages.empty());
}

TEST_CASE("the client id must be the thing name on its reserved topics", "[simulation]") {
    World w;
    w.control("create_thing", {{"thingName", "dev-1"}});
    w.create_job("job-1", "dev-1");
    Device impostor;
    const auto c = w.broker.connect("dev-2", true, impostor.callbacks());
    w.settle();
    w.broker.publish(c, "$aws/things/dev-1/jobs/$next/get", "{}", 1, 1);
    w.settle();
    CHECK(impostor.messages.empty());
    CHECK(w.control("describe_job_execution",
                    {{"jobId", "job-1"}, {"thingName", "dev-1"}})["execution"]["status"] ==
          "QUEUED");
}

TEST_CASE("notify-next reaches a subscribed device when a job is created", "[simulation]") {
    World w;
    w.control("create_thing", {{"thingName", "dev-1"}});
    Device dev;
    const auto c = w.broker.connect("dev-1", true, dev.callbacks());
    w.settle();
    w.broker.subscribe(c, kNotifyNext, 1, 1);
    w.settle();
    w.create_job("job-1", "dev-1");
    w.settle();
    const auto notes = dev.on(kNotifyNext);
    REQUIRE(notes.size() == 1);
    CHECK(notes[0]["execution"]["jobId"] == "job-1");
}

TEST_CASE("a broker restart loses sessions but not the cloud's state", "[simulation]") {
    World w;
    w.control("create_thing", {{"thingName", "dev-1"}});
    w.create_job("job-1", "dev-1");
    Device dev;
    auto c = w.broker.connect("dev-1", true, dev.callbacks());
    w.settle();
    w.broker.publish(c, "$aws/things/dev-1/jobs/job-1/update",
                     R"({"status":"IN_PROGRESS","expectedVersion":1})", 1, 1);
    w.settle();
    w.broker.stop();
    w.settle();
    w.broker.start();
    c = w.broker.connect("dev-1", true, dev.callbacks());
    w.settle();
    const json execution =
        w.control("describe_job_execution", {{"jobId", "job-1"}, {"thingName", "dev-1"}});
    CHECK(execution["execution"]["status"] == "IN_PROGRESS");
    CHECK(execution["execution"]["versionNumber"] == 2);
}

TEST_CASE("the cloud's clock is virtual: timeouts pass without waiting", "[simulation]") {
    World w;
    w.control("create_thing", {{"thingName", "dev-1"}});
    w.control("create_job", {{"jobId", "job-1"},
                             {"body",
                              {{"targets", {"arn:aws:iot:us-east-1:123456789012:thing/dev-1"}},
                               {"document", R"({"operation":"app_fw_update"})"},
                               {"timeoutConfig", {{"inProgressTimeoutInMinutes", 1}}}}}});
    Device dev;
    const auto c = w.broker.connect("dev-1", true, dev.callbacks());
    w.settle();
    w.broker.publish(c, "$aws/things/dev-1/jobs/job-1/update", R"({"status":"IN_PROGRESS"})", 1, 1);
    w.settle();
    const auto before = w.cloud.now_seconds();
    w.scheduler.run_until(w.scheduler.now() + std::chrono::minutes(2));
    CHECK(w.cloud.now_seconds() - before == 120);
    CHECK(w.control("describe_job_execution",
                    {{"jobId", "job-1"}, {"thingName", "dev-1"}})["execution"]["status"] ==
          "TIMED_OUT");
}

TEST_CASE("the same seed gives the same run, message for message and time for time",
          "[simulation]") {
    const auto run = [](std::uint64_t seed) {
        World w(seed);
        std::vector<std::string> trace;
        for (int i = 0; i < 5; ++i) {
            w.control("create_thing", {{"thingName", "dev-" + std::to_string(i)}});
        }
        std::vector<Device> devices(5);
        for (int i = 0; i < 5; ++i) {
            auto callbacks = devices[static_cast<std::size_t>(i)].callbacks();
            callbacks.message = [&trace, &w, i](const std::string& topic, const std::string&) {
                trace.push_back(std::to_string(w.scheduler.now().count()) + " " +
                                std::to_string(i) + " " + topic);
            };
            const auto c = w.broker.connect("dev-" + std::to_string(i), true, callbacks);
            w.broker.subscribe(c, "$aws/things/dev-" + std::to_string(i) + "/jobs/notify-next", 1,
                               1);
        }
        w.settle();
        for (int i = 0; i < 5; ++i) {
            w.create_job("job-" + std::to_string(i), "dev-" + std::to_string(i));
        }
        w.settle();
        return trace;
    };
    const auto first = run(11);
    CHECK(first.size() == 5);
    CHECK(run(11) == first);
    CHECK(run(12) != first);
}
