// fota-sim run: runs scenario files (scenarios/*.yaml) on their stack (embedded or sim; --stack
// overrides it; --control-url/--mqtt-url/--object-url: a running one), once or once per seed of
// --seeds, and writes JUnit XML, a JSON report and a terminal summary. Exit code: 0 when every
// scenario passed, 1 when an expectation failed, 2 when a scenario could not be run (see
// scenarios/README.md).
#include "cli/command_registry.hpp"

#if __has_include("fota/sim/scenario_runner.hpp")
#include "cli/cli_options.hpp"
#include "fota/sim/scenario_runner.hpp"

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fota::sim {
namespace {

struct RunCommandOptions {
    std::vector<std::string> files;
    std::uint64_t seed = 0;
    bool seed_given = false;
    std::string seeds; ///< "A..B": run each file once per seed A to B
    std::uint64_t first_seed = 0;
    std::uint64_t last_seed = 0;
    std::string junit;
    std::string json;
    std::string plugin;
    std::string mosquitto = "mosquitto";
    std::vector<std::string> broker_environment;
    unsigned threads = 2;
    MqttImplementation mqtt_client = MqttImplementation::paho;
    bool verbose = false;
    std::string stack;       ///< "embedded", "embedded-tls" or "sim": overrides every file's stack
    std::string control_url; ///< with mqtt_url and object_url: a running stack for every file
    std::string mqtt_url;
    std::string object_url;
    std::string tls_dir; ///< the running stack's TLS folder (mqtts, https)
    std::string bucket;
    std::string region;          ///< --stack aws
    std::string role_arn;        ///< --stack aws
    std::string record_dir;      ///< record every device's core here (fota-sim replay)
    std::optional<FlashCut> cut; ///< --cut-at (with --cut-device, --cut-off-for)
    std::string cut_device;
    std::optional<std::chrono::milliseconds> cut_off_for;
    bool invariants = false;
    std::optional<std::chrono::milliseconds> settle;
};

/// "A..B" with A <= B and at most kMaxSeeds seeds; the error message, or empty.
constexpr std::uint64_t kMaxSeeds = 1'000'000;

std::string parse_seed_range(const std::string& text, std::uint64_t& first, std::uint64_t& last) {
    if (!parse_range(text, 0, first, last)) {
        const auto dots = text.find("..");
        std::uint64_t a = 0;
        std::uint64_t b = 0;
        return dots != std::string::npos &&
                       parse_range(text.substr(dots + 2) + ".." + text.substr(0, dots), 0, a, b)
                   ? "FIRST must not be greater than LAST"
                   : "must be FIRST..LAST, two unsigned numbers (e.g. 1..500)";
    }
    if (last - first >= kMaxSeeds) {
        return "at most " + std::to_string(kMaxSeeds) + " seeds per run";
    }
    return {};
}

/// Runs `file` once per seed of cli's range; prints each failing seed with its reproduce
/// command as it happens, then how many passed.
void sweep_seeds(const std::string& file, const RunCommandOptions& cli, RunnerOptions options,
                 std::vector<ScenarioReport>& reports) {
    std::cerr << "fota-sim run: " << file << " over seeds " << cli.seeds << " ...\n";
    std::uint64_t runs = 0;
    std::uint64_t passed = 0;
    for (std::uint64_t seed = cli.first_seed; !InterruptScope::flag(); ++seed) {
        options.seed = seed;
        ScenarioReport report = run_scenario_file(file, options);
        ++runs;
        if (report.outcome == Outcome::passed) {
            ++passed;
        } else {
            std::cerr << "  seed " << seed << ": " << to_string(report.outcome)
                      << "  reproduce: " << reproduce_command(report) << "\n";
        }
        report.name += " [seed " + std::to_string(seed) + "]";
        reports.push_back(std::move(report));
        if (seed == cli.last_seed) {
            break;
        }
    }
    std::cerr << "fota-sim run: " << file << ": " << runs << " seeds run, " << passed << " passed, "
              << runs - passed << " did not\n";
}

int run_files(const RunCommandOptions& cli) {
    std::optional<InterruptScope> interrupts;
    interrupts.emplace();

    RunnerOptions options;
    options.plugin = cli.plugin;
    options.mosquitto = cli.mosquitto;
    options.broker_environment = cli.broker_environment;
    if (cli.seed_given) {
        options.seed = cli.seed;
    }
    options.threads = cli.threads;
    options.mqtt_client = cli.mqtt_client;
    options.verbose = cli.verbose;
    if (!cli.stack.empty()) {
        StackConfig stack;
        stack.kind = cli.stack == "sim"   ? StackKind::sim
                     : cli.stack == "aws" ? StackKind::aws
                                          : StackKind::embedded;
        stack.tls = cli.stack == "embedded-tls";
        if (stack.kind == StackKind::aws) {
            stack.bucket = cli.bucket;
            stack.region = cli.region;
            stack.role_arn = cli.role_arn;
        }
        options.stack = stack;
    }
    if (!cli.control_url.empty()) {
        StackConfig stack;
        stack.kind = StackKind::url;
        stack.control_url = cli.control_url;
        stack.mqtt_url = cli.mqtt_url;
        stack.object_url = cli.object_url;
        stack.tls_dir = cli.tls_dir;
        stack.bucket = cli.bucket;
        options.stack = stack;
    }
    options.interrupted = &InterruptScope::flag();
    options.record_dir = cli.record_dir;
    if (cli.cut) {
        FlashCut cut = *cli.cut;
        cut.thing = cli.cut_device;
        if (cli.cut_off_for) {
            cut.off_for = *cli.cut_off_for;
        }
        options.flash_cut = cut;
    }
    options.update_invariants = cli.invariants || cli.cut.has_value();
    if (cli.settle) {
        options.settle = *cli.settle;
    }
    if (!cli.record_dir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(cli.record_dir, ec);
        if (ec) {
            std::cerr << "fota-sim run: cannot create the folder " << cli.record_dir << ": "
                      << ec.message() << "\n";
            return 2;
        }
    }

    std::vector<ScenarioReport> reports;
    for (const std::string& file : cli.files) {
        if (InterruptScope::flag()) {
            break;
        }
        if (!cli.seeds.empty()) {
            sweep_seeds(file, cli, options, reports);
            continue;
        }
        std::cerr << "fota-sim run: " << file << " ...\n";
        reports.push_back(run_scenario_file(file, options));
    }
    interrupts.reset();

    write_terminal_summary(std::cout, reports, isatty(STDOUT_FILENO) != 0);
    bool written = true;
    if (!cli.junit.empty()) {
        written = write_output_file("fota-sim run", cli.junit, "JUnit XML",
                                    [&](std::ostream& out) { write_junit_xml(out, reports); }) &&
                  written;
    }
    if (!cli.json.empty()) {
        written = write_output_file("fota-sim run", cli.json, "JSON report",
                                    [&](std::ostream& out) { write_json_report(out, reports); }) &&
                  written;
    }
    const int code = exit_code(reports);
    return code == 0 && !written ? 2 : code;
}

// --cut-at and what goes with it: one power cut at a flash operation, the update invariants.
void add_cut_options(CLI::App& command, const std::shared_ptr<RunCommandOptions>& cli) {
    auto* cut =
        command
            .add_option_function<std::string>(
                "--cut-at",
                [cli](const std::string& value) {
                    FlashCut parsed;
                    const std::string error = parse_cut_at(value, parsed);
                    if (!error.empty()) {
                        throw CLI::ValidationError("--cut-at", error);
                    }
                    cli->cut = parsed;
                },
                "Cut the power at this flash operation of one device (counted from its first "
                "power-on; 'torn': in the operation's middle), then check the update invariants "
                "(fota-sim sweep prints these for its failures)")
            ->type_name("N[:before|:torn]");
    command
        .add_option("--cut-device", cli->cut_device,
                    "The device --cut-at cuts (default: the scenario's first)")
        ->type_name("THING")
        ->needs(cut);
    command
        .add_option_function<std::string>("--cut-off-for",
                                          duration_flag("--cut-off-for", cli->cut_off_for),
                                          "How long --cut-at keeps the power off (default 1s)")
        ->type_name("DURATION")
        ->needs(cut);
    command.add_flag("--invariants", cli->invariants,
                     "After the expectations, let the updates settle and check what no power cut "
                     "may break: every device boots a valid image, ends confirmed on its old "
                     "image or a job's, its last job agrees with the image, nothing is left "
                     "in progress (on with --cut-at)");
    command
        .add_option_function<std::string>(
            "--settle", duration_flag("--settle", cli->settle),
            "With --invariants or --cut-at: how long the updates may take to settle (default "
            "30m, on the stack's clock)")
        ->type_name("DURATION");
}

// --bucket (a running stack's or stack aws's), --region and --role-arn (stack aws).
void add_bucket_and_aws_options(CLI::App& command, const std::shared_ptr<RunCommandOptions>& cli) {
    command.add_option("--bucket", cli->bucket,
                       "The bucket for the images: with --control-url the object server's "
                       "(default firmware); with --stack aws an S3 bucket of the account "
                       "(required; the run's images go under fota-sim/<run id>/)");
    command.add_option("--region", cli->region,
                       "--stack aws: the region (default: AWS_REGION, or the profile's)");
    command.add_option("--role-arn", cli->role_arn,
                       "--stack aws: the IAM role AWS IoT presigns S3 URLs with for jobs "
                       "that use presignedUrlConfig (default: the runner presigns them)");
}

// --control-url, --mqtt-url, --object-url and --tls-dir: a running stack for every file.
void add_url_stack_options(CLI::App& app, RunCommandOptions& options, CLI::Option* stack) {
    CLI::App* command = &app;
    RunCommandOptions* cli = &options;
    const auto url = [](const char* schemes) {
        return CLI::Validator(
            [schemes](std::string& value) {
                const auto end = value.find("://");
                if (end == std::string::npos || end + 3 >= value.size() ||
                    std::string(schemes).find(" " + value.substr(0, end) + " ") ==
                        std::string::npos) {
                    return std::string("must be a URL with a host, scheme one of:") + schemes;
                }
                return std::string();
            },
            "URL");
    };
    auto* control = command
                        ->add_option("--control-url", cli->control_url,
                                     "Run on a running stack (e.g. fota-sim cloud): its control "
                                     "plane, http://host:port")
                        ->check(url(" http https "));
    auto* mqtt = command
                     ->add_option("--mqtt-url", cli->mqtt_url,
                                  "... its broker, mqtt://host:port (mqtts:// needs --tls-dir)")
                     ->check(url(" mqtt tcp mqtts ssl "));
    auto* objects = command
                        ->add_option("--object-url", cli->object_url,
                                     "... its object server, http(s)://host:port")
                        ->check(url(" http https "));
    auto* tls_dir =
        command
            ->add_option("--tls-dir", cli->tls_dir,
                         "... its TLS folder (fota-sim cloud --tls prints it): the CA trusted for "
                         "mqtts and https and signing each thing's certificate, the credentials "
                         "the runner signs its calls with")
            ->check(CLI::ExistingDirectory);
    control->needs(mqtt)->needs(objects)->excludes(stack);
    mqtt->needs(control);
    objects->needs(control);
    tls_dir->needs(control);
}

void add_run_command(CLI::App& app) {
    auto cli = std::make_shared<RunCommandOptions>();
    CLI::App* command = app.add_subcommand(
        "run", "Run scenario files on the stack each file names (embedded: a private Mosquitto "
               "with the fota plugin and the object server in process; sim: the deterministic "
               "simulation in virtual time), on the one --stack names, or on a running one "
               "(--control-url, --mqtt-url, --object-url); JUnit XML, JSON report, exit code "
               "0/1/2");
    command->add_option("scenarios", cli->files, "Scenario files (YAML)")->required();
    auto* seed = command->add_option("--seed", cli->seed, "Override every scenario's seed");
    command
        ->add_option("--seeds", cli->seeds,
                     "FIRST..LAST: run every file once per seed (best with --stack sim) and "
                     "list the seeds that fail, each with its reproduce command")
        ->check(CLI::Validator(
            [cli](std::string& value) {
                return parse_seed_range(value, cli->first_seed, cli->last_seed);
            },
            "FIRST..LAST"))
        ->excludes(seed);
    command->add_option("--junit", cli->junit, "Write JUnit XML here");
    command->add_option("--json", cli->json, "Write the JSON report here");
    command->add_option("--plugin", cli->plugin,
                        "Path of libfota_mosquitto_plugin.so (default: $FOTA_MOSQUITTO_PLUGIN, "
                        "then next to fota-sim)");
    command->add_option("--mosquitto", cli->mosquitto, "The broker executable")
        ->capture_default_str();
    command->add_option("--broker-env", cli->broker_environment,
                        "NAME=value added to the broker's environment (repeatable)");
    command->add_option("--threads", cli->threads, "Threads running the devices")
        ->check(CLI::Range(1u, 64u))
        ->capture_default_str();
    add_mqtt_client_option(command, cli->mqtt_client);
    command->add_flag("--verbose", cli->verbose, "Print the devices' log lines to stderr");
    command
        ->add_option("--record", cli->record_dir,
                     "Record every device's core (inputs, port calls and their results) to "
                     "DIR/<thing>.jsonl, for fota-sim replay; with several files or --seeds "
                     "the last run's recordings stay")
        ->type_name("DIR");
    add_cut_options(*command, cli);
    auto* stack = command
                      ->add_option("--stack", cli->stack,
                                   "Run every file on this stack instead of its own: embedded "
                                   "(private Mosquitto, real time), embedded-tls (the same, "
                                   "MQTT over TLS with a certificate per thing), sim (one "
                                   "thread, virtual time, reproducible from the seed) or aws "
                                   "(an AWS account: credentials, region and endpoints as the "
                                   "AWS CLI finds them; needs --bucket)")
                      ->check(CLI::IsMember({"embedded", "embedded-tls", "sim", "aws"}));
    add_url_stack_options(*command, *cli, stack);
    add_bucket_and_aws_options(*command, cli);
    command->callback([cli, seed] {
        if (!cli->bucket.empty() && cli->control_url.empty() && cli->stack != "aws") {
            throw CLI::ValidationError("--bucket", "needs --control-url or --stack aws");
        }
        if ((!cli->region.empty() || !cli->role_arn.empty()) && cli->stack != "aws") {
            throw CLI::ValidationError("--region and --role-arn", "need --stack aws");
        }
        if (cli->stack == "aws" && cli->bucket.empty()) {
            throw CLI::ValidationError("--stack aws", "needs --bucket (an S3 bucket of the "
                                                      "account for the images)");
        }
        cli->seed_given = seed->count() > 0;
        const int code = run_files(*cli);
        if (code != 0) {
            throw CLI::RuntimeError(code);
        }
    });
}

} // namespace

FOTA_REGISTER_COMMAND("run", add_run_command);

} // namespace fota::sim

#endif
