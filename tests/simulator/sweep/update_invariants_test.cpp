// The update invariants (runner/src/update_invariants.hpp) on a run without a world, and how the
// sweep judges a case from its report (fota/sim/sweep.hpp).
#include "runner/src/update_invariants.hpp"

#include "../scenario/fake_run.hpp"

#include "fota/sim/shrink.hpp"
#include "fota/sim/sweep.hpp"

#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

using namespace fota::sim;
using namespace std::chrono_literals;

namespace {

/// Three devices dev-0..dev-2 on 1.0.0 and job j1 to 2.0.0. FakeRun's images repeat their id's
/// first letter: ids that start differently keep one image from being a prefix of the other.
constexpr const char* kScenario = R"(name: t
description: a test
firmware:
  old: {version: 1.0.0, size: 64KiB}
  new: {version: 2.0.0, size: 100KiB}
devices:
  - {thing_prefix: dev-, count: 3, initial_firmware: old}
steps:
  - create_job: {id: j1, firmware: new}
expect:
  - execution_status: {job: j1, status: SUCCEEDED}
)";

/// The three devices, settled on v2 after job j1 SUCCEEDED: every invariant holds.
struct SettledRun {
    test::FakeRun run;
    std::map<std::string, std::string> execution; ///< status of j1 by thing ("" = none)

    explicit SettledRun(const std::string& text = kScenario) : run(text) {
        run.note_job("j1");
        for (std::size_t i = 0; i < 3; ++i) {
            test::FakeDevice& d = run.device(i);
            d.answer.state = "running";
            d.answer.confirmed = true;
            d.answer.running_version = "2.0.0";
            place(i, "new");
            execution[run.devices()[i].thing] = "SUCCEEDED";
        }
        run.fake_stack().reply = [this](const std::string&, const nlohmann::json& args) {
            const std::string status = execution[args["thingName"].get<std::string>()];
            return status.empty() ? nlohmann::json::object()
                                  : nlohmann::json{{"execution", {{"status", status}}}};
        };
    }
    /// Device i's primary slot holds firmware id's image.
    void place(std::size_t i, const std::string& id) {
        const auto& flash = run.devices()[i].flash;
        std::string& bytes = run.device(i).flash;
        bytes.assign(flash.secondary_offset, '\xFF');
        const std::string& image = run.images().bytes.at(id);
        bytes.replace(flash.primary_offset, image.size(), image);
    }
    bool check() { return runner::check_update_invariants(run, true, 0ms); }
    const test::FakeResult& result(const std::string& name) const {
        for (const auto& r : run.results) {
            if (r.name == "invariant: " + name) {
                return r;
            }
        }
        throw std::invalid_argument("no result " + name);
    }
};

} // namespace

TEST_CASE("every invariant holds for devices settled on the new image",
          "[simulator][sweep][invariants]") {
    SettledRun s;
    CHECK(s.check());
    REQUIRE(s.run.results.size() == 4);
    for (const auto& r : s.run.results) {
        INFO(r.name << ": " << r.observed);
        CHECK(r.passed);
    }
    CHECK(s.result("every job agrees with the image").observed == "j1 SUCCEEDED, running 2.0.0 x3");
}

TEST_CASE("a bricked device, or one whose slot holds no known image, does not boot a valid image",
          "[simulator][sweep][invariants]") {
    SettledRun s;
    s.run.device(1).answer.state = "bricked";
    s.run.device(2).flash[s.run.devices()[2].flash.primary_offset + 7] = 0;
    CHECK_FALSE(s.check());
    const auto& r = s.result("every device boots a valid image");
    CHECK_FALSE(r.passed);
    CHECK(r.observed == "dev-1: bricked; dev-2: running 2.0.0, primary slot holds no known image");
}

TEST_CASE("a device running an image other than the one its slot holds is caught",
          "[simulator][sweep][invariants]") {
    SettledRun s;
    s.place(0, "old"); // reports 2.0.0, holds 1.0.0
    CHECK_FALSE(s.check());
    CHECK(s.result("every device boots a valid image").observed ==
          "dev-0: running 2.0.0, primary slot holds old (1.0.0)");
}

TEST_CASE("an unconfirmed image breaks the confirmation invariant",
          "[simulator][sweep][invariants]") {
    SettledRun s;
    s.run.device(2).answer.confirmed = false;
    CHECK_FALSE(s.check());
    CHECK(s.result("every device ends confirmed on its old image or a job's").observed ==
          "dev-2: 2.0.0 unconfirmed");
}

TEST_CASE("FAILED while running the job's image, or SUCCEEDED on the old one, disagree",
          "[simulator][sweep][invariants]") {
    SettledRun s;
    s.execution["dev-0"] = "FAILED"; // runs 2.0.0
    s.run.device(1).answer.running_version = "1.0.0";
    s.place(1, "old");
    s.run.device(1).answer.images_rejected = 1; // SUCCEEDED for an image the loader refused
    CHECK_FALSE(s.check());
    CHECK(s.result("every job agrees with the image").observed ==
          "dev-0: j1 FAILED, running 2.0.0; dev-1: j1 SUCCEEDED, running 1.0.0 (the boot loader "
          "rejected the downloaded image)");
}

TEST_CASE("SUCCEEDED on the old image after a revert is FB-10 on the seed profile only",
          "[simulator][sweep][invariants]") {
    const auto reverted = [](SettledRun& s) {
        s.run.device(0).answer.running_version = "1.0.0";
        s.run.device(0).answer.reverts = 1;
        s.place(0, "old");
    };
    SettledRun seed;
    reverted(seed);
    CHECK(seed.check());
    CHECK(seed.result("every job agrees with the image").observed.find(runner::kKnownLimitPrefix) !=
          std::string::npos);

    std::string text = kScenario;
    text.replace(text.find("initial_firmware: old}"), 22,
                 "initial_firmware: old, profile: verified}");
    SettledRun verified(text);
    reverted(verified);
    CHECK_FALSE(verified.check());
    CHECK(verified.result("every job agrees with the image").observed ==
          "dev-0: j1 SUCCEEDED, running 1.0.0");
}

