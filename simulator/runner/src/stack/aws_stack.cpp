// Stack `aws` (see aws_stack.hpp): the runner's control ops as AWS REST calls, the run's
// resources created as the run goes and deleted at stop().
#include "aws_stack.hpp"

#include "fota/cloud/http/uri.hpp"
#include "fota/sim/device_runtime.hpp"

#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <future>

namespace fota::sim::stacks {

using json = nlohmann::json;

namespace {

constexpr std::chrono::hours kPresignedFor{6};

std::string flag(const json& args, const char* name) {
    return args.value(name, false) ? "true" : "false";
}

std::string text(const json& args, const char* name) {
    const json value = args.value(name, json());
    if (value.is_string()) {
        return value.get<std::string>();
    }
    if (value.is_number_integer()) {
        return std::to_string(value.get<std::int64_t>());
    }
    throw StackError(std::string("control op without its '") + name + "': " + args.dump());
}

void write_private_file(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
    out.close();
    if (!out || ::chmod(path.c_str(), 0600) != 0) {
        throw StackError("cannot write " + path);
    }
}

/// The request-target's "/path" part of a presigned URL "https://host/path?query" and its host.
std::pair<std::string, std::string> host_and_target(const std::string& url) {
    const auto start = url.find("://") + 3;
    const auto slash = url.find('/', start);
    return {url.substr(start, slash - start), url.substr(slash)};
}

} // namespace

AwsStack::AwsStack(const StackConfig& config, const StackOptions& options,
                   const EnvironmentLookup& env)
    : RealTimeStack(options), account_(resolve_aws_settings(config, env)),
      run_id_(make_aws_run_id()) {
    if (account_.settings().bucket.empty()) {
        throw StackConfigError("stack aws: no bucket: give 'bucket' in the stack (or --bucket): "
                               "the S3 bucket firmware images are uploaded to");
    }
}

AwsStack::~AwsStack() {
    stop();
}

void AwsStack::check(const Scenario& scenario) const {
    Stack::check(scenario);
    for (const Step& step : scenario.steps) {
        if (std::holds_alternative<CloudFaultStep>(step.action)) {
            throw StackUnsupported("cloud_fault on stack aws (AWS IoT takes no fault orders)",
                                   step.mark.line);
        }
        if (const auto* fault = std::get_if<HttpFaultStep>(&step.action);
            fault != nullptr && fault->kind != HttpFaultStep::Kind::replace_object) {
            throw StackUnsupported("an object-server http_fault on stack aws (S3 takes no fault "
                                   "orders; replace_object works)",
                                   step.mark.line);
        }
    }
}

void AwsStack::start(const std::string& work_dir) {
    set_work_dir(work_dir);
    const AwsSettings& s = account_.settings();
    note("run " + run_id_ + ": region " + s.region + ", credentials from " + s.credentials_source +
         ", IoT " + s.iot_url + ", S3 " + s.s3_url + "/" + s.bucket);
    std::string endpoint = s.mqtt_endpoint.empty() ? account_.describe_endpoint() : s.mqtt_endpoint;
    if (const auto colon = endpoint.rfind(':'); colon != std::string::npos) {
        const std::string port = endpoint.substr(colon + 1);
        try {
            const unsigned long value = std::stoul(port);
            if (value == 0 || value > 65535) {
                throw std::out_of_range(port);
            }
            mqtt_port_ = static_cast<std::uint16_t>(value);
        } catch (const std::exception&) {
            throw StackConfigError("stack aws: the MQTT endpoint " + endpoint +
                                   " has no valid port");
        }
        endpoint.resize(colon);
    }
    mqtt_host_ = endpoint;
    if (s.iot_data_url.empty()) {
        account_.set_data_url("https://" + mqtt_host_);
    }
    iot_data_url_ = account_.data_url();
    // Devices reach the data plane with their certificate: on AWS that is port 8443.
    device_shadow_url_ = s.iot_data_url.empty() || s.iot_data_url == "https://" + mqtt_host_
                             ? "https://" + mqtt_host_ + ":8443"
                             : s.iot_data_url;
    note("devices connect to mqtts://" + mqtt_host_ + ":" + std::to_string(mqtt_port_) +
         " and report to the shadow at " + device_shadow_url_ + "; the runner reads shadows at " +
         iot_data_url_);
    account_.create_policy(run_id_);
    policy_created_ = true;
    started_ = true;
    start_threads();
}

void AwsStack::remove_leftovers(const std::vector<std::string>& job_ids,
                                const std::vector<std::string>& things) {
    for (const std::string& job : job_ids) {
        const auto run = account_.job_run(job);
        if (!run) {
            continue;
        }
        if (run->empty()) {
            throw StackError("job " + job +
                             " already exists in the account and was not made by "
                             "fota-sim; fota-sim changes no job it did not make: rename the "
                             "scenario's job or delete it");
        }
        note("removing job " + job + " left by run " + *run);
        if (const std::string problem = account_.delete_job(job, std::chrono::seconds(180));
            !problem.empty()) {
            throw StackError(problem);
        }
    }
    for (const std::string& thing : things) {
        const auto run = account_.thing_run(thing);
        if (!run || run->empty()) {
            continue; // absent, or not ours: create_thing refuses it with the reason
        }
        note("removing thing " + thing + " left by run " + *run);
        if (const std::string problem = account_.delete_thing(thing, *run); !problem.empty()) {
            throw StackError(problem);
        }
    }
}

void AwsStack::stop() {
    if (stopped_) {
        return;
    }
    stopped_ = true;
    stop_devices();
    stop_threads();
    if (!started_) {
        return;
    }
    std::vector<std::string> left;
    const auto keep = [&](const std::string& problem) {
        if (!problem.empty()) {
            left.push_back(problem);
        }
    };
    std::lock_guard lock(mutex_);
    for (const std::string& job : jobs_) {
        keep(account_.delete_job(job, std::chrono::seconds(180)));
    }
    for (const auto& [thing, arn] : thing_arns_) {
        keep(account_.delete_thing(thing, run_id_));
    }
    if (policy_created_) {
        keep(account_.delete_policy(run_id_));
    }
    for (const std::string& key : objects_) {
        keep(account_.delete_object(key));
    }
    stop_notes_ += "deleted what run " + run_id_ + " created: " + std::to_string(jobs_.size()) +
                   " jobs, " + std::to_string(thing_arns_.size()) + " things and certificates, " +
                   (policy_created_ ? "1 policy, " : "") + std::to_string(objects_.size()) +
                   " objects\n";
    if (!left.empty()) {
        std::string text = "run " + run_id_ + " left these behind (`fota-sim aws cleanup --run " +
                           run_id_ + "` tries again):";
        for (const std::string& problem : left) {
            text += "\n  " + problem;
        }
        stop_notes_ += text + "\n";
        spdlog::error("{}", text);
    }
}

std::string AwsStack::log() const {
    std::lock_guard lock(mutex_);
    return notes_.empty() ? std::string() : "---- aws ----\n" + notes_;
}

std::string AwsStack::stop_log() const {
    std::lock_guard lock(mutex_);
    return stop_notes_.empty() ? std::string() : "---- aws: after the run ----\n" + stop_notes_;
}

void AwsStack::note(const std::string& line) {
    std::lock_guard lock(mutex_);
    notes_ += line + "\n";
}

json AwsStack::call(const std::string& op, const json& args, bool allow_error) {
    return run_op(op, args, allow_error);
}

std::vector<json> AwsStack::call_many(const std::string& op, const std::vector<json>& args,
                                      bool allow_error) {
    // A few at a time: AWS throttles its control plane per account (CreateThing: 15 a second).
    std::vector<json> replies(args.size());
    constexpr std::size_t kBatch = 8;
    for (std::size_t first = 0; first < args.size(); first += kBatch) {
        std::vector<std::future<json>> batch;
        for (std::size_t i = first; i < std::min(args.size(), first + kBatch); ++i) {
            batch.push_back(std::async(std::launch::async, [this, &op, &args, i, allow_error] {
                return run_op(op, args[i], allow_error);
            }));
        }
        for (std::size_t i = 0; i < batch.size(); ++i) {
            replies[first + i] = batch[i].get();
        }
    }
    return replies;
}

json AwsStack::run_op(const std::string& op, const json& args, bool allow_error) {
    if (op == "create_thing") {
        return create_thing(args);
    }
    if (op == "create_job") {
        return create_job(args);
    }
    const std::string& iot = account_.settings().iot_url;
    AwsService service = AwsService::iot;
    std::string base = iot;
    std::string method;
    std::string target;
    std::string body;
    if (op == "describe_job") {
        method = "GET";
        target = "/jobs/" + encode_segment(text(args, "jobId"));
    } else if (op == "cancel_job") {
        method = "PUT";
        target =
            "/jobs/" + encode_segment(text(args, "jobId")) + "/cancel?force=" + flag(args, "force");
        body = args.value("body", json::object()).dump();
    } else if (op == "delete_job") {
        method = "DELETE";
        target = "/jobs/" + encode_segment(text(args, "jobId")) + "?force=" + flag(args, "force");
    } else if (op == "describe_job_execution") {
        method = "GET";
        target = "/things/" + encode_segment(text(args, "thingName")) + "/jobs/" +
                 encode_segment(text(args, "jobId"));
    } else if (op == "cancel_job_execution") {
        method = "PUT";
        target = "/things/" + encode_segment(text(args, "thingName")) + "/jobs/" +
                 encode_segment(text(args, "jobId")) + "/cancel?force=" + flag(args, "force");
        body = args.value("body", json::object()).dump();
    } else if (op == "delete_job_execution") {
        method = "DELETE";
        target = "/things/" + encode_segment(text(args, "thingName")) + "/jobs/" +
                 encode_segment(text(args, "jobId")) + "/executionNumber/" +
                 text(args, "executionNumber") + "?force=" + flag(args, "force");
    } else if (op == "get_thing_shadow" || op == "delete_thing_shadow") {
        service = AwsService::iot_data;
        base = iot_data_url_;
        method = op == "get_thing_shadow" ? "GET" : "DELETE";
        target = "/things/" + encode_segment(text(args, "thingName")) + "/shadow";
    } else {
        throw StackUnsupported("control op " + op + " on stack aws", 0);
    }
    std::vector<cloud::http::HttpHeader> headers;
    if (!body.empty()) {
        headers.push_back({"content-type", "application/json"});
    }
    const AwsReply reply = account_.client().send(service, base, method, target, body, headers);
    if (!reply.ok()) {
        if (allow_error) {
            return json{{"__error", reply.body}};
        }
        throw StackError("aws " + op + " " + args.dump() + ": " + reply.describe());
    }
    const json parsed = json::parse(reply.body, nullptr, false);
    return parsed.is_discarded() ? json::object() : parsed;
}

json AwsStack::create_thing(const json& args) {
    const std::string thing = text(args, "thingName");
    const std::string arn = account_.create_thing(thing, run_id_);
    {
        std::lock_guard lock(mutex_);
        thing_arns_[thing] = arn;
    }
    const ThingCertificate certificate = account_.create_certificate(thing, run_id_);
    const std::string base = work_dir() + "/" + thing;
    write_private_file(base + ".cert.pem", certificate.pem);
    write_private_file(base + ".key.pem", certificate.private_key);
    std::lock_guard lock(mutex_);
    certificate_files_[thing] = {base + ".cert.pem", base + ".key.pem"};
    return {{"thingName", thing}, {"thingArn", arn}};
}

json AwsStack::create_job(const json& args) {
    const std::string job = text(args, "jobId");
    json body = args.value("body", json::object());
    {
        // The runner names targets by thing; their ARNs are the account's.
        std::lock_guard lock(mutex_);
        json targets = json::array();
        for (const json& target : body.value("targets", json::array())) {
            const std::string name =
                target.get<std::string>().substr(target.get<std::string>().rfind('/') + 1);
            const auto it = thing_arns_.find(name);
            if (it == thing_arns_.end()) {
                throw StackError("create_job " + job + ": thing " + name +
                                 " was not created by this run");
            }
            targets.push_back(it->second);
        }
        body["targets"] = targets;
    }
    const std::string mark = std::string("[") + kRunMark + "=" + run_id_ + "]";
    const std::string description = body.value("description", "");
    body["description"] = description.empty() ? mark : description + " " + mark;
    body["tags"] = json::array({{{"Key", kRunMark}, {"Value", run_id_}}});
    if (body.contains("presignedUrlConfig")) {
        const std::string& role = account_.settings().role_arn;
        if (!role.empty()) {
            body["presignedUrlConfig"]["roleArn"] = role;
        } else {
            // No role for AWS IoT to sign with: the document gets URLs the runner signed.
            std::string document = body.value("document", "");
            const std::string open = "${aws:iot:s3-presigned-url:";
            for (auto at = document.find(open); at != std::string::npos;
                 at = document.find(open, at)) {
                const auto end = document.find('}', at);
                if (end == std::string::npos) {
                    break;
                }
                const std::string s3_url =
                    document.substr(at + open.size(), end - at - open.size());
                const std::string ours = account_.settings().s3_url + "/" +
                                         encode_segment(bucket()) + "/" +
                                         AwsAccount::object_key(run_id_, "");
                if (s3_url.rfind(ours, 0) != 0) {
                    throw StackConfigError("create_job " + job + ": the document's " + s3_url +
                                           " is not an object of this run; without 'role_arn' in "
                                           "the stack the runner presigns only its own objects");
                }
                const std::string signed_url =
                    locate_object(cloud::http::percent_decode(s3_url.substr(ours.size()))
                                      .value_or(std::string()))
                        .url;
                document.replace(at, end + 1 - at, signed_url);
                at += signed_url.size();
            }
            body["document"] = document;
            body.erase("presignedUrlConfig");
        }
    }
    const json reply = account_.client().json_call(AwsService::iot, account_.settings().iot_url,
                                                   "PUT", "/jobs/" + encode_segment(job), body);
    std::lock_guard lock(mutex_);
    jobs_.push_back(job);
    return reply;
}

void AwsStack::put_object(const std::string& key, const std::string& bytes) {
    account_.put_object(run_id_, key, bytes);
    std::lock_guard lock(mutex_);
    const std::string full = AwsAccount::object_key(run_id_, key);
    if (std::find(objects_.begin(), objects_.end(), full) == objects_.end()) {
        objects_.push_back(full);
    }
}

void AwsStack::add_object_fault(const cloud::ObjectFault& /*fault*/) {
    throw StackUnsupported("an object-server fault on stack aws", 0);
}

PublishedFirmware AwsStack::locate_object(const std::string& key) const {
    const AwsSettings& s = account_.settings();
    const std::string path =
        "/" + encode_segment(s.bucket) + "/" +
        cloud::http::aws_uri_encode(AwsAccount::object_key(run_id_, key), false);
    const auto [host, base_path] = host_and_target(s.s3_url + "/");
    cloud::http::PresignRequest request;
    request.scheme = "https";
    request.host = host;
    request.path = base_path.substr(0, base_path.size() - 1) + path;
    request.region = s.region;
    request.expires = kPresignedFor;
    request.now = std::chrono::system_clock::now();
    PublishedFirmware p;
    p.protocol = "https";
    p.url = cloud::http::presign_url(request, s.credentials);
    p.host = host;
    p.path = host_and_target(p.url).second.substr(1);
    p.s3_url = s.s3_url + path;
    return p;
}

void AwsStack::restart_broker(std::chrono::milliseconds /*down_for*/) {
    throw StackUnsupported("restart_broker on stack aws", 0);
}

DeviceEndpoints AwsStack::device_endpoints() const {
    return {mqtt_host_, mqtt_port_, device_shadow_url_};
}

void AwsStack::add_credentials(DeviceOptions& device) {
    std::lock_guard lock(mutex_);
    const auto it = certificate_files_.find(device.thing_name);
    if (it == certificate_files_.end()) {
        throw StackError("no certificate for thing " + device.thing_name +
                         ": it was not created by this run");
    }
    device.cert_file = it->second.first;
    device.key_file = it->second.second;
    device.mqtt_tls = true;
    device.ca_file = account_.settings().ca_file;
}

} // namespace fota::sim::stacks
