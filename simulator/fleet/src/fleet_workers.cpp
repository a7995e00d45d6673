// A fleet over local worker processes (FleetOptions::workers > 1): this process starts the
// embedded stack (Mosquitto and the object server) and runs no device; each worker is
// `fota-sim fleet` on that stack by URL as one shard (its devices, its job), printing a snapshot
// of its report as one JSON line a second. The shards' reports merge into the run's (exactly:
// merge_reports), and their snapshots into the live progress.
//
// Why processes: Paho's cost per message grows with the clients of a process (bench/fleet), so
// beyond a couple of thousand devices one process per core does more than threads would.
#include "fota/sim/fleet.hpp"

#include "fota/sim/process_stats.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace fota::sim::fleet {

using json = nlohmann::json;

namespace {

std::string number_text(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return text;
}

struct Worker {
    pid_t pid = -1;
    int output = -1;     ///< its stdout: snapshot lines
    std::string pending; ///< bytes of a line not yet complete
    std::optional<FleetReport> snapshot;
    std::string report_file;
    std::string log_file;
    int status = 0;
    bool exited = false;
};

// The arguments of shard `index`'s worker: the run's options with the stack's URLs, its share
// of the rate and the rollout, and where its report goes.
std::vector<std::string> worker_arguments(const FleetOptions& options, const StackConfig& stack,
                                          std::uint32_t index, const std::string& report_file) {
    const std::uint32_t k = options.workers;
    std::vector<std::string> args = {"fleet",
                                     "--control-url",
                                     stack.control_url,
                                     "--mqtt-url",
                                     stack.mqtt_url,
                                     "--object-url",
                                     stack.object_url,
                                     "--bucket",
                                     stack.bucket,
                                     "--count",
                                     std::to_string(options.count),
                                     "--shard-index",
                                     std::to_string(index),
                                     "--shard-count",
                                     std::to_string(k),
                                     "--run-id",
                                     options.run_id,
                                     "--thing-prefix",
                                     options.thing_prefix,
                                     "--image-size",
                                     std::to_string(options.image_size),
                                     "--profile",
                                     options.verified ? "verified" : "seed",
                                     "--seed",
                                     std::to_string(options.seed),
                                     "--rate",
                                     number_text(options.rate / k),
                                     "--failing",
                                     number_text(options.failing_percent),
                                     "--timeout",
                                     std::to_string(options.timeout.count()) + "ms",
                                     "--threads",
                                     std::to_string(options.stack_options.threads),
                                     "--mqtt-client",
                                     std::string(to_string(options.stack_options.mqtt_client)),
                                     "--max-failure-rate",
                                     "1",
                                     "--json",
                                     report_file,
                                     "--progress-json",
                                     "--work-dir",
                                     options.work_dir + "/worker-" + std::to_string(index)};
    if (!stack.tls_dir.empty()) {
        args.insert(args.end(), {"--tls-dir", stack.tls_dir});
    }
    if (options.job_first) {
        args.emplace_back("--job-first");
    }
    if (options.maximum_per_minute) {
        const auto share = static_cast<std::uint32_t>(
            std::ceil(static_cast<double>(*options.maximum_per_minute) / k));
        args.insert(args.end(), {"--max-per-minute", std::to_string(std::max(1u, share))});
    }
    if (options.abort_threshold_percent) {
        const auto minimum = static_cast<std::uint32_t>(
            std::ceil(static_cast<double>(options.abort_min_executed) / k));
        args.insert(args.end(), {"--abort-percent", number_text(*options.abort_threshold_percent),
                                 "--abort-min", std::to_string(std::max(1u, minimum))});
    }
    return args;
}

Worker spawn(const std::string& executable, const std::vector<std::string>& args,
             const std::string& report_file, const std::string& log_file) {
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) {
        throw std::runtime_error("cannot make a pipe for a fleet worker");
    }
    std::vector<std::string> argv_text = {executable};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& arg : argv_text) {
        argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    const int log = open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const pid_t pid = fork();
    if (pid < 0) {
        throw std::runtime_error("cannot start a fleet worker (fork failed)");
    }
    if (pid == 0) {
        dup2(pipe_fds[1], STDOUT_FILENO);
        if (log >= 0) {
            dup2(log, STDERR_FILENO);
        }
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        execv(executable.c_str(), argv.data());
        _exit(127);
    }
    close(pipe_fds[1]);
    if (log >= 0) {
        close(log);
    }
    fcntl(pipe_fds[0], F_SETFL, fcntl(pipe_fds[0], F_GETFL) | O_NONBLOCK);
    Worker worker;
    worker.pid = pid;
    worker.output = pipe_fds[0];
    worker.report_file = report_file;
    worker.log_file = log_file;
    return worker;
}

// Reads what a worker has printed; keeps its latest complete snapshot.
void read_snapshots(Worker& worker) {
    char buffer[65536];
    while (worker.output >= 0) {
        const ssize_t n = read(worker.output, buffer, sizeof buffer);
        if (n <= 0) {
            if (n == 0) {
                close(worker.output);
                worker.output = -1;
            }
            return;
        }
        worker.pending.append(buffer, static_cast<std::size_t>(n));
        std::size_t end = 0;
        while ((end = worker.pending.find('\n')) != std::string::npos) {
            const json line = json::parse(worker.pending.substr(0, end), nullptr, false);
            worker.pending.erase(0, end + 1);
            std::string error;
            if (auto report = FleetReport::from_json(line, error)) {
                worker.snapshot = std::move(report);
            }
        }
    }
}

