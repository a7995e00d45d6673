// The control plane's REST layer through real HTTP on loopback, against the real services on an
// in-memory store (DirectControlBackend), plus the router and the presigned-URL signer alone.
#include "http_client.hpp"

#include "fota/cloud/control_plane.hpp"
#include "fota/cloud/http/sigv4.hpp"
#include "fota/cloud/http/uri.hpp"
#include "fota/cloud/object_server.hpp"
#include "fota/cloud/s3_presigner.hpp"
#include "fota/cloud/tls/tls_folder.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
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
    explicit Plane(std::optional<http::Credentials> credentials = std::nullopt,
                   const CloudConfig& cloud = {}, http::TlsContext tls = nullptr)
        : core(cloud), backend(core, [] { return std::int64_t{1700000000}; }) {
        core.set_publisher(
            [this](const fota::cloud::OutboundMessage& m) { published.push_back(m); });
        ControlPlaneConfig config;
        config.credentials = std::move(credentials);
        config.server.tls = std::move(tls);
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
                    const std::string& body = {}, std::vector<std::string> headers = {}) {
        headers.emplace_back("Content-Type: application/json");
        return http_request(method, plane->endpoint() + path, headers, body);
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
        {"DELETE", "/things/dev1?expectedVersion=1", "DeleteThing"},
        {"GET", "/endpoint?endpointType=iot%3AData-ATS", "DescribeEndpoint"},
        {"POST", "/keys-and-certificate?setAsActive=true", "CreateKeysAndCertificate"},
        {"GET", "/certificates/abc", "DescribeCertificate"},
        {"PUT", "/certificates/abc?newStatus=INACTIVE", "UpdateCertificate"},
        {"DELETE", "/certificates/abc?forceDelete=true", "DeleteCertificate"},
        {"POST", "/policies/p", "CreatePolicy"},
        {"GET", "/policies/p", "GetPolicy"},
        {"DELETE", "/policies/p", "DeletePolicy"},
        {"PUT", "/target-policies/p", "AttachPolicy"},
        {"POST", "/target-policies/p", "DetachPolicy"},
        {"POST", "/attached-policies/arn%3Aaws%3Aiot%3Aus-east-1%3A1%3Acert%2Fabc",
         "ListAttachedPolicies"},
        {"PUT", "/things/dev1/principals", "AttachThingPrincipal"},
        {"DELETE", "/things/dev1/principals", "DetachThingPrincipal"},
        {"GET", "/things/dev1/principals", "ListThingPrincipals"},
    };
    for (const auto& [method, target, operation] : calls) {
        INFO(method << " " << target);
        const auto route = route_control_request(method, target, "", "", "arn:aws:iot:x");
        CHECK_FALSE(route.error.has_value());
        CHECK(route.operation == operation);
    }
    CHECK(route_control_request("GET", "/things/dev1/jobs/j", "", "iot-jobs-data").error);
    // Attach/DetachThingPrincipal need the principal header.
    const auto no_principal = route_control_request("PUT", "/things/dev1/principals", "", "");
    REQUIRE(no_principal.error);
    CHECK(no_principal.error->error->type == "InvalidRequestException");
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

namespace {

// A TLS folder (CA, server certificate for localhost/127.0.0.1) in a temporary directory.
struct TempTls {
    TempTls() {
        char pattern[] = "/tmp/fota-control-tls-XXXXXX";
        REQUIRE(::mkdtemp(pattern) != nullptr);
        dir = pattern;
        folder = std::make_unique<fota::cloud::tls::TlsFolder>(dir);
    }
    ~TempTls() {
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }
    [[nodiscard]] http::TlsContext context() const {
        return http::make_server_tls_context(folder->server_certificate_file(),
                                             folder->server_key_file());
    }
    std::string dir;
    std::unique_ptr<fota::cloud::tls::TlsFolder> folder;
};

CloudConfig config_with_ca(const fota::cloud::tls::CertificateAuthority& ca) {
    CloudConfig config;
    config.identity.issue_certificate = [ca] { return ca.issue_client("AWS IoT Certificate"); };
    config.identity.mqtt_endpoint = "127.0.0.1:18883";
    return config;
}

} // namespace

