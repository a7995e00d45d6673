// The power-cut sweep (fota/sim/sweep.hpp): the clean run, the cases in worker processes, each
// case's verdict from its report.
#include "fota/sim/sweep.hpp"

#include "update_invariants.hpp"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <stdexcept>

namespace fota::sim {

using json = nlohmann::json;

const char* to_string(CaseVerdict verdict) {
    switch (verdict) {
    case CaseVerdict::passed:
        return "passed";
    case CaseVerdict::known_limit:
        return "known_limit";
    case CaseVerdict::expectations:
        return "expectations";
    case CaseVerdict::failed:
        return "failed";
    case CaseVerdict::error:
        return "error";
    }
    return "error";
}

std::size_t SweepReport::count(CaseVerdict verdict) const {
    return static_cast<std::size_t>(
        std::count_if(cases.begin(), cases.end(),
                      [verdict](const SweepCase& c) { return c.verdict == verdict; }));
}

bool SweepReport::passed(bool strict) const {
    return clean.outcome == Outcome::passed && !interrupted && cases.size() == planned &&
           count(CaseVerdict::failed) == 0 && count(CaseVerdict::error) == 0 &&
           (!strict || count(CaseVerdict::expectations) == 0);
}

namespace {

bool is_invariant(const ExpectationResult& r) {
    return r.name.rfind("invariant: ", 0) == 0;
}

std::string describe_result(const ExpectationResult& r) {
    return r.name + ": expected " + r.expected + ", observed " + r.observed;
}

} // namespace

void judge_case(const ScenarioReport& report, SweepCase& c) {
    c.reproduce = reproduce_command(report);
    if (report.outcome == Outcome::error) {
        c.verdict = CaseVerdict::error;
        c.detail = report.error;
        return;
    }
    const ExpectationResult* broken_invariant = nullptr;
    const ExpectationResult* broken_expectation = nullptr;
    bool known_limit = false;
    for (const ExpectationResult& r : report.expectations) {
        if (is_invariant(r)) {
            if (!r.passed && broken_invariant == nullptr) {
                broken_invariant = &r;
            }
            known_limit =
                known_limit || r.observed.find(runner::kKnownLimitPrefix) != std::string::npos;
        } else if (!r.passed && broken_expectation == nullptr) {
            broken_expectation = &r;
        }
    }
    // A known limit usually breaks the file's expectations too (the device runs the old image):
    // it is the better name for the case.
    if (broken_invariant != nullptr) {
        c.verdict = CaseVerdict::failed;
        c.detail = describe_result(*broken_invariant);
    } else if (known_limit) {
        c.verdict = CaseVerdict::known_limit;
        for (const ExpectationResult& r : report.expectations) {
            if (r.observed.find(runner::kKnownLimitPrefix) != std::string::npos) {
                c.detail = r.observed;
            }
        }
    } else if (broken_expectation != nullptr) {
        c.verdict = CaseVerdict::expectations;
        c.detail = describe_result(*broken_expectation);
    } else {
        c.verdict = CaseVerdict::passed;
    }
}

namespace {

json case_json(const SweepCase& c) {
    return {{"operation", c.operation},
            {"torn", c.torn},
            {"verdict", to_string(c.verdict)},
            {"detail", c.detail},
            {"reproduce", c.reproduce}};
}

CaseVerdict verdict_named(const std::string& name) {
    for (const CaseVerdict v : {CaseVerdict::passed, CaseVerdict::known_limit,
                                CaseVerdict::expectations, CaseVerdict::failed}) {
        if (name == to_string(v)) {
            return v;
        }
    }
    return CaseVerdict::error;
}

/// The planned cases, in order: by operation, before then torn.
std::vector<SweepCase> plan_cases(const SweepOptions& options, std::uint64_t last) {
    std::vector<SweepCase> cases;
    for (std::uint64_t op = options.first_operation; op <= last; ++op) {
        for (const bool torn : {false, true}) {
            if (torn ? options.torn : options.before) {
                SweepCase c;
                c.operation = op;
                c.torn = torn;
                cases.push_back(c);
            }
        }
    }
    return cases;
}

SweepCase run_case(const Scenario& scenario, const RunnerOptions& base, const SweepOptions& options,
                   const std::string& thing, SweepCase c) {
    RunnerOptions runner = base;
    FlashCut cut;
    cut.thing = options.thing.empty() ? std::string() : thing;
    cut.operation = c.operation;
    cut.torn = c.torn;
    cut.off_for = options.off_for;
    runner.flash_cut = cut;
    judge_case(run_scenario(scenario, runner), c);
    return c;
}

bool interrupted(const RunnerOptions& options) {
    return options.interrupted != nullptr && options.interrupted->load();
}

void write_all(int fd, const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return;
        }
        done += static_cast<std::size_t>(n);
    }
}

