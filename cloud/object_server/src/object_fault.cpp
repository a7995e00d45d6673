// ObjectFault <-> JSON for the control API.
#include "fota/cloud/object_server.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <optional>
#include <string>
#include <utility>

namespace fota::cloud {

namespace {

constexpr std::array<std::pair<ObjectFault::Kind, const char*>, 11> kind_names{{
    {ObjectFault::Kind::close_after_bytes, "close_after_bytes"},
    {ObjectFault::Kind::throttle, "throttle"},
    {ObjectFault::Kind::error_status, "error_status"},
    {ObjectFault::Kind::ignore_range, "ignore_range"},
    {ObjectFault::Kind::wrong_content_range, "wrong_content_range"},
    {ObjectFault::Kind::stall, "stall"},
    {ObjectFault::Kind::connection_close, "connection_close"},
    {ObjectFault::Kind::redirect, "redirect"},
    {ObjectFault::Kind::long_header, "long_header"},
    {ObjectFault::Kind::lowercase_headers, "lowercase_headers"},
    {ObjectFault::Kind::refuse_connections, "refuse_connections"},
}};

std::string valid_kinds() {
    std::string out;
    for (const auto& [kind, name] : kind_names) {
        out += out.empty() ? "" : ", ";
        out += name;
    }
    return out;
}

} // namespace

const char* to_string(ObjectFault::Kind kind) {
    for (const auto& [k, name] : kind_names) {
        if (k == kind) {
            return name;
        }
    }
    return "unknown";
}

namespace {

using Problem = std::optional<std::string>; // what is wrong with a fault, or nullopt

// "kind" (required, a known name) and no field outside the allowed ones.
Problem read_kind(const nlohmann::json& j, ObjectFault& f) {
    const auto kind_it = j.find("kind");
    if (kind_it == j.end() || !kind_it->is_string()) {
        return "fault: \"kind\" (a string) is required; one of: " + valid_kinds();
    }
    bool known = false;
    for (const auto& [k, name] : kind_names) {
        if (*kind_it == name) {
            f.kind = k;
            known = true;
        }
    }
    if (!known) {
        return "fault: unknown kind \"" + kind_it->get<std::string>() +
               "\"; valid kinds: " + valid_kinds();
    }
    static const std::array<const char*, 15> allowed{
        "kind",     "bucket",   "key",      "count",         "bytes", "bytes_per_second",
        "status",   "code",     "seconds",  "content_range", "shift", "milliseconds",
        "location", "mismatch", "from_byte"};
    for (const auto& [name, value] : j.items()) {
        bool ok = false;
        for (const char* a : allowed) {
            ok = ok || name == a;
        }
        if (!ok) {
            return "fault: unknown field \"" + name + "\"";
        }
    }
    return std::nullopt;
}

Problem read_string(const nlohmann::json& j, const char* name, std::string& out) {
    const auto it = j.find(name);
    if (it == j.end()) {
        return std::nullopt;
    }
    if (!it->is_string()) {
        return std::string("fault: \"") + name + "\" must be a string";
    }
    out = it->get<std::string>();
    return std::nullopt;
}

Problem read_integer(const nlohmann::json& j, const char* name, std::int64_t min, std::int64_t max,
                     std::int64_t& out) {
    const auto it = j.find(name);
    if (it == j.end()) {
        return std::nullopt;
    }
    if (!it->is_number_integer()) {
        return std::string("fault: \"") + name + "\" must be an integer";
    }
    const std::string range_error = std::string("fault: \"") + name + "\" must be between " +
                                    std::to_string(min) + " and " + std::to_string(max);
    std::int64_t v = 0;
    if (it->is_number_unsigned()) {
        const auto u = it->get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(max)) {
            return range_error;
        }
        v = static_cast<std::int64_t>(u);
    } else {
        v = it->get<std::int64_t>();
    }
    if (v < min || v > max) {
        return range_error;
    }
    out = v;
    return std::nullopt;
}

// The optional fields, each checked for its type and range; `milliseconds` stays -1 when neither
// "milliseconds" nor "seconds" is given.
Problem read_fields(const nlohmann::json& j, ObjectFault& f, std::int64_t& milliseconds) {
    std::int64_t count = -1;
    std::int64_t bytes = 0;
    std::int64_t rate = 0;
    std::int64_t status = 503;
    std::int64_t shift = 0;
    std::int64_t from_byte = 0;
    Problem error;
    constexpr std::int64_t max_bytes = std::int64_t{1} << 50;
    if ((error = read_string(j, "bucket", f.bucket)) || (error = read_string(j, "key", f.key)) ||
        (error = read_string(j, "code", f.code)) ||
        (error = read_string(j, "content_range", f.content_range)) ||
        (error = read_string(j, "location", f.location)) ||
        (error = read_string(j, "mismatch", f.mismatch)) ||
        (error = read_integer(j, "count", -1, 1000000000, count)) ||
        (error = read_integer(j, "bytes", 0, max_bytes, bytes)) ||
        (error = read_integer(j, "bytes_per_second", 1, max_bytes, rate)) ||
        (error = read_integer(j, "status", 300, 599, status)) ||
        (error = read_integer(j, "shift", -max_bytes, max_bytes, shift)) ||
        (error = read_integer(j, "from_byte", 0, max_bytes, from_byte)) ||
        (error = read_integer(j, "milliseconds", 0, 86400000, milliseconds))) {
        return error;
    }
    if (count == 0) {
        return std::string("fault: \"count\" must be -1 (until cleared) or at least 1");
    }
    if (const auto it = j.find("seconds"); it != j.end()) {
        if (!it->is_number() || it->get<double>() < 0 || it->get<double>() > 86400) {
            return std::string("fault: \"seconds\" must be a number between 0 and 86400");
        }
        milliseconds = static_cast<std::int64_t>(it->get<double>() * 1000.0);
    }
    f.count = static_cast<int>(count);
    f.bytes = static_cast<std::uint64_t>(bytes);
    f.bytes_per_second = static_cast<std::uint64_t>(rate);
    f.status = static_cast<int>(status);
    f.shift = shift;
    f.from_byte = static_cast<std::uint64_t>(from_byte);
    f.duration = std::chrono::milliseconds(milliseconds < 0 ? 0 : milliseconds);
    return std::nullopt;
}

// What each kind needs beyond the common fields (redirect's status defaults to 302).
Problem check_kind_needs(const nlohmann::json& j, ObjectFault& f, std::int64_t milliseconds) {
    if (f.kind == ObjectFault::Kind::throttle && j.find("bytes_per_second") == j.end()) {
        return std::string("fault: throttle needs \"bytes_per_second\" (at least 1)");
    }
    if (f.kind == ObjectFault::Kind::stall && milliseconds < 0) {
        return std::string("fault: stall needs \"seconds\" (or \"milliseconds\")");
    }
    if (f.kind != ObjectFault::Kind::redirect && (f.status < 400 || f.status > 599)) {
        return std::string("fault: \"status\" must be between 400 and 599");
    }
    if (f.kind == ObjectFault::Kind::redirect) {
        if (f.location.empty()) {
            return std::string("fault: redirect needs \"location\" (a URL or path)");
        }
        if (j.find("status") == j.end()) {
            f.status = 302;
        } else if (f.status < 300 || f.status > 399) {
            return std::string("fault: redirect \"status\" must be 300..399");
        }
    }
    if (f.kind == ObjectFault::Kind::long_header && (f.bytes == 0 || f.bytes > (1U << 20))) {
        return std::string("fault: long_header needs \"bytes\" from 1 to 1048576");
    }
    if (f.kind == ObjectFault::Kind::close_after_bytes && j.find("bytes") == j.end()) {
        return std::string("fault: close_after_bytes needs \"bytes\"");
    }
    if (!f.mismatch.empty() && f.mismatch != "start" && f.mismatch != "end" &&
        f.mismatch != "total" && f.mismatch != "star_total") {
        return "fault: unknown mismatch \"" + f.mismatch +
               "\"; valid: start, end, total, star_total";
    }
    if (f.from_byte != 0 && f.kind != ObjectFault::Kind::ignore_range &&
        f.kind != ObjectFault::Kind::wrong_content_range) {
        return std::string(
            "fault: \"from_byte\" applies to ignore_range and wrong_content_range only");
    }
    if (f.kind == ObjectFault::Kind::wrong_content_range && f.content_range.empty() &&
        f.shift == 0 && f.mismatch.empty()) {
        return std::string(
            "fault: wrong_content_range needs \"content_range\" (a literal value), a non-zero "
            "\"shift\" or a \"mismatch\" (start, end, total, star_total)");
    }
    return std::nullopt;
}

} // namespace

