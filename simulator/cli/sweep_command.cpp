// fota-sim sweep: a power-cut sweep over a whole update (fota/sim/sweep.hpp). Counts the flash
// operations one device makes in a clean run of the scenario on the sim stack, then cuts the
// power before and in the middle of each, and checks that the update survives: the device boots a
// valid image, ends confirmed on the old or the new one, its job agrees with the image, nothing is
// left in progress. Exit code: 0 when every case passed, 1 when one failed, 2 when the sweep could
// not be run (a bad file or flag, a clean run that does not pass).
#include "cli/command_registry.hpp"

#if __has_include("fota/sim/sweep.hpp")
#include "cli/cli_options.hpp"
#include "fota/sim/sweep.hpp"
#include "scenario/scenario_parser.hpp"

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

namespace fota::sim {
namespace {

struct SweepCommandOptions {
    std::string file;
    std::optional<std::uint64_t> seed;
    std::string device;
    std::string ops; ///< "A..B"
    std::string mode = "both";
    std::optional<std::chrono::milliseconds> off_for;
    std::optional<std::chrono::milliseconds> settle;
    unsigned jobs = 0;
    bool strict = false;
    std::string json;
    std::size_t show = 20;
};

/// "A..B" (1 <= A <= B) into options; the error, or empty.
std::string parse_ops(const std::string& text, SweepOptions& options) {
    if (!parse_range(text, 1, options.first_operation, options.last_operation)) {
        return "--ops must be FIRST..LAST with 1 <= FIRST <= LAST (e.g. 1..200)";
    }
    return {};
}

std::string case_name(const SweepCase& c) {
    return "op " + std::to_string(c.operation) + (c.torn ? " torn" : " before");
}

class Progress {
public:
    explicit Progress(bool terminal) : terminal_(terminal) {}

