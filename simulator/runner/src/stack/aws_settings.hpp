// Where stack `aws` finds its account: credentials, region, endpoints and trust, from the same
// places and in the same order as the AWS CLI (the scenario's stack keys first, then the
// environment, then the shared config and credentials files of the profile), so that a user
// whose `aws` works needs nothing else. No AWS SDK: the files are small INI files.
#pragma once

#include "scenario/scenario.hpp"

#include "fota/cloud/http/sigv4.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>

namespace fota::sim::stacks {

/// Reads an environment variable (std::getenv in the runner; a map in tests).
using EnvironmentLookup = std::function<std::optional<std::string>(const std::string& name)>;

/// The process's environment.
EnvironmentLookup process_environment();

/// One INI file of the AWS CLI: section name -> key -> value. In config files the sections are
/// "default" and "profile NAME"; in credentials files "default" and "NAME".
using IniFile = std::map<std::string, std::map<std::string, std::string>>;

/// Parses an AWS shared config or credentials file. Comments (# or ;), blank lines and nested
/// (indented) sub-keys are skipped; keys and section names are trimmed. Throws StackConfigError
/// naming file and line for a line that is neither a section, a key = value, nor ignorable.
IniFile parse_aws_ini(const std::string& text, const std::string& file);

/// What stack `aws` uses.
struct AwsSettings {
    std::string profile; ///< the profile read from the files ("default" unless set)
    std::string region;
    cloud::http::Credentials credentials;
    std::string credentials_source; ///< "environment" or "<file> [profile]", for messages
    /// Endpoints: the IoT control plane (CreateThing, CreateJob, DescribeJobExecution ...), the
    /// IoT data plane over HTTPS (shadows; empty: https://<mqtt_endpoint host>), S3 (path-style
    /// URLs <s3_url>/<bucket>/<key>).
    std::string iot_url;
    std::string iot_data_url;
    std::string s3_url;
    /// The devices' MQTT endpoint, host or host:port (port 8883 when not given); empty: found
    /// with DescribeEndpoint(iot:Data-ATS) once the stack starts.
    std::string mqtt_endpoint;
    /// A PEM bundle trusted for every HTTPS and MQTT connection instead of the system's (a local
    /// stack's CA); empty: the system's store (which holds Amazon's roots).
    std::string ca_file;
    std::string bucket;   ///< the images' S3 bucket (the stack needs one; cleanup may not)
    std::string role_arn; ///< presignedUrlConfig's role; empty: the runner presigns URLs itself
};

/// Resolves the settings of stack `aws` for config. Order, first found wins: the stack's keys;
/// AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN); the profile (stack key
/// `profile`, AWS_PROFILE, AWS_DEFAULT_PROFILE, "default") in AWS_SHARED_CREDENTIALS_FILE
/// (~/.aws/credentials), then in AWS_CONFIG_FILE (~/.aws/config). Region: stack key, AWS_REGION,
/// AWS_DEFAULT_REGION, the profile's `region`. Endpoints: stack keys, AWS_ENDPOINT_URL_IOT,
/// AWS_ENDPOINT_URL_IOT_DATA_PLANE, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's
/// `endpoint_url`, then AWS's own for the region. CA: stack key `ca_file`, AWS_CA_BUNDLE, the
/// profile's `ca_bundle`. Throws StackConfigError saying what is missing and where it was
/// looked for (no credentials, no region, a file that cannot be parsed).
AwsSettings resolve_aws_settings(const StackConfig& config, const EnvironmentLookup& env);

} // namespace fota::sim::stacks
