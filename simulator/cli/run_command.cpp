// fota-sim run: runs scenario files (scenarios/*.yaml) on the embedded local stack (or, with
// --control-url/--mqtt-url/--object-url, on a running one) and writes JUnit XML, a JSON report
// and a terminal summary. Exit code: 0 when every scenario passed, 1 when
// an expectation failed, 2 when a scenario could not be run (see scenarios/README.md).
#include "cli/command_registry.hpp"

#if __has_include("fota/sim/scenario_runner.hpp")
#include "fota/sim/scenario_runner.hpp"

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace fota::sim {
namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int /*signal*/) {
    g_interrupted = true;
}

struct RunCommandOptions {
    std::vector<std::string> files;
    std::uint64_t seed = 0;
    bool seed_given = false;
    std::string junit;
    std::string json;
    std::string plugin;
    std::string mosquitto = "mosquitto";
    std::vector<std::string> broker_environment;
    unsigned threads = 2;
    bool verbose = false;
    std::string stack;       ///< "embedded" or "sim": overrides every file's stack
    std::string control_url; ///< with mqtt_url and object_url: a running stack for every file
    std::string mqtt_url;
    std::string object_url;
    std::string bucket;
};

bool write_file(const std::string& path, const std::string& what,
                const std::function<void(std::ostream&)>& write) {
    std::ofstream out(path);
    if (out) {
        write(out);
    }
    if (!out) {
        std::cerr << "fota-sim run: cannot write the " << what << " to " << path << "\n";
        return false;
    }
    return true;
}

int run_files(const RunCommandOptions& cli) {
    struct sigaction action {};
    action.sa_handler = &on_interrupt;
    sigemptyset(&action.sa_mask);
    struct sigaction old_int {};
    struct sigaction old_term {};
    sigaction(SIGINT, &action, &old_int);
    sigaction(SIGTERM, &action, &old_term);

    RunnerOptions options;
    options.plugin = cli.plugin;
    options.mosquitto = cli.mosquitto;
    options.broker_environment = cli.broker_environment;
    if (cli.seed_given) {
        options.seed = cli.seed;
    }
    options.threads = cli.threads;
    options.verbose = cli.verbose;
    if (!cli.stack.empty()) {
        StackConfig stack;
        stack.kind = cli.stack == "sim" ? StackKind::sim : StackKind::embedded;
        options.stack = stack;
    }
    if (!cli.control_url.empty()) {
        StackConfig stack;
        stack.kind = StackKind::url;
        stack.control_url = cli.control_url;
        stack.mqtt_url = cli.mqtt_url;
        stack.object_url = cli.object_url;
        stack.bucket = cli.bucket;
        options.stack = stack;
    }
    options.interrupted = &g_interrupted;

    std::vector<ScenarioReport> reports;
    for (const std::string& file : cli.files) {
        if (g_interrupted) {
            break;
        }
        std::cerr << "fota-sim run: " << file << " ...\n";
        reports.push_back(run_scenario_file(file, options));
    }
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);

    write_terminal_summary(std::cout, reports, isatty(STDOUT_FILENO) != 0);
    bool written = true;
    if (!cli.junit.empty()) {
        written = write_file(cli.junit, "JUnit XML",
                             [&](std::ostream& out) { write_junit_xml(out, reports); }) &&
                  written;
    }
    if (!cli.json.empty()) {
        written = write_file(cli.json, "JSON report",
                             [&](std::ostream& out) { write_json_report(out, reports); }) &&
                  written;
    }
    const int code = exit_code(reports);
    return code == 0 && !written ? 2 : code;
}

void add_run_command(CLI::App& app) {
    auto cli = std::make_shared<RunCommandOptions>();
    CLI::App* command = app.add_subcommand(
        "run", "Run scenario files on the embedded local stack (private Mosquitto with the fota "
               "plugin, object server in process) or on a running one (--control-url, "
               "--mqtt-url, --object-url); JUnit XML, JSON report, exit code 0/1/2");
    command->add_option("scenarios", cli->files, "Scenario files (YAML)")->required();
    auto* seed = command->add_option("--seed", cli->seed, "Override every scenario's seed");
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
    command->add_flag("--verbose", cli->verbose, "Print the devices' log lines to stderr");
    auto* stack = command
                      ->add_option("--stack", cli->stack,
                                   "Run every file on this stack instead of its own: embedded "
                                   "(private Mosquitto, real time) or sim (one thread, virtual "
                                   "time, reproducible from the seed)")
                      ->check(CLI::IsMember({"embedded", "sim"}));
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
    auto* mqtt =
        command->add_option("--mqtt-url", cli->mqtt_url, "... its broker, mqtt://host:port")
            ->check(url(" mqtt tcp "));
    auto* objects =
        command
            ->add_option("--object-url", cli->object_url, "... its object server, http://host:port")
            ->check(url(" http "));
    command
        ->add_option("--bucket", cli->bucket,
                     "... the object server's bucket for the images (default firmware)")
        ->needs(control);
    control->needs(mqtt)->needs(objects)->excludes(stack);
    mqtt->needs(control);
    objects->needs(control);
    command->callback([cli, seed] {
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
