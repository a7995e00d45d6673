#include "fota/cloud/shadow_service.hpp"

#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "fota/cloud/identifiers.hpp"
#include "fota/cloud/json_input.hpp"
#include "fota/cloud/shadow_topic.hpp"

namespace fota::cloud {

using nlohmann::json;

namespace {

constexpr std::size_t max_client_token = 64;
constexpr int max_state_depth = 6;
constexpr std::size_t max_document_bytes = 8192;
constexpr std::int64_t version_memory_seconds = 48 * 3600;

struct Shadow {
    bool exists = false;
    json desired;  // null when absent
    json reported; // null when absent
    json desired_metadata;
    json reported_metadata;
    std::int64_t version = 0;
    std::int64_t deleted_at = 0; // when it was last deleted (version numbering continues 48 h)
};

void to_json(json& j, const Shadow& s) {
    j = json{{"exists", s.exists},
             {"desired", s.desired},
             {"reported", s.reported},
             {"desired_metadata", s.desired_metadata},
             {"reported_metadata", s.reported_metadata},
             {"version", s.version},
             {"deleted_at", s.deleted_at}};
}
void from_json(const json& j, Shadow& s) {
    s.exists = j.at("exists").get<bool>();
    s.desired = j.at("desired");
    s.reported = j.at("reported");
    s.desired_metadata = j.at("desired_metadata");
    s.reported_metadata = j.at("reported_metadata");
    s.version = j.at("version").get<std::int64_t>();
    s.deleted_at = j.at("deleted_at").get<std::int64_t>();
}

struct ShadowError {
    int code = 400;
    std::string message;
};

// Depth of nested objects/arrays; the members of desired/reported are level 1.
int depth_of(const json& value) {
    if (!value.is_object() && !value.is_array()) {
        return 0;
    }
    int deepest = 0;
    for (const auto& child : value) {
        deepest = std::max(deepest, depth_of(child));
    }
    return deepest + 1;
}

bool array_has_null(const json& value) {
    if (value.is_array()) {
        for (const auto& item : value) {
            if (item.is_null() || array_has_null(item)) {
                return true;
            }
        }
    } else if (value.is_object()) {
        for (const auto& item : value) {
            if (array_has_null(item)) {
                return true;
            }
        }
    }
    return false;
}

// Metadata mirroring `value` with {"timestamp": now} leaves (arrays: one per element).
json metadata_for(const json& value, std::int64_t now) {
    if (value.is_object()) {
        json out = json::object();
        for (const auto& [key, child] : value.items()) {
            out[key] = metadata_for(child, now);
        }
        return out;
    }
    if (value.is_array()) {
        json out = json::array();
        for (const auto& child : value) {
            out.push_back(metadata_for(child, now));
        }
        return out;
    }
    return json{{"timestamp", now}};
}

// Merges `patch` into `target` (objects recursively, null deletes, arrays replace) and its
// metadata into `metadata`.
void merge(json& target, json& metadata, const json& patch, std::int64_t now) {
    if (!target.is_object()) {
        target = json::object();
    }
    if (!metadata.is_object()) {
        metadata = json::object();
    }
    for (const auto& [key, value] : patch.items()) {
        if (value.is_null()) {
            target.erase(key);
            metadata.erase(key);
        } else if (value.is_object()) {
            if (!target.contains(key) || !target[key].is_object()) {
                target[key] = json::object();
                metadata[key] = json::object();
            }
            merge(target[key], metadata[key], value, now);
        } else {
            target[key] = value;
            metadata[key] = metadata_for(value, now);
        }
    }
}

// Keys of desired that reported lacks or differs on; objects recurse, arrays compare whole.
json delta_of(const json& desired, const json& reported) {
    json delta = json::object();
    if (!desired.is_object()) {
        return delta;
    }
    for (const auto& [key, value] : desired.items()) {
        const bool has = reported.is_object() && reported.contains(key);
        if (value.is_object()) {
            json sub = delta_of(value, has ? reported[key] : json());
            if (!sub.empty()) {
                delta[key] = sub;
            }
        } else if (!has || reported[key] != value) {
            delta[key] = value;
        }
    }
    return delta;
}

// The metadata of the keys present in `delta`, taken from the desired metadata.
json delta_metadata(const json& delta, const json& desired_metadata) {
    json out = json::object();
    for (const auto& [key, value] : delta.items()) {
        const bool has = desired_metadata.is_object() && desired_metadata.contains(key);
        if (value.is_object() && has) {
            out[key] = delta_metadata(value, desired_metadata[key]);
        } else if (has) {
            out[key] = desired_metadata[key];
        }
    }
    return out;
}

std::string shadow_key(const std::string& thing, const std::string& name) {
    return thing + "/" + name;
}

json error_body(const ShadowError& error, const std::optional<std::string>& token,
                std::optional<std::int64_t> timestamp) {
    json body{{"code", error.code}, {"message", error.message}};
    if (timestamp) {
        body["timestamp"] = *timestamp;
    }
    if (token) {
        body["clientToken"] = *token;
    }
    return body;
}

ControlResult control_error(const ShadowError& error) {
    switch (error.code) {
    case 404:
        return ControlResult::failure("ResourceNotFoundException", 404, error.message);
    case 409:
        return ControlResult::failure("ConflictException", 409, error.message);
    case 413:
        return ControlResult::failure("RequestEntityTooLargeException", 413, error.message);
    case 415:
        return ControlResult::failure("UnsupportedDocumentEncodingException", 415, error.message);
    default:
        return ControlResult::failure("InvalidRequestException", 400, error.message);
    }
}

// The state node of an update: null or an object of desired/reported, each null or an object
// within the depth limit and without null in arrays.
std::optional<ShadowError> check_state_node(const json& state) {
    if (!state.is_null() && !state.is_object()) {
        return ShadowError{400, "State node must be an object"};
    }
    if (!state.is_object()) {
        return std::nullopt;
    }
    for (const auto& [key, value] : state.items()) {
        if (key != "desired" && key != "reported") {
            return ShadowError{400, "State contains an invalid node: '" + key + "'"};
        }
        if (!value.is_null() && !value.is_object()) {
            return ShadowError{400, key == "desired" ? "Desired node must be an object"
                                                     : "Reported node must be an object"};
        }
        if (depth_of(value) > max_state_depth) {
            return ShadowError{400, "JSON contains too many levels of nesting; maximum is 6"};
        }
        if (array_has_null(value)) {
            return ShadowError{400, "Invalid JSON: arrays must not contain null"};
        }
    }
    return std::nullopt;
}

// Parses and checks an update request; `token` is set as soon as a valid clientToken is read, so
// a later error still echoes it.
std::optional<ShadowError> read_update(std::string_view payload, json& request,
                                       std::optional<std::string>& token,
                                       std::optional<std::int64_t>& expected_version) {
    auto input = parse_json_input(payload, 64);
    if (input.status == JsonInputStatus::invalid_utf8) {
        return ShadowError{415, "Unsupported documented encoding; supported encoding is UTF-8"};
    }
    if (input.status == JsonInputStatus::too_deep) {
        return ShadowError{400, "JSON contains too many levels of nesting; maximum is 6"};
    }
    if (input.status != JsonInputStatus::ok || !input.value.is_object()) {
        return ShadowError{400, "Invalid JSON"};
    }
    request = std::move(input.value);
    if (request.contains("clientToken")) {
        if (!request["clientToken"].is_string() ||
            request["clientToken"].get_ref<const std::string&>().size() > max_client_token) {
            return ShadowError{400, "Invalid clientToken"};
        }
        token = request["clientToken"].get<std::string>();
    }
    if (request.contains("version")) {
        const json& version = request["version"];
        const bool fits = version.is_number_unsigned()
                              ? version.get<std::uint64_t>() <= (std::uint64_t{1} << 62U)
                              : version.is_number_integer() && version.get<std::int64_t>() >= 0;
        if (!fits) {
            return ShadowError{400, "Invalid version"};
        }
        expected_version = version.get<std::int64_t>();
    }
    if (!request.contains("state")) {
        return ShadowError{400, "Missing required node: state"};
    }
    return check_state_node(request["state"]);
}

// `shadow` with the update's sections merged in (a null section deletes it).
Shadow merged(const Shadow& shadow, const json& state, std::int64_t now) {
    Shadow next = shadow;
    if (!state.is_object()) {
        return next;
    }
    for (const char* section : {"desired", "reported"}) {
        if (!state.contains(section)) {
            continue;
        }
        json& target = std::string(section) == "desired" ? next.desired : next.reported;
        json& meta =
            std::string(section) == "desired" ? next.desired_metadata : next.reported_metadata;
        if (state[section].is_null()) {
            target = nullptr;
            meta = nullptr;
        } else {
            merge(target, meta, state[section], now);
        }
    }
    return next;
}

// The bytes of desired and reported as stored (the limit is on the state, not the metadata).
std::size_t document_size(const Shadow& shadow) {
    return (shadow.desired.is_null()
                ? 0
                : shadow.desired.dump(-1, ' ', false, json::error_handler_t::replace).size()) +
           (shadow.reported.is_null()
                ? 0
                : shadow.reported.dump(-1, ' ', false, json::error_handler_t::replace).size());
}

// update/accepted echoes the request's state, with metadata for the leaves sent.
json accepted_body(const json& state, std::int64_t version, std::int64_t now,
                   const std::optional<std::string>& token) {
    json accepted{{"state", state}, {"version", version}, {"timestamp", now}};
    if (state.is_object()) {
        json metadata = json::object();
        for (const auto& [section, value] : state.items()) {
            metadata[section] = value.is_null() ? json() : metadata_for(value, now);
        }
        accepted["metadata"] = metadata;
    }
    if (token) {
        accepted["clientToken"] = *token;
    }
    return accepted;
}

} // namespace

struct ShadowService::State {
    KvStore& store;
    std::map<std::string, Shadow> shadows; // key: thing/name ("" = classic)

