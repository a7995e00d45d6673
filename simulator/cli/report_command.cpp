// fota-sim report merge: the JSON reports of a fleet's shards (Kubernetes pods, or processes run
// by hand with --shard-index) as one report: counts and histogram buckets added, never averaged.
// Exit code: 0 merged, 2 when a file cannot be read or the reports do not belong together.
#include "cli/command_registry.hpp"

#if __has_include("fota/sim/fleet_report.hpp")
#include "cli/fleet_output.hpp"
#include "fota/sim/fleet_report.hpp"

#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace fota::sim {
namespace {

struct MergeOptions {
    std::vector<std::string> files;
    std::string json;
    std::string html;
};

// One shard's report; nullopt after saying on stderr what is wrong with the file.
std::optional<fleet::FleetReport> read_report(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        std::cerr << "fota-sim report merge: cannot read " << file << "\n";
        return std::nullopt;
    }
    const nlohmann::json value = nlohmann::json::parse(in, nullptr, false);
    if (value.is_discarded()) {
        std::cerr << "fota-sim report merge: " << file << ": not JSON\n";
        return std::nullopt;
    }
    std::string error;
    auto report = fleet::FleetReport::from_json(value, error);
    if (!report) {
        std::cerr << "fota-sim report merge: " << file << ": " << error << "\n";
    }
    return report;
}

int run_merge(const MergeOptions& cli) {
    std::vector<fleet::FleetReport> shards;
    for (const std::string& file : cli.files) {
        auto report = read_report(file);
        if (!report) {
            return 2;
        }
        shards.push_back(std::move(*report));
    }
    std::string error;
    const auto merged = fleet::merge_reports(shards, error);
    if (!merged) {
        std::cerr << "fota-sim report merge: " << error << "\n";
        return 2;
    }
    std::cout << fleet::summary_text(*merged);
    cli::FleetOutput output(false, cli.html, false, 0);
    return output.write_reports(*merged, cli.json) ? 0 : 2;
}

void add_report_command(CLI::App& app) {
    CLI::App* command = app.add_subcommand("report", "Work with fleet reports");
    command->require_subcommand(1);
    auto cli = std::make_shared<MergeOptions>();
    CLI::App* merge = command->add_subcommand(
        "merge", "Merge the JSON reports of a fleet's shards into one (counts and histograms "
                 "added, not averaged); prints its summary");
    merge->add_option("files", cli->files, "Shard reports (fota-sim fleet --json)")
        ->required()
        ->check(CLI::ExistingFile);
    merge->add_option("--json", cli->json, "Write the merged JSON report here");
    merge->add_option("--html", cli->html, "Write the merged HTML report here");
    merge->callback([cli] {
        const int code = run_merge(*cli);
        if (code != 0) {
            throw CLI::RuntimeError(code);
        }
    });
}

} // namespace

FOTA_REGISTER_COMMAND("report", add_report_command);

} // namespace fota::sim

#endif
