// The Stack contract without a broker: make_stack's choices and errors (aws, a url stack's
// broker over TLS without its TLS folder, or without ports; the folder's credentials and the
// presigned URLs they sign), what each stack says it can do, the url parsing, that
// stop() is safe before and after start and wait_until gives way to an interruption, and the sim
// stack (which needs no broker) end to end with one device.
#include "fota/sim/stack.hpp"

#include "fota/cloud/tls/tls_folder.hpp"
#include "scenario/scenario_parser.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

using namespace fota::sim;

namespace {

std::string temporary_dir(const std::string& name) {
    std::string pattern = (std::filesystem::temp_directory_path() / (name + "-XXXXXX")).string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    return pattern;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_text(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
}

StackConfig url_config(const std::string& mqtt_url, const std::string& object_url) {
    StackConfig config;
    config.kind = StackKind::url;
    config.control_url = "http://127.0.0.1:1/";
    config.mqtt_url = mqtt_url;
    config.object_url = object_url;
    return config;
}

Scenario scenario_with_restart() {
    const ParseResult parsed = parse_scenario(R"(name: restart
description: a restart_broker step
seed: 1
firmware:
  v1: {version: 1.0.0, size: 64KiB}
devices:
  - {thing_prefix: d-, count: 1, profile: seed, initial_firmware: v1}
steps:
  - restart_broker: {down_for: 1s}
expect:
  - running_version: {version: 1.0.0}
)",
                                              "restart.yaml");
    REQUIRE(parsed.ok());
    return *parsed.scenario;
}

} // namespace

