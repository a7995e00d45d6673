// Stack `url`: a running `fota-sim cloud` (or any stack with the same APIs) reached by URL.
#include "url_stack.hpp"

namespace fota::sim::stacks {

using json = nlohmann::json;

namespace {

/// The config's control_url without trailing slashes, after checking the other URLs.
std::string checked_control_endpoint(const StackConfig& config) {
    const auto mqtt = host_and_port(config.mqtt_url);
    if (config.mqtt_url.rfind("mqtt://", 0) != 0 && config.mqtt_url.rfind("tcp://", 0) != 0) {
        throw StackUnsupported("a url stack's broker over TLS (" + config.mqtt_url + ")", 0);
    }
    if (!mqtt || !host_and_port(config.object_url)) {
        throw StackConfigError("the url stack needs host:port in mqtt_url and object_url; got " +
                               config.mqtt_url + " and " + config.object_url);
    }
    std::string endpoint = config.control_url;
    while (!endpoint.empty() && endpoint.back() == '/') {
        endpoint.pop_back();
    }
    return endpoint;
}

} // namespace

UrlStack::UrlStack(const StackConfig& config, const StackOptions& options)
    : RealTimeStack(options), control_endpoint_(checked_control_endpoint(config)),
      control_(control_endpoint_), objects_(config.object_url),
      bucket_(config.bucket.empty() ? "firmware" : config.bucket) {
    const auto mqtt = host_and_port(config.mqtt_url);
    mqtt_host_ = mqtt->first;
    mqtt_port_ = mqtt->second;
}

UrlStack::~UrlStack() {
    stop();
}

void UrlStack::start(const std::string& work_dir) {
    set_work_dir(work_dir);
    start_threads();
}

void UrlStack::remove_leftovers(const std::vector<std::string>& job_ids,
                                const std::vector<std::string>& things) {
    std::vector<json> jobs;
    for (const std::string& job : job_ids) {
        jobs.push_back({{"jobId", job}, {"force", true}});
    }
    control_.call_many("delete_job", jobs, true);
    std::vector<json> shadows;
    for (const std::string& thing : things) {
        shadows.push_back({{"thingName", thing}});
    }
    control_.call_many("delete_thing_shadow", shadows, true);
}

void UrlStack::stop() {
    stop_devices();
    stop_threads();
}

json UrlStack::call(const std::string& op, const json& args, bool allow_error) {
    return control_.call(op, args, allow_error);
}

std::vector<json> UrlStack::call_many(const std::string& op, const std::vector<json>& args,
                                      bool allow_error) {
    return control_.call_many(op, args, allow_error);
}

void UrlStack::put_object(const std::string& key, const std::string& bytes) {
    objects_.put_object(bucket_, key, bytes);
}

void UrlStack::add_object_fault(const cloud::ObjectFault& fault) {
    objects_.add_fault(fault);
}

void UrlStack::restart_broker(std::chrono::milliseconds /*down_for*/) {
    throw StackUnsupported("restart_broker on a url stack", 0);
}

DeviceEndpoints UrlStack::device_endpoints() const {
    return {mqtt_host_, mqtt_port_, control_endpoint_};
}

} // namespace fota::sim::stacks
