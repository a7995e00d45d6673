// fota-sim fleet: a load test (fota/sim/fleet.hpp). N devices through one update on a stack,
// with per-phase latencies, errors and a timeline; a live progress line, a summary, JSON and HTML
// reports, Prometheus metrics while it runs. Exit code: 0 when the run ended (every device done
// or failed, or the job aborted) within its limits, 1 when a limit failed or the run timed out,
// 2 when it could not run (a bad flag, a stack that does not start) or was interrupted.
#include "cli/command_registry.hpp"

#if __has_include("fota/sim/fleet.hpp") && __has_include("fota/sim/sweep.hpp")
#include "cli/cli_options.hpp"
#include "cli/fleet_output.hpp"
#include "fota/sim/fleet.hpp"
#include "fota/sim/process_stats.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <iostream>
#include <memory>
#include <optional>
#include <string>

namespace fota::sim {
namespace {

using fleet::FleetOptions;
using fleet::FleetReport;

struct FleetCommandOptions {
    std::string stack = "embedded";
    std::string control_url;
    std::string mqtt_url;
    std::string object_url;
    std::string tls_dir; ///< the running stack's TLS folder (mqtts, https)
    std::string bucket = "firmware";
    std::string region; ///< --stack aws
    std::string profile = "seed";
    std::optional<std::chrono::milliseconds> timeout;
    std::vector<std::string> max_p99;
    std::optional<double> max_failure_rate;
    std::optional<double> abort_percent;
    std::string json;
    std::string html;
    std::uint16_t metrics_port = 0;
    bool metrics = false;
    std::string log_level = "off";
    bool progress_json = false;
};

// --max-p99 PHASE=DURATION into options; the error, or empty.
std::string parse_p99_limits(const std::vector<std::string>& limits, FleetOptions& options) {
    for (const std::string& limit : limits) {
        const auto equals = limit.find('=');
        const auto phase = fleet::phase_from_string(limit.substr(0, equals));
        const auto duration =
            equals == std::string::npos ? std::nullopt : parse_duration(limit.substr(equals + 1));
        if (!phase || !duration) {
            std::string phases;
            for (std::size_t p = 0; p < fleet::kPhaseCount; ++p) {
                phases += (p == 0 ? "" : ", ") +
                          std::string(fleet::to_string(static_cast<fleet::Phase>(p)));
            }
            return "--max-p99 '" + limit + "' must be PHASE=DURATION with PHASE one of " + phases +
                   " and DURATION " + std::string(kDurationForms);
        }
        options.max_p99.emplace_back(*phase, *duration);
    }
    return {};
}

// The stack from --stack or the three URLs; the error, or empty.
std::string stack_config(const FleetCommandOptions& cli, FleetOptions& options) {
    if (!cli.control_url.empty()) {
        options.stack.kind = StackKind::url;
        options.stack.control_url = cli.control_url;
        options.stack.mqtt_url = cli.mqtt_url;
        options.stack.object_url = cli.object_url;
        options.stack.tls_dir = cli.tls_dir;
        options.stack.bucket = cli.bucket;
        return {};
    }
    if (cli.stack == "sim") {
        options.stack.kind = StackKind::sim;
    } else if (cli.stack == "embedded" || cli.stack == "embedded-tls") {
        options.stack.kind = StackKind::embedded;
        options.stack.tls = cli.stack == "embedded-tls";
    } else if (cli.stack == "aws") {
        options.stack.kind = StackKind::aws;
        options.stack.bucket = cli.bucket;
        options.stack.region = cli.region;
    } else {
        return "--stack must be embedded, embedded-tls, sim or aws (or give --control-url, "
               "--mqtt-url and --object-url for a running stack)";
    }
    if (!cli.region.empty() && options.stack.kind != StackKind::aws) {
        return "--region needs --stack aws";
    }
    return {};
}

int run_fleet_command(const FleetCommandOptions& cli, FleetOptions options) {
    if (const std::string error = stack_config(cli, options); !error.empty()) {
        std::cerr << "fota-sim fleet: " << error << "\n";
        return 2;
    }
    if (const std::string error = parse_p99_limits(cli.max_p99, options); !error.empty()) {
        std::cerr << "fota-sim fleet: " << error << "\n";
        return 2;
    }
    spdlog::set_level(spdlog::level::from_str(cli.log_level));
    options.verified = cli.profile == "verified";
    options.max_failure_rate = cli.max_failure_rate.value_or(0.0);
    options.abort_threshold_percent = cli.abort_percent;
    if (cli.timeout) {
        options.timeout = *cli.timeout;
    }
    std::optional<InterruptScope> interrupts;
    interrupts.emplace();
    options.interrupted = &InterruptScope::flag();
    options.stack_options.interrupted = &InterruptScope::flag();
    options.stack_options.seed = options.seed;

    if (options.workers == 0) {
        options.workers =
            options.stack.kind == StackKind::embedded && options.shard_count == 1
                ? fleet::default_workers(options.count, static_cast<unsigned>(std::max(
                                                            1L, sysconf(_SC_NPROCESSORS_ONLN))))
                : 1;
    }
    // Descriptors: a device of this process holds up to four (MQTT, an HTTP connection and
    // libcurl's wake-up pair) and the in-process object server one; with workers, this process
    // holds only the object server's and Mosquitto (which inherits the limit) one a device plus
    // its short-lived shadow connections.
    const auto [first, last] =
        fleet::shard_range(options.count, options.shard_index, options.shard_count);
    const std::uint64_t devices = last - first;
    const std::uint64_t wanted = (options.workers > 1 ? devices + devices / 2 : 5 * devices) + 1024;
    if (const std::uint64_t limit = raise_open_file_limit(wanted); limit < wanted) {
        std::cerr << "fota-sim fleet: warning: " << devices << " devices need about " << wanted
                  << " open files and the limit is " << limit
                  << " (ulimit -n); devices past it will fail to connect\n";
    }
    cli::FleetOutput output(isatty(STDERR_FILENO) != 0 && !cli.progress_json, cli.html, cli.metrics,
                            cli.metrics_port);
    options.on_progress = [&output, &cli](const FleetReport& report, bool final) {
        if (cli.progress_json) {
            if (!final) {
                std::cout << report.to_json().dump(-1, ' ', false,
                                                   nlohmann::json::error_handler_t::replace)
                          << std::endl;
            }
            return;
        }
        output.progress(report, final);
    };
    std::cerr << "fota-sim fleet: " << options.count << " device(s) on the "
              << (options.stack.kind == StackKind::url ? "url" : cli.stack) << " stack, image "
              << options.image_size << " bytes, profile " << cli.profile
              << (options.workers > 1 ? ", " + std::to_string(options.workers) + " workers" : "")
              << " ...\n";
    FleetReport report;
    try {
        output.start();
        report = fleet::run_fleet(options);
    } catch (const std::exception& e) {
        output.clear();
        std::cerr << "fota-sim fleet: " << e.what() << "\n";
        return 2;
    }
    interrupts.reset();
    (cli.progress_json ? std::cerr : std::cout) << fleet::summary_text(report);
    if (!output.write_reports(report, cli.json)) {
        return 2;
    }
    if (report.stopped_by == "interrupted") {
        return 2;
    }
    return report.limits_passed() && report.stopped_by != "timeout" ? 0 : 1;
}

// The fleet, its stack and its devices.
void add_fleet_flags(CLI::App* command, FleetCommandOptions& cli, FleetOptions& options) {
    command->add_option("--count", options.count, "Devices of the whole fleet")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100'000}))
        ->capture_default_str();
    command
        ->add_option("--stack", cli.stack,
                     "embedded (a private Mosquitto and object server), embedded-tls, sim "
                     "(virtual time) or aws (an AWS account as the AWS CLI finds it, or a local "
                     "stack through AWS_ENDPOINT_URL; one process, AWS's API rates apply)")
        ->capture_default_str();
    auto* control = command->add_option("--control-url", cli.control_url,
                                        "A running stack (fota-sim cloud): its control plane");
    auto* mqtt = command->add_option("--mqtt-url", cli.mqtt_url,
                                     "... its broker (mqtt://H:P; mqtts://H:P needs --tls-dir)");
    auto* objects = command->add_option("--object-url", cli.object_url,
                                        "... its object server (http(s)://H:P)");
    auto* tls_dir = command
                        ->add_option("--tls-dir", cli.tls_dir,
                                     "... its TLS folder (fota-sim cloud --tls prints it): CA, "
                                     "things' certificates, the credentials to sign with")
                        ->check(CLI::ExistingDirectory);
    control->needs(mqtt)->needs(objects);
    mqtt->needs(control);
    objects->needs(control);
    tls_dir->needs(control);
    command
        ->add_option("--bucket", cli.bucket,
                     "The object server's bucket (with --object-url), or the S3 bucket (--stack "
                     "aws)")
        ->capture_default_str();
    command->add_option("--region", cli.region, "--stack aws: the region (default: AWS_REGION)");
    command->add_option("--thing-prefix", options.thing_prefix, "Things are PREFIX<index>")
        ->capture_default_str();
    command
        ->add_option("--rate", options.rate,
                     "Devices started per second (0: all at once); the job comes once all are "
                     "connected")
        ->check(CLI::Range(0.0, 1e6))
        ->capture_default_str();
    command->add_option("--image-size", options.image_size, "Bytes of each firmware image")
        ->check(CLI::Range(std::uint64_t{4096}, std::uint64_t{400 * 1024}))
        ->capture_default_str();
    command->add_option("--profile", cli.profile, "Core profile: seed or verified")
        ->check(CLI::IsMember({"seed", "verified"}))
        ->capture_default_str();
    command->add_option("--seed", options.seed, "Seed of the devices and the images")
        ->capture_default_str();
    command
        ->add_option("--failing", options.failing_percent,
                     "Percent of devices whose update fails (their secondary slot cannot be "
                     "erased), spread evenly")
        ->check(CLI::Range(0.0, 100.0));
    command
        ->add_option("--workers", options.workers,
                     "Worker processes running the devices against the embedded stack (0: one "
                     "per " +
                         std::to_string(fleet::kDevicesPerWorker) + " devices, at most " +
                         std::to_string(fleet::kWorkersPerCore) + " per core)")
        ->check(CLI::Range(0u, 256u))
        ->capture_default_str();
    command->add_option("--shard-index", options.shard_index,
                        "Run only this shard's devices (of --shard-count) and a job of its own");
    command->add_option("--shard-count", options.shard_count, "Shards of the fleet")
        ->check(CLI::Range(1u, 10'000u));
    command->add_option("--run-id", options.run_id,
                        "Names the run and its jobs (shards of one run share it)");
    command->add_option("--work-dir", options.work_dir,
                        "The run's folder (default: a temp one, removed after the run)");
    command
        ->add_option("--broker-env", options.stack_options.broker_environment,
                     "NAME=VALUE for the embedded stack's Mosquitto (repeatable; e.g. a "
                     "sanitizer's LD_PRELOAD)")
        ->type_name("NAME=VALUE");
    command
        ->add_option("--threads", options.stack_options.threads,
                     "Threads running the devices (real-time stacks)")
        ->check(CLI::Range(1u, 64u))
        ->capture_default_str();
    add_mqtt_client_option(command, options.stack_options.mqtt_client);
}

// The job: when, its rollout and abort configs; and when the run stops.
void add_job_flags(CLI::App* command, FleetCommandOptions& cli, FleetOptions& options) {
    command->add_flag("--job-first", options.job_first,
                      "Create the job before the devices start (they find it at boot)");
    command
        ->add_option("--max-per-minute", options.maximum_per_minute,
                     "Job rollout: jobExecutionsRolloutConfig.maximumPerMinute (1..1000)")
        ->check(CLI::Range(1u, 1000u));
    command
        ->add_option("--abort-percent", cli.abort_percent,
                     "Job abortConfig: cancel the job once this % of executions FAILED")
        ->check(CLI::Range(0.0, 100.0));
    command
        ->add_option("--abort-min", options.abort_min_executed,
                     "abortConfig minNumberOfExecutedThings")
        ->capture_default_str();
    command
        ->add_option_function<std::string>("--timeout", duration_flag("--timeout", cli.timeout),
                                           "Stop the run after this long (default 30m)")
        ->type_name("DURATION");
}

// Limits and outputs.
void add_output_flags(CLI::App* command, FleetCommandOptions& cli) {
    command
        ->add_option("--max-failure-rate", cli.max_failure_rate,
                     "Exit 1 when more than this fraction (0..1) of devices did not end with "
                     "the update done (default 0)")
        ->check(CLI::Range(0.0, 1.0));
    command
        ->add_option("--max-p99", cli.max_p99,
                     "Exit 1 when a phase's p99 is above DURATION (PHASE=DURATION, repeatable; "
                     "phases: connect, job_received, first_byte, download, apply, reboot, "
                     "confirmed, end_to_end)")
        ->type_name("PHASE=DURATION");
    command
        ->add_option("--log-level", cli.log_level,
                     "Device logs: trace, debug, info, warn, error, off")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
        ->capture_default_str();
    command->add_option("--json", cli.json, "Write the JSON report here");
    command->add_option("--html", cli.html, "Write the HTML report here");
    command
        ->add_option_function<std::uint16_t>(
            "--metrics-port",
            [&cli](std::uint16_t port) {
                cli.metrics = true;
                cli.metrics_port = port;
            },
            "Serve Prometheus metrics on 127.0.0.1:PORT/metrics while running (0: pick one; "
            "printed)")
        ->type_name("PORT");
    // A worker of --workers: its snapshot as one JSON line a second on stdout, for the process
    // that started it; the summary goes to stderr.
    command->add_flag("--progress-json", cli.progress_json)->group("");
}

void add_fleet_command(CLI::App& app) {
    auto cli = std::make_shared<FleetCommandOptions>();
    auto options = std::make_shared<FleetOptions>();
    CLI::App* command = app.add_subcommand(
        "fleet", "Load test: N devices through one update on a stack, with per-phase latencies "
                 "(p50/p90/p99/max), errors and a timeline; JSON and HTML reports, Prometheus "
                 "metrics while running; exit 1 past a limit");
    options->workers = 0; // chosen from the cores and the count unless given
    add_fleet_flags(command, *cli, *options);
    add_job_flags(command, *cli, *options);
    add_output_flags(command, *cli);
    command->callback([cli, options] {
        const int code = run_fleet_command(*cli, *options);
        if (code != 0) {
            throw CLI::RuntimeError(code);
        }
    });
}

} // namespace

FOTA_REGISTER_COMMAND("fleet", add_fleet_command);

} // namespace fota::sim

#endif
