#include "scenario/check_files.hpp"

#include "scenario/scenario_parser.hpp"

namespace fota::sim {

int check_scenario_files(const std::vector<std::string>& paths, std::ostream& out,
                         std::ostream& err) {
    if (paths.empty()) {
        err << "no scenario files given\n";
        return 2;
    }
    bool all_valid = true;
    for (const auto& path : paths) {
        const auto result = parse_scenario_file(path);
        if (!result.ok()) {
            all_valid = false;
            for (const auto& error : result.errors) {
                err << error.to_string() << '\n';
            }
            continue;
        }
        const Scenario& scenario = *result.scenario;
        out << "ok: " << path << ": " << scenario.name << ", " << scenario.device_count()
            << " devices, " << scenario.steps.size() << " steps, " << scenario.expectations.size()
            << " expectations\n";
    }
    return all_valid ? 0 : 2;
}

} // namespace fota::sim
