// `fota-sim cloud --tls` as AWS IoT's user meets it: HTTPS endpoints (the local CA in
// AWS_CA_BUNDLE), every request SigV4-signed with the key pair it made (its credentials file), the
// identity calls of the real AWS CLI (endpoint, certificates, policies, thing principals), S3 over
// HTTPS, and a device on the real Mosquitto holding a CreateKeysAndCertificate certificate:
// accepted as the thing attached to it, refused as another thing and once the certificate is
// INACTIVE. Decides by state (a reply, a refusal), never by sleeping.
#include "aws_cli_runner.hpp"
#include "cloud_process.hpp"
#include "fota/cloud/tls/certificates.hpp"

#include <catch2/catch.hpp>
#include <mqtt/async_client.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

using nlohmann::json;

namespace {

// Empty when a TLS MQTT client with certificate/key connects as client_id; else why not.
std::string try_connect(const std::string& uri, const std::string& client_id,
                        const std::string& ca_file, const std::string& certificate_file,
                        const std::string& key_file, const std::string& subscribe_to = {},
                        std::string* first_message = nullptr) {
    mqtt::async_client client(uri, client_id);
    mqtt::ssl_options tls;
    tls.set_trust_store(ca_file);
    tls.set_key_store(certificate_file);
    tls.set_private_key(key_file);
    tls.set_enable_server_cert_auth(true);
    tls.set_verify(true);
    const auto options = mqtt::connect_options_builder()
                             .clean_session(true)
                             .mqtt_version(MQTTVERSION_3_1_1)
                             .ssl(std::move(tls))
                             .finalize();
    try {
        if (!client.connect(options)->wait_for(std::chrono::seconds(10))) {
            return "no answer within 10 s";
        }
        if (!client.is_connected()) {
            return "not connected";
        }
        if (!subscribe_to.empty() && first_message != nullptr) {
            client.start_consuming();
            client.subscribe(subscribe_to, 1)->wait_for(std::chrono::seconds(10));
            *first_message = "subscribed";
        }
        client.disconnect()->wait_for(std::chrono::seconds(5));
        return "";
    } catch (const mqtt::exception& e) {
        return "refused (rc " + std::to_string(e.get_return_code()) + "): " + e.what();
    }
}

// A CONNECT the plugin refused (CONNACK 5), not a TLS or network failure.
const Catch::Matchers::StdString::ContainsMatcher not_authorized =
    Catch::Matchers::Contains("(rc 5)");

json parse_output(const fota::test::CommandResult& result) {
    INFO("exit " << result.exit_code << "\nstdout: " << result.out << "\nstderr: " << result.err);
    REQUIRE(result.exit_code == 0);
    if (result.out.empty()) {
        return json::object();
    }
    return json::parse(result.out);
}

// The CLI failed with AWS's error `type` (botocore prints "(Type) when calling ...").
void require_error(const fota::test::CommandResult& result, const std::string& type) {
    INFO("exit " << result.exit_code << "\nstdout: " << result.out << "\nstderr: " << result.err);
    REQUIRE(result.exit_code != 0);
    REQUIRE(result.err.find("(" + type + ")") != std::string::npos);
}

} // namespace