TEST_CASE("make_stack: stack aws without credentials says where it looked", "[runner][stack]") {
    // The process's AWS settings, emptied for this test.
    for (const char* name :
         {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"}) {
        ::unsetenv(name);
    }
    ::setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
    ::setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
    StackConfig config;
    config.kind = StackKind::aws;
    config.bucket = "b";
    config.region = "eu-west-1";
    try {
        (void)make_stack(config, StackOptions{});
        FAIL("no error");
    } catch (const StackConfigError& e) {
        const std::string what = e.what();
        CHECK(what.find("no AWS credentials") != std::string::npos);
        CHECK(what.find("/nonexistent/credentials") != std::string::npos);
        CHECK(what.find("profile 'default'") != std::string::npos);
    }
}

TEST_CASE("make_stack: a url stack's broker over TLS needs the stack's TLS folder",
          "[runner][stack]") {
    try {
        (void)make_stack(url_config("mqtts://broker:8883", "http://127.0.0.1:9000"),
                         StackOptions{});
        FAIL("no error");
    } catch (const StackConfigError& e) {
        CHECK(std::string(e.what()).find("the broker mqtts://broker:8883 speaks TLS: give the "
                                         "stack's TLS folder (tls_dir, --tls-dir;") == 0);
    }
    const std::string empty = temporary_dir("fota-url-tls-empty");
    StackConfig config = url_config("mqtts://broker:8883", "https://127.0.0.1:9000");
    config.tls_dir = empty;
    CHECK_THROWS_WITH(make_stack(config, {}),
                      "tls_dir: " + empty +
                          " has no ca.crt (not the TLS folder of a running stack?)");
    std::filesystem::remove_all(empty);
}

TEST_CASE("a url stack over TLS signs with the folder's credentials and presigns its URLs",
          "[runner][stack]") {
    const std::string dir = temporary_dir("fota-url-tls");
    { fota::cloud::tls::TlsFolder folder(dir); }
    const auto server_certificate = read_text(dir + "/server.crt");
    StackConfig config = url_config("mqtts://127.0.0.1:8883", "https://127.0.0.1:9443");
    config.tls_dir = dir;
    config.bucket = "images";

    // No credentials file: the calls go unsigned, the URLs are plain.
    CHECK(make_stack(config, {})->locate_object("v2.bin").url ==
          "https://127.0.0.1:9443/images/v2.bin");

    write_text(dir + "/credentials", "[default]\naws_secret_access_key = only-a-secret\n");
    CHECK_THROWS_WITH(make_stack(config, {}),
                      dir + "/credentials: no [default] aws_access_key_id and "
                            "aws_secret_access_key");
    write_text(dir + "/credentials", "[default]\naws_access_key_id = AKIAFOTASIMTEST00001\n"
                                     "aws_secret_access_key = secret\n");
    const auto stack = make_stack(config, {});
    const PublishedFirmware p = stack->locate_object("v2.bin");
    CHECK(p.protocol == "https");
    CHECK(p.host == "127.0.0.1:9443");
    CHECK(p.url.rfind("https://127.0.0.1:9443/images/v2.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256&",
                      0) == 0);
    CHECK(p.url.find("X-Amz-Credential=AKIAFOTASIMTEST00001%2F") != std::string::npos);
    CHECK(p.url.find("X-Amz-Expires=21600") != std::string::npos);
    CHECK(p.url.find("X-Amz-Signature=") != std::string::npos);
    CHECK("https://" + p.host + "/" + p.path == p.url);
    // Opening a running stack's folder writes nothing of the stack's own.
    CHECK(read_text(dir + "/server.crt") == server_certificate);

    config.object_url = "http://127.0.0.1:9000";
    CHECK(make_stack(config, {})->locate_object("v2.bin").url ==
          "http://127.0.0.1:9000/images/v2.bin");
    std::filesystem::remove_all(dir);
}

TEST_CASE("make_stack: a url stack needs host:port", "[runner][stack]") {
    CHECK_THROWS_AS(make_stack(url_config("mqtt://broker", "http://127.0.0.1:9000"), {}),
                    StackConfigError);
    CHECK_THROWS_WITH(make_stack(url_config("mqtt://b:1883", "http://objects/"), {}),
                      "the url stack needs host:port in mqtt_url and object_url; got "
                      "mqtt://b:1883 and http://objects/");
}

TEST_CASE("the url stack: its bucket, endpoint and what it cannot do", "[runner][stack]") {
    StackConfig config = url_config("tcp://127.0.0.1:1883", "http://127.0.0.1:9000//");
    auto stack = make_stack(config, {});
    CHECK(stack->name() == "url");
    CHECK(stack->bucket() == "firmware");
    CHECK(stack->object_endpoint() == "http://127.0.0.1:9000");
    CHECK_FALSE(stack->can_restart_broker());
    CHECK(stack->log().empty());
    try {
        stack->check(scenario_with_restart());
        FAIL("no error");
    } catch (const StackUnsupported& e) {
        CHECK(std::string(e.what()) == "restart_broker on a url stack");
        CHECK(e.line == 9);
    }
    const ParseResult refusing = parse_scenario(R"(name: refuse
description: refused connections
firmware:
  v1: {version: 1.0.0, size: 64KiB}
devices:
  - {thing_prefix: d-, initial_firmware: v1}
steps:
  - http_fault: {kind: throttle, bytes_per_second: 1KiB}
  - http_fault: {kind: refuse_connections, count: 3}
expect:
  - running_version: {version: 1.0.0}
)",
                                                "refuse.yaml");
    REQUIRE(refusing.ok());
    try {
        stack->check(*refusing.scenario);
        FAIL("no error");
    } catch (const StackUnsupported& e) {
        CHECK(std::string(e.what()).rfind("http_fault refuse_connections on a url stack", 0) == 0);
        CHECK(e.line == 9);
    }
    config.bucket = "images";
    CHECK(make_stack(config, {})->bucket() == "images");
}

TEST_CASE("the embedded stack: stop is safe before start and twice", "[runner][stack]") {
    auto stack = make_stack(StackConfig{}, {});
    CHECK(stack->name() == "embedded");
    CHECK(stack->can_restart_broker());
    CHECK(stack->bucket() == "firmware");
    CHECK_NOTHROW(stack->check(scenario_with_restart()));
    CHECK_NOTHROW(stack->check_alive());
    stack->stop();
    stack->stop();
    CHECK(stack->log().empty());
}

TEST_CASE("a url stack starts and stops its threads; an interruption ends a wait",
          "[runner][stack]") {
    std::atomic<bool> interrupted{false};
    StackOptions options;
    options.interrupted = &interrupted;
    auto stack = make_stack(url_config("mqtt://127.0.0.1:1883", "http://127.0.0.1:9000"), options);
    stack->start("/tmp");
    const RunTime before = stack->now();
    stack->wait_for(std::chrono::milliseconds(20));
    CHECK(stack->now() - before >= std::chrono::milliseconds(20));
    interrupted = true;
    const RunTime interrupted_at = stack->now();
    stack->wait_for(std::chrono::seconds(30));
    CHECK(stack->now() - interrupted_at < std::chrono::seconds(5));
    stack->stop();
    stack->stop();
}

