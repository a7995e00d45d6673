// The local stack's MQTT over TLS, as AWS IoT does it: a client certificate signed by the stack's
// CA is required, the client id must be the certificate's thing, and a thing reaches only its own
// reserved topics. A real Mosquitto with the fota plugin (BrokerProcess, a free port) and Paho
// clients; every test decides by state (a reply, a refusal), never by sleeping.
#include "fota/cloud/broker_process.hpp"
#include "fota/cloud/tls/tls_folder.hpp"

#include <catch2/catch.hpp>
#include <mqtt/async_client.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace {

using fota::cloud::tls::ThingCertificateFiles;
using fota::cloud::tls::TlsFolder;
using nlohmann::json;

constexpr auto deadline = std::chrono::seconds(10);

struct TempDir {
    TempDir() {
        char pattern[] = "/tmp/fota-mqtt-tls-XXXXXX";
        REQUIRE(::mkdtemp(pattern) != nullptr);
        path = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
    std::string path;
};

// The TLS broker: a CA, server and thing certificates in a folder, Mosquitto on a free port.
struct TlsStack {
    TempDir dir;
    TlsFolder tls{dir.path + "/tls"};
    std::unique_ptr<fota::cloud::BrokerProcess> broker;

    TlsStack() {
        fota::cloud::BrokerOptions options;
        options.mosquitto = FOTA_MOSQUITTO_EXECUTABLE;
        options.plugin_path = FOTA_PLUGIN_PATH;
        options.work_dir = dir.path + "/broker";
        options.plugin_options["control_topic"] = "true";
        options.tls = fota::cloud::BrokerTls{tls.ca_file(), tls.server_certificate_file(),
                                             tls.server_key_file()};
#ifdef FOTA_PLUGIN_PRELOAD
        options.extra_environment = {std::string("LD_PRELOAD=") + FOTA_PLUGIN_PRELOAD,
                                     "ASAN_OPTIONS=detect_leaks=0:halt_on_error=1"};
#endif
        broker = std::make_unique<fota::cloud::BrokerProcess>(options);
        REQUIRE_NOTHROW(broker->start());
    }
    ~TlsStack() {
        broker->stop();
    }
};

struct Received {
    std::string topic;
    std::string payload;
};

// A Paho client over TLS with the given certificate (empty: none) that records what it receives.
class TlsClient {
public:
    TlsClient(const std::string& uri, const std::string& client_id, const std::string& ca_file,
              const ThingCertificateFiles& certificate)
        : client_id_(client_id), client_(uri, client_id) {
        client_.set_message_callback([this](mqtt::const_message_ptr message) {
            const std::lock_guard lock(mutex_);
            inbox_.push_back({message->get_topic(), message->to_string()});
            changed_.notify_all();
        });
        mqtt::ssl_options tls;
        tls.set_trust_store(ca_file);
        if (!certificate.certificate.empty()) {
            tls.set_key_store(certificate.certificate);
            tls.set_private_key(certificate.private_key);
        }
        tls.set_enable_server_cert_auth(true);
        tls.set_verify(true);
        tls.set_error_handler([this](const std::string& text) {
            const std::lock_guard lock(mutex_);
            tls_errors_ += text + "\n";
        });
        options_ = mqtt::connect_options_builder()
                       .clean_session(true)
                       .mqtt_version(MQTTVERSION_3_1_1)
                       .keep_alive_interval(std::chrono::seconds(30))
                       .ssl(std::move(tls))
                       .finalize();
    }
    ~TlsClient() {
        try {
            if (client_.is_connected()) {
                client_.disconnect()->wait_for(std::chrono::seconds(5));
            }
        } catch (...) { // NOLINT(bugprone-empty-catch): best effort in a destructor
        }
    }
    TlsClient(const TlsClient&) = delete;
    TlsClient& operator=(const TlsClient&) = delete;

    // Empty when connected; else what the refusal was (Paho's return code and message).
    std::string try_connect() {
        try {
            if (!client_.connect(options_)->wait_for(deadline)) {
                return "no answer within 10 s";
            }
            return client_.is_connected() ? "" : "not connected";
        } catch (const mqtt::exception& e) {
            return "refused (rc " + std::to_string(e.get_return_code()) + "): " + e.what();
        }
    }
    void connect() {
        const std::string refusal = try_connect();
        INFO(client_id_ << ": " << refusal << "\nTLS: " << tls_errors());
        REQUIRE(refusal.empty());
    }
    [[nodiscard]] bool connected() const { return client_.is_connected(); }
    std::string tls_errors() {
        const std::lock_guard lock(mutex_);
        return tls_errors_;
    }