TEST_CASE("control plane: identity calls (endpoint, certificates, policies, thing principals)") {
    const auto ca = fota::cloud::tls::CertificateAuthority::create("test CA");
    Plane p(std::nullopt, config_with_ca(ca));
    REQUIRE(p.call("POST", "/things/dev1", "{}").status == 200);

    auto r = p.call("GET", "/endpoint?endpointType=iot%3AData-ATS");
    REQUIRE(r.status == 200);
    CHECK(body_of(r)["endpointAddress"] == "127.0.0.1:18883");
    CHECK(p.call("GET", "/endpoint?endpointType=iot%3ACredentialProvider").status == 400);

    r = p.call("POST", "/keys-and-certificate?setAsActive=true");
    REQUIRE(r.status == 200);
    const json keys = body_of(r);
    const std::string id = keys["certificateId"];
    const std::string arn = keys["certificateArn"];
    CHECK(fota::cloud::tls::certificate_id_of_pem(keys["certificatePem"]) == id);
    CHECK(fota::cloud::tls::is_signed_by(keys["certificatePem"], ca.credentials().certificate_pem));
    CHECK(arn == "arn:aws:iot:us-east-1:123456789012:cert/" + id);
    CHECK(body_of(p.call("GET", "/certificates/" + id))["certificateDescription"]["status"] ==
          "ACTIVE");
    CHECK(p.call("GET", "/certificates/" + std::string(64, 'a')).status == 404);
    CHECK(p.call("GET", "/certificates/xyz").status == 400);
    CHECK(p.call("PUT", "/certificates/" + id + "?newStatus=ON").status == 400);

    const std::string document =
        R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iot:Connect","Resource":"*"}})";
    const json create_policy{{"policyDocument", document}};
    r = p.call("POST", "/policies/dev", create_policy.dump());
    REQUIRE(r.status == 200);
    CHECK(body_of(r)["policyVersionId"] == "1");
    r = p.call("POST", "/policies/dev", create_policy.dump());
    CHECK(r.status == 409);
    CHECK(r.headers.at("x-amzn-errortype") == "ResourceAlreadyExistsException");
    r = p.call("POST", "/policies/bad", json{{"policyDocument", "[1]"}}.dump());
    CHECK(r.headers.at("x-amzn-errortype") == "MalformedPolicyException");
    CHECK(body_of(p.call("GET", "/policies/dev"))["policyDocument"] == document);

    const std::string target = json{{"target", arn}}.dump();
    REQUIRE(p.call("PUT", "/target-policies/dev", target).status == 200);
    r = p.call("POST", "/attached-policies/" + http::aws_uri_encode(arn, true));
    REQUIRE(r.status == 200);
    CHECK(body_of(r)["policies"][0]["policyName"] == "dev");
    CHECK(p.call("DELETE", "/policies/dev").headers.at("x-amzn-errortype") ==
          "DeleteConflictException");

    const std::string principal = "x-amzn-principal: " + arn;
    CHECK(p.call("PUT", "/things/nobody/principals", "", {principal}).status == 404);
    REQUIRE(p.call("PUT", "/things/dev1/principals", "", {principal}).status == 200);
    CHECK(body_of(p.call("GET", "/things/dev1/principals"))["principals"] == json::array({arn}));

    // The CONNECT rule: the attached thing only, while ACTIVE.
    auto& identity = p.core.identity();
    CHECK(identity.connect_refusal("dev1", id) == std::string());
    CHECK_FALSE(identity.connect_refusal("dev2", id).value_or("").empty());
    CHECK_FALSE(identity.connect_refusal("dev1", std::string(64, 'b')).has_value());

    r = p.call("DELETE", "/certificates/" + id);
    CHECK(r.status == 406);
    CHECK(r.headers.at("x-amzn-errortype") == "CertificateStateException");
    CHECK(p.call("DELETE", "/things/dev1").headers.at("x-amzn-errortype") ==
          "InvalidRequestException");
    REQUIRE(p.call("PUT", "/certificates/" + id + "?newStatus=INACTIVE").status == 200);
    CHECK(identity.connect_refusal("dev1", id).value_or("").find("INACTIVE") != std::string::npos);
    CHECK(p.call("DELETE", "/certificates/" + id).headers.at("x-amzn-errortype") ==
          "DeleteConflictException");
    REQUIRE(p.call("DELETE", "/things/dev1/principals", "", {principal}).status == 200);
    CHECK(p.call("DELETE", "/certificates/" + id).headers.at("x-amzn-errortype") ==
          "DeleteConflictException"); // the policy
    REQUIRE(p.call("POST", "/target-policies/dev", target).status == 200);
    REQUIRE(p.call("DELETE", "/certificates/" + id).status == 200);
    CHECK(p.call("GET", "/certificates/" + id).status == 404);
    REQUIRE(p.call("DELETE", "/policies/dev").status == 200);
    REQUIRE(p.call("DELETE", "/things/dev1").status == 200);
    CHECK(p.call("GET", "/things/dev1").status == 404);
    CHECK(p.call("DELETE", "/things/dev1").status == 200); // AWS: no error for a missing thing
}

TEST_CASE("control plane: CreateKeysAndCertificate without a CA is refused") {
    Plane p;
    const auto r = p.call("POST", "/keys-and-certificate?setAsActive=true");
    CHECK(r.status == 400);
    CHECK(r.headers.at("x-amzn-errortype") == "InvalidRequestException");
}

