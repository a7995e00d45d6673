// Stack `aws`'s settings from the scenario, the environment and the AWS CLI's files (see
// aws_settings.hpp for the order).
#include "aws_settings.hpp"

#include "fota/sim/stack.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace fota::sim::stacks {

namespace {

std::string trim(const std::string& s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string::npos) {
        return {};
    }
    return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

/// The file's text, or nullopt when it does not exist or cannot be read.
std::optional<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// One profile's keys from the credentials file and the config file (the credentials file's
/// win, as the AWS CLI has it), with where each file was.
struct ProfileKeys {
    std::map<std::string, std::string> keys;
    std::map<std::string, std::string> origin; ///< key -> "<file> [profile]"

    std::string get(const std::string& key) const {
        const auto it = keys.find(key);
        return it == keys.end() ? std::string() : it->second;
    }
};

ProfileKeys read_profile(const std::string& profile, const EnvironmentLookup& env) {
    const std::string home = env("HOME").value_or("");
    const std::string credentials_file =
        env("AWS_SHARED_CREDENTIALS_FILE").value_or(home + "/.aws/credentials");
    const std::string config_file = env("AWS_CONFIG_FILE").value_or(home + "/.aws/config");
    ProfileKeys out;
    const auto take = [&](const std::string& file, const std::string& section) {
        const auto text = read_file(file);
        if (!text) {
            return;
        }
        const IniFile ini = parse_aws_ini(*text, file);
        const auto it = ini.find(section);
        if (it == ini.end()) {
            return;
        }
        for (const auto& [key, value] : it->second) {
            if (out.keys.emplace(key, value).second) {
                out.origin[key] = file + " [" + section + "]";
            }
        }
    };
    take(credentials_file, profile);
    take(config_file, profile == "default" ? profile : "profile " + profile);
    return out;
}

/// The first non-empty of the candidates.
std::string first_of(std::initializer_list<std::string> candidates) {
    for (const std::string& c : candidates) {
        if (!c.empty()) {
            return c;
        }
    }
    return {};
}

std::string strip_slashes(std::string url) {
    while (!url.empty() && url.back() == '/') {
        url.pop_back();
    }
    return url;
}

} // namespace

EnvironmentLookup process_environment() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (value == nullptr) {
            return std::nullopt;
        }
        return std::string(value);
    };
}

IniFile parse_aws_ini(const std::string& text, const std::string& file) {
    IniFile ini;
    std::istringstream lines(text);
    std::string line;
    std::string section;
    bool in_section = false;
    int number = 0;
    while (std::getline(lines, line)) {
        ++number;
        const std::string t = trim(line);
        if (t.empty() || t[0] == '#' || t[0] == ';') {
            continue;
        }
        const auto fail = [&](const std::string& why) {
            throw StackConfigError(file + ":" + std::to_string(number) + ": " + why);
        };
        if (t[0] == '[') {
            if (t.back() != ']' || t.size() < 3) {
                fail("a section must be [name]; got '" + t + "'");
            }
            section = trim(t.substr(1, t.size() - 2));
            ini[section];
            in_section = true;
            continue;
        }
        if (line[0] == ' ' || line[0] == '\t') {
            continue; // a nested sub-key (e.g. "s3 =" followed by indented keys)
        }
        const auto equals = t.find('=');
        if (equals == std::string::npos || equals == 0) {
            fail("expected key = value; got '" + t + "'");
        }
        if (!in_section) {
            fail("key '" + trim(t.substr(0, equals)) + "' outside any [section]");
        }
        ini[section][trim(t.substr(0, equals))] = trim(t.substr(equals + 1));
    }
    return ini;
}

AwsSettings resolve_aws_settings(const StackConfig& config, const EnvironmentLookup& env) {
    const auto var = [&](const char* name) { return env(name).value_or(""); };
    AwsSettings s;
    s.profile =
        first_of({config.profile, var("AWS_PROFILE"), var("AWS_DEFAULT_PROFILE"), "default"});
    const ProfileKeys profile = read_profile(s.profile, env);

    const std::string env_key = var("AWS_ACCESS_KEY_ID");
    const std::string env_secret = var("AWS_SECRET_ACCESS_KEY");
    if (!env_key.empty() && !env_secret.empty()) {
        s.credentials = {env_key, env_secret, var("AWS_SESSION_TOKEN")};
        s.credentials_source = "environment (AWS_ACCESS_KEY_ID)";
    } else if (!profile.get("aws_access_key_id").empty() &&
               !profile.get("aws_secret_access_key").empty()) {
        s.credentials = {profile.get("aws_access_key_id"), profile.get("aws_secret_access_key"),
                         profile.get("aws_session_token")};
        s.credentials_source = profile.origin.at("aws_access_key_id");
    } else {
        throw StackConfigError(
            "stack aws: no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
            "aws_access_key_id and aws_secret_access_key in profile '" +
            s.profile + "' of " +
            env("AWS_SHARED_CREDENTIALS_FILE").value_or("~/.aws/credentials") + " or " +
            env("AWS_CONFIG_FILE").value_or("~/.aws/config") +
            " (SSO and role profiles are not read: export the keys `aws configure "
            "export-credentials --format env` prints)");
    }

    s.region = first_of(
        {config.region, var("AWS_REGION"), var("AWS_DEFAULT_REGION"), profile.get("region")});
    if (s.region.empty()) {
        throw StackConfigError("stack aws: no region: give 'region' in the stack, set AWS_REGION, "
                               "or set region in profile '" +
                               s.profile + "'");
    }
    const std::string any = first_of({var("AWS_ENDPOINT_URL"), profile.get("endpoint_url")});
    s.iot_url = strip_slashes(first_of({config.iot_url, var("AWS_ENDPOINT_URL_IOT"), any,
                                        "https://iot." + s.region + ".amazonaws.com"}));
    s.iot_data_url =
        strip_slashes(first_of({config.iot_data_url, var("AWS_ENDPOINT_URL_IOT_DATA_PLANE"), any}));
    s.s3_url = strip_slashes(first_of({config.s3_url, var("AWS_ENDPOINT_URL_S3"), any,
                                       "https://s3." + s.region + ".amazonaws.com"}));
    s.mqtt_endpoint = config.endpoint;
    s.ca_file = first_of({config.ca_file, var("AWS_CA_BUNDLE"), profile.get("ca_bundle")});
    if (!s.ca_file.empty() && !read_file(s.ca_file)) {
        throw StackConfigError("stack aws: cannot read the CA bundle " + s.ca_file);
    }
    s.bucket = config.bucket;
    s.role_arn = config.role_arn;
    return s;
}

} // namespace fota::sim::stacks
