#include "scenario/check_files.hpp"
#include "scenario/scenario_parser.hpp"

#include "parse_test_support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace fota::sim;
using namespace std::chrono_literals;
using fota::sim::test::first_error;
using fota::sim::test::kMinimal;
using fota::sim::test::with_steps;

namespace {

std::string read(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

// "# key: value" from a case file's header.
std::string header(const std::string& text, const std::string& key) {
    std::istringstream lines(text);
    const std::string prefix = "# " + key + ": ";
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind(prefix, 0) == 0) {
            return line.substr(prefix.size());
        }
    }
    return {};
}

} // namespace

TEST_CASE("a minimal scenario gives the model with its defaults", "[scenario_format][parser]") {
    const auto result = parse_scenario(kMinimal, "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    const Scenario& s = *result.scenario;
    CHECK(s.file == "t.yaml");
    CHECK(s.name == "t");
    CHECK(s.seed == 1);
    CHECK(s.deadline == 5min);
    CHECK(s.stack.kind == StackKind::embedded);
    REQUIRE(s.devices.size() == 1);
    CHECK(s.devices[0].thing_prefix == "dev-");
    CHECK(s.devices[0].count == 3);
    CHECK(s.devices[0].profile == ProfileName::seed);
    CHECK(s.devices[0].flash.size == 1024U * 1024U);
    CHECK(s.devices[0].flash.page_size == 4096);
    CHECK(s.devices[0].flash.write_unit == 4);
    CHECK(s.devices[0].flash.erased_value == 0xFF);
    CHECK(s.devices[0].autostart);
    CHECK(s.device_count() == 3);
    REQUIRE(s.firmware.size() == 2);
    CHECK(s.firmware[1].id == "v2");
    CHECK(s.firmware[1].size == 100U * 1024U);
    CHECK(s.firmware[1].object_key == "v2.bin");
    CHECK(s.firmware[1].content_seed == 1);
    REQUIRE(s.steps.size() == 1);
    const auto& job = std::get<CreateJobStep>(s.steps[0].action);
    CHECK(job.job_id == "j1");
    CHECK(job.targets.all);
    CHECK(job.document_template == DocumentTemplate::host_path);
    CHECK(job.protocol.empty()); // the published object's (http here, https on stack aws)
    CHECK_FALSE(job.presigned_url_expiry.has_value());
    CHECK(s.steps[0].mark.line == 9);
    CHECK(s.steps[0].mark.column == 5);
    REQUIRE(s.expectations.size() == 1);
    CHECK(s.expectations[0].mark.line == 11);
    CHECK(describe(s.expectations[0]) == "execution_status: job j1 on all devices is SUCCEEDED");
    CHECK(s.thing_names(DeviceSelector{}) == std::vector<std::string>{"dev-0", "dev-1", "dev-2"});
}

TEST_CASE("every error is reported, each with file:line:col", "[scenario_format][parser]") {
    const auto result = parse_scenario(with_steps(R"(  - create_job: {id: j1, firmware: v9}
  - reboot: {devices: dev-7}
  - wait_for: {condition: {job_status: {job: j1, status: DONE}}, timeout: 10}
)"),
                                       "dir/x.yaml");
    REQUIRE_FALSE(result.ok());
    REQUIRE(result.errors.size() == 4);
    CHECK(result.errors[0].to_string() ==
          "dir/x.yaml:9:36: 'firmware' in step 'create_job' names firmware 'v9', which the "
          "'firmware' map does not define; defined: v1, v2");
    CHECK(result.errors[1].to_string() ==
          "dir/x.yaml:10:23: 'devices' in step 'reboot' names device 'dev-7', which no device "
          "group defines; devices: dev-0..dev-2 (or 'all')");
    CHECK(
        result.errors[2].to_string().rfind("dir/x.yaml:11:58: 'status' in condition "
                                           "'job_status' must be one of: IN_PROGRESS, CANCELED, "
                                           "DELETION_IN_PROGRESS, COMPLETED; got the string 'DONE'",
                                           0) == 0);
    CHECK(result.errors[3].to_string().rfind(
              "dir/x.yaml:11:75: 'timeout' in step 'wait_for' must be a duration", 0) == 0);
}

TEST_CASE("files that cannot be read, are too large or hold NUL give one clear error",
          "[scenario_format][parser]") {
    auto missing = parse_scenario_file("/nonexistent/scenario.yaml");
    REQUIRE(missing.errors.size() == 1);
    CHECK(missing.errors[0].to_string().rfind("/nonexistent/scenario.yaml: cannot read the file",
                                              0) == 0);

    const std::string huge(kMaxScenarioBytes + 1, '#');
    auto too_large = parse_scenario(huge, "big.yaml");
    REQUIRE(too_large.errors.size() == 1);
    CHECK(too_large.errors[0].message.find("at most 1048576") != std::string::npos);

    auto nul = parse_scenario(std::string("name: a\0b\n", 10), "nul.yaml");
    REQUIRE(nul.errors.size() == 1);
    CHECK(nul.errors[0].message.find("NUL") != std::string::npos);
}

TEST_CASE("the error count is bounded", "[scenario_format][parser]") {
    std::string steps;
    for (int i = 0; i < 200; ++i) {
        steps += "  - reboot: {devices: nobody}\n";
    }
    const auto result = parse_scenario(with_steps(steps), "t.yaml");
    REQUIRE_FALSE(result.ok());
    CHECK(result.errors.size() == 51);
    CHECK(result.errors.back().message == "too many errors; stopping");
}

TEST_CASE("every valid case parses", "[scenario_format][parser][cases]") {
    std::size_t count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(FOTA_SCENARIO_CASES "/valid")) {
        if (entry.path().extension() != ".yaml") {
            continue;
        }
        ++count;
        const auto result = parse_scenario_file(entry.path().string());
        INFO(entry.path().string() << ": " << first_error(result));
        CHECK(result.ok());
    }
    CHECK(count >= 3);
}