    void operator()(const SweepCase& c, std::size_t done, std::size_t planned) {
        // Once Ctrl-C is pressed, the cases it cut short are not failures.
        if ((c.verdict == CaseVerdict::failed || c.verdict == CaseVerdict::error) &&
            !InterruptScope::flag()) {
            ++failed_;
            clear();
            std::cerr << "  " << to_string(c.verdict) << ": " << case_name(c) << ": " << c.detail
                      << "\n    reproduce: " << c.reproduce << "\n";
        }
        if (terminal_) {
            std::cerr << "\r  " << done << "/" << planned << " cases, " << failed_
                      << " failed or in error" << std::flush;
            shown_ = true;
        } else if (done * 10 / planned != (done - 1) * 10 / planned || done == planned) {
            std::cerr << "  " << done << "/" << planned << " cases, " << failed_
                      << " failed or in error\n";
        }
    }
    void clear() {
        if (shown_) {
            std::cerr << "\r\033[K";
            shown_ = false;
        }
    }

private:
    bool terminal_;
    bool shown_ = false;
    std::size_t failed_ = 0;
};

// The sweep's outcome on stdout; returns the exit code.
int print_summary(const SweepReport& report, const Scenario& scenario,
                  const SweepCommandOptions& cli, const SweepOptions& options) {
    int code = 0;
    if (report.clean.outcome != Outcome::passed) {
        std::cout << "sweep: the clean run (no cut) did not pass, so no cut was tried: "
                  << (report.clean.outcome == Outcome::error ? report.clean.error : "");
        for (const ExpectationResult& r : report.clean.expectations) {
            if (!r.passed) {
                std::cout << "\n  " << r.name << ": expected " << r.expected << ", observed "
                          << r.observed;
            }
        }
        std::cout << "\n  reproduce: " << reproduce_command(report.clean) << "\n";
        code = 2;
    } else {
        char seconds[32];
        std::snprintf(seconds, sizeof seconds, "%.1f", report.seconds);
        std::cout << "sweep " << scenario.name << ": device " << report.thing << ", "
                  << report.operations << " flash operations, " << report.cases.size() << " of "
                  << report.planned << " cases in " << seconds << " s (" << options.workers
                  << (options.workers == 1 ? " worker" : " workers") << ")"
                  << (report.interrupted ? ", interrupted" : "") << "\n"
                  << "  " << report.count(CaseVerdict::passed) << " passed, "
                  << report.count(CaseVerdict::known_limit)
                  << " held by a known limit (FB-10: SUCCEEDED before the confirmed boot), "
                  << report.count(CaseVerdict::expectations)
                  << " met the invariants but not every expectation of the file"
                  << (options.strict ? " (failures: --strict)" : "") << ", "
                  << report.count(CaseVerdict::failed) << " failed, "
                  << report.count(CaseVerdict::error) << " in error\n";
        std::size_t shown = 0;
        for (const SweepCase& c : report.cases) {
            const bool bad = c.verdict == CaseVerdict::failed || c.verdict == CaseVerdict::error ||
                             (options.strict && c.verdict == CaseVerdict::expectations);
            if (bad && shown++ < cli.show) {
                std::cout << "  " << to_string(c.verdict) << ": " << case_name(c) << ": "
                          << c.detail << "\n    reproduce: " << c.reproduce << "\n";
            }
        }
        if (shown > cli.show) {
            std::cout << "  ... " << shown - cli.show << " more (--json has them all)\n";
        }
        code = report.passed(options.strict) ? 0 : (report.interrupted ? 2 : 1);
    }
    return code;
}

int run_sweep_command(const SweepCommandOptions& cli, SweepOptions options) {
    const ParseResult parsed = parse_scenario_file(cli.file);
    if (!parsed.ok()) {
        for (const Diagnostic& d : parsed.errors) {
            std::cerr << d.to_string() << "\n";
        }
        return 2;
    }
    const Scenario& scenario = *parsed.scenario;
    options.runner.seed = cli.seed;
    options.runner.interrupted = &InterruptScope::flag();
    options.thing = cli.device;
    options.before = cli.mode != "torn";
    options.torn = cli.mode != "before";
    if (cli.off_for) {
        options.off_for = *cli.off_for;
    }
    if (cli.settle) {
        options.runner.settle = *cli.settle;
    }
    options.workers = cli.jobs > 0
                          ? cli.jobs
                          : static_cast<unsigned>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
    options.strict = cli.strict;

    std::optional<InterruptScope> interrupts;
    interrupts.emplace();

    std::cerr << "fota-sim sweep: " << cli.file << " on sim, seed "
              << cli.seed.value_or(scenario.seed) << " ...\n";
    Progress progress(isatty(STDERR_FILENO) != 0);
    SweepReport report;
    try {
        report = run_sweep(scenario, options,
                           [&progress](const SweepCase& c, std::size_t done, std::size_t planned) {
                               progress(c, done, planned);
                           });
    } catch (const std::exception& e) {
        interrupts.reset();
        std::cerr << "fota-sim sweep: " << e.what() << "\n";
        return 2;
    }
    progress.clear();
    interrupts.reset();

    const int code = print_summary(report, scenario, cli, options);
    if (!cli.json.empty()) {
        std::ofstream out(cli.json);
        out << sweep_json(report).dump(2) << "\n";
        if (!out) {
            std::cerr << "fota-sim sweep: cannot write the JSON report to " << cli.json << "\n";
            return 2;
        }
    }
    return code;
}

void add_sweep_command(CLI::App& app) {
    auto cli = std::make_shared<SweepCommandOptions>();
    auto options = std::make_shared<SweepOptions>();
    CLI::App* command = app.add_subcommand(
        "sweep", "Power-cut sweep over a whole update, on the sim stack: count every flash "
                 "operation one device makes in the scenario, then cut the power before and in "
                 "the middle of each; every case must boot a valid image, end confirmed on the "
                 "old or the new one, with its job agreeing and nothing left in progress. Exit "
                 "0 (all passed), 1 (a case failed), 2 (could not run)");
    command->add_option("scenario", cli->file, "Scenario file (YAML); its stack is replaced by sim")
        ->required();
    command->add_option("--seed", cli->seed, "Override the scenario's seed");
    command->add_option("--device", cli->device, "The device to cut (default: the first)")
        ->type_name("THING");
    command
        ->add_option_function<std::string>(
            "--ops",
            [options](const std::string& value) {
                if (const std::string error = parse_ops(value, *options); !error.empty()) {
                    throw CLI::ValidationError("--ops", error);
                }
            },
            "Only these operations (1-based, as counted in the clean run)")
        ->type_name("FIRST..LAST");
    command->add_option("--mode", cli->mode, "Cut before each operation, in its middle, or both")
        ->check(CLI::IsMember({"both", "before", "torn"}))
        ->capture_default_str();
    command
        ->add_option_function<std::string>("--off-for", duration_flag("--off-for", cli->off_for),
                                           "How long each cut keeps the power off (default 1s)")
        ->type_name("DURATION");
    command
        ->add_option_function<std::string>(
            "--settle", duration_flag("--settle", cli->settle),
            "How long an update may take to settle after the steps (default 30m, virtual)")
        ->type_name("DURATION");
    command
        ->add_option("--jobs", cli->jobs,
                     "Worker processes (default: one per core; 1 runs in this process)")
        ->check(CLI::Range(1u, 256u));
    command->add_flag("--strict", cli->strict,
                      "A case also fails when an expectation of the file does not hold");
    command->add_option("--json", cli->json, "Write every case's verdict here");
    command->add_option("--show", cli->show, "Failures printed at the end (default 20)")
        ->capture_default_str();
    command->callback([cli, options] {
        const int code = run_sweep_command(*cli, *options);
        if (code != 0) {
            throw CLI::RuntimeError(code);
        }
    });
}

} // namespace

FOTA_REGISTER_COMMAND("sweep", add_sweep_command);

} // namespace fota::sim

#endif