TEST_CASE("host_and_port", "[runner][stack]") {
    using Pair = std::pair<std::string, std::uint16_t>;
    CHECK(host_and_port("mqtt://localhost:1883") == Pair{"localhost", 1883});
    CHECK(host_and_port("http://127.0.0.1:9000/bucket/key") == Pair{"127.0.0.1", 9000});
    CHECK(host_and_port("http://[::1]:8443") == Pair{"[::1]", 8443});
    CHECK_FALSE(host_and_port("localhost:1883"));
    CHECK_FALSE(host_and_port("mqtt://localhost"));
    CHECK_FALSE(host_and_port("mqtt://:1883"));
    CHECK_FALSE(host_and_port("mqtt://host:0"));
    CHECK_FALSE(host_and_port("mqtt://host:65536"));
    CHECK_FALSE(host_and_port("mqtt://host:12a"));
}

TEST_CASE("stack_run_options: the command-line options that select a stack", "[runner][stack]") {
    using Options = std::vector<std::pair<std::string, std::string>>;
    CHECK(stack_run_options(StackConfig{}) == Options{{"--stack", "embedded"}});
    StackConfig sim;
    sim.kind = StackKind::sim;
    CHECK(stack_run_options(sim) == Options{{"--stack", "sim"}});
    StackConfig config = url_config("mqtt://h:1883", "http://h:9000");
    config.bucket = "images";
    CHECK(stack_run_options(config) == Options{{"--control-url", "http://127.0.0.1:1/"},
                                               {"--mqtt-url", "mqtt://h:1883"},
                                               {"--object-url", "http://h:9000"},
                                               {"--bucket", "images"}});
}

TEST_CASE("SimStack: a device boots on the virtual clock and reports its version to the shadow",
          "[runner][stack][sim]") {
    StackConfig config;
    config.kind = StackKind::sim;
    const auto stack = make_stack(config, StackOptions{});
    REQUIRE(stack->name() == "sim");
    REQUIRE(stack->virtual_epoch().has_value());
    const std::string work = "sim-stack-test-work";
    std::filesystem::create_directories(work);
    stack->start(work);
    CHECK(stack->now() == RunTime::zero());

    std::vector<std::string> events;
    StackDevice::Options options;
    options.thing = "sim-0";
    const auto device = stack->make_device(
        options,
        [&events](std::string_view name, std::string_view) -> std::optional<StackDevice::PowerCut> {
            events.emplace_back(name);
            return std::nullopt;
        });
    device->start();
    CHECK(events.empty()); // nothing runs between the runner's calls
    stack->wait_for(std::chrono::seconds(5));
    CHECK(stack->now() == std::chrono::seconds(5));
    const auto status = device->status();
    REQUIRE(status);
    CHECK(status->boots == 1);
    CHECK(status->running_version == "v1.0.0");
    CHECK(std::find(events.begin(), events.end(), "mqtt_connected") != events.end());
    const nlohmann::json shadow = stack->call("get_thing_shadow", {{"thingName", "sim-0"}});
    CHECK(shadow.dump().find("1.0.0") != std::string::npos);
    // The flash is in memory and readable: the primary slot starts with MCUboot's magic.
    const std::string header = device->read_flash(0xC000, 4);
    CHECK(header == std::string("\x3d\xb8\xf3\x96", 4));
    // An AWS error comes back as StackError, or as {"__error"} when allowed.
    CHECK_THROWS_AS(stack->call("describe_job", {{"jobId", "none"}}), StackError);
    CHECK(stack->call("describe_job", {{"jobId", "none"}}, true).contains("__error"));

    stack->restart_broker(std::chrono::seconds(2));
    stack->wait_for(std::chrono::seconds(60));
    CHECK(std::count(events.begin(), events.end(), "mqtt_connected") == 2);
    CHECK(device->stop());
    stack->stop();
    stack->stop();
    std::filesystem::remove_all(work);
}