TEST_CASE("every invalid case fails with its error at its position",
          "[scenario_format][parser][cases]") {
    std::size_t count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(FOTA_SCENARIO_CASES "/invalid")) {
        if (entry.path().extension() != ".yaml") {
            continue;
        }
        ++count;
        const std::string path = entry.path().string();
        const std::string text = read(entry.path());
        const std::string expected = header(text, "error");
        const std::string at = header(text, "at");
        INFO(path);
        REQUIRE_FALSE(expected.empty());
        const auto result = parse_scenario_file(path);
        REQUIRE_FALSE(result.ok());
        REQUIRE_FALSE(result.errors.empty());
        // The expected message is among the errors; with an "at", it is at that position.
        bool found = false;
        for (const auto& error : result.errors) {
            if (error.message.find(expected) != std::string::npos) {
                found = true;
                if (!at.empty()) {
                    CHECK(std::to_string(error.mark.line) + ":" +
                              std::to_string(error.mark.column) ==
                          at);
                }
                CHECK(error.file == path);
                break;
            }
        }
        INFO("first error: " << first_error(result));
        CHECK(found);
    }
    CHECK(count >= 40);
}

TEST_CASE("every prefix of a valid file parses or fails cleanly",
          "[scenario_format][parser][robustness]") {
    // A cheap, deterministic cousin of the fuzzer: truncation at every byte of the richest file.
    const std::string text = read(FOTA_SCENARIO_CASES "/valid/every-kind.yaml");
    REQUIRE(text.size() > 1000);
    std::size_t failures = 0;
    for (std::size_t length = 0; length < text.size(); length += 7) {
        const auto result = parse_scenario(text.substr(0, length), "cut.yaml");
        if (!result.ok()) {
            ++failures;
            for (const auto& error : result.errors) {
                CHECK_FALSE(error.message.empty());
                CHECK(error.mark.line >= 0);
            }
        }
    }
    CHECK(failures > 0);
}