TEST_CASE("control plane: identity state survives a restart (KvStore)") {
    char pattern[] = "/tmp/fota-identity-db-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    const std::string dir = pattern;
    const auto ca = fota::cloud::tls::CertificateAuthority::create("test CA");
    CloudConfig config = config_with_ca(ca);
    config.database_path = dir + "/cloud.db";
    std::string id;
    {
        CloudCore core(config);
        REQUIRE(core.jobs().create_thing("dev1", json::object(), 1).ok());
        const auto created = core.identity().create_keys_and_certificate(true, 1);
        REQUIRE(created.ok());
        id = created.body["certificateId"];
        REQUIRE(
            core.identity().attach_thing_principal("dev1", created.body["certificateArn"]).ok());
    }
    {
        CloudCore core(config);
        CHECK(core.identity().connect_refusal("dev1", id) == std::string());
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
}

TEST_CASE("control plane and object server: HTTPS with the TLS folder's server certificate") {
    TempTls tls;
    Plane p(std::nullopt, {}, tls.context());
    REQUIRE(p.plane->endpoint().rfind("https://127.0.0.1:", 0) == 0);
    const auto ca_file = tls.folder->ca_file();
    auto r = http_request("POST", p.plane->endpoint() + "/things/dev1", {}, "{}", 20000, ca_file);
    CHECK(r.status == 200);
    // Plain HTTP to the HTTPS port gets no HTTP answer; a client without the CA refuses the server.
    const std::string plain = "http://" + p.plane->endpoint().substr(8);
    CHECK(http_request("GET", plain + "/things", {}, {}, 5000).status == 0);
    CHECK(http_request("GET", p.plane->endpoint() + "/things", {}, {}, 5000).status == 0);

    boost::asio::io_context io;
    fota::cloud::ObjectServerConfig object_config;
    object_config.tls = tls.context();
    fota::cloud::ObjectServer objects(io, object_config);
    objects.start();
    std::thread thread([&io] { io.run(); });
    objects.put_object("firmware", "app.bin", std::string(100000, 'x'));
    CHECK(objects.endpoint().rfind("https://127.0.0.1:", 0) == 0);
    const std::string url = objects.presign_get("firmware", "app.bin", std::chrono::seconds(60));
    CHECK(url.rfind(objects.endpoint() + "/firmware/app.bin?", 0) == 0);
    r = http_request("GET", url, {"Range: bytes=0-99"}, {}, 20000, ca_file);
    CHECK(r.status == 206);
    CHECK(r.body == std::string(100, 'x'));
    r = http_request("GET", url, {}, {}, 20000, ca_file);
    CHECK(r.status == 200);
    CHECK(r.body.size() == 100000);
    objects.stop();
    thread.join();
}

TEST_CASE("control plane over HTTPS: a device's client certificate instead of SigV4, for its own "
          "shadow only") {
    TempTls tls;
    const http::Credentials credentials{"AKIDEXAMPLE", "secret", ""};
    Plane p(credentials, {},
            http::make_server_tls_context(tls.folder->server_certificate_file(),
                                          tls.folder->server_key_file(), tls.folder->ca_file()));
    const auto dev1 = tls.folder->thing("dev1");
    const auto ca_file = tls.folder->ca_file();
    auto as_dev1 = [&](const std::string& method, const std::string& path,
                       const std::string& body = {}) {
        return http_request(method, p.plane->endpoint() + path, {}, body, 20000, ca_file,
                            dev1.certificate, dev1.private_key);
    };
    auto r = as_dev1("POST", "/things/dev1/shadow", R"({"state":{"reported":{"v":"1.0.0"}}})");
    INFO(r.body);
    CHECK(r.status == 200);
    CHECK(as_dev1("GET", "/things/dev1/shadow").status == 200);
    r = as_dev1("GET", "/things/dev2/shadow");
    CHECK(r.status == 403);
    CHECK(r.headers.at("x-amzn-errortype") == "ForbiddenException");
    r = as_dev1("GET", "/things");
    CHECK(r.status == 403);
    CHECK(r.headers.at("x-amzn-errortype") == "ForbiddenException");
    // Without a certificate (and unsigned) nothing is allowed.
    r = http_request("GET", p.plane->endpoint() + "/things/dev1/shadow", {}, {}, 20000, ca_file);
    CHECK(r.status == 403);
    CHECK(r.headers.at("x-amzn-errortype") == "MissingAuthenticationTokenException");
}

TEST_CASE("control plane: ListThings filters by attributeName/attributeValue") {
    Plane p;
    const json run_a{{"attributePayload", {{"attributes", {{"fota-sim-run", "a"}}}}}};
    const json run_b{{"attributePayload", {{"attributes", {{"fota-sim-run", "b"}}}}}};
    REQUIRE(p.call("POST", "/things/dev1", run_a.dump()).status == 200);
    REQUIRE(p.call("POST", "/things/dev2", run_b.dump()).status == 200);
    REQUIRE(p.call("POST", "/things/dev3", "{}").status == 200);
    auto r = p.call("GET", "/things?attributeName=fota-sim-run&attributeValue=a");
    REQUIRE(r.status == 200);
    REQUIRE(body_of(r)["things"].size() == 1);
    CHECK(body_of(r)["things"][0]["thingName"] == "dev1");
    CHECK(body_of(p.call("GET", "/things"))["things"].size() == 3);
}
