// Stack aws's settings: the AWS CLI's files parsed, and the order credentials, region, endpoints
// and the CA bundle are taken in (scenario keys, environment, profile files), with the errors a
// user sees when something is missing. The environment is a map here, never the process's.
#include "runner/src/stack/aws_account.hpp"
#include "runner/src/stack/aws_settings.hpp"
#include "runner/src/stack/aws_stack.hpp"

#include "fota/sim/stack.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

using namespace fota::sim;
using namespace fota::sim::stacks;

namespace {

/// A temporary HOME with ~/.aws/credentials and ~/.aws/config as given.
struct FakeHome {
    std::filesystem::path dir;

    FakeHome(const std::string& credentials, const std::string& config) {
        char pattern[] = "/tmp/fota-aws-home-XXXXXX";
        dir = ::mkdtemp(pattern);
        std::filesystem::create_directories(dir / ".aws");
        if (!credentials.empty()) {
            std::ofstream(dir / ".aws" / "credentials") << credentials;
        }
        if (!config.empty()) {
            std::ofstream(dir / ".aws" / "config") << config;
        }
    }
    ~FakeHome() { std::filesystem::remove_all(dir); }
};

EnvironmentLookup env_of(std::map<std::string, std::string> vars) {
    return [vars](const std::string& name) -> std::optional<std::string> {
        const auto it = vars.find(name);
        if (it == vars.end()) {
            return std::nullopt;
        }
        return it->second;
    };
}

StackConfig aws_config() {
    StackConfig config;
    config.kind = StackKind::aws;
    config.bucket = "images";
    return config;
}

std::string error_of(const StackConfig& config, const EnvironmentLookup& env) {
    try {
        (void)resolve_aws_settings(config, env);
    } catch (const StackConfigError& e) {
        return e.what();
    }
    return "no error";
}

} // namespace

TEST_CASE("parse_aws_ini: sections, keys, comments, nested keys", "[runner][aws]") {
    const IniFile ini = parse_aws_ini("# comment\n"
                                      "[default]\n"
                                      "aws_access_key_id = AKID1 \n"
                                      "; another comment\n"
                                      "\n"
                                      "[profile ci]\n"
                                      "region=eu-west-1\n"
                                      "s3 =\n"
                                      "  addressing_style = path\n"
                                      "output = json\n",
                                      "config");
    REQUIRE(ini.size() == 2);
    CHECK(ini.at("default").at("aws_access_key_id") == "AKID1");
    CHECK(ini.at("profile ci").at("region") == "eu-west-1");
    CHECK(ini.at("profile ci").at("s3").empty());
    CHECK(ini.at("profile ci").count("addressing_style") == 0);
    CHECK(ini.at("profile ci").at("output") == "json");
}