std::string tail_of_file(const std::string& path) {
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.size() > 2000 ? "..." + text.substr(text.size() - 2000) : text;
}

// Waits for every worker and reads its report; a worker without one (it died) becomes a shard
// of unfinished devices that names it, and counts in `lost`.
std::vector<FleetReport> collect_reports(std::vector<Worker>& workers, const FleetOptions& options,
                                         std::size_t& lost) {
    std::vector<FleetReport> shards;
    for (std::uint32_t i = 0; i < workers.size(); ++i) {
        Worker& w = workers[i];
        waitpid(w.pid, &w.status, 0);
        std::ifstream in(w.report_file);
        const json value = json::parse(in, nullptr, false);
        std::string error;
        if (auto report = FleetReport::from_json(value, error)) {
            shards.push_back(std::move(*report));
            continue;
        }
        // A worker that died (Paho's receive thread has crashed under load) costs its devices,
        // not the run: they count as unfinished, and the report says which worker and why.
        ++lost;
        const std::string how = WIFSIGNALED(w.status)
                                    ? "killed by signal " + std::to_string(WTERMSIG(w.status))
                                    : "exit status " + std::to_string(WEXITSTATUS(w.status));
        std::fprintf(stderr,
                     "fota-sim fleet: worker %u (%s) wrote no report; its log %s ends:\n%s\n", i,
                     how.c_str(), w.log_file.c_str(), tail_of_file(w.log_file).c_str());
        FleetReport placeholder = w.snapshot.value_or(FleetReport{});
        const auto [first, last] = shard_range(options.count, i, options.workers);
        placeholder.run_id = options.run_id;
        placeholder.stopped_by = "error: worker " + std::to_string(i) + " " + how;
        placeholder.metrics.devices = last - first;
        placeholder.metrics.errors["worker_died"] += 1;
        ShardReport shard;
        shard.index = i;
        shard.count = options.workers;
        shard.devices = last - first;
        placeholder.shards = {shard};
        shards.push_back(std::move(placeholder));
    }
    return shards;
}

} // namespace

FleetReport run_fleet_workers(const FleetOptions& options) {
    std::filesystem::create_directories(options.work_dir);
    StackConfig embedded;
    embedded.kind = StackKind::embedded;
    const std::unique_ptr<Stack> stack = make_stack(embedded, options.stack_options);
    stack->start(options.work_dir + "/stack");
    const std::optional<StackConfig> urls = stack->url_config();
    if (!urls) {
        throw std::invalid_argument("--workers: this stack cannot be reached by other processes");
    }
    const std::string executable = std::filesystem::read_symlink("/proc/self/exe").string();
    const auto start = std::chrono::steady_clock::now();
    std::vector<Worker> workers;
    for (std::uint32_t i = 0; i < options.workers; ++i) {
        const std::string base = options.work_dir + "/shard-" + std::to_string(i);
        workers.push_back(spawn(executable, worker_arguments(options, *urls, i, base + ".json"),
                                base + ".json", base + ".log"));
    }
    bool forwarded_interrupt = false;
    auto last_progress = start;
    while (true) {
        std::vector<pollfd> fds;
        for (const Worker& w : workers) {
            if (w.output >= 0) {
                fds.push_back({w.output, POLLIN, 0});
            }
        }
        if (fds.empty()) {
            break;
        }
        poll(fds.data(), fds.size(), 200);
        for (Worker& w : workers) {
            read_snapshots(w);
        }
        if (options.interrupted != nullptr && options.interrupted->load() && !forwarded_interrupt) {
            forwarded_interrupt = true;
            for (const Worker& w : workers) {
                kill(w.pid, SIGINT);
            }
        }
        stack->check_alive();
        const auto now = std::chrono::steady_clock::now();
        if (options.on_progress && now - last_progress >= std::chrono::seconds(1)) {
            last_progress = now;
            std::vector<FleetReport> snapshots;
            for (const Worker& w : workers) {
                if (w.snapshot) {
                    snapshots.push_back(*w.snapshot);
                }
            }
            std::string error;
            if (auto merged = merge_reports(snapshots, error)) {
                merged->metrics.devices = options.count;
                options.on_progress(*merged, false);
            }
        }
    }
    std::size_t lost = 0;
    std::vector<FleetReport> shards = collect_reports(workers, options, lost);
    stack->stop();
    if (lost == workers.size()) {
        throw StackError("every fleet worker failed (see their logs above)");
    }
    std::string error;
    auto merged = merge_reports(shards, error);
    if (!merged) {
        throw StackError("the workers' reports do not merge: " + error);
    }
    merged->stack = "embedded";
    merged->wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    merged->config["workers"] = options.workers;
    merged->config.erase("shard_index");
    merged->config["shard_count"] = 1;
    // The coordinator's own cost (Mosquitto is a process of its own, not counted) as one more
    // entry would break shard indices; it is small and left out.
    check_limits(options, *merged);
    if (options.on_progress) {
        options.on_progress(*merged, true);
    }
    return *merged;
}

} // namespace fota::sim::fleet