TEST_CASE("every enumerated name reads back as itself", "[scenario_format][parser]") {
    // Guards the order of the name tables against the enums they index.
    const std::vector<std::string> phases{
        "booted",           "shadow_reported", "connected",         "job_received",
        "in_progress_sent", "downloading",     "download_complete", "apply_sent",
        "image_scheduled",  "succeeded_sent",  "failed_sent",       "rebooting",
        "swapping",         "confirmed",       "rolled_back",       "job_abandoned"};
    std::string steps = "  - create_job: {id: j1, firmware: v2}\n";
    for (const auto& phase : phases) {
        steps += "  - wait_for: {condition: {device_phase: {phase: " + phase + "}}, timeout: 1s}\n";
    }
    const std::vector<std::string> statuses{"QUEUED",    "IN_PROGRESS", "SUCCEEDED", "FAILED",
                                            "TIMED_OUT", "REJECTED",    "REMOVED",   "CANCELED"};
    for (const auto& status : statuses) {
        steps += "  - wait_for: {condition: {execution_status: {job: j1, status: " + status +
                 "}}, timeout: 1s}\n";
    }
    const std::vector<std::string> codes{"VersionMismatch",      "InvalidStateTransition",
                                         "TerminalStateReached", "ResourceNotFound",
                                         "InvalidRequest",       "InvalidJson",
                                         "RequestThrottled"};
    for (const auto& code : codes) {
        steps += "  - cloud_fault: {kind: reject_next_update, code: " + code + "}\n";
    }
    const std::vector<std::string> job_statuses{"IN_PROGRESS", "CANCELED", "DELETION_IN_PROGRESS",
                                                "COMPLETED"};
    for (const auto& status : job_statuses) {
        steps += "  - wait_for: {condition: {job_status: {job: j1, status: " + status +
                 "}}, timeout: 1s}\n";
    }
    const auto result = parse_scenario(with_steps(steps), "names.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    const auto& parsed = result.scenario->steps;
    REQUIRE(parsed.size() ==
            1 + phases.size() + statuses.size() + codes.size() + job_statuses.size());
    std::size_t i = 1;
    for (const auto& phase : phases) {
        CHECK(to_string(std::get<WaitForStep>(parsed[i++].action).condition.phase) == phase);
    }
    for (const auto& status : statuses) {
        CHECK(to_string(std::get<WaitForStep>(parsed[i++].action).condition.statuses.at(0)) ==
              status);
    }
    for (const auto& code : codes) {
        CHECK(to_string(std::get<CloudFaultStep>(parsed[i++].action).code) == code);
    }
    for (const auto& status : job_statuses) {
        CHECK(to_string(std::get<WaitForStep>(parsed[i++].action).condition.job_status) == status);
    }
}

TEST_CASE("checking files prints each error and returns the exit code",
          "[scenario_format][parser]") {
    std::ostringstream out;
    std::ostringstream err;
    CHECK(check_scenario_files({FOTA_SCENARIO_DIR "/seed-happy-path.yaml"}, out, err) == 0);
    CHECK(out.str() == "ok: " FOTA_SCENARIO_DIR
                       "/seed-happy-path.yaml: seed-happy-path, 1 devices, "
                       "4 steps, 9 expectations\n");
    CHECK(err.str().empty());

    std::ostringstream out2;
    std::ostringstream err2;
    const std::string bad = FOTA_SCENARIO_CASES "/invalid/unknown-key-in-step.yaml";
    CHECK(check_scenario_files({FOTA_SCENARIO_DIR "/seed-happy-path.yaml", bad}, out2, err2) == 2);
    CHECK(err2.str() == bad +
                            ":13:71: unknown key 'timout' in step 'wait_for' (did you mean "
                            "'timeout'?); valid keys: condition, timeout\n" +
                            bad +
                            ":13:15: step 'wait_for' is missing the required key 'timeout'\n");

    std::ostringstream out3;
    std::ostringstream err3;
    CHECK(check_scenario_files({}, out3, err3) == 2);
}

TEST_CASE("stack tls: on the embedded stack only, off unless asked", "[scenario_format][parser]") {
    const auto tls = parse_scenario_file(FOTA_SCENARIO_CASES "/valid/stack-embedded-tls.yaml");
    REQUIRE(tls.ok());
    CHECK(tls.scenario->stack.kind == StackKind::embedded);
    CHECK(tls.scenario->stack.tls);
    const auto plain = parse_scenario_file(FOTA_SCENARIO_CASES "/valid/minimal.yaml");
    REQUIRE(plain.ok());
    CHECK_FALSE(plain.scenario->stack.tls);
}
