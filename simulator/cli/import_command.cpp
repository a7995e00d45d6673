// fota-sim import: AWS IoT logs and the job execution history of a field failure -> a scenario
// skeleton that reproduces the cloud side (simulator/import/README.md). The skeleton is checked
// with the scenario parser before it is written. Exit 0 written; 2 unreadable input (FILE:LINE:
// what is wrong), nothing to import, or a file that cannot be written.
#include "cli/command_registry.hpp"

#if __has_include("fota/sim/import.hpp")
#include "fota/sim/import.hpp"
#include "scenario/scenario_parser.hpp"

#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace fota::sim {
namespace {

struct ImportCommandOptions {
    std::vector<std::string> iot_logs;
    std::vector<std::string> executions;
    std::string thing;
    std::string output;
    std::string stack = "sim";
};

bool read_file(const std::string& path, std::string& text) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return false;
    }
    std::ostringstream content;
    content << in.rdbuf();
    text = content.str();
    return !in.bad();
}

int read_inputs(const ImportCommandOptions& cli, importer::FieldRecord& record) {
    for (const auto* files : {&cli.iot_logs, &cli.executions}) {
        for (const std::string& file : *files) {
            std::string text;
            if (!read_file(file, text)) {
                std::cerr << "fota-sim import: " << file << ": cannot read the file\n";
                return 2;
            }
            const auto problem = files == &cli.iot_logs
                                     ? importer::read_iot_log(text, file, record)
                                     : importer::read_executions(text, file, cli.thing, record);
            if (problem) {
                std::cerr << "fota-sim import: " << problem->to_string() << "\n";
                return 2;
            }
        }
    }
    return 0;
}

int run_import(const ImportCommandOptions& cli) {
    importer::FieldRecord record;
    if (const int code = read_inputs(cli, record); code != 0) {
        return code;
    }
    importer::ImportOptions options;
    options.thing = cli.thing;
    options.stack = cli.stack;
    options.log_files = cli.iot_logs;
    options.execution_files = cli.executions;
    if (!cli.output.empty()) {
        options.name = std::filesystem::path(cli.output).stem().string();
    }
    const importer::ImportResult result = importer::generate_scenario(record, options);
    for (const auto& note : result.notes) {
        std::cerr << "fota-sim import: note: " << note << "\n";
    }
    if (!result.ok()) {
        std::cerr << "fota-sim import: " << result.error << "\n";
        return 2;
    }
    const std::string name = cli.output.empty() ? "<stdout>" : cli.output;
    const ParseResult check = parse_scenario(result.yaml, name, ".");
    if (!check.ok()) {
        // A bug of the importer, never of the input: say so, and show what was generated.
        std::cerr << "fota-sim import: internal error: the generated scenario does not parse:\n";
        for (const auto& error : check.errors) {
            std::cerr << "  " << error.to_string() << "\n";
        }
        std::cerr << result.yaml;
        return 2;
    }
    if (cli.output.empty()) {
        std::cout << result.yaml;
        return 0;
    }
    std::ofstream out(cli.output, std::ios::binary);
    out << result.yaml;
    out.close();
    if (!out) {
        std::cerr << "fota-sim import: " << cli.output << ": cannot write the file\n";
        return 2;
    }
    std::cout << "wrote " << cli.output << ": " << result.devices << " device(s), " << result.jobs
              << " job(s), " << result.network_faults << " network fault(s), "
              << result.expectations << " field expectation(s); run it with: fota-sim run "
              << cli.output << "\n";
    return 0;
}

void add_import_command(CLI::App& app) {
    auto cli = std::make_shared<ImportCommandOptions>();
    CLI::App* command = app.add_subcommand(
        "import",
        "Turn a field failure's AWS IoT logs (AWSIotLogsV2: JSON lines, a JSON array, or aws "
        "logs filter-log-events output) and job execution history (aws iot describe-job-execution, "
        "aws iot-jobs-data describe-job-execution, aws iot list-job-executions-for-thing) into a "
        "scenario skeleton that reproduces the cloud side: one device per thing, a create_job per "
        "job, the disconnects as network faults with the log's spacing, the field's final "
        "statuses as expectations. Exit 0 written; 2 unreadable input (FILE:LINE: what is wrong) "
        "or nothing to import");
    command->add_option("--iot-logs", cli->iot_logs, "AWS IoT log files")
        ->type_name("FILE")
        ->required()
        ->expected(1, -1);
    command->add_option("--executions", cli->executions, "Job execution history files")
        ->type_name("FILE")
        ->expected(1, -1);
    command->add_option("--thing", cli->thing,
                        "Import only this thing; also the thing of list-job-executions-for-thing "
                        "output (which does not name it)");
    command->add_option("-o,--output", cli->output,
                        "Write the scenario here (its name is the file's stem); default stdout");
    command->add_option("--stack", cli->stack, "The scenario's stack")
        ->check(CLI::IsMember({"sim", "embedded"}));
    command->callback([cli] {
        const int code = run_import(*cli);
        if (code != 0) {
            throw CLI::RuntimeError(code);
        }
    });
}

} // namespace

FOTA_REGISTER_COMMAND("import", add_import_command);

} // namespace fota::sim

#endif
