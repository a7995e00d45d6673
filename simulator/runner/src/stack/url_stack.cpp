// Stack `url`: a running `fota-sim cloud` (or any stack with the same APIs) reached by URL.
#include "url_stack.hpp"

#include "aws_settings.hpp"

#include "fota/cloud/http/sigv4.hpp"
#include "fota/cloud/http/uri.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace fota::sim::stacks {

using json = nlohmann::json;

namespace {

/// How long the firmware URLs of a url stack over HTTPS stay valid (a scenario's deadline is
/// shorter).
constexpr std::chrono::seconds kPresignedFor{6 * 3600};

bool is_tls_broker(const std::string& mqtt_url) {
    return mqtt_url.rfind("mqtts://", 0) == 0 || mqtt_url.rfind("ssl://", 0) == 0;
}

/// The [default] key pair of dir/credentials (what `fota-sim cloud --tls` writes); nullopt when
/// there is no such file. Throws StackConfigError for a file without one.
std::optional<cloud::http::Credentials> folder_credentials(const std::string& dir) {
    const std::string file = dir + "/credentials";
    if (!std::filesystem::exists(file)) {
        return std::nullopt;
    }
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
        throw StackConfigError("cannot read " + file);
    }
    const IniFile ini = parse_aws_ini(text.str(), file);
    const auto section = ini.find("default");
    if (section == ini.end() || !section->second.count("aws_access_key_id") ||
        !section->second.count("aws_secret_access_key")) {
        throw StackConfigError(file + ": no [default] aws_access_key_id and aws_secret_access_key");
    }
    return cloud::http::Credentials{section->second.at("aws_access_key_id"),
                                    section->second.at("aws_secret_access_key"), ""};
}

/// The config's control_url without trailing slashes, after checking the other URLs.
std::string checked_control_endpoint(const StackConfig& config) {
    const auto mqtt = host_and_port(config.mqtt_url);
    if (is_tls_broker(config.mqtt_url) && config.tls_dir.empty()) {
        throw StackConfigError("the broker " + config.mqtt_url +
                               " speaks TLS: give the stack's TLS folder (tls_dir, --tls-dir; "
                               "fota-sim cloud --tls prints it as 'tls'), whose CA signs each "
                               "thing's certificate");
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

/// The HTTP client of a url stack: with tls_dir, trusting its CA and signing with its credentials.
std::shared_ptr<const AwsClient> stack_http(const StackConfig& config,
                                            const std::optional<cloud::http::Credentials>& keys) {
    if (config.tls_dir.empty()) {
        return unsigned_http();
    }
    return std::make_shared<const AwsClient>(keys, "us-east-1", config.tls_dir + "/ca.crt");
}

std::unique_ptr<cloud::tls::TlsFolder> open_tls_dir(const StackConfig& config) {
    if (config.tls_dir.empty()) {
        return nullptr;
    }
    try {
        return cloud::tls::TlsFolder::open_existing(config.tls_dir);
    } catch (const std::exception& e) {
        throw StackConfigError(std::string("tls_dir: ") + e.what());
    }
}

} // namespace

UrlStack::UrlStack(const StackConfig& config, const StackOptions& options)
    : UrlStack(config, options, open_tls_dir(config),
               config.tls_dir.empty() ? std::nullopt : folder_credentials(config.tls_dir)) {}

UrlStack::UrlStack(const StackConfig& config, const StackOptions& options,
                   std::unique_ptr<cloud::tls::TlsFolder> tls_folder,
                   std::optional<cloud::http::Credentials> credentials)
    : RealTimeStack(options), control_endpoint_(checked_control_endpoint(config)),
      tls_folder_(std::move(tls_folder)), credentials_(std::move(credentials)),
      mqtt_tls_(is_tls_broker(config.mqtt_url)),
      control_(control_endpoint_, stack_http(config, credentials_)),
      objects_(config.object_url, stack_http(config, credentials_)),
      bucket_(config.bucket.empty() ? "firmware" : config.bucket) {
    const auto mqtt = host_and_port(config.mqtt_url);
    mqtt_host_ = mqtt->first;
    mqtt_port_ = mqtt->second;
}

UrlStack::~UrlStack() {
    stop();
}

void UrlStack::check(const Scenario& scenario) const {
    Stack::check(scenario);
    for (const Step& step : scenario.steps) {
        if (const auto* fault = std::get_if<HttpFaultStep>(&step.action);
            fault != nullptr && fault->kind == HttpFaultStep::Kind::refuse_connections) {
            throw StackUnsupported("http_fault refuse_connections on a url stack (the object "
                                   "server would refuse the runner's own control calls too)",
                                   step.mark.line);
        }
    }
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
    objects_.clear_faults();
}

void UrlStack::stop() {
    stop_devices();
    stop_threads();
    if (added_faults_) {
        added_faults_ = false;
        try {
            objects_.clear_faults();
        } catch (const StackError&) {
            // The stack has gone away: nothing of ours is left on it.
        }
    }
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
    added_faults_ = true;
    objects_.add_fault(fault);
}

void UrlStack::restart_broker(std::chrono::milliseconds /*down_for*/) {
    throw StackUnsupported("restart_broker on a url stack", 0);
}

DeviceEndpoints UrlStack::device_endpoints() const {
    return {mqtt_host_, mqtt_port_, control_endpoint_};
}

void UrlStack::add_credentials(DeviceOptions& device) {
    if (tls_folder_) {
        add_folder_credentials(*tls_folder_, device, mqtt_tls_);
    }
}

PublishedFirmware UrlStack::locate_object(const std::string& key) const {
    if (objects_.endpoint().rfind("https://", 0) != 0 || !credentials_) {
        return Stack::locate_object(key);
    }
    const auto endpoint = host_and_port(objects_.endpoint());
    cloud::http::PresignRequest request;
    request.scheme = "https";
    request.host = endpoint->first + ":" + std::to_string(endpoint->second);
    request.path = "/" + cloud::http::aws_uri_encode(bucket_, true) + "/" +
                   cloud::http::aws_uri_encode(key, false);
    request.expires = kPresignedFor;
    request.now = std::chrono::system_clock::now();
    PublishedFirmware p;
    p.protocol = "https";
    p.host = request.host;
    p.url = cloud::http::presign_url(request, *credentials_);
    p.path = p.url.substr(std::string("https://").size() + p.host.size() + 1);
    p.s3_url = "https://s3.us-east-1.amazonaws.com/" + bucket_ + "/" + key;
    return p;
}

} // namespace fota::sim::stacks
