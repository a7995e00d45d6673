// Expectation downloads: per device, the download attempts, Range requests and bytes received.
#include "scenario/expectations/expectation_kinds.hpp"
#include "scenario/parse_context.hpp"

namespace fota::sim::expectations {

std::optional<Expectation> parse_downloads(ParseContext& context, const YAML::Node& body,
                                           const std::string& here) {
    bool ok = true;
    auto e =
        context.expectation(body, here, {"devices", "attempts", "range_requests", "bytes"}, {}, ok);
    if (!e) {
        return std::nullopt;
    }
    context.expectation_devices(body, here, *e, ok);
    context.expectation_range(body, "attempts", here, false, e->download_attempts, ok);
    context.expectation_range(body, "range_requests", here, false, e->range_requests, ok);
    context.expectation_range(body, "bytes", here, true, e->bytes, ok);
    const auto has = [&](const char* key) { return body.IsMap() && body[key].IsDefined(); };
    if (!has("attempts") && !has("range_requests") && !has("bytes")) {
        context.reader().error(
            body, here + " needs at least one of 'attempts', 'range_requests', 'bytes'");
        ok = false;
    }
    return ok ? e : std::nullopt;
}

std::string describe_downloads(const Expectation& e) {
    std::string text = ": " + devices_text(e.devices);
    if (e.download_attempts.min || e.download_attempts.max) {
        text += ", attempts " + range_text(e.download_attempts);
    }
    if (e.range_requests.min || e.range_requests.max) {
        text += ", range requests " + range_text(e.range_requests);
    }
    if (e.bytes.min || e.bytes.max) {
        text += ", bytes " + range_text(e.bytes);
    }
    return text;
}

} // namespace fota::sim::expectations