    // True when the broker granted the subscription (SUBACK with a QoS, not 0x80).
    bool subscribe(const std::string& filter) {
        auto token = client_.subscribe(filter, 1);
        bool answered = false;
        try {
            answered = token->wait_for(deadline);
        } catch (const mqtt::exception& e) {
            REQUIRE(e.get_return_code() == 0x80); // Paho reports a 0x80 SUBACK as a failure
            return false;
        }
        REQUIRE(answered);
        const auto codes = token->get_subscribe_response().get_reason_codes();
        return !codes.empty() && codes.front() < 0x80;
    }
    void publish(const std::string& topic, const std::string& payload) {
        REQUIRE(
            client_.publish(topic, payload.data(), payload.size(), 1, false)->wait_for(deadline));
    }
    json wait_json(const std::string& topic, const std::function<bool(const json&)>& accept) {
        std::unique_lock lock(mutex_);
        const auto until = std::chrono::steady_clock::now() + deadline;
        while (true) {
            for (auto it = inbox_.begin(); it != inbox_.end(); ++it) {
                const json value = json::parse(it->payload, nullptr, false);
                if (it->topic == topic && !value.is_discarded() && accept(value)) {
                    inbox_.erase(it);
                    return value;
                }
            }
            if (changed_.wait_until(lock, until) == std::cv_status::timeout) {
                std::string seen;
                for (const auto& r : inbox_) {
                    seen += "  " + r.topic + " " + r.payload + "\n";
                }
                FAIL(client_id_ << ": nothing on " << topic << " within 10 s; received:\n" << seen);
            }
        }
    }
    std::vector<Received> received() {
        const std::lock_guard lock(mutex_);
        return inbox_;
    }
    // A request on the thing's own jobs/get and its reply: everything this client published
    // before it has been handled, and everything routed to it before the reply has arrived.
    void barrier(const std::string& token) {
        publish("$aws/things/" + client_id_ + "/jobs/get", json{{"clientToken", token}}.dump());
        wait_json("$aws/things/" + client_id_ + "/jobs/get/accepted",
                  [&](const json& r) { return r.value("clientToken", "") == token; });
    }
    json control(const std::string& op, const json& args) {
        const std::string id = client_id_ + "-" + std::to_string(++control_counter_);
        publish("$fota/control", json{{"op", op}, {"id", id}, {"args", args}}.dump());
        return wait_json("$fota/control/reply/" + client_id_,
                         [&](const json& reply) { return reply.value("id", "") == id; });
    }

private:
    std::string client_id_;
    mqtt::async_client client_;
    mqtt::connect_options options_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<Received> inbox_;
    std::string tls_errors_;
    int control_counter_ = 0;
};

// A client of stack connecting as client_id with thing's certificate.
std::unique_ptr<TlsClient> client_of(TlsStack& stack, const std::string& client_id,
                                     const std::string& thing) {
    return std::make_unique<TlsClient>(stack.broker->mqtt_uri(), client_id, stack.tls.ca_file(),
                                       stack.tls.thing(thing));
}

} // namespace

TEST_CASE("a thing with its own certificate connects, subscribes and gets its replies", "[tls]") {
    TlsStack stack;
    CHECK(stack.broker->mqtt_uri().rfind("ssl://127.0.0.1:", 0) == 0);
    auto device = client_of(stack, "dev-A", "dev-A");
    device->connect();
    REQUIRE(device->subscribe("$aws/things/dev-A/jobs/notify-next"));
    REQUIRE(device->subscribe("$aws/things/dev-A/jobs/get/accepted"));
    device->barrier("t1");
}

TEST_CASE("thing A's certificate cannot connect as thing B, nor take B's session over", "[tls]") {
    TlsStack stack;
    auto real_b = client_of(stack, "dev-B", "dev-B");
    real_b->connect();

    auto impostor = client_of(stack, "dev-B", "dev-A");
    const std::string refusal = impostor->try_connect();
    INFO(refusal);
    CHECK_FALSE(refusal.empty());
    CHECK_FALSE(impostor->connected());
    CHECK_THAT(stack.broker->log(),
               Catch::Contains("client id 'dev-B' is not the certificate's thing 'dev-A'"));

    // The real B was not disconnected by the attempt (a CONNECT with its client id would have
    // taken its session over) and is still served.
    CHECK(real_b->connected());
    real_b->barrier("after-impostor");
}

