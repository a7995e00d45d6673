// Step http_fault: object-server faults for the next responses of one firmware object, or of every
// object (close early, throttle, error statuses, bad ranges, stalls, redirects, odd headers).
#include "scenario/parse_context.hpp"

namespace fota::sim::steps {
namespace {

const std::vector<ParseContext::FaultKind>& http_fault_kinds() {
    // In the order of HttpFaultStep::Kind.
    static const std::vector<ParseContext::FaultKind> table{
        {"close_after_bytes", {"firmware", "bytes", "count"}, {"bytes"}},
        {"throttle", {"firmware", "bytes_per_second"}, {"bytes_per_second"}},
        {"error_status", {"firmware", "status", "count"}, {"status"}},
        {"slow_down", {"firmware", "count"}, {}},
        {"ignore_range", {"firmware", "count", "from"}, {}},
        {"wrong_content_range", {"firmware", "content_range", "count", "from"}, {"content_range"}},
        {"stall", {"firmware", "duration", "bytes", "count"}, {"duration"}},
        {"replace_object", {"firmware", "replacement"}, {"firmware", "replacement"}},
        {"redirect", {"firmware", "status", "count"}, {"status"}},
        {"refuse_connections", {"count"}, {}},
        {"connection_close", {"firmware", "count"}, {}},
        {"long_header", {"firmware", "bytes", "count"}, {"bytes"}},
        {"lowercase_headers", {"firmware", "count"}, {}},
    };
    return table;
}

} // namespace

std::optional<HttpFaultStep> parse_http_fault(ParseContext& context, const YAML::Node& body,
                                              const std::string& here) {
    auto& r = context.reader();
    std::string what;
    const auto index = context.fault_kind(body, here, "http_fault", http_fault_kinds(), what);
    if (!index) {
        return std::nullopt;
    }
    HttpFaultStep fault;
    fault.kind = static_cast<HttpFaultStep::Kind>(*index);
    bool ok = true;
    if (body["firmware"].IsDefined()) {
        auto id = context.firmware_ref(body["firmware"], "'firmware' in " + what);
        ok = ok && id.has_value();
        fault.firmware = id.value_or("");
    }
    if (body["bytes"].IsDefined()) {
        auto value = r.size(body["bytes"], "'bytes' in " + what, 0, 16ULL << 20);
        ok = ok && value.has_value();
        fault.bytes = value.value_or(0);
    }
    if (body["from"].IsDefined()) {
        auto value = r.size(body["from"], "'from' in " + what, 1, 1ULL << 40);
        ok = ok && value.has_value();
        fault.from = value.value_or(0);
    }
    if (body["bytes_per_second"].IsDefined()) {
        auto value =
            r.size(body["bytes_per_second"], "'bytes_per_second' in " + what, 1, 1ULL << 30);
        ok = ok && value.has_value();
        fault.bytes_per_second = value.value_or(0);
    }
    if (body["status"].IsDefined()) {
        if (fault.kind == HttpFaultStep::Kind::redirect) {
            static const Keys redirects{"301", "302", "303", "307", "308"};
            auto value = r.integer(body["status"], "'status' in " + what, 300, 399);
            if (value && std::find(redirects.begin(), redirects.end(), std::to_string(*value)) ==
                             redirects.end()) {
                r.error(body["status"],
                        "'status' in " + what + " must be one of: " + detail::join(redirects));
                value.reset();
            }
            ok = ok && value.has_value();
            fault.status = static_cast<int>(value.value_or(302));
        } else {
            auto value = r.integer(body["status"], "'status' in " + what, 400, 599);
            ok = ok && value.has_value();
            fault.status = static_cast<int>(value.value_or(500));
        }
    } else if (fault.kind == HttpFaultStep::Kind::slow_down) {
        fault.status = 503;
    }
    if (body["count"].IsDefined()) {
        auto value = r.integer(body["count"], "'count' in " + what, 1, 1'000'000);
        ok = ok && value.has_value();
        fault.count = static_cast<std::uint32_t>(value.value_or(1));
    }
    if (fault.kind == HttpFaultStep::Kind::throttle && !body["count"].IsDefined()) {
        fault.count = 0; // a throttled link stays throttled: every response from now on
    }
    if (body["content_range"].IsDefined()) {
        static const Keys errors{"wrong_start", "wrong_end", "wrong_total", "star_total"};
        if (auto value = r.choice(body["content_range"], "'content_range' in " + what, errors)) {
            fault.content_range = enum_at<HttpFaultStep::ContentRangeError>(errors, *value);
        } else {
            ok = false;
        }
    }
    if (body["duration"].IsDefined()) {
        auto value = r.duration(body["duration"], "'duration' in " + what,
                                std::chrono::milliseconds(1), context.scenario().deadline);
        ok = ok && value.has_value();
        fault.duration = value.value_or(std::chrono::milliseconds(0));
    }
    if (body["replacement"].IsDefined()) {
        auto id = context.firmware_ref(body["replacement"], "'replacement' in " + what);
        ok = ok && id.has_value();
        fault.replacement = id.value_or("");
        if (id && *id == fault.firmware) {
            r.error(body["replacement"],
                    "'replacement' in " + what + " must be another firmware than 'firmware'");
            ok = false;
        }
    }
    return ok ? std::optional(fault) : std::nullopt;
}

} // namespace fota::sim::steps
