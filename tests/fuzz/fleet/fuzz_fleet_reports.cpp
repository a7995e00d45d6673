// libFuzzer target: whatever a fleet report holds, its HTML page keeps the embedded JSON inside
// its <script> block (exactly three script blocks, each closed once) and the JSON reads back as
// the report's; its Prometheus text is valid UTF-8 with every line a comment or a fota_fleet_
// sample. Input: a report's JSON (when it starts with '{'), or else raw bytes put in its text
// fields, which reach the invalid UTF-8 that no JSON parser would hand over.
#include "fota/sim/fleet_html.hpp"
#include "fota/sim/fleet_prometheus.hpp"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using fota::sim::fleet::FleetReport;
using json = nlohmann::json;

std::size_t count_case_insensitive(std::string text, std::string_view what) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

bool valid_utf8(std::string_view text) {
    const json probe = std::string(text);
    try {
        (void)probe.dump(); // throws on invalid UTF-8 (the strict handler)
        return true;
    } catch (const json::type_error&) {
        return false;
    }
}

void check_html(const FleetReport& report) {
    const std::string page = fota::sim::fleet::render_html(report);
    if (count_case_insensitive(page, "<script") != 3 ||
        count_case_insensitive(page, "</script") != 3) {
        std::abort();
    }
    const std::string open = "<script type=\"application/json\" id=\"fleet-report\">";
    const auto from = page.find(open) + open.size();
    const auto end = page.find("</script", from);
    const json back = json::parse(page.substr(from, end - from), nullptr, false);
    const json expected =
        json::parse(report.to_json().dump(-1, ' ', false, json::error_handler_t::replace));
    if (back != expected) {
        std::abort();
    }
}

void check_prometheus(const FleetReport& report) {
    const std::string text = fota::sim::fleet::prometheus_text(report);
    if (!valid_utf8(text) || text.empty() || text.back() != '\n') {
        std::abort();
    }
    for (std::size_t at = 0; at < text.size();) {
        const auto end = text.find('\n', at);
        const std::string_view line(text.data() + at, end - at);
        if (line.rfind("# HELP fota_fleet_", 0) != 0 && line.rfind("# TYPE fota_fleet_", 0) != 0 &&
            line.rfind("fota_fleet_", 0) != 0) {
            std::abort();
        }
        at = end + 1;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    FleetReport report;
    if (!input.empty() && input.front() == '{') {
        const json value = json::parse(input, nullptr, false);
        std::string error;
        auto parsed = FleetReport::from_json(value, error);
        if (!parsed) {
            return 0;
        }
        report = std::move(*parsed);
    } else {
        const std::string text(input);
        report.run_id = text;
        report.stack = text.substr(0, text.size() / 2);
        report.stopped_by = text;
        report.config = {{"note", "x"}};
        report.metrics.errors[text] = 1;
        report.executions[text] = 2;
        report.limits.push_back({text, 1, 2, false});
    }
    check_html(report);
    check_prometheus(report);
    return 0;
}