TEST_CASE("parse_aws_ini: a broken line is refused with its file and line", "[runner][aws]") {
    const auto message = [](const std::string& text) {
        try {
            (void)parse_aws_ini(text, "/home/u/.aws/config");
        } catch (const StackConfigError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK(message("[default]\nregion eu-west-1\n") ==
          "/home/u/.aws/config:2: expected key = value; got 'region eu-west-1'");
    CHECK(message("region = x\n") == "/home/u/.aws/config:1: key 'region' outside any [section]");
    CHECK(message("[default\n") ==
          "/home/u/.aws/config:1: a section must be [name]; got '[default'");
    CHECK(message("[]\n") == "/home/u/.aws/config:1: a section must be [name]; got '[]'");
}

TEST_CASE("resolve_aws_settings: the environment's keys before the profile's", "[runner][aws]") {
    FakeHome home("[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = FILESECRET\n",
                  "[default]\nregion = eu-north-1\n");
    const std::string h = home.dir.string();
    const AwsSettings from_files = resolve_aws_settings(aws_config(), env_of({{"HOME", h}}));
    CHECK(from_files.credentials.access_key_id == "FILEKEY");
    CHECK(from_files.credentials.secret_access_key == "FILESECRET");
    CHECK(from_files.credentials.session_token.empty());
    CHECK(from_files.credentials_source == h + "/.aws/credentials [default]");
    CHECK(from_files.region == "eu-north-1");
    CHECK(from_files.iot_url == "https://iot.eu-north-1.amazonaws.com");
    CHECK(from_files.s3_url == "https://s3.eu-north-1.amazonaws.com");
    CHECK(from_files.iot_data_url.empty()); // from DescribeEndpoint at start
    CHECK(from_files.ca_file.empty());

    const AwsSettings from_env =
        resolve_aws_settings(aws_config(), env_of({{"HOME", h},
                                                   {"AWS_ACCESS_KEY_ID", "ENVKEY"},
                                                   {"AWS_SECRET_ACCESS_KEY", "ENVSECRET"},
                                                   {"AWS_SESSION_TOKEN", "TOKEN"},
                                                   {"AWS_REGION", "us-west-2"}}));
    CHECK(from_env.credentials.access_key_id == "ENVKEY");
    CHECK(from_env.credentials.session_token == "TOKEN");
    CHECK(from_env.credentials_source == "environment (AWS_ACCESS_KEY_ID)");
    CHECK(from_env.region == "us-west-2");

    // A key without its secret is not a credential: the files' pair is used.
    const AwsSettings half =
        resolve_aws_settings(aws_config(), env_of({{"HOME", h}, {"AWS_ACCESS_KEY_ID", "ENVKEY"}}));
    CHECK(half.credentials.access_key_id == "FILEKEY");
}

TEST_CASE("resolve_aws_settings: a named profile from both files, the stack's key first",
          "[runner][aws]") {
    FakeHome home("[ci]\naws_access_key_id = CIKEY\naws_secret_access_key = CISECRET\n",
                  "[profile ci]\nregion = ap-south-1\nca_bundle = /dev/null\n"
                  "endpoint_url = https://127.0.0.1:4443\n"
                  "[profile other]\nregion = sa-east-1\n"
                  "aws_access_key_id = OTHERKEY\naws_secret_access_key = OTHERSECRET\n");
    const std::string h = home.dir.string();
    const AwsSettings ci =
        resolve_aws_settings(aws_config(), env_of({{"HOME", h}, {"AWS_PROFILE", "ci"}}));
    CHECK(ci.profile == "ci");
    CHECK(ci.credentials.access_key_id == "CIKEY");
    CHECK(ci.region == "ap-south-1");
    CHECK(ci.ca_file == "/dev/null");
    CHECK(ci.iot_url == "https://127.0.0.1:4443");
    CHECK(ci.iot_data_url == "https://127.0.0.1:4443");
    CHECK(ci.s3_url == "https://127.0.0.1:4443");

    StackConfig config = aws_config();
    config.profile = "other";
    config.region = "eu-central-1";
    const AwsSettings other =
        resolve_aws_settings(config, env_of({{"HOME", h}, {"AWS_PROFILE", "ci"}}));
    CHECK(other.profile == "other");
    CHECK(other.credentials.access_key_id == "OTHERKEY"); // keys in the config file count too
    CHECK(other.credentials_source == h + "/.aws/config [profile other]");
    CHECK(other.region == "eu-central-1");
}

TEST_CASE("resolve_aws_settings: per-service endpoints, the stack's over the environment's",
          "[runner][aws]") {
    const auto env = env_of({{"AWS_ACCESS_KEY_ID", "K"},
                             {"AWS_SECRET_ACCESS_KEY", "S"},
                             {"AWS_DEFAULT_REGION", "us-east-2"},
                             {"AWS_ENDPOINT_URL", "https://all:1"},
                             {"AWS_ENDPOINT_URL_IOT", "https://iot:2/"},
                             {"AWS_ENDPOINT_URL_S3", "https://s3:3"},
                             {"AWS_CA_BUNDLE", "/dev/null"}});
    const AwsSettings s = resolve_aws_settings(aws_config(), env);
    CHECK(s.region == "us-east-2");
    CHECK(s.iot_url == "https://iot:2");
    CHECK(s.iot_data_url == "https://all:1");
    CHECK(s.s3_url == "https://s3:3");
    CHECK(s.ca_file == "/dev/null");

    StackConfig config = aws_config();
    config.iot_url = "https://scenario-iot:4";
    config.iot_data_url = "https://scenario-data:5";
    config.s3_url = "https://scenario-s3:6";
    config.endpoint = "broker:8884";
    config.role_arn = "arn:aws:iam::1:role/r";
    const AwsSettings over = resolve_aws_settings(config, env);
    CHECK(over.iot_url == "https://scenario-iot:4");
    CHECK(over.iot_data_url == "https://scenario-data:5");
    CHECK(over.s3_url == "https://scenario-s3:6");
    CHECK(over.mqtt_endpoint == "broker:8884");
    CHECK(over.role_arn == "arn:aws:iam::1:role/r");
    CHECK(over.bucket == "images");
}

TEST_CASE("resolve_aws_settings: what is missing is said, with where it was looked for",
          "[runner][aws]") {
    FakeHome home("", "");
    const std::string h = home.dir.string();
    const std::string no_keys = error_of(aws_config(), env_of({{"HOME", h}}));
    CHECK(no_keys.find("no AWS credentials") != std::string::npos);
    CHECK(no_keys.find("~/.aws/credentials") != std::string::npos);

    const auto keys =
        env_of({{"HOME", h}, {"AWS_ACCESS_KEY_ID", "K"}, {"AWS_SECRET_ACCESS_KEY", "S"}});
    CHECK(error_of(aws_config(), keys).find("stack aws: no region") == 0);

    StackConfig no_bucket = aws_config();
    no_bucket.bucket.clear();
    no_bucket.region = "eu-west-1";
    CHECK(error_of(no_bucket, keys) == "no error"); // `fota-sim aws cleanup` needs none
    try {
        AwsStack stack(no_bucket, StackOptions{}, keys);
        FAIL("no error");
    } catch (const StackConfigError& e) {
        CHECK(std::string(e.what()).find("stack aws: no bucket") == 0);
    }

    StackConfig bad_ca = aws_config();
    bad_ca.region = "eu-west-1";
    bad_ca.ca_file = h + "/missing.pem";
    CHECK(error_of(bad_ca, keys) == "stack aws: cannot read the CA bundle " + h + "/missing.pem");

    FakeHome broken("[default]\nthis is not ini\n", "");
    const std::string b = broken.dir.string();
    CHECK(error_of(aws_config(), env_of({{"HOME", b}})) ==
          b + "/.aws/credentials:2: expected key = value; got 'this is not ini'");
}

TEST_CASE("the run's marks: ids, object keys, the policy's names and its least privilege",
          "[runner][aws]") {
    const std::string id = make_aws_run_id();
    CHECK(id.rfind("fsim-", 0) == 0);
    CHECK(id.size() == std::string("fsim-20261206-231500-abcd").size());
    CHECK(id != make_aws_run_id()); // the random suffix (1 in 65,536 to collide)
    CHECK(AwsAccount::object_key("r1", "v2.bin") == "fota-sim/r1/v2.bin");
    CHECK(AwsAccount::policy_name("r1") == "fota-sim-r1");

    const auto policy = nlohmann::json::parse(device_policy_document());
    REQUIRE(policy["Statement"].size() == 4);
    for (const auto& statement : policy["Statement"]) {
        CHECK(statement["Effect"] == "Allow");
        // Every resource names the connected thing: no device can reach another's.
        const std::string resource = statement["Resource"].get<std::string>();
        const std::string thing = "${iot:Connection.Thing.ThingName}";
        const auto at = resource.find(thing);
        REQUIRE(at != std::string::npos);
        const std::string rest = resource.substr(at + thing.size());
        CHECK((rest.empty() || rest == "/*"));
    }
}
