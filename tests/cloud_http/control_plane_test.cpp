// The control plane's REST layer through real HTTP on loopback, against the real services on an
// in-memory store (DirectControlBackend), plus the router and the presigned-URL signer alone.
#include "http_client.hpp"

#include "fota/cloud/control_plane.hpp"
#include "fota/cloud/http/sigv4.hpp"
#include "fota/cloud/object_server.hpp"
#include "fota/cloud/s3_presigner.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <thread>

using fota::cloud::CloudConfig;
using fota::cloud::CloudCore;
using fota::cloud::ControlPlane;
using fota::cloud::ControlPlaneConfig;
using fota::cloud::DirectControlBackend;
using fota::test::http_request;
using fota::test::HttpResult;
using nlohmann::json;
namespace http = fota::cloud::http;

namespace {

struct Plane {
    explicit Plane(std::optional<http::Credentials> credentials = std::nullopt)
        : core(CloudConfig{}), backend(core, [] { return std::int64_t{1700000000}; }) {
        core.set_publisher(
            [this](const fota::cloud::OutboundMessage& m) { published.push_back(m); });
        ControlPlaneConfig config;
        config.credentials = std::move(credentials);
        plane = std::make_unique<ControlPlane>(io, config, backend);
        plane->start();
        thread = std::thread([this] { io.run(); });
    }
    ~Plane() {
        plane->stop();
        guard.reset();
        io.stop();
        thread.join();
    }
    HttpResult call(const std::string& method, const std::string& path,
                    const std::string& body = {}) {
        return http_request(method, plane->endpoint() + path, {"Content-Type: application/json"},
                            body);
    }

    CloudCore core;
    DirectControlBackend backend;
    std::vector<fota::cloud::OutboundMessage> published; // only touched on the io thread
    boost::asio::io_context io;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{
        io.get_executor()};
    std::unique_ptr<ControlPlane> plane;
    std::thread thread;
};

json body_of(const HttpResult& r) {
    return json::parse(r.body, nullptr, false);
}

const std::string thing_arn = "arn:aws:iot:us-east-1:123456789012:thing/dev1";

} // namespace

TEST_CASE("control plane: things, jobs and executions over REST") {
    Plane p;
    auto r = p.call("POST", "/things/dev1", "{}");
    REQUIRE(r.status == 200);
    CHECK(body_of(r)["thingName"] == "dev1");
    CHECK(body_of(r)["thingArn"] == thing_arn);
    CHECK(p.call("GET", "/things/dev1").status == 200);
    r = p.call("GET", "/things");
    CHECK(r.status == 200);
    CHECK(r.body.find("dev1") != std::string::npos);

    const json create{{"targets", {thing_arn}},
                      {"document", R"({"operation":"app_fw_update","fwversion":"2.0"})"}};
    r = p.call("PUT", "/jobs/fw-1", create.dump());
    REQUIRE(r.status == 200);
    CHECK(body_of(r)["jobId"] == "fw-1");
    CHECK(body_of(r)["jobArn"] == "arn:aws:iot:us-east-1:123456789012:job/fw-1");

    r = p.call("GET", "/jobs/fw-1");
    CHECK(r.status == 200);
    CHECK(body_of(r)["job"]["jobId"] == "fw-1");
    r = p.call("GET", "/jobs/fw-1/job-document");
    CHECK(json::parse(body_of(r)["document"].get<std::string>())["fwversion"] == "2.0");
    r = p.call("GET", "/jobs");
    CHECK(body_of(r)["jobs"].size() == 1);
    r = p.call("GET", "/jobs/fw-1/things");
    CHECK(body_of(r)["executionSummaries"][0]["thingArn"] == thing_arn);
    r = p.call("GET", "/things/dev1/jobs?status=QUEUED");
    CHECK(body_of(r)["executionSummaries"][0]["jobId"] == "fw-1");
    r = p.call("GET", "/things/dev1/jobs/fw-1?executionNumber=1");
    CHECK(r.status == 200);
    CHECK(body_of(r)["execution"]["status"] == "QUEUED");

    r = p.call("PUT", "/things/dev1/jobs/fw-1/cancel", R"({"expectedVersion":1})");
    CHECK(r.status == 200);
    r = p.call("GET", "/things/dev1/jobs/fw-1");
    CHECK(body_of(r)["execution"]["status"] == "CANCELED");
    CHECK(p.call("DELETE", "/things/dev1/jobs/fw-1/executionNumber/1").status == 200);
    // Its only execution is terminal: the job completed and cannot be canceled any more.
    r = p.call("GET", "/jobs/fw-1");
    CHECK(body_of(r)["job"]["status"] == "COMPLETED");
    CHECK(p.call("PUT", "/jobs/fw-1/cancel", "{}").status == 400);
    CHECK(p.call("DELETE", "/jobs/fw-1").status == 200);

    REQUIRE(p.call("PUT", "/jobs/fw-2", create.dump()).status == 200);
    r = p.call("PUT", "/jobs/fw-2/cancel?force=true",
               R"({"reasonCode":"ABORTED_BY_TEST","comment":"c"})");
    CHECK(r.status == 200);
    CHECK(body_of(r)["jobId"] == "fw-2");
    r = p.call("GET", "/jobs/fw-2");
    CHECK(body_of(r)["job"]["status"] == "CANCELED");
    CHECK(body_of(r)["job"]["forceCanceled"] == true);
    CHECK(p.call("DELETE", "/jobs/fw-2?force=true").status == 200);
    r = p.call("GET", "/jobs/fw-2");
    CHECK(r.status == 404);
    CHECK(r.headers.at("x-amzn-errortype") == "ResourceNotFoundException");
    CHECK(body_of(r).contains("message"));
}

