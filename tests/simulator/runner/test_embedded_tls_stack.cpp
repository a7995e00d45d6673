// The embedded stack over TLS (stack {kind: embedded, tls: true}, fota-sim run --stack
// embedded-tls): a real Mosquitto with the plugin whose listener requires a client certificate,
// and a device that connects with the certificate the stack made for its thing.
#include "fota/cloud/tls/certificates.hpp"
#include "fota/sim/stack.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

using namespace fota::sim;

namespace {

std::string read(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace

TEST_CASE("the embedded stack over TLS: a device connects with its thing's certificate",
          "[runner][stack][tls]") {
    StackConfig config;
    config.tls = true;
    CHECK(stack_run_options(config) ==
          std::vector<std::pair<std::string, std::string>>{{"--stack", "embedded-tls"}});
    StackOptions options;
    options.plugin = FOTA_PLUGIN_PATH;
    options.mosquitto = FOTA_MOSQUITTO_EXECUTABLE;
#ifdef FOTA_PLUGIN_PRELOAD
    options.broker_environment = {std::string("LD_PRELOAD=") + FOTA_PLUGIN_PRELOAD,
                                  "ASAN_OPTIONS=detect_leaks=0"};
#endif
    const auto stack = make_stack(config, options);
    char pattern[] = "/tmp/fota-tls-stack-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    const std::string work = pattern;
    stack->start(work);

    // The broker's listener requires a certificate from the stack's CA, bound to the client id.
    const std::string config_text = read(work + "/broker/mosquitto.conf");
    CHECK_THAT(config_text, Catch::Contains("require_certificate true"));
    CHECK_THAT(config_text, Catch::Contains("cafile " + work + "/tls/ca.crt"));
    CHECK_THAT(config_text, Catch::Contains("plugin_opt_thing_certificates true"));

    std::mutex mutex;
    std::vector<std::string> events;
    StackDevice::Options device_options;
    device_options.thing = "tls-0";
    const auto device = stack->make_device(
        device_options,
        [&](std::string_view name, std::string_view) -> std::optional<StackDevice::PowerCut> {
            const std::lock_guard lock(mutex);
            events.emplace_back(name);
            return std::nullopt;
        });
    const std::string certificate = read(work + "/tls/things/tls-0.crt");
    CHECK(fota::cloud::tls::common_name_of_pem(certificate) == "tls-0");
    CHECK(fota::cloud::tls::is_signed_by(certificate, read(work + "/tls/ca.crt")));

    device->start();
    const auto connected = [&] {
        const std::lock_guard lock(mutex);
        return std::find(events.begin(), events.end(), "mqtt_connected") != events.end();
    };
    const RunTime deadline = stack->now() + std::chrono::seconds(20);
    while (!connected() && stack->now() < deadline) {
        stack->wait_for(std::chrono::milliseconds(100)); // polling a state, with a deadline
    }
    INFO("broker log:\n" << stack->log());
    CHECK(connected());
    CHECK(device->stop());
    stack->stop();
    std::error_code ignored;
    std::filesystem::remove_all(work, ignored);
}
