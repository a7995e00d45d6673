// The fleet report's HTML page: the tables are rendered here (they read without a script), the
// plots are drawn by src/fleet_html.js from the JSON embedded in the page.
#include "fota/sim/fleet_html.hpp"

#include "fleet_html_assets.hpp"
#include "fota/cloud/http/xml.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace fota::sim::fleet {

using json = nlohmann::json;

namespace {

using cloud::http::xml_escape;
using cloud::http::XmlEscape;

std::string html_text(std::string_view text) {
    return xml_escape(text, XmlEscape::text);
}

std::string printf_string(const char* format, double value) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, format, value);
    return buffer;
}

/// 1234567 -> "1,234,567".
std::string grouped(std::uint64_t n) {
    std::string digits = std::to_string(n);
    for (auto i = static_cast<std::ptrdiff_t>(digits.size()) - 3; i > 0; i -= 3) {
        digits.insert(static_cast<std::size_t>(i), ",");
    }
    return digits;
}

/// Milliseconds as a person reads them: "850 ms", "12.3 s", "4 min 05 s", "1 h 02 min".
std::string duration_text(double ms) {
    if (ms < 1000) {
        return printf_string("%.0f ms", ms);
    }
    const double s = ms / 1000;
    if (s < 10) {
        return printf_string("%.2f s", s);
    }
    if (s < 60) {
        return printf_string("%.1f s", s);
    }
    const auto whole = static_cast<std::uint64_t>(std::llround(s));
    char buffer[64];
    if (whole < 3600) {
        std::snprintf(buffer, sizeof buffer, "%llu min %02llu s",
                      static_cast<unsigned long long>(whole / 60),
                      static_cast<unsigned long long>(whole % 60));
    } else {
        std::snprintf(buffer, sizeof buffer, "%llu h %02llu min",
                      static_cast<unsigned long long>(whole / 3600),
                      static_cast<unsigned long long>(whole % 3600 / 60));
    }
    return buffer;
}

std::string bytes_text(double bytes) {
    if (bytes < 1024) {
        return printf_string("%.0f B", bytes);
    }
    if (bytes < 1024.0 * 1024) {
        return printf_string("%.1f KiB", bytes / 1024);
    }
    if (bytes < 1024.0 * 1024 * 1024) {
        return printf_string("%.1f MiB", bytes / (1024.0 * 1024));
    }
    return printf_string("%.2f GiB", bytes / (1024.0 * 1024 * 1024));
}