TEST_CASE("control plane: shadows over REST (iotdata)") {
    Plane p;
    auto r = p.call("GET", "/things/dev1/shadow");
    CHECK(r.status == 404);
    CHECK(r.headers.at("x-amzn-errortype") == "ResourceNotFoundException");
    r = p.call("POST", "/things/dev1/shadow", R"({"state":{"reported":{"fw":"1.0"}}})");
    REQUIRE(r.status == 200);
    CHECK(body_of(r)["version"] == 1);
    r = p.call("GET", "/things/dev1/shadow");
    CHECK(body_of(r)["state"]["reported"]["fw"] == "1.0");
    r = p.call("POST", "/things/dev1/shadow?name=fota", R"({"state":{"desired":{"fw":"2.0"}}})");
    CHECK(r.status == 200);
    r = p.call("GET", "/api/things/shadow/ListNamedShadowsForThing/dev1");
    CHECK(body_of(r)["results"] == json::array({"fota"}));
    r = p.call("POST", "/things/dev1/shadow", "not json");
    CHECK(r.status == 400);
    CHECK(p.call("DELETE", "/things/dev1/shadow").status == 200);
    CHECK(p.call("PUT", "/things/dev1/shadow", "{}").status == 405);
}

TEST_CASE("control plane: bad requests get AWS errors") {
    Plane p;
    struct Case {
        const char* method;
        const char* path;
        const char* body;
        long status;
        const char* type;
    };
    for (const Case& c : std::vector<Case>{
             {"PUT", "/jobs/fw-1", "[1,2]", 400, "InvalidRequestException"},
             {"PUT", "/jobs/fw-1", "{", 400, "InvalidRequestException"},
             {"POST", "/things/dev1", "\"x\"", 400, "InvalidRequestException"},
             {"GET", "/jobs?maxResults=0", "", 400, "InvalidRequestException"},
             {"GET", "/jobs/fw-1/things?maxResults=abc", "", 400, "InvalidRequestException"},
             {"GET", "/things/dev1/jobs/fw-1?executionNumber=-1", "", 400,
              "InvalidRequestException"},
             {"DELETE", "/things/dev1/jobs/fw-1/executionNumber/x", "", 400,
              "InvalidRequestException"},
             {"GET", "/things/%zz", "", 400, "InvalidRequestException"},
             {"GET", "/nothing/here", "", 404, "ResourceNotFoundException"},
             {"GET", "/things/dev1/jobs/fw-9", "", 404, "ResourceNotFoundException"},
             {"POST", "/_fota/control", "nope", 400, "InvalidRequestException"},
         }) {
        INFO(c.method << " " << c.path << " " << c.body);
        const auto r = p.call(c.method, c.path, c.body);
        CHECK(r.status == c.status);
        CHECK(r.headers.count("x-amzn-errortype") == 1);
        CHECK((r.headers.count("x-amzn-errortype") == 1 &&
               r.headers.at("x-amzn-errortype") == c.type));
        CHECK(body_of(r)["message"].is_string());
    }
}

TEST_CASE("control plane: fault knobs through POST /_fota/control") {
    Plane p;
    const auto r = p.call("POST", "/_fota/control",
                          R"({"op":"reject_next_update","args":{"thingName":"dev1",)"
                          R"("code":"VersionMismatch"}})");
    CHECK(r.status == 200);
    const auto bad = p.call("POST", "/_fota/control", R"({"op":"explode"})");
    CHECK(bad.status == 400);
}

TEST_CASE("control plane: SigV4 verified when credentials are configured") {
    const http::Credentials creds{"AKIDCONTROL", "control-secret", ""};
    Plane p(creds);
    auto r = p.call("GET", "/things");
    CHECK(r.status == 403);
    CHECK(r.headers.at("x-amzn-errortype") == "MissingAuthenticationTokenException");

    auto signed_call = [&](const http::Credentials& with, const std::string& path) {
        http::SigV4Request req{
            "GET", path, {{"Host", "127.0.0.1:" + std::to_string(p.plane->port())}}, ""};
        http::sign_request(req, with, "us-east-1", "iot", std::chrono::system_clock::now());
        std::vector<std::string> lines;
        for (const auto& h : req.headers) {
            lines.push_back(h.name + ": " + h.value);
        }
        return http_request("GET", p.plane->endpoint() + path, lines);
    };
    r = signed_call(creds, "/things?maxResults=10");
    CHECK(r.status == 200);
    r = signed_call({"AKIDCONTROL", "wrong", ""}, "/things");
    CHECK(r.status == 403);
    CHECK(r.headers.at("x-amzn-errortype") == "InvalidSignatureException");
    r = signed_call({"AKIDOTHER", "control-secret", ""}, "/things");
    CHECK(r.status == 403);
    CHECK(r.headers.at("x-amzn-errortype") == "UnrecognizedClientException");
}

