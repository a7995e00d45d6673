#include "report/report.hpp"

#include <array>
#include <cstdio>

namespace fota::sim {
namespace {

struct Style {
    const char* green = "";
    const char* red = "";
    const char* yellow = "";
    const char* bold = "";
    const char* reset = "";
};

std::string duration_text(double seconds) {
    std::array<char, 32> buffer{};
    std::snprintf(buffer.data(), buffer.size(), "%.1f s", seconds >= 0 ? seconds : 0.0);
    return buffer.data();
}

// Terminal output is one line per item: control characters (escape sequences from a log, say)
// are shown as '?'.
std::string clean(std::string_view text) {
    std::string out;
    for (char c : text) {
        out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7F ? '?' : c);
    }
    return out;
}

} // namespace

void write_terminal_summary(std::ostream& out, const std::vector<ScenarioReport>& reports,
                            bool color) {
    Style style;
    if (color) {
        style = Style{"\033[32m", "\033[31m", "\033[33m", "\033[1m", "\033[0m"};
    }
    std::size_t passed = 0;
    std::size_t failed = 0;
    std::size_t errors = 0;
    double seconds = 0;
    for (const auto& report : reports) {
        passed += report.outcome == Outcome::passed ? 1 : 0;
        failed += report.outcome == Outcome::failed ? 1 : 0;
        errors += report.outcome == Outcome::error ? 1 : 0;
        seconds += report.seconds >= 0 ? report.seconds : 0;
    }
    for (const auto& report : reports) {
        const char* label = report.outcome == Outcome::passed   ? "PASS "
                            : report.outcome == Outcome::failed ? "FAIL "
                                                                : "ERROR";
        const char* colour = report.outcome == Outcome::passed   ? style.green
                             : report.outcome == Outcome::failed ? style.red
                                                                 : style.yellow;
        std::size_t held = 0;
        for (const auto& e : report.expectations) {
            held += e.evaluated && e.passed ? 1 : 0;
        }
        out << "  " << colour << label << style.reset << "  " << clean(report.name) << "  ("
            << duration_text(report.seconds) << ", " << held << "/" << report.expectations.size()
            << " expectations)\n";
        if (report.outcome == Outcome::passed) {
            continue;
        }
        if (!report.error.empty()) {
            out << "         " << clean(report.error) << "\n";
        }
        for (const auto& e : report.expectations) {
            if (!e.evaluated || e.passed) {
                continue;
            }
            out << "         " << clean(report.file);
            if (e.line > 0) {
                out << ":" << e.line;
            }
            out << ": " << clean(e.name) << "\n";
            out << "           expected: " << clean(e.expected) << "\n";
            out << "           observed: " << clean(e.observed) << "\n";
        }
        out << "         reproduce: " << style.bold << clean(reproduce_command(report))
            << style.reset << "\n";
    }
    out << style.bold << reports.size() << (reports.size() == 1 ? " scenario: " : " scenarios: ")
        << passed << " passed, " << failed << " failed, " << errors << " errors ("
        << duration_text(seconds) << ")" << style.reset << "\n";
}

} // namespace fota::sim