std::string percent_text(std::uint64_t part, std::uint64_t whole) {
    if (whole == 0) {
        return "–";
    }
    return printf_string("%.1f %%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

std::string json_text(const json& value) {
    return value.is_string() ? value.get<std::string>()
                             : value.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// A table from rows of already-escaped cells; `numeric` columns are right-aligned.
std::string table(const std::vector<std::string>& head, const std::vector<bool>& numeric,
                  const std::vector<std::vector<std::string>>& rows, std::string_view empty) {
    if (rows.empty()) {
        return "<p class=\"empty\">" + std::string(empty) + "</p>\n";
    }
    const auto cell_class = [&](std::size_t i) {
        return i < numeric.size() && numeric[i] ? std::string(" class=\"num\"") : std::string();
    };
    std::string out = "<table>\n<thead><tr>";
    for (std::size_t i = 0; i < head.size(); ++i) {
        out += "<th" + cell_class(i) + ">" + head[i] + "</th>";
    }
    out += "</tr></thead>\n<tbody>\n";
    for (const auto& row : rows) {
        out += "<tr>";
        for (std::size_t i = 0; i < row.size(); ++i) {
            out += "<td" + cell_class(i) + ">" + row[i] + "</td>";
        }
        out += "</tr>\n";
    }
    return out + "</tbody>\n</table>\n";
}

std::string section(std::string_view id, std::string_view title, const std::string& body) {
    return "<section id=\"" + std::string(id) + "\">\n<h2>" + std::string(title) + "</h2>\n" +
           body + "</section>\n";
}

/// The most devices that reached `milestone` in one second.
std::uint64_t peak_per_second(const FleetReport& report, Milestone milestone) {
    const json timeline = report.metrics.timeline.to_json();
    std::uint64_t peak = 0;
    for (const auto& n : timeline["milestones"][std::string(to_string(milestone))]) {
        peak = std::max(peak, n.get<std::uint64_t>());
    }
    return peak;
}

std::string verdict_badges(const FleetReport& report) {
    std::string out;
    if (report.stopped_by == "done") {
        out += "<span class=\"badge ok\">completed</span>";
    } else {
        out += "<span class=\"badge warn\">stopped: " + html_text(report.stopped_by) + "</span>";
    }
    if (!report.limits.empty()) {
        out += report.limits_passed() ? "<span class=\"badge ok\">limits passed</span>"
                                      : "<span class=\"badge bad\">limits failed</span>";
    }
    if (report.metrics.failed > 0) {
        out += "<span class=\"badge bad\">" + grouped(report.metrics.failed) + " failed</span>";
    }
    return out;
}

std::string header(const FleetReport& report) {
    std::string out = "<header>\n<div class=\"title\"><h1>Fleet update report</h1>";
    out += "<div class=\"badges\">" + verdict_badges(report) + "</div></div>\n";
    out += "<dl class=\"run\">";
    const std::vector<std::pair<std::string, std::string>> facts = {
        {"run", html_text(report.run_id)},
        {"stack", html_text(report.stack)},
        {"started", html_text(report.started_at)},
        {"wall time", duration_text(report.wall_s * 1000)},
        {"shards", std::to_string(report.shards.size())},
        {"jobs", std::to_string(report.job_ids.size())}};
    for (const auto& [name, value] : facts) {
        out.append("<div><dt>").append(name).append("</dt><dd>").append(value);
        out += "</dd></div>";
    }
    return out + "</dl>\n</header>\n";
}

std::string card(std::string_view label, const std::string& value, const std::string& note,
                 std::string_view tone = "") {
    return "<div class=\"card " + std::string(tone) + "\"><div class=\"label\">" +
           std::string(label) + "</div><div class=\"value\">" + value +
           "</div><div class=\"note\">" + note + "</div></div>\n";
}

std::string cards(const FleetReport& report) {
    const FleetMetrics& m = report.metrics;
    const Histogram& e2e = m.phase(Phase::end_to_end);
    const double rate = report.wall_s > 0 ? static_cast<double>(m.succeeded) / report.wall_s : 0;
    std::string out = "<div class=\"cards\">\n";
    out += card("devices", grouped(m.devices), grouped(m.started) + " started");
    out += card("succeeded", grouped(m.succeeded), percent_text(m.succeeded, m.devices),
                m.succeeded == m.devices && m.devices > 0 ? "ok" : "");
    out += card("failed", grouped(m.failed), percent_text(m.failed, m.devices),
                m.failed > 0 ? "bad" : "");
    out += card("end-to-end p50",
                e2e.count() == 0 ? "–" : duration_text(static_cast<double>(e2e.quantile(0.5))),
                e2e.count() == 0 ? "no device finished"
                                 : "p99 " + duration_text(static_cast<double>(e2e.quantile(0.99))));
    out +=
        card("throughput", printf_string("%.1f", rate) + " /s",
             "updates per second (peak " + grouped(peak_per_second(report, Milestone::done)) + ")");
    out += card("downloaded", bytes_text(static_cast<double>(m.download_bytes)),
                grouped(m.http_requests) + " HTTP requests");
    return out + "</div>\n";
}

std::string plots() {
    std::string out = "<div class=\"plot-card\"><h3>Devices reaching each milestone</h3>"
                      "<svg id=\"plot-timeline\" class=\"plot\" viewBox=\"0 0 960 340\" "
                      "role=\"img\" aria-label=\"devices per milestone over time\"></svg></div>\n";
    out += "<div class=\"plot-card\"><h3>Latency per phase (cumulative share of devices)</h3>"
           "<svg id=\"plot-cdf\" class=\"plot\" viewBox=\"0 0 960 340\" role=\"img\" "
           "aria-label=\"latency distribution per phase\"></svg></div>\n";
    out += "<div class=\"phase-grid\">\n";
    for (std::size_t p = 0; p < kPhaseCount; ++p) {
        const std::string name(to_string(static_cast<Phase>(p)));
        out.append("<div class=\"plot-card small\"><h3>").append(name);
        out.append("</h3><svg class=\"plot plot-phase\" data-phase=\"").append(name);
        out.append("\" viewBox=\"0 0 460 200\" role=\"img\" aria-label=\"").append(name);
        out += " latency histogram\"></svg></div>\n";
    }
    return out + "</div>\n";
}

std::string phase_table(const FleetMetrics& m) {
    std::vector<std::vector<std::string>> rows;
    for (std::size_t p = 0; p < kPhaseCount; ++p) {
        const Histogram& h = m.phases[p];
        const auto ms = [&](double v) { return h.count() == 0 ? "–" : duration_text(v); };
        const double mean =
            h.count() == 0 ? 0 : static_cast<double>(h.sum()) / static_cast<double>(h.count());
        rows.push_back({std::string(to_string(static_cast<Phase>(p))), grouped(h.count()),
                        ms(static_cast<double>(h.quantile(0.5))),
                        ms(static_cast<double>(h.quantile(0.9))),
                        ms(static_cast<double>(h.quantile(0.99))), ms(static_cast<double>(h.max())),
                        ms(mean)});
    }
    return table({"phase", "samples", "p50", "p90", "p99", "max", "mean"},
                 {false, true, true, true, true, true, true}, rows, "");
}

std::string counts_table(const std::map<std::string, std::uint64_t>& counts, std::string_view what,
                         std::string_view empty) {
    std::uint64_t total = 0;
    for (const auto& [name, n] : counts) {
        total += n;
    }
    std::vector<std::pair<std::string, std::uint64_t>> sorted(counts.begin(), counts.end());
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    std::vector<std::vector<std::string>> rows;
    rows.reserve(sorted.size());
    for (const auto& [name, n] : sorted) {
        rows.push_back({html_text(name), grouped(n), percent_text(n, total)});
    }
    return table({std::string(what), "count", "share"}, {false, true, true}, rows, empty);
}

std::string throughput_table(const FleetReport& report) {
    const FleetMetrics& m = report.metrics;
    const double wall = report.wall_s;
    const auto per_second = [&](double n) {
        return wall > 0 ? printf_string("%.2f", n / wall) : std::string("–");
    };
    const std::vector<std::vector<std::string>> rows = {
        {"updates completed per second (mean)", per_second(static_cast<double>(m.succeeded))},
        {"updates completed in the busiest second",
         grouped(peak_per_second(report, Milestone::done))},
        {"devices started in the busiest second",
         grouped(peak_per_second(report, Milestone::started))},
        {"download rate", wall > 0 ? bytes_text(static_cast<double>(m.download_bytes) / wall) + "/s"
                                   : std::string("–")},
        {"bytes downloaded", grouped(m.download_bytes)},
        {"HTTP requests", grouped(m.http_requests)},
        {"MQTT connections", grouped(m.mqtt_connections)}};
    return table({"figure", "value"}, {false, true}, rows, "");
}

std::string shards_table(const FleetReport& report) {
    std::vector<std::vector<std::string>> rows;
    for (const ShardReport& s : report.shards) {
        const double rss = static_cast<double>(s.peak_rss_kib) * 1024;
        rows.push_back({std::to_string(s.index) + " / " + std::to_string(s.count),
                        grouped(s.devices), duration_text(s.wall_s * 1000),
                        printf_string("%.1f", s.cpu_s),
                        s.wall_s > 0 ? printf_string("%.0f %%", 100 * s.cpu_s / s.wall_s) : "–",
                        bytes_text(rss),
                        s.devices > 0 ? bytes_text(rss / static_cast<double>(s.devices)) : "–"});
    }
    return table({"shard", "devices", "wall", "CPU s", "CPU / wall", "peak RSS", "RSS / device"},
                 {false, true, true, true, true, true, true}, rows, "No shard figures.");
}

std::string limit_value(const LimitVerdict& limit, double value) {
    if (limit.name == "failure_rate") {
        return printf_string("%.2f %%", 100 * value);
    }
    return limit.name.rfind("p99:", 0) == 0 ? duration_text(value) : printf_string("%g", value);
}

std::string limits_table(const FleetReport& report) {
    std::vector<std::vector<std::string>> rows;
    for (const LimitVerdict& limit : report.limits) {
        rows.push_back({html_text(limit.name), limit_value(limit, limit.limit),
                        limit_value(limit, limit.observed),
                        limit.passed ? "<span class=\"badge ok\">pass</span>"
                                     : "<span class=\"badge bad\">fail</span>"});
    }
    return table({"limit", "at most", "observed", "verdict"}, {false, true, true, false}, rows,
                 "No limits were set.");
}

std::string config_table(const FleetReport& report) {
    std::vector<std::vector<std::string>> rows;
    if (report.config.is_object()) {
        for (const auto& [key, value] : report.config.items()) {
            rows.push_back({html_text(key), html_text(json_text(value))});
        }
    }
    for (const std::string& job : report.job_ids) {
        rows.push_back({"job", html_text(job)});
    }
    return table({"option", "value"}, {false, false}, rows, "No options recorded.");
}

std::string body(const FleetReport& report) {
    const FleetMetrics& m = report.metrics;
    std::string out = header(report) + "<main>\n" + cards(report);
    out += section("plots", "Progress and latency", plots());
    out += section("phases", "Latency per phase", phase_table(m));
    out += "<div class=\"columns\">\n";
    out += section("executions", "Job executions by status",
                   counts_table(report.executions, "status", "The cloud reported no executions."));
    out += section("errors", "Errors by class",
                   counts_table(m.errors, "class", "No errors were recorded."));
    out += section("throughput", "Throughput and traffic", throughput_table(report));
    out += section("limits", "Limits", limits_table(report));
    out += "</div>\n";
    out += section("shards", "Shards", shards_table(report));
    out += "<div class=\"columns\">\n";
    out += section("jobs", "Jobs by status",
                   counts_table(report.jobs, "status", "The cloud reported no jobs."));
    out += section("config", "Run options", config_table(report));
    out += "</div>\n</main>\n";
    return out;
}

} // namespace

std::string json_for_script(const json& value) {
    const std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
    std::string out;
    out.reserve(text.size() + text.size() / 16);
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '<') {
            out += "\\u003c";
        } else if (c == '>') {
            out += "\\u003e";
        } else if (c == '&') {
            out += "\\u0026";
        } else if (c == '\xE2' && i + 2 < text.size() && text[i + 1] == '\x80' &&
                   (text[i + 2] == '\xA8' || text[i + 2] == '\xA9')) {
            out += text[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

std::string render_html(const FleetReport& report) {
    std::string page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                       "<meta name=\"generator\" content=\"fota-sim\">\n<title>fota-sim fleet: " +
                       html_text(report.run_id) + "</title>\n<style>\n" +
                       std::string(kFleetHtmlStyle) + "</style>\n</head>\n<body>\n";
    // First, so that an error anywhere in the page's script is marked on <body> and shown.
    page += "<script>window.onerror = function (message, source, line) {"
            " document.body.setAttribute('data-error', message + ' (line ' + line + ')'); };"
            "</script>\n";
    page += body(report);
    page += "<footer>fota-sim fleet report (format fota-sim-fleet-report, version 1). The report's "
            "JSON is embedded in this page: <code>#fleet-report</code>.</footer>\n";
    page += "<script type=\"application/json\" id=\"fleet-report\">" +
            json_for_script(report.to_json()) + "</script>\n";
    page += "<script>\n" + std::string(kFleetHtmlScript) + "</script>\n</body>\n</html>\n";
    return page;
}

} // namespace fota::sim::fleet