TEST_CASE("an execution left QUEUED or IN_PROGRESS breaks the last invariant",
          "[simulator][sweep][invariants]") {
    SettledRun s;
    s.execution["dev-1"] = "IN_PROGRESS";
    s.execution["dev-2"] = "QUEUED";
    CHECK_FALSE(s.check());
    CHECK(s.result("no job is left in progress").observed ==
          "dev-1 (j1): IN_PROGRESS; dev-2 (j1): QUEUED");
    // A pending execution is not also called a disagreement with the image.
    CHECK(s.result("every job agrees with the image").passed);
}

TEST_CASE("settling waits for confirmed devices with no pending execution, up to its limit",
          "[simulator][sweep][invariants]") {
    SettledRun s;
    s.execution["dev-0"] = "IN_PROGRESS";
    CHECK_FALSE(runner::settle_updates(s.run, 10s));
    CHECK(s.run.fake_stack().clock == 10s);
    s.execution["dev-0"] = "SUCCEEDED";
    CHECK(runner::settle_updates(s.run, 10s));
    CHECK(s.run.fake_stack().clock == 10s); // no wait once settled
}

TEST_CASE("a sweep case is judged from its run's report", "[simulator][sweep]") {
    ScenarioReport report;
    report.file = "s.yaml";
    report.seed = 4;
    report.run_options = {{"--stack", "sim"}, {"--cut-at", "12:torn"}};
    report.outcome = Outcome::passed;
    const auto result = [](const std::string& name, bool passed, const std::string& observed) {
        ExpectationResult r;
        r.name = name;
        r.passed = passed;
        r.expected = "e";
        r.observed = observed;
        return r;
    };
    report.expectations = {result("running_version: x", true, "2.0.0"),
                           result("invariant: no job is left in progress", true, "SUCCEEDED")};
    SweepCase c;
    judge_case(report, c);
    CHECK(c.verdict == CaseVerdict::passed);
    CHECK(c.reproduce == "fota-sim run s.yaml --seed 4 --stack sim --cut-at 12:torn");

    report.expectations[0].passed = false;
    report.outcome = Outcome::failed;
    judge_case(report, c);
    CHECK(c.verdict == CaseVerdict::expectations);
    CHECK(c.detail == "running_version: x: expected e, observed 2.0.0");

    report.expectations.push_back(result("invariant: every job agrees with the image", true,
                                         std::string(runner::kKnownLimitPrefix) + "j1"));
    judge_case(report, c);
    CHECK(c.verdict == CaseVerdict::known_limit);

    report.expectations[1].passed = false;
    judge_case(report, c);
    CHECK(c.verdict == CaseVerdict::failed);
    CHECK(c.detail == "invariant: no job is left in progress: expected e, observed SUCCEEDED");

    report.outcome = Outcome::error;
    report.error = "deadline";
    judge_case(report, c);
    CHECK(c.verdict == CaseVerdict::error);
    CHECK(c.detail == "deadline");
}

TEST_CASE("sweep workers report every case, and a worker that dies against the case it ran",
          "[simulator][sweep][workers]") {
    std::map<std::size_t, SweepCase> got;
    const auto run_one = [](std::size_t index) {
        if (index == 3) {
            ::kill(::getpid(), SIGKILL); // the worker process only (as the OOM killer would)
        }
        SweepCase c;
        c.operation = index + 1;
        c.verdict = CaseVerdict::passed;
        c.detail = "case " + std::to_string(index);
        return c;
    };
    run_in_workers(
        8, 2, run_one, [] { return false; },
        [&got](std::size_t index, const SweepCase& c) { got[index] = c; });
    // Worker 0 runs 0, 2, 4, 6; worker 1 runs 1, 3 (and dies there), never 5 or 7.
    REQUIRE(got.size() == 6);
    for (std::size_t i : {0u, 1u, 2u, 4u, 6u}) {
        INFO(i);
        REQUIRE(got.count(i) == 1);
        CHECK(got[i].verdict == CaseVerdict::passed);
        CHECK(got[i].operation == i + 1);
        CHECK(got[i].detail == "case " + std::to_string(i));
    }
    REQUIRE(got.count(3) == 1);
    CHECK(got[3].verdict == CaseVerdict::error);
    CHECK(got[3].detail.find("died of signal 9") != std::string::npos);
    CHECK(got.count(5) == 0);
}

TEST_CASE("shrink matches a failure by its name and values, without lines and device names",
          "[simulator][shrink]") {
    CHECK(failure_name("wait_for running 2.0.0 (line 31)") == "wait_for running 2.0.0");
    CHECK(failure_name("invariant: no job is left in progress") ==
          "invariant: no job is left in progress");
    CHECK(failure_values("fleet-5: FAILED") == std::set<std::string>{"FAILED"});
    CHECK(failure_values("fleet-1: FAILED; fleet-4: IN_PROGRESS; fleet-7: FAILED") ==
          std::set<std::string>{"FAILED", "IN_PROGRESS"});
    CHECK(failure_values("dev-1 (j1): IN_PROGRESS; a:b-2: QUEUED; ... (9 devices)") ==
          std::set<std::string>{"IN_PROGRESS", "QUEUED"});
    CHECK(failure_values("seed-dev-0: fw-1 SUCCEEDED, running v1.0.0 (rejected)") ==
          std::set<std::string>{"fw-1 SUCCEEDED, running v1.0.0 (rejected)"});
}