TEST_CASE("fota-sim cloud --tls: HTTPS, SigV4 required, AWS IoT identity calls, a device's "
          "CreateKeysAndCertificate certificate on MQTT") {
    fota::test::CloudProcess cloud({"--tls"});
    INFO(cloud.output());
    const std::string control = cloud.endpoint("control-plane");
    const std::string objects = cloud.endpoint("object-server");
    const std::string mqtt_uri = cloud.endpoint("mqtt");
    const std::string ca = cloud.endpoint("ca");
    const std::string credentials = cloud.endpoint("credentials");
    REQUIRE(control.rfind("https://127.0.0.1:", 0) == 0);
    REQUIRE(objects.rfind("https://127.0.0.1:", 0) == 0);
    REQUIRE(mqtt_uri.rfind("ssl://127.0.0.1:", 0) == 0);
    REQUIRE(!ca.empty());

    // The credentials file: AWS's INI format, [default], readable by its owner only.
    struct stat st {};
    REQUIRE(::stat(credentials.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    const std::string ini = fota::test::read_file(credentials);
    CHECK(ini.rfind("[default]\naws_access_key_id = " + cloud.endpoint("access-key-id") + "\n",
                    0) == 0);

    fota::test::AwsCli aws("unused", "unused");
    aws.set_environment("AWS_ACCESS_KEY_ID", std::nullopt);
    aws.set_environment("AWS_SECRET_ACCESS_KEY", std::nullopt);
    aws.set_environment("AWS_SHARED_CREDENTIALS_FILE", credentials);
    aws.set_environment("AWS_CA_BUNDLE", ca);
    auto iot = [&](std::vector<std::string> args) {
        args.insert(args.begin(), "iot");
        args.insert(args.end(), {"--endpoint-url", control});
        return aws.run(args);
    };

    SECTION("unsigned and wrongly signed requests are refused") {
        require_error(iot({"list-things", "--no-sign-request"}),
                      "MissingAuthenticationTokenException");
        fota::test::AwsCli wrong("AKIAWRONGWRONGWRONG1", "not-the-secret");
        wrong.set_environment("AWS_CA_BUNDLE", ca);
        require_error(wrong.run({"iot", "list-things", "--endpoint-url", control}),
                      "UnrecognizedClientException");
        const auto s3 =
            aws.run({"s3", "ls", "s3://firmware/", "--no-sign-request", "--endpoint-url", objects});
        INFO(s3.err);
        CHECK(s3.exit_code != 0);
        CHECK(s3.err.find("AccessDenied") != std::string::npos);
    }

    SECTION("S3 over HTTPS") {
        fota::test::write_file(aws.dir() + "/app.bin", std::string(70000, 'A'));
        const auto copied = aws.run({"s3", "cp", aws.dir() + "/app.bin", "s3://firmware/app.bin",
                                     "--endpoint-url", objects});
        INFO(copied.err);
        REQUIRE(copied.exit_code == 0);
        const auto listed = aws.run({"s3", "ls", "s3://firmware/", "--endpoint-url", objects});
        INFO(listed.err);
        REQUIRE(listed.exit_code == 0);
        CHECK(listed.out.find("70000 app.bin") != std::string::npos);
    }

    SECTION("identity calls and the MQTT binding") {
        const json endpoint =
            parse_output(iot({"describe-endpoint", "--endpoint-type", "iot:Data-ATS"}));
        CHECK("ssl://" + endpoint.at("endpointAddress").get<std::string>() == mqtt_uri);

        parse_output(iot({"create-thing", "--thing-name", "dev1"}));
        // iot-data, signed, over HTTPS.
        std::vector<std::string> update{"iot-data",
                                        "update-thing-shadow",
                                        "--thing-name",
                                        "dev1",
                                        "--payload",
                                        R"({"state":{"reported":{"v":"1"}}})",
                                        aws.dir() + "/shadow.json",
                                        "--endpoint-url",
                                        control};
        if (aws.is_v2()) {
            update.insert(update.end(), {"--cli-binary-format", "raw-in-base64-out"});
        }
        const auto shadow = aws.run(update);
        INFO(shadow.err);
        CHECK(shadow.exit_code == 0);
        parse_output(iot({"create-thing", "--thing-name", "dev2"}));
        const json keys = parse_output(iot({"create-keys-and-certificate", "--set-as-active"}));
        const std::string id = keys.at("certificateId");
        const std::string arn = keys.at("certificateArn");
        const std::string pem = keys.at("certificatePem");
        CHECK(fota::cloud::tls::certificate_id_of_pem(pem) == id);
        CHECK(arn == "arn:aws:iot:us-east-1:123456789012:cert/" + id);
        CHECK(fota::cloud::tls::is_signed_by(pem, fota::test::read_file(ca)));
        CHECK(keys.at("keyPair")
                  .at("PublicKey")
                  .get<std::string>()
                  .rfind("-----BEGIN PUBLIC KEY-----", 0) == 0);
        const std::string certificate_file = aws.dir() + "/device.crt";
        const std::string key_file = aws.dir() + "/device.key";
        fota::test::write_file(certificate_file, pem);
        fota::test::write_file(key_file, keys.at("keyPair").at("PrivateKey"));

        const json described = parse_output(iot({"describe-certificate", "--certificate-id", id}));
        CHECK(described.at("certificateDescription").at("status") == "ACTIVE");

        const std::string document =
            R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]})";
        const json policy = parse_output(
            iot({"create-policy", "--policy-name", "fota-device", "--policy-document", document}));
        CHECK(policy.at("policyArn") == "arn:aws:iot:us-east-1:123456789012:policy/fota-device");
        require_error(
            iot({"create-policy", "--policy-name", "fota-device", "--policy-document", document}),
            "ResourceAlreadyExistsException");
        require_error(iot({"create-policy", "--policy-name", "bad", "--policy-document", "{}"}),
                      "MalformedPolicyException");
        CHECK(parse_output(iot({"get-policy", "--policy-name", "fota-device"}))
                  .at("policyDocument") == document);
        parse_output(iot({"attach-policy", "--policy-name", "fota-device", "--target", arn}));
        const json attached = parse_output(iot({"list-attached-policies", "--target", arn}));
        CHECK(attached.at("policies").size() == 1);
        parse_output(iot({"attach-thing-principal", "--thing-name", "dev1", "--principal", arn}));
        CHECK(
            parse_output(iot({"list-thing-principals", "--thing-name", "dev1"})).at("principals") ==
            json::array({arn}));
        require_error(iot({"delete-policy", "--policy-name", "fota-device"}),
                      "DeleteConflictException");
        require_error(iot({"delete-certificate", "--certificate-id", id}),
                      "CertificateStateException");
        require_error(iot({"delete-thing", "--thing-name", "dev1"}), "InvalidRequestException");

        // The device: accepted as the attached thing, refused as another.
        CHECK(try_connect(mqtt_uri, "dev1", ca, certificate_file, key_file).empty());
        CHECK_THAT(try_connect(mqtt_uri, "dev2", ca, certificate_file, key_file), not_authorized);

        parse_output(
            iot({"update-certificate", "--certificate-id", id, "--new-status", "INACTIVE"}));
        CHECK_THAT(try_connect(mqtt_uri, "dev1", ca, certificate_file, key_file), not_authorized);
        parse_output(iot({"update-certificate", "--certificate-id", id, "--new-status", "ACTIVE"}));
        CHECK(try_connect(mqtt_uri, "dev1", ca, certificate_file, key_file).empty());
        parse_output(
            iot({"update-certificate", "--certificate-id", id, "--new-status", "INACTIVE"}));

        require_error(iot({"delete-certificate", "--certificate-id", id}),
                      "DeleteConflictException"); // still attached to dev1
        parse_output(iot({"detach-thing-principal", "--thing-name", "dev1", "--principal", arn}));
        CHECK(
            parse_output(iot({"list-thing-principals", "--thing-name", "dev1"})).at("principals") ==
            json::array());
        require_error(iot({"delete-certificate", "--certificate-id", id}),
                      "DeleteConflictException"); // the policy is still attached
        parse_output(iot({"detach-policy", "--policy-name", "fota-device", "--target", arn}));
        parse_output(iot({"delete-certificate", "--certificate-id", id}));
        require_error(iot({"describe-certificate", "--certificate-id", id}),
                      "ResourceNotFoundException");
        // Deleted: its CN ("AWS IoT Certificate") is no thing, so the CN rule refuses it too.
        CHECK_THAT(try_connect(mqtt_uri, "dev1", ca, certificate_file, key_file), not_authorized);
        parse_output(iot({"delete-policy", "--policy-name", "fota-device"}));
        require_error(iot({"get-policy", "--policy-name", "fota-device"}),
                      "ResourceNotFoundException");
        parse_output(iot({"delete-thing", "--thing-name", "dev1"}));
        require_error(iot({"describe-thing", "--thing-name", "dev1"}), "ResourceNotFoundException");
    }

    CHECK(cloud.stop_with(SIGTERM) == 0);
}

TEST_CASE("fota-sim cloud --tls: a kept TLS folder keeps its key pair across starts") {
    char pattern[] = "/tmp/fota-sim-cloud-tls-dir-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    const std::string dir = pattern;
    std::string first_key;
    {
        fota::test::CloudProcess cloud({"--tls", "--tls-dir", dir});
        first_key = cloud.endpoint("access-key-id");
        REQUIRE(first_key.rfind("AKIA", 0) == 0);
        CHECK(cloud.stop_with(SIGTERM) == 0);
    }
    {
        fota::test::CloudProcess cloud({"--tls", "--tls-dir", dir});
        CHECK(cloud.endpoint("access-key-id") == first_key);
        CHECK(cloud.stop_with(SIGTERM) == 0);
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
}
