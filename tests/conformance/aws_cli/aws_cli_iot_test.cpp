// The real AWS CLI against the control plane running inside a real Mosquitto (the fota plugin):
// every `aws iot` and `aws iot-data` call the harness needs, with SigV4 verified, and the MQTT
// side effects a device sees.
#include "aws_cli_runner.hpp"

#include "fota/cloud/broker_process.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>
#include <mqtt/client.h>
#include <nlohmann/json.hpp>

#include <memory>

using fota::cloud::BrokerOptions;
using fota::cloud::BrokerProcess;
using fota::test::AwsCli;
using fota::test::CommandResult;
using nlohmann::json;

namespace {

const char* const access_key = "AKIDFOTACONTROL";
const char* const secret_key = "fota-control-secret";
const std::string thing_arn = "arn:aws:iot:us-east-1:123456789012:thing/dev1";

struct IotStack {
    IotStack() {
        BrokerOptions options;
        options.mosquitto = FOTA_MOSQUITTO_EXECUTABLE;
        options.plugin_path = FOTA_PLUGIN_PATH;
        options.plugin_options = {{"access_key_id", access_key}, {"secret_access_key", secret_key}};
#ifdef FOTA_PLUGIN_PRELOAD
        // The sanitized plugin runs inside the uninstrumented broker.
        options.extra_environment = {std::string("LD_PRELOAD=") + FOTA_PLUGIN_PRELOAD,
                                     "ASAN_OPTIONS=detect_leaks=0:halt_on_error=1"};
#endif
        broker = std::make_unique<BrokerProcess>(options);
        broker->start();
    }
    ~IotStack() {
        const bool clean = broker->stop();
        INFO("broker log:\n" << broker->log());
        CHECK(clean);
    }

    CommandResult aws(std::vector<std::string> args) {
        args.push_back("--endpoint-url");
        args.push_back(broker->control_endpoint());
        return cli.run(args);
    }
    json aws_json(std::vector<std::string> args) {
        const auto r = aws(args);
        INFO("aws " << args[0] << " " << args[1] << " exit " << r.exit_code << "\nstdout: " << r.out
                    << "\nstderr: " << r.err);
        REQUIRE(r.exit_code == 0);
        return r.out.empty() ? json::object() : json::parse(r.out);
    }

    AwsCli cli{access_key, secret_key};
    std::unique_ptr<BrokerProcess> broker;
};

} // namespace

TEST_CASE("aws cli: iot things and jobs against the plugin's control plane") {
    IotStack s;
    auto j = s.aws_json({"iot", "create-thing", "--thing-name", "dev1"});
    CHECK(j["thingName"] == "dev1");
    CHECK(j["thingArn"] == thing_arn);
    j = s.aws_json({"iot", "describe-thing", "--thing-name", "dev1"});
    CHECK(j["thingName"] == "dev1");
    j = s.aws_json({"iot", "list-things"});
    REQUIRE(j["things"].size() == 1);
    CHECK(j["things"][0]["thingName"] == "dev1");

    // A device subscribed to notify-next sees the job the CLI creates.
    mqtt::client device(s.broker->mqtt_uri(), "dev1");
    auto connect = mqtt::connect_options_builder().clean_session(true).finalize();
    device.connect(connect);
    device.subscribe("$aws/things/dev1/jobs/notify-next", 1);

    const std::string document = R"({"operation":"app_fw_update","fwversion":"2.0.0"})";
    j = s.aws_json({"iot", "create-job", "--job-id", "fw-1", "--targets", thing_arn, "--document",
                    document, "--description", "firmware 2.0.0"});
    CHECK(j["jobId"] == "fw-1");
    CHECK(j["jobArn"] == "arn:aws:iot:us-east-1:123456789012:job/fw-1");

    mqtt::const_message_ptr notice;
    REQUIRE(device.try_consume_message_for(&notice, std::chrono::seconds(10)));
    const json notify = json::parse(notice->to_string());
    CHECK(notify["execution"]["jobId"] == "fw-1");
    CHECK(notify["execution"]["jobDocument"]["fwversion"] == "2.0.0");
    device.disconnect();

    j = s.aws_json({"iot", "describe-job", "--job-id", "fw-1"});
    CHECK(j["job"]["jobId"] == "fw-1");
    CHECK(j["job"]["status"] == "IN_PROGRESS");
    CHECK(j["job"]["description"] == "firmware 2.0.0");
    j = s.aws_json({"iot", "get-job-document", "--job-id", "fw-1"});
    CHECK(json::parse(j["document"].get<std::string>()) == json::parse(document));
    j = s.aws_json({"iot", "list-jobs"});
    REQUIRE(j["jobs"].size() == 1);
    CHECK(j["jobs"][0]["jobId"] == "fw-1");

    j = s.aws_json({"iot", "list-job-executions-for-job", "--job-id", "fw-1"});
    REQUIRE(j["executionSummaries"].size() == 1);
    CHECK(j["executionSummaries"][0]["thingArn"] == thing_arn);
    CHECK(j["executionSummaries"][0]["jobExecutionSummary"]["status"] == "QUEUED");
    j = s.aws_json(
        {"iot", "list-job-executions-for-thing", "--thing-name", "dev1", "--status", "QUEUED"});
    REQUIRE(j["executionSummaries"].size() == 1);
    CHECK(j["executionSummaries"][0]["jobId"] == "fw-1");
    j = s.aws_json({"iot", "describe-job-execution", "--job-id", "fw-1", "--thing-name", "dev1"});
    CHECK(j["execution"]["status"] == "QUEUED");
    CHECK(j["execution"]["executionNumber"] == 1);
    CHECK(j["execution"]["thingArn"] == thing_arn);

    s.aws_json({"iot", "cancel-job-execution", "--job-id", "fw-1", "--thing-name", "dev1"});
    j = s.aws_json({"iot", "describe-job-execution", "--job-id", "fw-1", "--thing-name", "dev1",
                    "--execution-number", "1"});
    CHECK(j["execution"]["status"] == "CANCELED");
    s.aws_json({"iot", "delete-job-execution", "--job-id", "fw-1", "--thing-name", "dev1",
                "--execution-number", "1"});
    auto missing =
        s.aws({"iot", "describe-job-execution", "--job-id", "fw-1", "--thing-name", "dev1"});
    CHECK(missing.exit_code != 0);
    CHECK(missing.err.find("ResourceNotFoundException") != std::string::npos);

    s.aws_json(
        {"iot", "create-job", "--job-id", "fw-2", "--targets", thing_arn, "--document", document});
    j = s.aws_json({"iot", "cancel-job", "--job-id", "fw-2", "--force", "--reason-code",
                    "ABORTED_BY_TEST", "--comment", "from the CLI"});
    CHECK(j["jobId"] == "fw-2");
    j = s.aws_json({"iot", "describe-job", "--job-id", "fw-2"});
    CHECK(j["job"]["status"] == "CANCELED");
    CHECK(j["job"]["reasonCode"] == "ABORTED_BY_TEST");
    s.aws_json({"iot", "delete-job", "--job-id", "fw-2", "--force"});
    missing = s.aws({"iot", "describe-job", "--job-id", "fw-2"});
    CHECK(missing.exit_code != 0);
    CHECK(missing.err.find("ResourceNotFoundException") != std::string::npos);

    // Bad input gets AWS's error through the CLI.
    const auto bad =
        s.aws({"iot", "create-job", "--job-id", "fw-3", "--targets",
               "arn:aws:iot:us-east-1:123456789012:thing/nobody", "--document", document});
    CHECK(bad.exit_code != 0);
    CHECK((bad.err.find("InvalidRequestException") != std::string::npos ||
           bad.err.find("ResourceNotFoundException") != std::string::npos));
}

