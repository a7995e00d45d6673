// JUnit XML as Jenkins (junit and xunit plugins) and GitLab read it. The element order and the
// required attributes follow the strictest of the common schemas (Ant's, as in
// tests/simulator/scenario/junit.xsd): a testsuite has properties, then test cases, then
// system-out and system-err; a test case has at most one of skipped, error or failure.
#include "report/report.hpp"

#include "fota/cloud/http/xml.hpp"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <string>

namespace fota::sim {
namespace {

std::string attr(std::string_view text) {
    return cloud::http::xml_escape(text, cloud::http::XmlEscape::attribute);
}
std::string text(std::string_view content) {
    return cloud::http::xml_escape(content, cloud::http::XmlEscape::text);
}

std::string seconds_text(double seconds) {
    if (!(seconds >= 0) || seconds > 1e9) {
        seconds = 0; // negative, NaN or absurd values never reach the file
    }
    std::array<char, 32> buffer{};
    std::snprintf(buffer.data(), buffer.size(), "%.3f", seconds);
    return buffer.data();
}

std::string hostname() {
    std::array<char, 256> buffer{};
    if (gethostname(buffer.data(), buffer.size() - 1) != 0 || buffer[0] == '\0') {
        return "localhost";
    }
    return buffer.data();
}

struct Counts {
    std::size_t tests = 0;
    std::size_t failures = 0;
    std::size_t errors = 0;
    std::size_t skipped = 0;
};

Counts count(const ScenarioReport& report) {
    Counts counts;
    counts.tests = 1 + report.expectations.size();
    if (report.outcome == Outcome::failed) {
        ++counts.failures;
    } else if (report.outcome == Outcome::error) {
        ++counts.errors;
    }
    for (const auto& expectation : report.expectations) {
        if (!expectation.evaluated) {
            ++counts.skipped;
        } else if (!expectation.passed) {
            ++counts.failures;
        }
    }
    return counts;
}

std::string failure_message(const ExpectationResult& e) {
    return "expected " + e.expected + ", observed " + e.observed;
}

void write_suite(std::ostream& out, const ScenarioReport& report, std::size_t id,
                 const std::string& host) {
    const Counts counts = count(report);
    const std::string reproduce = reproduce_command(report);
    out << "  <testsuite name=\"" << attr(report.name) << "\" tests=\"" << counts.tests
        << "\" failures=\"" << counts.failures << "\" errors=\"" << counts.errors << "\" skipped=\""
        << counts.skipped << "\" time=\"" << seconds_text(report.seconds) << "\" timestamp=\""
        << iso8601(report.started_at) << "\" hostname=\"" << attr(host) << "\" id=\"" << id
        << "\" package=\"scenarios\" file=\"" << attr(report.file) << "\">\n";
    out << "    <properties>\n";
    out << "      <property name=\"file\" value=\"" << attr(report.file) << "\"/>\n";
    out << "      <property name=\"seed\" value=\"" << report.seed << "\"/>\n";
    out << "      <property name=\"outcome\" value=\"" << to_string(report.outcome) << "\"/>\n";
    out << "      <property name=\"reproduce\" value=\"" << attr(reproduce) << "\"/>\n";
    out << "      <property name=\"description\" value=\"" << attr(report.description) << "\"/>\n";
    out << "    </properties>\n";

    // The scenario as a whole.
    out << "    <testcase name=\"" << attr("scenario " + report.name) << "\" classname=\""
        << attr(report.name) << "\" time=\"" << seconds_text(report.seconds) << "\" file=\""
        << attr(report.file) << "\">\n";
    if (report.outcome == Outcome::error) {
        out << "      <error message=\"" << attr(report.error) << "\" type=\"error\">"
            << text(report.error + "\nreproduce: " + reproduce) << "</error>\n";
    } else if (report.outcome == Outcome::failed) {
        std::size_t failed = 0;
        for (const auto& e : report.expectations) {
            failed += e.evaluated && !e.passed ? 1 : 0;
        }
        std::string message = std::to_string(failed) + " of " +
                              std::to_string(report.expectations.size()) + " expectations failed";
        if (!report.error.empty()) {
            message = report.error;
        }
        out << "      <failure message=\"" << attr(message) << "\" type=\"scenario\">"
            << text(message + "\nreproduce: " + reproduce) << "</failure>\n";
    }
    out << "    </testcase>\n";

    for (const auto& e : report.expectations) {
        out << "    <testcase name=\"" << attr(e.name) << "\" classname=\"" << attr(report.name)
            << "\" time=\"" << seconds_text(e.seconds) << "\" file=\"" << attr(report.file) << "\"";
        if (e.line > 0) {
            out << " line=\"" << e.line << "\"";
        }
        if (e.evaluated && e.passed) {
            out << "/>\n";
            continue;
        }
        out << ">\n";
        if (!e.evaluated) {
            out << "      <skipped message=\"not evaluated: the run stopped before this "
                   "check\"/>\n";
        } else {
            const std::string message = failure_message(e);
            std::string body =
                e.name + "\n  expected: " + e.expected + "\n  observed: " + e.observed;
            if (e.line > 0) {
                body += "\n  at: " + report.file + ":" + std::to_string(e.line);
            }
            body += "\nreproduce: " + reproduce;
            out << "      <failure message=\"" << attr(message) << "\" type=\"expectation\">"
                << text(body) << "</failure>\n";
        }
        out << "    </testcase>\n";
    }
    out << "    <system-out>" << text(report.log) << "</system-out>\n";
    out << "    <system-err></system-err>\n";
    out << "  </testsuite>\n";
}

} // namespace

void write_junit_xml(std::ostream& out, const std::vector<ScenarioReport>& reports) {
    Counts total;
    double seconds = 0;
    for (const auto& report : reports) {
        const Counts counts = count(report);
        total.tests += counts.tests;
        total.failures += counts.failures;
        total.errors += counts.errors;
        total.skipped += counts.skipped;
        seconds += report.seconds >= 0 ? report.seconds : 0;
    }
    const std::string host = hostname();
    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out << "<testsuites name=\"fota-sim\" tests=\"" << total.tests << "\" failures=\""
        << total.failures << "\" errors=\"" << total.errors << "\" time=\"" << seconds_text(seconds)
        << "\">\n";
    std::size_t id = 0;
    for (const auto& report : reports) {
        write_suite(out, report, id++, host);
    }
    out << "</testsuites>\n";
}

} // namespace fota::sim