std::variant<ObjectFault, std::string> parse_object_fault(std::string_view json_text) {
    const nlohmann::json j = nlohmann::json::parse(json_text, nullptr, false);
    if (j.is_discarded()) {
        return std::string("fault: the body is not valid JSON");
    }
    if (!j.is_object()) {
        return std::string("fault: expected a JSON object such as {\"kind\":\"throttle\","
                           "\"bytes_per_second\":1000}");
    }
    ObjectFault f;
    std::int64_t milliseconds = -1;
    Problem problem;
    if ((problem = read_kind(j, f)) || (problem = read_fields(j, f, milliseconds)) ||
        (problem = check_kind_needs(j, f, milliseconds))) {
        return *problem;
    }
    return f;
}

std::string object_fault_json(const ObjectFault& f) {
    nlohmann::json j{{"kind", to_string(f.kind)}, {"count", f.count}};
    if (!f.bucket.empty()) {
        j["bucket"] = f.bucket;
    }
    if (!f.key.empty()) {
        j["key"] = f.key;
    }
    switch (f.kind) {
    case ObjectFault::Kind::close_after_bytes:
        j["bytes"] = f.bytes;
        break;
    case ObjectFault::Kind::throttle:
        j["bytes_per_second"] = f.bytes_per_second;
        break;
    case ObjectFault::Kind::error_status:
        j["status"] = f.status;
        if (!f.code.empty()) {
            j["code"] = f.code;
        }
        break;
    case ObjectFault::Kind::ignore_range:
        if (f.from_byte != 0) {
            j["from_byte"] = f.from_byte;
        }
        break;
    case ObjectFault::Kind::wrong_content_range:
        if (f.from_byte != 0) {
            j["from_byte"] = f.from_byte;
        }
        if (!f.content_range.empty()) {
            j["content_range"] = f.content_range;
        } else if (!f.mismatch.empty()) {
            j["mismatch"] = f.mismatch;
        } else {
            j["shift"] = f.shift;
        }
        break;
    case ObjectFault::Kind::refuse_connections:
        break;
    case ObjectFault::Kind::stall:
        j["bytes"] = f.bytes;
        j["milliseconds"] = f.duration.count();
        break;
    case ObjectFault::Kind::redirect:
        j["status"] = f.status;
        j["location"] = f.location;
        break;
    case ObjectFault::Kind::long_header:
        j["bytes"] = f.bytes;
        break;
    case ObjectFault::Kind::connection_close:
    case ObjectFault::Kind::lowercase_headers:
        break;
    }
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace fota::cloud