TEST_CASE("aws cli: iot-data shadows against the plugin's control plane") {
    IotStack s;
    s.aws_json({"iot", "create-thing", "--thing-name", "dev1"});
    const std::string out = s.cli.dir() + "/shadow.json";
    std::vector<std::string> binary_format;
    if (s.cli.is_v2()) {
        binary_format = {"--cli-binary-format", "raw-in-base64-out"};
    }

    auto args = std::vector<std::string>{
        "iot-data", "update-thing-shadow", "--thing-name",
        "dev1",     "--payload",           R"({"state":{"reported":{"fw":"1.0.0"}}})"};
    args.insert(args.end(), binary_format.begin(), binary_format.end());
    args.push_back(out);
    s.aws_json(args);
    auto doc = json::parse(fota::test::read_file(out));
    CHECK(doc["state"]["reported"]["fw"] == "1.0.0");
    CHECK(doc["version"] == 1);

    s.aws_json({"iot-data", "get-thing-shadow", "--thing-name", "dev1", out});
    doc = json::parse(fota::test::read_file(out));
    CHECK(doc["state"]["reported"]["fw"] == "1.0.0");
    CHECK(doc["metadata"]["reported"]["fw"].contains("timestamp"));

    s.aws_json({"iot-data", "delete-thing-shadow", "--thing-name", "dev1", out});
    doc = json::parse(fota::test::read_file(out));
    CHECK(doc["version"] == 1);
    const auto gone = s.aws({"iot-data", "get-thing-shadow", "--thing-name", "dev1", out});
    CHECK(gone.exit_code != 0);
    CHECK(gone.err.find("ResourceNotFoundException") != std::string::npos);
}

TEST_CASE("aws cli: the control plane refuses a wrong secret") {
    IotStack s;
    AwsCli wrong(access_key, "not-the-secret");
    const auto r =
        wrong.run({"iot", "list-things", "--endpoint-url", s.broker->control_endpoint()});
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("InvalidSignatureException") != std::string::npos);
}

TEST_CASE("the broker starts again on another port when the one it picked is taken") {
    // What happened in CI: the port picked for Mosquitto was free, then the plugin's own REST
    // server (port 0) was given it by the kernel, and Mosquitto exited with "Address already in
    // use". Here the first port picked is held by this test.
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor taken(
        io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    const std::uint16_t taken_port = taken.local_endpoint().port();
    int picks = 0;
    BrokerOptions options;
    options.mosquitto = FOTA_MOSQUITTO_EXECUTABLE;
    options.plugin_path = FOTA_PLUGIN_PATH;
#ifdef FOTA_PLUGIN_PRELOAD
    options.extra_environment = {std::string("LD_PRELOAD=") + FOTA_PLUGIN_PRELOAD,
                                 "ASAN_OPTIONS=detect_leaks=0:halt_on_error=1"};
#endif
    options.pick_port = [&](const std::string& address) {
        return ++picks == 1 ? taken_port : fota::cloud::pick_free_port(address);
    };
    BrokerProcess broker(options);
    REQUIRE_NOTHROW(broker.start());
    CHECK(picks == 2);
    CHECK(broker.mqtt_port() != taken_port);
    CHECK(broker.log().find("Address already in use") != std::string::npos);
    CHECK(broker.stop());

    // A port given by the caller is not replaced: the error says what happened.
    BrokerOptions fixed = options;
    fixed.pick_port = nullptr;
    fixed.mqtt_port = taken_port;
    BrokerProcess refused(fixed);
    try {
        refused.start();
        FAIL("the broker started on a port that was taken");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()).find("Address already in use") != std::string::npos);
    }
}