    explicit State(KvStore& kv) : store(kv) {
        for (const auto& [key, value] : store.load("shadow")) {
            shadows[key] = json::parse(value).get<Shadow>();
        }
    }
    void save(const std::string& key, const Shadow& shadow) {
        store.put("shadow", key, json(shadow).dump(-1, ' ', false, json::error_handler_t::replace));
    }

    static std::string prefix(const std::string& thing, const std::string& name) {
        return name.empty() ? "$aws/things/" + thing + "/shadow"
                            : "$aws/things/" + thing + "/shadow/name/" + name;
    }

    static ShadowError not_found(const std::string& thing, const std::string& name) {
        return {404, "No shadow exists with name: '" + (name.empty() ? thing : name) + "'"};
    }

    json document(const Shadow& shadow, std::int64_t now, bool with_delta) const {
        json state = json::object();
        json metadata = json::object();
        if (shadow.desired.is_object()) {
            state["desired"] = shadow.desired;
            metadata["desired"] = shadow.desired_metadata;
        }
        if (shadow.reported.is_object()) {
            state["reported"] = shadow.reported;
            metadata["reported"] = shadow.reported_metadata;
        }
        if (with_delta) {
            json delta = delta_of(shadow.desired, shadow.reported);
            if (!delta.empty()) {
                state["delta"] = delta;
                metadata["delta"] = delta_metadata(delta, shadow.desired_metadata);
            }
        }
        json out{{"state", state}, {"metadata", metadata}, {"version", shadow.version}};
        if (now != 0) {
            out["timestamp"] = now;
        }
        return out;
    }

