#include "report/report.hpp"

#include <ctime>
#include <iomanip>
#include <sstream>

namespace fota::sim {

const char* to_string(Outcome outcome) {
    switch (outcome) {
    case Outcome::passed:
        return "passed";
    case Outcome::failed:
        return "failed";
    case Outcome::error:
        return "error";
    }
    return "?";
}

namespace {

std::string shell_word(const std::string& file) {
    const bool plain = !file.empty() &&
                       file.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789-_./+:@%,") == std::string::npos;
    std::string quoted;
    if (plain) {
        quoted = file;
    } else {
        quoted = "'";
        for (char c : file) {
            if (c == '\'') {
                quoted += "'\\''";
            } else {
                quoted.push_back(c);
            }
        }
        quoted += "'";
    }
    return quoted;
}

} // namespace

std::string reproduce_command(const ScenarioReport& report) {
    std::string command =
        "fota-sim run " + shell_word(report.file) + " --seed " + std::to_string(report.seed);
    for (const auto& [flag, value] : report.run_options) {
        command += " " + flag + (value.empty() ? "" : " " + shell_word(value));
    }
    return command;
}

int exit_code(const std::vector<ScenarioReport>& reports) {
    if (reports.empty()) {
        return 2;
    }
    bool failed = false;
    for (const auto& report : reports) {
        if (report.outcome == Outcome::error) {
            return 2;
        }
        failed = failed || report.outcome == Outcome::failed;
    }
    return failed ? 1 : 0;
}

std::string iso8601(std::chrono::system_clock::time_point time) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    std::ostringstream out;
    out << std::put_time(&utc, "%Y-%m-%dT%H:%M:%S");
    return out.str();
}

} // namespace fota::sim