/// Runs case indexes 0..count-1 in worker processes, worker w taking w, w + workers, ...; each
/// tells the parent over a pipe which case it starts and each case's result.
class WorkerPool {
public:
    using RunOne = CaseRunner;
    using Record = CaseRecorder;

    WorkerPool(std::size_t count, unsigned workers, RunOne run_one, std::function<bool()> stop)
        : count_(count), run_one_(std::move(run_one)), stop_(std::move(stop)) {
        std::fflush(nullptr);
        for (unsigned w = 0; w < workers; ++w) {
            start_worker(w, workers);
        }
    }

    /// Until every worker has ended; a worker that dies has its running case recorded as error.
    void collect(const Record& record) {
        std::size_t open = workers_.size();
        while (open > 0) {
            std::vector<pollfd> fds;
            std::vector<Worker*> owners;
            for (Worker& worker : workers_) {
                if (worker.open) {
                    fds.push_back({worker.fd, POLLIN, 0});
                    owners.push_back(&worker);
                }
            }
            if (::poll(fds.data(), fds.size(), 500) < 0 && errno != EINTR) {
                break;
            }
            for (std::size_t k = 0; k < fds.size(); ++k) {
                if ((fds[k].revents & (POLLIN | POLLHUP | POLLERR)) != 0 &&
                    !read_from(*owners[k], record)) {
                    --open;
                }
            }
        }
    }

private:
    struct Worker {
        pid_t pid = -1;
        int fd = -1;
        std::string buffer;
        std::size_t running = SIZE_MAX; ///< the case it said it started and has not finished
        bool open = true;
    };

    void start_worker(unsigned w, unsigned workers) {
        int fds[2];
        if (::pipe(fds) != 0) {
            throw std::runtime_error(std::string("cannot make a pipe: ") + std::strerror(errno));
        }
        const pid_t pid = ::fork();
        if (pid < 0) {
            throw std::runtime_error(std::string("cannot fork: ") + std::strerror(errno));
        }
        if (pid == 0) {
            ::close(fds[0]);
            for (std::size_t i = w; i < count_ && !stop_(); i += workers) {
                write_all(fds[1], "start " + std::to_string(i) + "\n");
                const SweepCase c = run_one_(i);
                write_all(fds[1], "done " + std::to_string(i) + " " + case_json(c).dump() + "\n");
            }
            ::close(fds[1]);
            std::_Exit(0);
        }
        ::close(fds[1]);
        Worker worker;
        worker.pid = pid;
        worker.fd = fds[0];
        workers_.push_back(worker);
    }

    // Reads what worker said; false once it has ended (then reaped, its running case recorded).
    bool read_from(Worker& worker, const Record& record) {
        char chunk[4096];
        const ssize_t n = ::read(worker.fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) {
            return true;
        }
        if (n > 0) {
            worker.buffer.append(chunk, static_cast<std::size_t>(n));
            std::size_t eol = 0;
            while ((eol = worker.buffer.find('\n')) != std::string::npos) {
                handle_line(worker, worker.buffer.substr(0, eol), record);
                worker.buffer.erase(0, eol + 1);
            }
            return true;
        }
        ::close(worker.fd);
        worker.open = false;
        int status = 0;
        ::waitpid(worker.pid, &status, 0);
        if (worker.running != SIZE_MAX) {
            SweepCase c;
            c.verdict = CaseVerdict::error;
            c.detail = WIFSIGNALED(status) ? "the worker running this case died of signal " +
                                                 std::to_string(WTERMSIG(status)) + " (" +
                                                 strsignal(WTERMSIG(status)) + ")"
                                           : "the worker running this case exited with status " +
                                                 std::to_string(WEXITSTATUS(status));
            record(worker.running, c);
        }
        return false;
    }