TEST_CASE("thing A's certificate cannot touch thing B's reserved topics", "[tls]") {
    TlsStack stack;
    auto admin = client_of(stack, "fota-admin", "fota-admin");
    admin->connect();
    REQUIRE(admin->control("create_thing", {{"thingName", "dev-A"}})["ok"] == true);
    REQUIRE(admin->control("create_thing", {{"thingName", "dev-B"}})["ok"] == true);
    REQUIRE(admin->control("create_job",
                           {{"jobId", "fw-1"},
                            {"body",
                             {{"targets", {"arn:aws:iot:us-east-1:123456789012:thing/dev-B"}},
                              {"document", R"({"operation":"fota"})"}}}})["ok"] == true);
    auto device_a = client_of(stack, "dev-A", "dev-A");
    device_a->connect();
    auto device_b = client_of(stack, "dev-B", "dev-B");
    device_b->connect();

    SECTION("publishing B's requests starts nothing of B's") {
        device_a->publish("$aws/things/dev-B/jobs/start-next", R"({"clientToken":"steal"})");
        device_a->publish("$aws/things/dev-B/jobs/get", R"({"clientToken":"peek"})");
        device_a->barrier("after-requests");
        const json execution =
            admin->control("describe_job_execution", {{"thingName", "dev-B"}, {"jobId", "fw-1"}});
        INFO(execution.dump());
        CHECK(execution["body"]["execution"]["status"] == "QUEUED");
        for (const Received& r : device_a->received()) {
            CHECK(r.topic.find("dev-B") == std::string::npos);
        }
    }
    SECTION("subscribing to B's topics is refused, and a wildcard gets none of B's messages") {
        CHECK_FALSE(device_a->subscribe("$aws/things/dev-B/#"));
        CHECK_FALSE(device_a->subscribe("$aws/things/dev-B/shadow/update/accepted"));
        REQUIRE(device_a->subscribe("$aws/things/+/shadow/update/accepted"));
        REQUIRE(device_b->subscribe("$aws/things/dev-B/shadow/update/accepted"));
        const std::string report = R"({"state":{"reported":{"fw":"1.0.0"}}})";
        device_b->publish("$aws/things/dev-B/shadow/update", report);
        device_b->wait_json("$aws/things/dev-B/shadow/update/accepted",
                            [](const json&) { return true; });
        // A's own update goes through the same wildcard, after B's.
        device_a->publish("$aws/things/dev-A/shadow/update", report);
        device_a->wait_json("$aws/things/dev-A/shadow/update/accepted",
                            [](const json&) { return true; });
        for (const Received& r : device_a->received()) {
            CHECK(r.topic.find("dev-B") == std::string::npos);
        }
    }
}

TEST_CASE("a client without a certificate, or with another CA's, is refused", "[tls]") {
    TlsStack stack;
    SECTION("no certificate") {
        TlsClient anonymous(stack.broker->mqtt_uri(), "dev-A", stack.tls.ca_file(), {});
        const std::string refusal = anonymous.try_connect();
        INFO(refusal);
        CHECK_FALSE(refusal.empty());
    }
    SECTION("a certificate for the same thing from another CA") {
        const TempDir other_dir;
        TlsFolder other(other_dir.path);
        TlsClient forged(stack.broker->mqtt_uri(), "dev-A", stack.tls.ca_file(),
                         other.thing("dev-A"));
        const std::string refusal = forged.try_connect();
        INFO(refusal);
        CHECK_FALSE(refusal.empty());
    }
    SECTION("plain TCP on the TLS port") {
        mqtt::async_client plain("tcp://127.0.0.1:" + std::to_string(stack.broker->mqtt_port()),
                                 "dev-A");
        auto options = mqtt::connect_options_builder().mqtt_version(MQTTVERSION_3_1_1).finalize();
        bool connected = false;
        try {
            connected = plain.connect(options)->wait_for(deadline) && plain.is_connected();
        } catch (const mqtt::exception&) {
            connected = false;
        }
        CHECK_FALSE(connected);
    }
    // The broker's own certificate works for the devices of this stack.
    auto device = client_of(stack, "dev-A", "dev-A");
    device->connect();
}