TEST_CASE("control plane: router maps every documented call") {
    using fota::cloud::route_control_request;
    const std::vector<std::tuple<const char*, const char*, const char*>> calls{
        {"POST", "/things/dev1", "CreateThing"},
        {"GET", "/things/dev1", "DescribeThing"},
        {"GET", "/things", "ListThings"},
        {"PUT", "/jobs/j", "CreateJob"},
        {"GET", "/jobs/j", "DescribeJob"},
        {"GET", "/jobs/j/job-document", "GetJobDocument"},
        {"GET", "/jobs", "ListJobs"},
        {"PUT", "/jobs/j/cancel?force=true", "CancelJob"},
        {"DELETE", "/jobs/j?force=true", "DeleteJob"},
        {"GET", "/things/dev1/jobs/j?executionNumber=1", "DescribeJobExecution"},
        {"GET", "/jobs/j/things?status=QUEUED", "ListJobExecutionsForJob"},
        {"GET", "/things/dev1/jobs", "ListJobExecutionsForThing"},
        {"PUT", "/things/dev1/jobs/j/cancel", "CancelJobExecution"},
        {"DELETE", "/things/dev1/jobs/j/executionNumber/1", "DeleteJobExecution"},
        {"GET", "/things/dev1/shadow?name=fota", "GetThingShadow"},
        {"POST", "/things/dev1/shadow", "UpdateThingShadow"},
        {"DELETE", "/things/dev1/shadow", "DeleteThingShadow"},
        {"GET", "/api/things/shadow/ListNamedShadowsForThing/dev1", "ListNamedShadowsForThing"},
    };
    for (const auto& [method, target, operation] : calls) {
        INFO(method << " " << target);
        const auto route = route_control_request(method, target, "", "");
        CHECK_FALSE(route.error.has_value());
        CHECK(route.operation == operation);
    }
    CHECK(route_control_request("GET", "/things/dev1/jobs/j", "", "iot-jobs-data").error);
}

TEST_CASE("S3 presigner: placeholders become stable, verifiable URLs for the object server") {
    fota::cloud::S3PresignerConfig config;
    config.endpoint = "http://127.0.0.1:9000";
    config.credentials = {"AKIDOBJ", "obj-secret", ""};
    fota::cloud::S3Presigner signer(config);
    const std::int64_t now = 1700000123;
    const auto a = signer.presign("https://s3.us-east-1.amazonaws.com/fw/app.bin", 3600, now);
    REQUIRE(a);
    CHECK(a->rfind("http://127.0.0.1:9000/fw/app.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256", 0) == 0);
    CHECK(a->find("X-Amz-Expires=3600") != std::string::npos);
    // Stable within half the window, different after it.
    CHECK(signer.presign("https://s3.us-east-1.amazonaws.com/fw/app.bin", 3600, now + 60) == a);
    CHECK(signer.presign("https://s3.us-east-1.amazonaws.com/fw/app.bin", 3600, now + 1800) != a);
    // Virtual-hosted form maps to the same path.
    CHECK(signer.presign("https://fw.s3.us-east-1.amazonaws.com/app.bin", 3600, now) == a);
    CHECK_FALSE(signer.presign("not a url", 3600, now));
    CHECK_FALSE(signer.presign("https://s3.amazonaws.com/bucket-only", 3600, now));
    CHECK_FALSE(signer.presign("https://s3.amazonaws.com/fw/app.bin", 0, now));

    // The object server accepts the URL while valid and refuses it after expiry.
    std::atomic<long long> clock{now + 10};
    fota::cloud::ObjectServerConfig os_config;
    os_config.credentials = config.credentials;
    os_config.clock = [&] { return http::TimePoint(std::chrono::seconds(clock.load())); };
    boost::asio::io_context io;
    fota::cloud::ObjectServer server(io, os_config);
    server.start();
    server.put_object("fw", "app.bin", "firmware");
    config.endpoint = server.endpoint();
    fota::cloud::S3Presigner local(config);
    const auto url = local.presign("https://s3.us-east-1.amazonaws.com/fw/app.bin", 120, now);
    REQUIRE(url);
    std::thread t([&] { io.run(); });
    CHECK(http_request("GET", *url).body == "firmware");
    clock = now + 121;
    CHECK(http_request("GET", *url).status == 403);
    server.stop();
    io.stop();
    t.join();
}