    struct UpdateOutcome {
        std::optional<ShadowError> error;
        std::optional<std::string> token;
        json accepted;
        Messages messages; // documents and delta (accepted is added by the caller)
    };

    UpdateOutcome update(const std::string& thing, const std::string& name,
                         std::string_view payload, std::int64_t now) {
        UpdateOutcome outcome;
        json request;
        std::optional<std::int64_t> expected_version;
        if ((outcome.error = read_update(payload, request, outcome.token, expected_version))) {
            return outcome;
        }
        const json& state = request["state"];
        const std::string key = shadow_key(thing, name);
        Shadow& shadow = shadows[key];
        if (expected_version && (!shadow.exists || *expected_version != shadow.version)) {
            outcome.error = ShadowError{409, "Version conflict"};
            return outcome;
        }
        Shadow next = merged(shadow, state, now);
        if (document_size(next) > max_document_bytes) {
            outcome.error = ShadowError{413, "The payload exceeds the maximum size allowed"};
            return outcome;
        }
        const bool created = !shadow.exists;
        if (created) {
            const bool remembered =
                shadow.deleted_at != 0 && now - shadow.deleted_at < version_memory_seconds;
            next.version = remembered ? shadow.version + 1 : 1;
        } else {
            next.version = shadow.version + 1;
        }
        next.exists = true;
        const json previous = document(shadow, 0, false);
        shadow = next;
        save(key, shadow);
        outcome.accepted = accepted_body(state, shadow.version, now, outcome.token);
        outcome.messages = update_notifications(prefix(thing, name), shadow,
                                                created ? nullptr : &previous, now, outcome.token);
        return outcome;
    }

