// fota-sim shrink: takes a scenario that fails on the sim stack (with the run options that made it
// fail: --seed, --cut-at, --invariants) and removes steps, expectations, devices, firmware and
// image bytes while it still fails the same way (fota/sim/shrink.hpp); writes the smallest failing
// scenario as a YAML file that fails on its own, and checks that it does. Exit code: 0 when the
// file was written and fails alone, 2 when there was nothing to shrink (the run does not fail)
// or the input is bad.
#include "cli/command_registry.hpp"

#if __has_include("fota/sim/shrink.hpp")
#include "cli/cli_options.hpp"
#include "fota/sim/shrink.hpp"
#include "scenario/scenario_parser.hpp"

#include <CLI/CLI.hpp>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <regex>
#include <string>

namespace fota::sim {
namespace {

struct ShrinkCommandOptions {
    std::string file;
    std::optional<std::uint64_t> seed;
    std::optional<FlashCut> cut;
    std::string cut_device;
    std::optional<std::chrono::milliseconds> cut_off_for;
    bool invariants = false;
    std::string out;
    std::size_t max_runs = 5000;
};

// The header of the written file: where it came from and what it keeps failing on.
std::string header(const ShrinkCommandOptions& cli, const ShrinkResult& r) {
    std::string command = "fota-sim shrink " + cli.file;
    if (cli.seed) {
        command += " --seed " + std::to_string(*cli.seed);
    }
    if (cli.cut) {
        command += " --cut-at " + to_string(*cli.cut);
        if (!cli.cut_device.empty()) {
            command += " --cut-device " + cli.cut_device;
        }
    }
    if (cli.invariants) {
        command += " --invariants";
    }
    return "# Shrunk by `" + command + "` in " + std::to_string(r.runs) +
           " runs on the sim stack.\n" + "# It fails on: " + r.target + "\n# devices " +
           std::to_string(r.devices_before) + " -> " + std::to_string(r.devices_after) +
           ", steps " + std::to_string(r.steps_before) + " -> " + std::to_string(r.steps_after) +
           ", expectations " + std::to_string(r.expectations_before) + " -> " +
           std::to_string(r.expectations_after) + ", image bytes " +
           std::to_string(r.image_bytes_before) + " -> " + std::to_string(r.image_bytes_after) +
           "\n";
}

int run_shrink(ShrinkCommandOptions cli) {
    ShrinkOptions options;
    options.runner.seed = cli.seed;
    options.runner.interrupted = &InterruptScope::flag();
    if (cli.cut) {
        cli.cut->thing = cli.cut_device;
        if (cli.cut_off_for) {
            cli.cut->off_for = *cli.cut_off_for;
        }
    }
    options.cut = cli.cut;
    options.invariants = cli.invariants;
    options.max_runs = cli.max_runs;
    if (cli.out.empty()) {
        cli.out = std::filesystem::path(cli.file).stem().string() + ".shrunk.yaml";
    }
    std::optional<InterruptScope> interrupts;
    interrupts.emplace();
    std::cerr << "fota-sim shrink: " << cli.file << " on sim ...\n";
    const ShrinkResult result = shrink_scenario(
        cli.file, options, [](const std::string& line) { std::cerr << "  " << line << "\n"; });
    interrupts.reset();
    if (!result.reproduced) {
        std::cerr << "fota-sim shrink: " << result.error << "\n";
        return 2;
    }
    // The file's name is its stem, as the library's are.
    std::string yaml = result.yaml;
    const std::string stem = std::filesystem::path(cli.out).stem().string();
    if (std::regex_match(stem, std::regex("[a-zA-Z0-9_.-]{1,100}"))) {
        yaml = std::regex_replace(yaml, std::regex("^name: .*$", std::regex::multiline),
                                  "name: " + stem, std::regex_constants::format_first_only);
    }
    {
        std::ofstream out(cli.out);
        out << header(cli, result) << yaml;
        if (!out) {
            std::cerr << "fota-sim shrink: cannot write " << cli.out << "\n";
            return 2;
        }
    }
    // It must fail on its own: read back from the file, run with no option.
    const ScenarioReport check = run_scenario_file(cli.out, RunnerOptions{});
    bool same = false;
    for (const ExpectationResult& r : check.expectations) {
        same = same || (!r.passed && r.evaluated && failure_name(r.name) == result.target);
    }
    std::cout << "shrunk to " << cli.out << ": " << result.devices_after << " device(s), "
              << result.steps_after << " step(s), " << result.expectations_after
              << " expectation(s), " << result.image_bytes_after << " image bytes (" << result.runs
              << " runs)\n"
              << "  it fails on: " << result.target << "\n"
              << "  on its own: " << (same ? "yes" : "NO") << ": fota-sim run " << cli.out << "\n";
    return same ? 0 : 2;
}

void add_shrink_command(CLI::App& app) {
    auto cli = std::make_shared<ShrinkCommandOptions>();
    CLI::App* command = app.add_subcommand(
        "shrink", "Shrink a scenario that fails on the sim stack: remove steps, expectations, "
                  "devices, firmware and image bytes while it still fails the same way, and "
                  "write the smallest as a YAML file that fails on its own. Exit 0 (written), 2 "
                  "(the run does not fail, or bad input)");
    command->add_option("scenario", cli->file, "Scenario file (YAML)")->required();
    command->add_option("--seed", cli->seed, "The seed of the failing run");
    auto* cut =
        command
            ->add_option_function<std::string>(
                "--cut-at",
                [cli](const std::string& value) {
                    FlashCut parsed;
                    if (const std::string error = parse_cut_at(value, parsed); !error.empty()) {
                        throw CLI::ValidationError("--cut-at", error);
                    }
                    cli->cut = parsed;
                },
                "The failing run's power cut (fota-sim sweep prints it); written as the "
                "scenario's first step")
            ->type_name("N[:before|:torn]");
    command->add_option("--cut-device", cli->cut_device, "... its device (default: the first)")
        ->needs(cut);
    command
        ->add_option_function<std::string>("--cut-off-for",
                                           duration_flag("--cut-off-for", cli->cut_off_for),
                                           "... how long its power stays off (default 1s)")
        ->type_name("DURATION")
        ->needs(cut);
    command->add_flag("--invariants", cli->invariants,
                      "The failing run checked the update invariants (on with --cut-at)");
    command->add_option("-o,--output", cli->out,
                        "Where to write the smallest scenario (default <name>.shrunk.yaml here)");
    command->add_option("--max-runs", cli->max_runs, "Stop after this many runs")
        ->check(CLI::Range(1, 1'000'000))
        ->capture_default_str();
    command->callback([cli] {
        const int code = run_shrink(*cli);
        if (code != 0) {
            throw CLI::RuntimeError(code);
        }
    });
}

} // namespace

FOTA_REGISTER_COMMAND("shrink", add_shrink_command);

} // namespace fota::sim

#endif
