// The fleet report's HTML page (simulator/fleet/fleet_html.hpp): the embedded JSON cannot leave
// its <script> block and reads back unchanged; the tables hold the report's figures, escaped.
// The plots are checked in Chromium by check_html_report.py.
#include "fleet_report_samples.hpp"
#include "fota/sim/fleet_html.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim::fleet;
using json = nlohmann::json;

namespace {

std::size_t occurrences(const std::string& text, std::string_view what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

/// The text of <script type="application/json" id="fleet-report">, up to the first "</script"
/// after it: what an HTML parser would hand to JSON.parse.
std::string embedded_json(const std::string& page) {
    const std::string open = "<script type=\"application/json\" id=\"fleet-report\">";
    const auto start = page.find(open);
    REQUIRE(start != std::string::npos);
    const auto from = start + open.size();
    const auto end = page.find("</script", from);
    REQUIRE(end != std::string::npos);
    return page.substr(from, end - from);
}

} // namespace

TEST_CASE("json_for_script escapes what could end or confuse a script block") {
    const json value = {{"a", "</script><!--x-->&"}, {"b", "\xE2\x80\xA8|\xE2\x80\xA9"}};
    const std::string text = json_for_script(value);
    CHECK(text == R"({"a":"\u003c/script\u003e\u003c!--x--\u003e\u0026","b":"\u2028|\u2029"})");
    CHECK(json::parse(text) == value);
}

TEST_CASE("a run id holding </script> stays inside the page's JSON block") {
    const FleetReport report = test::sample_report("hostile");
    const std::string page = render_html(report);
    // Three script blocks (the error hook, the data, the plots), each closed exactly once.
    CHECK(occurrences(page, "<script") == 3);
    CHECK(occurrences(page, "</script>") == 3);
    CHECK(page.find("<script>document") == std::string::npos);
    CHECK(page.find("\xFF") == std::string::npos);
    // U+2028 may stand in the page's text, not raw in its JSON.
    CHECK(page.find("\xE2\x80\xA8") != std::string::npos);
    CHECK(embedded_json(page).find("\xE2\x80\xA8") == std::string::npos);
    CHECK(embedded_json(page).find("\\u2028") != std::string::npos);

    const json back = json::parse(embedded_json(page));
    const json expected =
        json::parse(report.to_json().dump(-1, ' ', false, json::error_handler_t::replace));
    CHECK(back == expected);
    CHECK(back["run_id"].get<std::string>().find("</script><script>") == 0);
    std::string error;
    const auto reread = FleetReport::from_json(back, error);
    REQUIRE(reread);
    CHECK(reread->metrics == report.metrics);
}

TEST_CASE("the page's text is escaped where it is shown") {
    const std::string page = render_html(test::sample_report("hostile"));
    CHECK(page.find("<b>sim</b>") == std::string::npos);
    CHECK(page.find("&lt;b&gt;sim&lt;/b&gt;") != std::string::npos);
    CHECK(page.find("<i>ODD</i>") == std::string::npos);
    CHECK(page.find("<img") == std::string::npos);
    CHECK(page.find("&lt;img src=x onerror=alert(1)&gt;") != std::string::npos);
}

TEST_CASE("the page's tables hold the report's figures") {
    const FleetReport report = test::sample_report("full");
    const std::string page = render_html(report);
    REQUIRE(report.metrics.devices == 1200);
    CHECK(page.find("<div class=\"value\">1,200</div>") != std::string::npos);
    CHECK(page.find("<div class=\"value\">" + std::to_string(report.metrics.failed) + "</div>") !=
          std::string::npos);
    // One row per phase, and the limits' verdicts (one passes, one fails).
    for (std::size_t p = 0; p < kPhaseCount; ++p) {
        CHECK(page.find("<tr><td>" + std::string(to_string(static_cast<Phase>(p))) + "</td>") !=
              std::string::npos);
        CHECK(page.find("data-phase=\"" + std::string(to_string(static_cast<Phase>(p))) + "\"") !=
              std::string::npos);
    }
    CHECK(page.find("<td>failure_rate</td>") != std::string::npos);
    CHECK(page.find("<span class=\"badge bad\">limits failed</span>") != std::string::npos);
    CHECK(occurrences(page, "<span class=\"badge ok\">pass</span>") == 1);
    CHECK(occurrences(page, "<span class=\"badge bad\">fail</span>") == 1);
    CHECK(page.find("<td>failed:image_invalid</td>") != std::string::npos);
    REQUIRE(report.metrics.succeeded >= 1000);
    const std::string succeeded = std::to_string(report.metrics.succeeded);
    CHECK(page.find("<td>SUCCEEDED</td><td class=\"num\">" + succeeded.substr(0, 1) + "," +
                    succeeded.substr(1) + "</td>") != std::string::npos);
    // Both shards, with their devices.
    CHECK(page.find("<tr><td>0 / 2</td><td class=\"num\">600</td>") != std::string::npos);
    CHECK(page.find("<tr><td>1 / 2</td><td class=\"num\">600</td>") != std::string::npos);
}

TEST_CASE("an empty report makes a page that says there is nothing, without failing") {
    const std::string page = render_html(test::sample_report("empty"));
    CHECK(page.find("No limits were set.") != std::string::npos);
    CHECK(page.find("No shard figures.") != std::string::npos);
    CHECK(page.find("No errors were recorded.") != std::string::npos);
    CHECK(page.find("stopped: error: the control plane did not answer") != std::string::npos);
    CHECK(page.find("no device finished") != std::string::npos);
}