    // update/documents (current, and previous unless `previous` is null) and, when desired and
    // reported differ, update/delta.
    Messages update_notifications(const std::string& base, const Shadow& shadow,
                                  const json* previous, std::int64_t now,
                                  const std::optional<std::string>& token) const {
        Messages messages;
        json documents{{"current", document(shadow, 0, false)}, {"timestamp", now}};
        if (previous != nullptr) {
            documents["previous"] = *previous;
        }
        if (token) {
            documents["clientToken"] = *token;
        }
        messages.push_back({"", base + "/update/documents",
                            documents.dump(-1, ' ', false, json::error_handler_t::replace)});
        const json delta = delta_of(shadow.desired, shadow.reported);
        if (!delta.empty()) {
            json body{{"state", delta},
                      {"metadata", delta_metadata(delta, shadow.desired_metadata)},
                      {"version", shadow.version},
                      {"timestamp", now}};
            if (token) {
                body["clientToken"] = *token;
            }
            messages.push_back({"", base + "/update/delta",
                                body.dump(-1, ' ', false, json::error_handler_t::replace)});
        }
        return messages;
    }
};

ShadowService::ShadowService(KvStore& store) : state_(std::make_unique<State>(store)) {}

ShadowService::~ShadowService() = default;

bool ShadowService::is_shadow_topic(std::string_view topic) {
    return parse_shadow_topic(topic).has_value();
}

Messages ShadowService::handle_request(std::string_view /*client_id*/, std::string_view topic,
                                       std::string_view payload, std::int64_t now) {
    Messages out;
    const auto parsed = parse_shadow_topic(topic);
    if (!parsed || parsed->operation == ShadowOperation::other ||
        parsed->operation == ShadowOperation::reply || !is_valid_thing_name(parsed->thing_name) ||
        (!parsed->shadow_name.empty() && !is_valid_shadow_name(parsed->shadow_name))) {
        return out;
    }
    const std::string thing(parsed->thing_name);
    const std::string name(parsed->shadow_name);
    const std::string request_topic(topic);
    State& s = *state_;
    KvTransaction transaction(s.store);

    // get and delete: the payload may be empty; a clientToken in it is echoed.
    std::optional<std::string> token;
    auto reject = [&](const ShadowError& error, bool with_timestamp) {
        out.push_back({"", request_topic + "/rejected",
                       error_body(error, token,
                                  with_timestamp ? std::optional<std::int64_t>(now) : std::nullopt)
                           .dump(-1, ' ', false, json::error_handler_t::replace)});
    };
    if (parsed->operation == ShadowOperation::get || parsed->operation == ShadowOperation::del) {
        if (!payload.empty()) {
            auto input = parse_json_input(payload, 64);
            if (input.status == JsonInputStatus::invalid_utf8) {
                reject({415, "Unsupported documented encoding; supported encoding is UTF-8"}, true);
                return out;
            }
            if (input.status == JsonInputStatus::ok && input.value.is_object() &&
                input.value.contains("clientToken")) {
                const json& t = input.value["clientToken"];
                if (!t.is_string() || t.get_ref<const std::string&>().size() > max_client_token) {
                    reject({400, "Invalid clientToken"}, true);
                    return out;
                }
                token = t.get<std::string>();
            } else if (parsed->operation == ShadowOperation::get &&
                       (input.status != JsonInputStatus::ok || !input.value.is_object())) {
                reject({400, "Invalid JSON"}, true);
                return out;
            }
            // delete: "content of the message is ignored" beyond the clientToken.
        }
        auto it = s.shadows.find(shadow_key(thing, name));
        if (it == s.shadows.end() || !it->second.exists) {
            reject(State::not_found(thing, name), false);
            return out;
        }
        if (parsed->operation == ShadowOperation::get) {
            json body = s.document(it->second, now, true);
            if (token) {
                body["clientToken"] = *token;
            }
            out.push_back({"", request_topic + "/accepted",
                           body.dump(-1, ' ', false, json::error_handler_t::replace)});
            return out;
        }
        it->second.exists = false;
        it->second.deleted_at = now;
        it->second.desired = nullptr;
        it->second.reported = nullptr;
        it->second.desired_metadata = nullptr;
        it->second.reported_metadata = nullptr;
        s.save(it->first, it->second);
        json body{{"version", it->second.version}, {"timestamp", now}};
        if (token) {
            body["clientToken"] = *token;
        }
        out.push_back({"", request_topic + "/accepted",
                       body.dump(-1, ' ', false, json::error_handler_t::replace)});
        return out;
    }

    auto outcome = s.update(thing, name, payload, now);
    token = outcome.token;
    if (outcome.error) {
        reject(*outcome.error, true);
        return out;
    }
    out.push_back({"", request_topic + "/accepted",
                   outcome.accepted.dump(-1, ' ', false, json::error_handler_t::replace)});
    out.insert(out.end(), outcome.messages.begin(), outcome.messages.end());
    return out;
}

ControlResult ShadowService::get_thing_shadow(const std::string& thing_name,
                                              const std::string& shadow_name, std::int64_t now) {
    if (!is_valid_thing_name(thing_name) ||
        (!shadow_name.empty() && !is_valid_shadow_name(shadow_name))) {
        return ControlResult::failure("InvalidRequestException", 400,
                                      "Invalid thing name or shadow name");
    }
    const State& s = *state_;
    auto it = s.shadows.find(shadow_key(thing_name, shadow_name));
    if (it == s.shadows.end() || !it->second.exists) {
        return control_error(State::not_found(thing_name, shadow_name));
    }
    return ControlResult::success(s.document(it->second, now, true));
}

ControlResult ShadowService::update_thing_shadow(const std::string& thing_name,
                                                 const std::string& shadow_name,
                                                 std::string_view payload, std::int64_t now) {
    if (!is_valid_thing_name(thing_name) ||
        (!shadow_name.empty() && !is_valid_shadow_name(shadow_name))) {
        return ControlResult::failure("InvalidRequestException", 400,
                                      "Invalid thing name or shadow name");
    }
    State& s = *state_;
    KvTransaction transaction(s.store);
    auto outcome = s.update(thing_name, shadow_name, payload, now);
    if (outcome.error) {
        return control_error(*outcome.error);
    }
    Messages messages;
    messages.push_back({"", State::prefix(thing_name, shadow_name) + "/update/accepted",
                        outcome.accepted.dump(-1, ' ', false, json::error_handler_t::replace)});
    messages.insert(messages.end(), outcome.messages.begin(), outcome.messages.end());
    return ControlResult::success(outcome.accepted, messages);
}

ControlResult ShadowService::delete_thing_shadow(const std::string& thing_name,
                                                 const std::string& shadow_name, std::int64_t now) {
    State& s = *state_;
    auto it = s.shadows.find(shadow_key(thing_name, shadow_name));
    if (it == s.shadows.end() || !it->second.exists) {
        return control_error(State::not_found(thing_name, shadow_name));
    }
    KvTransaction transaction(s.store);
    it->second.exists = false;
    it->second.deleted_at = now;
    it->second.desired = nullptr;
    it->second.reported = nullptr;
    it->second.desired_metadata = nullptr;
    it->second.reported_metadata = nullptr;
    s.save(it->first, it->second);
    const json body{{"version", it->second.version}, {"timestamp", now}};
    Messages messages;
    messages.push_back({"", State::prefix(thing_name, shadow_name) + "/delete/accepted",
                        body.dump(-1, ' ', false, json::error_handler_t::replace)});
    return ControlResult::success(body, messages);
}

ControlResult ShadowService::list_named_shadows_for_thing(const std::string& thing_name,
                                                          const ListQuery& query,
                                                          std::int64_t now) const {
    const State& s = *state_;
    std::vector<std::string> names;
    const std::string prefix = thing_name + "/";
    for (auto it = s.shadows.lower_bound(prefix);
         it != s.shadows.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
        const std::string name = it->first.substr(prefix.size());
        if (!name.empty() && it->second.exists) {
            names.push_back(name);
        }
    }
    std::size_t begin = 0;
    if (!query.next_token.empty()) {
        try {
            begin = std::min<std::size_t>(std::stoull(query.next_token), names.size());
        } catch (...) {
            begin = names.size();
        }
    }
    const std::size_t size =
        query.max_results > 0 ? static_cast<std::size_t>(query.max_results) : 50;
    const std::size_t end = std::min(names.size(), begin + size);
    json body{{"results", std::vector<std::string>(names.begin() + static_cast<long>(begin),
                                                   names.begin() + static_cast<long>(end))},
              {"timestamp", now}};
    if (end < names.size()) {
        body["nextToken"] = std::to_string(end);
    }
    return ControlResult::success(body);
}

} // namespace fota::cloud
