// make_stack (the one switch on StackKind), the Stack defaults, and the URL parsing the stacks
// share.
#include "aws_stack.hpp"
#include "embedded_stack.hpp"
#include "sim_stack.hpp"
#include "url_stack.hpp"

#include "fota/sim/stack.hpp"

#include <algorithm>

namespace fota::sim {

void Stack::check(const Scenario& scenario) const {
    if (can_restart_broker()) {
        return;
    }
    for (const Step& step : scenario.steps) {
        if (std::holds_alternative<RestartBrokerStep>(step.action)) {
            throw StackUnsupported("restart_broker on a " + name() + " stack", step.mark.line);
        }
    }
}

void Stack::remove_leftovers(const std::vector<std::string>& /*job_ids*/,
                             const std::vector<std::string>& /*things*/) {}

std::unique_ptr<Stack> make_stack(const StackConfig& config, const StackOptions& options) {
    switch (config.kind) {
    case StackKind::embedded:
        return std::make_unique<stacks::EmbeddedStack>(options, config.tls);
    case StackKind::url:
        return std::make_unique<stacks::UrlStack>(config, options);
    case StackKind::sim:
        return std::make_unique<stacks::SimStack>(options);
    case StackKind::aws:
        return std::make_unique<stacks::AwsStack>(config, options);
    }
    throw StackUnsupported("stack kind " + std::to_string(static_cast<int>(config.kind)), 0);
}

PublishedFirmware Stack::locate_object(const std::string& key) const {
    const auto endpoint = host_and_port(object_endpoint());
    if (!endpoint) {
        throw StackError("the object endpoint " + object_endpoint() + " has no host:port");
    }
    PublishedFirmware p;
    p.protocol = object_endpoint().rfind("https://", 0) == 0 ? "https" : "http";
    p.host = endpoint->first + ":" + std::to_string(endpoint->second);
    p.path = bucket() + "/" + key;
    p.url = p.protocol + "://" + p.host + "/" + p.path;
    p.s3_url = "https://s3.us-east-1.amazonaws.com/" + bucket() + "/" + key;
    return p;
}

std::vector<std::pair<std::string, std::string>> stack_run_options(const StackConfig& config) {
    std::vector<std::pair<std::string, std::string>> out;
    if (config.kind == StackKind::embedded || config.kind == StackKind::sim) {
        out = {{"--stack", config.tls ? "embedded-tls" : to_string(config.kind)}};
    } else if (config.kind == StackKind::url) {
        out = {{"--control-url", config.control_url},
               {"--mqtt-url", config.mqtt_url},
               {"--object-url", config.object_url}};
        if (!config.bucket.empty()) {
            out.emplace_back("--bucket", config.bucket);
        }
        if (!config.tls_dir.empty()) {
            out.emplace_back("--tls-dir", config.tls_dir);
        }
    }
    return out;
}

std::optional<std::pair<std::string, std::uint16_t>> host_and_port(const std::string& url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos) {
        return std::nullopt;
    }
    std::string rest = url.substr(scheme_end + 3);
    rest = rest.substr(0, rest.find('/'));
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0) {
        return std::nullopt;
    }
    const std::string port = rest.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoul(port) == 0 || std::stoul(port) > 65535) {
        return std::nullopt;
    }
    return std::make_pair(rest.substr(0, colon), static_cast<std::uint16_t>(std::stoul(port)));
}

} // namespace fota::sim
