// fota-sim check: parses and validates scenario files without running them, e.g. in a pre-commit
// hook or an editor task; errors come as file:line:col with the valid choices.
#include "cli/command_registry.hpp"

#include "scenario/check_files.hpp"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace fota::sim {
namespace {

void add_check_command(CLI::App& app) {
    auto files = std::make_shared<std::vector<std::string>>();
    CLI::App* check = app.add_subcommand(
        "check", "Validate scenario files (YAML) without running them; exit 0 when all are valid");
    check->add_option("scenarios", *files, "Scenario files to check")->required();
    check->callback([files] {
        const int exit_code = check_scenario_files(*files, std::cout, std::cerr);
        if (exit_code != 0) {
            throw CLI::RuntimeError(exit_code);
        }
    });
}

} // namespace

FOTA_REGISTER_COMMAND("check", add_check_command);

} // namespace fota::sim
