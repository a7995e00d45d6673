// `fota-sim cloud` as a user runs it: it prints its endpoints, serves MQTT, the control plane and
// the object server, a job document's presigned-URL placeholder becomes a URL that downloads
// from its object server, and it stops cleanly on SIGTERM and on SIGINT.
#include "aws_cli_runner.hpp"
#include "cloud_process.hpp"
#include "http_client.hpp"

#include <catch2/catch.hpp>
#include <mqtt/client.h>
#include <nlohmann/json.hpp>

#include <signal.h>

using nlohmann::json;

TEST_CASE("fota-sim cloud: endpoints, a presigned download end to end, SIGTERM") {
    fota::test::CloudProcess cloud;
    const std::string objects = cloud.endpoint("object-server");
    const std::string control = cloud.endpoint("control-plane");
    const std::string mqtt_uri = cloud.endpoint("mqtt");
    INFO(cloud.output());
    REQUIRE(objects.rfind("http://127.0.0.1:", 0) == 0);
    REQUIRE(control.rfind("http://127.0.0.1:", 0) == 0);
    REQUIRE(mqtt_uri.rfind("tcp://127.0.0.1:", 0) == 0);

    using fota::test::http_request;
    CHECK(http_request("GET", objects + "/_fota/health").status == 200);
    const std::string image(50000, 'F');
    REQUIRE(http_request("PUT", objects + "/_fota/objects/firmware/app.bin", {}, image).status ==
            200);
    REQUIRE(http_request("POST", control + "/things/dev1", {}, "{}").status == 200);

    mqtt::client device(mqtt_uri, "dev1");
    device.connect(mqtt::connect_options_builder().clean_session(true).finalize());
    device.subscribe("$aws/things/dev1/jobs/notify-next", 1);

    const json document{
        {"operation", "app_fw_update"},
        {"fwversion", "2.0.0"},
        {"location",
         {{"url",
           "${aws:iot:s3-presigned-url:https://s3.us-east-1.amazonaws.com/firmware/app.bin}"}}}};
    const json create{
        {"targets", {"arn:aws:iot:us-east-1:123456789012:thing/dev1"}},
        {"document", document.dump()},
        {"presignedUrlConfig",
         {{"roleArn", "arn:aws:iam::123456789012:role/fota-download"}, {"expiresInSec", 600}}}};
    const auto created = http_request("PUT", control + "/jobs/fw-1",
                                      {"Content-Type: application/json"}, create.dump());
    INFO(created.body);
    REQUIRE(created.status == 200);

    mqtt::const_message_ptr message;
    REQUIRE(device.try_consume_message_for(&message, std::chrono::seconds(10)));
    const json next = json::parse(message->to_string());
    const std::string url = next["execution"]["jobDocument"]["location"]["url"];
    INFO(url);
    CHECK(url.rfind(objects + "/firmware/app.bin?", 0) == 0);
    CHECK(url.find("X-Amz-Expires=600") != std::string::npos);
    const auto download = http_request("GET", url, {"Range: bytes=0-4095"});
    CHECK(download.status == 206);
    CHECK(download.body == image.substr(0, 4096));
    device.disconnect();

    CHECK(cloud.stop_with(SIGTERM) == 0);
    CHECK(cloud.output().find("fota-sim cloud: stopped") != std::string::npos);
}

TEST_CASE("fota-sim cloud: Ctrl-C (SIGINT) stops it cleanly") {
    fota::test::CloudProcess cloud;
    CHECK(fota::test::http_request("GET", cloud.endpoint("control-plane") + "/things").status ==
          200);
    CHECK(cloud.stop_with(SIGINT) == 0);
    CHECK(cloud.output().find("SIGINT, stopping") != std::string::npos);
}
