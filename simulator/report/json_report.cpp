#include "report/report.hpp"

#include <chrono>

namespace fota::sim {

nlohmann::json json_report(const std::vector<ScenarioReport>& reports) {
    auto scenarios = nlohmann::json::array();
    std::size_t passed = 0;
    std::size_t failed = 0;
    std::size_t errors = 0;
    for (const auto& report : reports) {
        passed += report.outcome == Outcome::passed ? 1 : 0;
        failed += report.outcome == Outcome::failed ? 1 : 0;
        errors += report.outcome == Outcome::error ? 1 : 0;
        auto expectations = nlohmann::json::array();
        for (const auto& e : report.expectations) {
            expectations.push_back({{"name", e.name},
                                    {"passed", e.passed},
                                    {"evaluated", e.evaluated},
                                    {"expected", e.expected},
                                    {"observed", e.observed},
                                    {"line", e.line},
                                    {"seconds", e.seconds}});
        }
        auto devices = nlohmann::json::array();
        for (const auto& device : report.devices) {
            auto phases = nlohmann::json::array();
            for (const auto& phase : device.phases) {
                auto entry = nlohmann::json{
                    {"phase", phase.phase},
                    {"at_ms", phase.at.count()},
                    {"at", iso8601(report.started_at +
                                   std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                       phase.at))}};
                if (!phase.detail.empty()) {
                    entry["detail"] = phase.detail;
                }
                phases.push_back(std::move(entry));
            }
            devices.push_back({{"thing", device.thing},
                               {"running_version", device.running_version},
                               {"confirmed", device.confirmed},
                               {"boots", device.boots},
                               {"flash_operations", device.flash_operations},
                               {"phases", std::move(phases)}});
        }
        auto entry = nlohmann::json{{"name", report.name},
                                    {"file", report.file},
                                    {"description", report.description},
                                    {"seed", report.seed},
                                    {"outcome", to_string(report.outcome)},
                                    {"reproduce", reproduce_command(report)},
                                    {"started_at", iso8601(report.started_at) + "Z"},
                                    {"seconds", report.seconds},
                                    {"expectations", std::move(expectations)},
                                    {"devices", std::move(devices)}};
        if (!report.error.empty()) {
            entry["error"] = report.error;
        }
        scenarios.push_back(std::move(entry));
    }
    return {{"scenarios", std::move(scenarios)},
            {"summary",
             {{"scenarios", reports.size()},
              {"passed", passed},
              {"failed", failed},
              {"errors", errors},
              {"exit_code", exit_code(reports)}}}};
}

void write_json_report(std::ostream& out, const std::vector<ScenarioReport>& reports) {
    // Replace invalid UTF-8 (from device logs, say) rather than throw.
    out << json_report(reports).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
        << '\n';
}

} // namespace fota::sim
