#include "report/report.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace fota::sim;
using namespace std::chrono_literals;

namespace {

ScenarioReport passed_report() {
    ScenarioReport r;
    r.name = "seed-happy-path";
    r.file = "scenarios/seed-happy-path.yaml";
    r.description = "The seed's flow on one device.";
    r.seed = 1;
    r.outcome = Outcome::passed;
    r.started_at = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
    r.seconds = 4.25;
    r.expectations = {{"execution_status: job fw-1 on all devices is SUCCEEDED", true, true,
                       "SUCCEEDED", "SUCCEEDED", 30, 0.5}};
    DeviceReport device;
    device.thing = "seed-dev-0";
    device.running_version = "2.0.0";
    device.confirmed = true;
    device.boots = 2;
    device.flash_operations = 970;
    device.phases = {
        {"booted", 0ms, ""}, {"downloading", 1200ms, "fw-1"}, {"confirmed", 4100ms, ""}};
    r.devices = {device};
    return r;
}

ScenarioReport failed_report() {
    ScenarioReport r = passed_report();
    r.name = "fb-17-cancel";
    r.file = "scenarios/with space's.yaml";
    r.seed = 7;
    r.outcome = Outcome::failed;
    // Text a device or a log can produce: XML specials, a control character, invalid UTF-8, and
    // valid multi-byte UTF-8.
    r.expectations.push_back({"running_version: dev-0 runs 1.0.0 <&> \"'", false, true, "1.0.0",
                              std::string("2.0.0 \x01 bad\xff\xfe utf8 \xc3\xa9 \xf0\x9f\x98\x80"),
                              41, 1.0});
    r.log = "line 1 <tag> & \x1b[31mred\x1b[0m\n";
    return r;
}

ScenarioReport error_report() {
    ScenarioReport r = passed_report();
    r.name = "stack-down";
    r.outcome = Outcome::error;
    r.error = "the broker did not start: mosquitto exited with 3";
    r.expectations[0].evaluated = false;
    r.expectations[0].passed = false;
    return r;
}

std::string temp_path(const std::string& name) {
    return (std::filesystem::temp_directory_path() /
            ("fota-report-test-" + std::to_string(getpid()) + "-" + name))
        .string();
}

// Runs xmllint against the JUnit schema; returns its exit status.
int xmllint_schema(const std::string& xml_file) {
    const std::string xmllint = FOTA_XMLLINT;
    REQUIRE_FALSE(xmllint.empty()); // xmllint comes with libxml2-utils (scripts/setup)
    const std::string command = "'" + xmllint + "' --noout --schema '" FOTA_JUNIT_XSD "' '" +
                                xml_file + "' 2>" + xml_file + ".log";
    const int status = std::system(command.c_str());
    std::ifstream log(xml_file + ".log");
    std::ostringstream text;
    text << log.rdbuf();
    UNSCOPED_INFO("xmllint: " << text.str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace

TEST_CASE("JUnit XML validates against the JUnit schema for passes, failures and errors",
          "[scenario_format][report][junit]") {
    const std::vector<ScenarioReport> reports{passed_report(), failed_report(), error_report()};
    const std::string path = temp_path("junit.xml");
    {
        std::ofstream out(path);
        write_junit_xml(out, reports);
    }
    CHECK(xmllint_schema(path) == 0);

    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    const std::string xml = text.str();
    // Totals: 3 suites x (1 scenario case + expectations).
    CHECK(xml.find("<testsuites name=\"fota-sim\" tests=\"7\" failures=\"2\" errors=\"1\"") !=
          std::string::npos);
    CHECK(xml.find("<failure message=\"expected 1.0.0, observed 2.0.0 \xef\xbf\xbd bad") !=
          std::string::npos);
    CHECK(xml.find("reproduce: fota-sim run 'scenarios/with space'\\''s.yaml' --seed 7") !=
          std::string::npos);
    CHECK(xml.find("\xc3\xa9 \xf0\x9f\x98\x80") != std::string::npos); // valid UTF-8 kept
    CHECK(xml.find('\x01') == std::string::npos);
    CHECK(xml.find('\x1b') == std::string::npos);
    CHECK(xml.find("<skipped message=") != std::string::npos);
    CHECK(xml.find("<error message=\"the broker did not start") != std::string::npos);
    CHECK(xml.find("line=\"41\"") != std::string::npos);
    std::filesystem::remove(path);
    std::filesystem::remove(path + ".log");
}

TEST_CASE("the JUnit schema check can fail", "[scenario_format][report][junit]") {
    // The schema rejects what CI servers would not read, so the check above means something.
    const std::string path = temp_path("bad-junit.xml");
    {
        std::ofstream out(path);
        out << "<?xml version=\"1.0\"?>\n<testsuites tests=\"1\" failures=\"0\" errors=\"0\" "
               "time=\"1\"><testsuite name=\"x\" tests=\"-1\" failures=\"0\" errors=\"0\" "
               "time=\"0\" timestamp=\"2026-01-01T00:00:00\" hostname=\"h\" id=\"0\" "
               "package=\"p\"><properties/><testcase classname=\"x\" time=\"0\"/>"
               "<system-out/><system-err/></testsuite></testsuites>\n";
    }
    CHECK(xmllint_schema(path) != 0);
    std::filesystem::remove(path);
    std::filesystem::remove(path + ".log");
}

TEST_CASE("the JSON report has each device's phases with timestamps",
          "[scenario_format][report][json]") {
    const auto json = json_report({passed_report(), failed_report()});
    REQUIRE(json["scenarios"].size() == 2);
    const auto& first = json["scenarios"][0];
    CHECK(first["outcome"] == "passed");
    CHECK(first["reproduce"] == "fota-sim run scenarios/seed-happy-path.yaml --seed 1");
    CHECK(first["started_at"] == "2027-01-15T08:00:00Z");
    const auto& phases = first["devices"][0]["phases"];
    REQUIRE(phases.size() == 3);
    CHECK(phases[1]["phase"] == "downloading");
    CHECK(phases[1]["at_ms"] == 1200);
    CHECK(phases[1]["at"] == "2027-01-15T08:00:01");
    CHECK(phases[1]["detail"] == "fw-1");
    CHECK(first["devices"][0]["boots"] == 2);
    CHECK(first["devices"][0]["flash_operations"] == 970);
    CHECK(json["summary"]["passed"] == 1);
    CHECK(json["summary"]["failed"] == 1);
    CHECK(json["summary"]["exit_code"] == 1);

    // Invalid UTF-8 from a device is replaced, never thrown.
    std::ostringstream out;
    write_json_report(out, {failed_report()});
    const auto reread = nlohmann::json::parse(out.str());
    CHECK(reread["scenarios"][0]["expectations"][1]["passed"] == false);
}

TEST_CASE("the terminal summary says what failed, expected vs observed, and how to reproduce",
          "[scenario_format][report][terminal]") {
    std::ostringstream out;
    write_terminal_summary(out, {passed_report(), failed_report(), error_report()});
    const std::string text = out.str();
    CHECK(text.find("  PASS   seed-happy-path  (4.2 s, 1/1 expectations)\n") != std::string::npos);
    CHECK(text.find("  FAIL   fb-17-cancel") != std::string::npos);
    CHECK(text.find("scenarios/with space's.yaml:41: running_version: dev-0 runs 1.0.0") !=
          std::string::npos);
    CHECK(text.find("expected: 1.0.0\n") != std::string::npos);
    CHECK(text.find("observed: 2.0.0 ? bad") != std::string::npos);
    CHECK(text.find("reproduce: fota-sim run 'scenarios/with space'\\''s.yaml' --seed 7\n") !=
          std::string::npos);
    CHECK(text.find("  ERROR  stack-down") != std::string::npos);
    CHECK(text.find("the broker did not start") != std::string::npos);
    CHECK(text.find("3 scenarios: 1 passed, 1 failed, 1 errors") != std::string::npos);
    CHECK(text.find('\x1b') == std::string::npos); // no colour unless asked

    std::ostringstream coloured;
    write_terminal_summary(coloured, {passed_report()}, true);
    CHECK(coloured.str().find("\x1b[32mPASS") != std::string::npos);
}

TEST_CASE("exit code is 0 only when every scenario passed", "[scenario_format][report]") {
    CHECK(exit_code({}) == 2);
    CHECK(exit_code({passed_report()}) == 0);
    CHECK(exit_code({passed_report(), passed_report()}) == 0);
    CHECK(exit_code({passed_report(), failed_report()}) == 1);
    CHECK(exit_code({failed_report(), error_report()}) == 2);
    CHECK(exit_code({error_report(), passed_report()}) == 2);
}

TEST_CASE("the reproduce command quotes only when the shell needs it",
          "[scenario_format][report]") {
    ScenarioReport r;
    r.file = "scenarios/fb-01-version.yaml";
    r.seed = 12345678901234ULL;
    CHECK(reproduce_command(r) ==
          "fota-sim run scenarios/fb-01-version.yaml --seed 12345678901234");
    r.file = "a b;rm -rf x";
    CHECK(reproduce_command(r) == "fota-sim run 'a b;rm -rf x' --seed 12345678901234");
    // A run on a running stack repeats its URLs.
    r.file = "s.yaml";
    r.seed = 3;
    r.run_options = {{"--control-url", "http://127.0.0.1:8443"},
                     {"--mqtt-url", "tcp://127.0.0.1:1883"},
                     {"--bucket", "my bucket"}};
    CHECK(reproduce_command(r) ==
          "fota-sim run s.yaml --seed 3 --control-url http://127.0.0.1:8443 "
          "--mqtt-url tcp://127.0.0.1:1883 --bucket 'my bucket'");
}
