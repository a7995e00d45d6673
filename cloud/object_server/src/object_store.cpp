// The object server's request handling without I/O (fota/cloud/object_store.hpp): the public
// face of the state that s3_handler.cpp answers requests from.
#include "fota/cloud/object_store.hpp"

#include "object_store.hpp"
#include "s3_handler.hpp"

#include "fota/cloud/http/uri.hpp"

#include <stdexcept>
#include <utility>

namespace fota::cloud {

namespace {

struct EndpointParts {
    std::string scheme;
    std::string host; ///< "host" or "host:port", as a client sends it in Host
};

/// "http(s)://host[:port][/]" split into its parts; nullopt when it is anything else.
std::optional<EndpointParts> split_endpoint(std::string_view endpoint) {
    const auto colon = endpoint.find("://");
    if (colon == std::string_view::npos) {
        return std::nullopt;
    }
    EndpointParts parts{std::string(endpoint.substr(0, colon)),
                        std::string(endpoint.substr(colon + 3))};
    if (!parts.host.empty() && parts.host.back() == '/') {
        parts.host.pop_back();
    }
    if ((parts.scheme != "http" && parts.scheme != "https") || parts.host.empty() ||
        parts.host.find_first_of("/?#@ \t\r\n") != std::string::npos) {
        return std::nullopt;
    }
    return parts;
}

void check_endpoint(const std::string& endpoint) {
    if (!split_endpoint(endpoint)) {
        throw std::invalid_argument("object store endpoint \"" + endpoint +
                                    "\" is not http://host[:port] or https://host[:port]");
    }
}

} // namespace

http::Credentials placeholder_credentials() {
    return {"FOTASIMLOCALACCESSKEY", "fota-sim-local-secret-access-key", ""};
}

ObjectStore::ObjectStore(ObjectStoreConfig config) {
    check_endpoint(config.endpoint);
    state_ = std::make_unique<State>(std::move(config));
}

ObjectStore::~ObjectStore() = default;

const ObjectStoreConfig& ObjectStore::config() const {
    return state_->config;
}

void ObjectStore::set_endpoint(std::string endpoint) {
    check_endpoint(endpoint);
    std::lock_guard lock(state_->mutex);
    state_->config.endpoint = std::move(endpoint);
}

std::string ObjectStore::endpoint() const {
    std::lock_guard lock(state_->mutex);
    return state_->config.endpoint;
}

ResponsePlan ObjectStore::handle(const ObjectRequest& request) {
    ResponsePlan plan = handle_request(*state_, request);
    plan.close = plan.close || !request.keep_alive();
    return plan;
}

bool ObjectStore::refuse_connection() {
    std::lock_guard lock(state_->mutex);
    return state_->take_fault(ObjectFault::Kind::refuse_connections, {}, {}).has_value();
}

void ObjectStore::record_body_bytes(const ResponsePlan& plan, std::uint64_t bytes) {
    if (!plan.counts_body || bytes == 0) {
        return;
    }
    std::lock_guard lock(state_->mutex);
    state_->counters_for(plan.bucket, plan.key).bytes_served += bytes;
}

void ObjectStore::record_response_end(ResponsePlan& plan, bool complete) {
    if (!plan.counts_body) {
        return;
    }
    std::lock_guard lock(state_->mutex);
    auto& c = state_->counters_for(plan.bucket, plan.key);
    ++(complete ? c.complete_responses : c.aborted_responses);
    plan.counts_body = false;
}

void ObjectStore::create_bucket(const std::string& bucket) {
    std::lock_guard lock(state_->mutex);
    auto& b = state_->buckets[bucket];
    if (b.created == http::TimePoint{}) {
        b.created = state_->config.clock();
    }
}

void ObjectStore::put_object(const std::string& bucket, const std::string& key, std::string data,
                             std::string content_type) {
    std::lock_guard lock(state_->mutex);
    auto& b = state_->buckets[bucket];
    if (b.created == http::TimePoint{}) {
        b.created = state_->config.clock();
    }
    b.objects[key] = state_->make_object(std::move(data), std::move(content_type));
}

std::optional<std::string> ObjectStore::get_object(const std::string& bucket,
                                                   const std::string& key) const {
    std::lock_guard lock(state_->mutex);
    const auto b = state_->buckets.find(bucket);
    if (b == state_->buckets.end()) {
        return std::nullopt;
    }
    const auto o = b->second.objects.find(key);
    if (o == b->second.objects.end()) {
        return std::nullopt;
    }
    return *o->second.data;
}

bool ObjectStore::delete_object(const std::string& bucket, const std::string& key) {
    std::lock_guard lock(state_->mutex);
    const auto b = state_->buckets.find(bucket);
    return b != state_->buckets.end() && b->second.objects.erase(key) > 0;
}

void ObjectStore::add_fault(ObjectFault fault) {
    std::lock_guard lock(state_->mutex);
    state_->faults.push_back(std::move(fault));
}

void ObjectStore::clear_faults() {
    std::lock_guard lock(state_->mutex);
    state_->faults.clear();
}

std::vector<ObjectFault> ObjectStore::faults() const {
    std::lock_guard lock(state_->mutex);
    return state_->faults;
}

ObjectCounters ObjectStore::counters(const std::string& bucket, const std::string& key) const {
    std::lock_guard lock(state_->mutex);
    const auto it = state_->counters.find(bucket + "/" + key);
    return it == state_->counters.end() ? ObjectCounters{} : it->second;
}

ObjectCounters ObjectStore::total_counters() const {
    return sum_counters(all_counters());
}

std::map<std::string, ObjectCounters> ObjectStore::all_counters() const {
    std::lock_guard lock(state_->mutex);
    return state_->counters;
}

void ObjectStore::reset_counters() {
    std::lock_guard lock(state_->mutex);
    state_->counters.clear();
}

std::string ObjectStore::presign_get(const std::string& bucket, const std::string& key,
                                     std::chrono::seconds expires) const {
    std::lock_guard lock(state_->mutex);
    return state_->presign_url(bucket, key, expires);
}

std::string ObjectStore::State::presign_url(const std::string& bucket, const std::string& key,
                                            std::chrono::seconds expires) const {
    const auto parts = split_endpoint(config.endpoint); // checked when it was set
    http::PresignRequest pr;
    pr.scheme = parts ? parts->scheme : "http";
    pr.host = parts ? parts->host : config.endpoint;
    pr.path = "/" + http::aws_uri_encode(bucket, true) + "/" + http::aws_uri_encode(key, false);
    pr.region = config.region;
    pr.expires = expires;
    pr.now = config.clock();
    return http::presign_url(pr, config.credentials.value_or(placeholder_credentials()));
}

ObjectCounters sum_counters(const std::map<std::string, ObjectCounters>& all) {
    ObjectCounters t;
    for (const auto& [name, c] : all) {
        t.requests += c.requests;
        t.get_requests += c.get_requests;
        t.head_requests += c.head_requests;
        t.put_requests += c.put_requests;
        t.range_requests += c.range_requests;
        t.bytes_served += c.bytes_served;
        t.complete_responses += c.complete_responses;
        t.aborted_responses += c.aborted_responses;
        t.error_responses += c.error_responses;
    }
    return t;
}

} // namespace fota::cloud
