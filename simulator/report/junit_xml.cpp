// JUnit XML as Jenkins (junit and xunit plugins) and GitLab read it. The element order and the
// required attributes follow the strictest of the common schemas (Ant's, as in
// tests/simulator/scenario/junit.xsd): a testsuite has properties, then test cases, then
// system-out and system-err; a test case has at most one of skipped, error or failure.
#include "report/report.hpp"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <string>

namespace fota::sim {
namespace {

// Appends code point cp as UTF-8.
void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

bool xml_char(char32_t cp) {
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
           (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

// Escapes text for XML 1.0 content (attribute = true also keeps whitespace in attributes).
// Invalid UTF-8 and characters XML cannot hold become U+FFFD.
std::string escape(std::string_view text, bool attribute) {
    constexpr char32_t kReplacement = 0xFFFD;
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    std::size_t i = 0;
    while (i < text.size()) {
        const auto byte = static_cast<unsigned char>(text[i]);
        char32_t cp = kReplacement;
        std::size_t length = 1;
        if (byte < 0x80) {
            cp = byte;
        } else {
            std::size_t need = 0;
            char32_t min = 0;
            if ((byte & 0xE0) == 0xC0) {
                need = 1;
                cp = byte & 0x1F;
                min = 0x80;
            } else if ((byte & 0xF0) == 0xE0) {
                need = 2;
                cp = byte & 0x0F;
                min = 0x800;
            } else if ((byte & 0xF8) == 0xF0) {
                need = 3;
                cp = byte & 0x07;
                min = 0x10000;
            }
            bool valid = need != 0 && i + need < text.size() + 1 && i + need <= text.size() - 0;
            for (std::size_t k = 1; valid && k <= need; ++k) {
                if (i + k >= text.size()) {
                    valid = false;
                    break;
                }
                const auto next = static_cast<unsigned char>(text[i + k]);
                if ((next & 0xC0) != 0x80) {
                    valid = false;
                    break;
                }
                cp = (cp << 6) | (next & 0x3F);
            }
            if (valid && cp >= min && !(cp >= 0xD800 && cp <= 0xDFFF) && cp <= 0x10FFFF) {
                length = need + 1;
            } else {
                cp = kReplacement;
                length = 1;
            }
        }
        i += length;
        if (!xml_char(cp)) {
            cp = kReplacement;
        }
        switch (cp) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += attribute ? "&quot;" : "\"";
            break;
        case '\'':
            out += attribute ? "&apos;" : "'";
            break;
        case '\n':
            out += attribute ? "&#10;" : "\n";
            break;
        case '\r':
            out += "&#13;";
            break;
        case '\t':
            out += attribute ? "&#9;" : "\t";
            break;
        default:
            append_utf8(out, cp);
        }
    }
    return out;
}

std::string attr(std::string_view text) {
    return escape(text, true);
}
std::string text(std::string_view content) {
    return escape(content, false);
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