    // "start I" or "done I {case json}".
    void handle_line(Worker& worker, const std::string& line, const Record& record) {
        const auto space = line.find(' ');
        const auto second = line.find(' ', space + 1);
        const std::string number =
            space == std::string::npos
                ? std::string()
                : line.substr(space + 1,
                              second == std::string::npos ? std::string::npos : second - space - 1);
        if (number.empty() || number.size() > 12 ||
            number.find_first_not_of("0123456789") != std::string::npos) {
            return;
        }
        const std::size_t index = std::stoul(number);
        if (index >= count_) {
            return;
        }
        if (line.compare(0, space, "start") == 0) {
            worker.running = index;
            return;
        }
        SweepCase c;
        const json j = second == std::string::npos
                           ? json()
                           : json::parse(line.substr(second + 1), nullptr, false);
        if (j.is_object()) {
            c.operation = j.value("operation", std::uint64_t{0});
            c.torn = j.value("torn", false);
            c.verdict = verdict_named(j.value("verdict", ""));
            c.detail = j.value("detail", "");
            c.reproduce = j.value("reproduce", "");
        } else {
            c.verdict = CaseVerdict::error;
            c.detail = "the worker's answer could not be read";
        }
        worker.running = SIZE_MAX;
        record(index, c);
    }

    std::size_t count_;
    RunOne run_one_;
    std::function<bool()> stop_;
    std::vector<Worker> workers_;
};

} // namespace

void run_in_workers(std::size_t count, unsigned workers, const CaseRunner& run_one,
                    const std::function<bool()>& stop, const CaseRecorder& record) {
    WorkerPool pool(count, workers, run_one, stop);
    pool.collect(record);
}

SweepReport run_sweep(const Scenario& scenario, const SweepOptions& options,
                      const SweepProgress& progress) {
    const auto wall_start = std::chrono::steady_clock::now();
    SweepReport report;
    report.file = scenario.file;
    RunnerOptions base = options.runner;
    StackConfig sim;
    sim.kind = StackKind::sim;
    base.stack = sim;
    base.update_invariants = true;
    report.seed = base.seed.value_or(scenario.seed);
    report.thing = cut_device(scenario, options.thing);
    if (const std::string problem = flash_cut_problem(scenario, report.thing); !problem.empty()) {
        throw std::invalid_argument(problem);
    }

    report.clean = run_scenario(scenario, base);
    for (const DeviceReport& d : report.clean.devices) {
        if (d.thing == report.thing) {
            report.operations = d.flash_operations;
        }
    }
    const auto finish = [&] {
        report.seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
        return report;
    };
    if (report.clean.outcome != Outcome::passed) {
        return finish();
    }
    const std::uint64_t last = options.last_operation == 0
                                   ? report.operations
                                   : std::min(options.last_operation, report.operations);
    std::vector<SweepCase> cases = plan_cases(options, last);
    report.planned = cases.size();
    std::vector<bool> finished(cases.size(), false);
    std::size_t done = 0;
    const auto record = [&](std::size_t index, const SweepCase& c) {
        if (finished[index]) {
            return;
        }
        finished[index] = true;
        const SweepCase planned = cases[index];
        cases[index] = c;
        cases[index].operation = planned.operation; // a crashed worker's case says neither
        cases[index].torn = planned.torn;
        ++done;
        if (progress) {
            progress(cases[index], done, cases.size());
        }
    };
    const auto run_one = [&](std::size_t index) {
        return run_case(scenario, base, options, report.thing, cases[index]);
    };
    const unsigned workers =
        static_cast<unsigned>(std::min<std::size_t>(std::max(1u, options.workers), cases.size()));
    if (workers <= 1) {
        for (std::size_t i = 0; i < cases.size() && !interrupted(base); ++i) {
            record(i, run_one(i));
        }
    } else {
        run_in_workers(
            cases.size(), workers, run_one, [&base] { return interrupted(base); }, record);
    }
    report.interrupted = interrupted(base);
    for (std::size_t i = 0; i < cases.size(); ++i) {
        if (finished[i] && !(report.interrupted && cases[i].verdict == CaseVerdict::error)) {
            report.cases.push_back(cases[i]);
        }
    }
    return finish();
}

json sweep_json(const SweepReport& report) {
    json cases = json::array();
    for (const SweepCase& c : report.cases) {
        cases.push_back(case_json(c));
    }
    json counts = json::object();
    for (const CaseVerdict v :
         {CaseVerdict::passed, CaseVerdict::known_limit, CaseVerdict::expectations,
          CaseVerdict::failed, CaseVerdict::error}) {
        counts[to_string(v)] = report.count(v);
    }
    return {{"file", report.file},
            {"seed", report.seed},
            {"thing", report.thing},
            {"operations", report.operations},
            {"planned", report.planned},
            {"seconds", report.seconds},
            {"interrupted", report.interrupted},
            {"counts", counts},
            {"clean",
             {{"outcome", to_string(report.clean.outcome)},
              {"error", report.clean.error},
              {"reproduce", reproduce_command(report.clean)}}},
            {"cases", std::move(cases)}};
}

} // namespace fota::sim
