// fota-sim import's generator (simulator/import/): the sample field failure becomes a scenario
// that our parser accepts, with the steps and expectations the records call for; the same input
// gives the same bytes; an import with nothing to reproduce says what was missing.
#include "fota/sim/import.hpp"
#include "scenario/scenario_parser.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <variant>

using namespace fota::sim;
using namespace fota::sim::importer;

namespace {

std::string data(const std::string& name) {
    std::ifstream in(std::string(FOTA_IMPORT_DATA_DIR) + "/" + name, std::ios::binary);
    REQUIRE(in);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

FieldRecord sample(const std::string& log = "field-failure.jsonl", bool executions = true) {
    FieldRecord record;
    REQUIRE_FALSE(read_iot_log(data(log), log, record));
    if (executions) {
        REQUIRE_FALSE(read_executions(data("describe-job-execution.json"),
                                      "describe-job-execution.json", "", record));
        REQUIRE_FALSE(read_executions(data("list-job-executions-for-thing.json"),
                                      "list-job-executions-for-thing.json", "nrf-352656100123456",
                                      record));
    }
    return record;
}

ImportOptions options() {
    ImportOptions o;
    o.name = "field-failure";
    o.log_files = {"field-failure.jsonl"};
    o.execution_files = {"describe-job-execution.json", "list-job-executions-for-thing.json"};
    return o;
}

Scenario parsed(const ImportResult& result) {
    REQUIRE(result.ok());
    const ParseResult parse = parse_scenario(result.yaml, "imported.yaml", ".");
    for (const auto& error : parse.errors) {
        UNSCOPED_INFO(error.to_string());
    }
    INFO(result.yaml);
    REQUIRE(parse.ok());
    return *parse.scenario;
}

template <typename Step>
std::vector<Step> steps_of(const Scenario& scenario) {
    std::vector<Step> found;
    for (const auto& step : scenario.steps) {
        if (const auto* s = std::get_if<Step>(&step.action)) {
            found.push_back(*s);
        }
    }
    return found;
}

} // namespace

TEST_CASE("the sample field failure becomes a scenario that parses, with its timeline") {
    const ImportResult result = generate_scenario(sample(), options());
    const Scenario scenario = parsed(result);
    CHECK(scenario.name == "field-failure");
    CHECK(scenario.stack.kind == StackKind::sim);
    REQUIRE(scenario.devices.size() == 1);
    CHECK(scenario.devices[0].thing_prefix == "nrf-352656100123456-");
    CHECK(scenario.devices[0].count == 1);
    const Firmware* image = scenario.find_firmware("v2");
    REQUIRE(image);
    CHECK(image->version == "2.1.0"); // the document's fwversion
    CHECK(image->size == 181248);     // and size

    const auto jobs = steps_of<CreateJobStep>(scenario);
    REQUIRE(jobs.size() == 1);
    CHECK(jobs[0].job_id == "fw-2-1-0");
    REQUIRE(jobs[0].document);
    CHECK((*jobs[0].document)["location"]["host"] == "${firmware.host}");
    CHECK((*jobs[0].document)["location"]["path"] == "${firmware.path}");
    CHECK((*jobs[0].document)["operation"] == "app_fw_update");

    // The Disconnect at 08:14:41.900, 39.799 s after the first Connect; the next Connect that
    // succeeded at 08:15:09.400 (the failed one at 08:14:55 does not end the gap).
    const auto holds = steps_of<HoldStep>(scenario);
    REQUIRE(holds.size() == 1);
    CHECK(holds[0].duration == std::chrono::milliseconds(39'799));
    const auto faults = steps_of<NetworkFaultStep>(scenario);
    REQUIRE(faults.size() == 1);
    CHECK(faults[0].kind == NetworkFaultStep::Kind::offline);
    CHECK(faults[0].duration == std::chrono::milliseconds(27'500));
    CHECK(faults[0].devices.things == std::vector<std::string>{"nrf-352656100123456-0"});

    // The device was between its two updates of the job at the Disconnect: the download is
    // throttled to last twice as long as the time from the job to the Disconnect.
    const auto throttles = steps_of<HttpFaultStep>(scenario);
    REQUIRE(throttles.size() == 1);
    CHECK(throttles[0].kind == HttpFaultStep::Kind::throttle);
    CHECK(throttles[0].bytes_per_second == (181248 * 1000 + 79598 - 1) / 79598);

    REQUIRE(scenario.expectations.size() == 1);
    CHECK(scenario.expectations[0].kind == Expectation::Kind::execution_status);
    CHECK(scenario.expectations[0].execution_status == ExecutionStatus::failed);
    CHECK(result.yaml.find("# observed in the field: nrf-352656100123456 FAILED "
                           "(describe-job-execution,\n  #   describe-job-execution.json:2,") !=
          std::string::npos);
    CHECK(result.yaml.find("statusDetails {\"nextState\":\"none\",\"reason\":\"download "
                           "interrupted\"}") != std::string::npos);
    CHECK(result.devices == 1);
    CHECK(result.jobs == 1);
    CHECK(result.network_faults == 1);
    CHECK(result.expectations == 1);
}

TEST_CASE("the same records give the same bytes, whatever form the log came in") {
    const std::string yaml = generate_scenario(sample(), options()).yaml;
    CHECK(generate_scenario(sample(), options()).yaml == yaml);
    // The comments name where each entry was read (file:line, and lines wrap where they fit);
    // the scenario itself is the same.
    const auto without_places = [](const std::string& text) {
        return std::regex_replace(text, std::regex(R"((^|\n) *#[^\n]*)"), "");
    };
    CHECK(yaml.find("field-failure.jsonl:13") != std::string::npos);
    for (const char* form : {"field-failure-array.json", "field-failure-filter-log-events.json"}) {
        INFO(form);
        CHECK(without_places(generate_scenario(sample(form), options()).yaml) ==
              without_places(yaml));
    }
}

TEST_CASE("without the execution history: the template and a placeholder expectation") {
    ImportOptions o = options();
    o.execution_files.clear();
    o.stack = "embedded";
    const ImportResult result = generate_scenario(sample("field-failure.jsonl", false), o);
    const Scenario scenario = parsed(result);
    CHECK(scenario.stack.kind == StackKind::embedded);
    const auto jobs = steps_of<CreateJobStep>(scenario);
    REQUIRE(jobs.size() == 1);
    CHECK_FALSE(jobs[0].document);
    CHECK(jobs[0].document_template == DocumentTemplate::host_path);
    CHECK(scenario.find_firmware("v2")->version == "2.0.0");
    // First named by the Subscribe to its update/accepted at 08:14:02.810: 709 ms after the
    // first Connect.
    const auto holds = steps_of<HoldStep>(scenario);
    REQUIRE(holds.size() == 2);
    CHECK(holds[0].duration == std::chrono::milliseconds(709));
    REQUIRE(scenario.expectations.size() == 1);
    CHECK(scenario.expectations[0].kind == Expectation::Kind::phases);
    CHECK(result.yaml.find("FILL IN") != std::string::npos);
}

TEST_CASE("two things, one that disconnects for good, a takeover and clashing prefixes") {
    const std::string log =
        R"({"timestamp":"2026-01-01 00:00:00.000","eventType":"Connect","clientId":"dev"}
{"timestamp":"2026-01-01 00:00:01.000","eventType":"Connect","clientId":"dev-1"}
{"timestamp":"2026-01-01 00:00:01.500","eventType":"Subscribe","clientId":"dev","topicName":"$aws/things/dev/jobs/notify-next"}
{"timestamp":"2026-01-01 00:00:02.000","eventType":"Publish-In","clientId":"dev-1","topicName":"$aws/things/dev-1/jobs/job_A/get"}
{"timestamp":"2026-01-01 00:00:03.000","eventType":"Disconnect","clientId":"dev","disconnectReason":"DUPLICATE_CLIENT_ID"}
{"timestamp":"2026-01-01 00:00:04.000","eventType":"Disconnect","clientId":"dev-1","disconnectReason":"MQTT_KEEP_ALIVE_TIMEOUT"}
)";
    FieldRecord record;
    REQUIRE_FALSE(read_iot_log(log, "two.jsonl", record));
    ImportOptions o;
    const ImportResult result = generate_scenario(record, o);
    const Scenario scenario = parsed(result);
    CHECK(scenario.name == "imported-dev");
    REQUIRE(scenario.devices.size() == 2);
    CHECK(scenario.devices[0].thing_prefix == "dev_"); // "dev-" would start dev-1's names
    CHECK(scenario.devices[1].thing_prefix == "dev-1-");
    const auto jobs = steps_of<CreateJobStep>(scenario);
    REQUIRE(jobs.size() == 1);
    CHECK(jobs[0].targets.things == std::vector<std::string>{"dev-1-0"});
    CHECK(steps_of<NetworkFaultStep>(scenario).empty());
    const auto notes = result.notes;
    const auto has_note = [&](const std::string& text) {
        return std::any_of(notes.begin(), notes.end(),
                           [&](const auto& n) { return n.find(text) != std::string::npos; });
    };
    CHECK(has_note("two.jsonl:5: a Disconnect of dev for DUPLICATE_CLIENT_ID"));
    CHECK(has_note("two.jsonl:6: dev-1 disconnected and the log shows no later Connect"));
}

TEST_CASE("the deadline covers an offline time that outlasts the last step") {
    const std::string log =
        R"({"timestamp":"2026-01-01 00:00:00","eventType":"Connect","clientId":"d"}
{"timestamp":"2026-01-01 00:00:01","eventType":"Publish-In","clientId":"d","topicName":"$aws/things/d/jobs/j/update"}
{"timestamp":"2026-01-01 00:00:05","eventType":"Disconnect","clientId":"d"}
{"timestamp":"2026-01-01 03:00:05","eventType":"Connect","clientId":"d"}
)";
    FieldRecord record;
    REQUIRE_FALSE(read_iot_log(log, "long.jsonl", record));
    const Scenario scenario = parsed(generate_scenario(record, ImportOptions{}));
    const auto faults = steps_of<NetworkFaultStep>(scenario);
    REQUIRE(faults.size() == 1);
    CHECK(faults[0].duration == std::chrono::hours(3));
    CHECK(scenario.deadline >= std::chrono::hours(3) + std::chrono::seconds(5));

    const std::string months =
        R"({"timestamp":"2026-01-01 00:00:00","eventType":"Connect","clientId":"d"}
{"timestamp":"2026-03-01 00:00:00","eventType":"Publish-In","clientId":"d","topicName":"$aws/things/d/jobs/j/update"}
)";
    FieldRecord far;
    REQUIRE_FALSE(read_iot_log(months, "months.jsonl", far));
    CHECK(generate_scenario(far, ImportOptions{})
              .error.rfind("the records span 5097600s, more than", 0) == 0);
}

TEST_CASE("--thing keeps one thing, and names the thing of list-job-executions-for-thing") {
    FieldRecord record = sample();
    ImportOptions o = options();
    o.thing = "nrf-352656100123456";
    const ImportResult one = generate_scenario(record, o);
    CHECK(parsed(one).devices.size() == 1);
    CHECK(one.yaml.find("fota-backend-7f3a") == std::string::npos); // not a note: not asked for
    o.thing = "nrf-0";
    const ImportResult missing = generate_scenario(record, o);
    CHECK(missing.error == "thing nrf-0 is not in the inputs; things seen: nrf-352656100123456");
}

TEST_CASE("an import with nothing to reproduce says what was missing") {
    FieldRecord backend;
    REQUIRE_FALSE(read_iot_log(
        R"({"timestamp":"2026-01-01 00:00:00","eventType":"Publish-In","clientId":"app","topicName":"fleet/x"})",
        "b.jsonl", backend));
    const ImportResult nothing = generate_scenario(backend, ImportOptions{});
    CHECK(nothing.error.rfind("nothing to import: no thing", 0) == 0);

    FieldRecord no_job;
    REQUIRE_FALSE(read_iot_log(
        R"({"timestamp":"2026-01-01 00:00:00","eventType":"Subscribe","clientId":"d","topicName":"$aws/things/d/jobs/notify-next"})",
        "d.jsonl", no_job));
    CHECK(generate_scenario(no_job, ImportOptions{}).error ==
          "no job to reproduce: thing(s) d but no $aws/things/<thing>/jobs/<jobId>/... topic, Jobs "
          "entry with a jobId, or execution history (pass --executions FILE)");

    FieldRecord two_things;
    REQUIRE_FALSE(read_iot_log(
        R"({"timestamp":"2026-01-01 00:00:00","eventType":"Subscribe","clientId":"d","topicName":"$aws/things/d/jobs/notify-next"}
{"timestamp":"2026-01-01 00:00:00","eventType":"Subscribe","clientId":"e","topicName":"$aws/things/e/jobs/notify-next"})",
        "d.jsonl", two_things));
    REQUIRE_FALSE(
        read_executions(data("list-job-executions-for-thing.json"), "l.json", "", two_things));
    CHECK(generate_scenario(two_things, ImportOptions{}).error ==
          "l.json:3: the execution of job fw-2-1-0 does not name its thing "
          "(list-job-executions-for-thing output); pass --thing NAME; things seen: d, e");
}

TEST_CASE("job topics: the job of jobs/<id>/get and /update, none for notify, $next and get") {
    const std::string log =
        R"({"timestamp":"2026-01-01 00:00:00","eventType":"Connect","clientId":"d"}
{"timestamp":"2026-01-01 00:00:01","eventType":"Publish-In","clientId":"d","topicName":"$aws/things/d/jobs/get"}
{"timestamp":"2026-01-01 00:00:01","eventType":"Publish-Out","clientId":"d","topicName":"$aws/things/d/jobs/get/accepted"}
{"timestamp":"2026-01-01 00:00:01","eventType":"Publish-Out","clientId":"d","topicName":"$aws/things/d/jobs/notify"}
{"timestamp":"2026-01-01 00:00:01","eventType":"Publish-In","clientId":"d","topicName":"$aws/things/d/jobs/$next/get"}
{"timestamp":"2026-01-01 00:00:01","eventType":"Publish-In","clientId":"d","topicName":"$aws/things/d/jobs/start-next"}
{"timestamp":"2026-01-01 00:00:02","eventType":"Publish-In","clientId":"d","topicName":"$aws/things/d/jobs/get/get"}
{"timestamp":"2026-01-01 00:00:03","eventType":"Publish-In","clientId":"d","topicName":"$aws/things/d/jobs/notify/update"}
{"timestamp":"2026-01-01 00:00:04","eventType":"Publish-In","clientId":"d","topicName":"$aws/things/d/jobs/bad.id/update"}
)";
    FieldRecord record;
    REQUIRE_FALSE(read_iot_log(log, "j.jsonl", record));
    const ImportResult result = generate_scenario(record, ImportOptions{});
    const Scenario scenario = parsed(result);
    const auto jobs = steps_of<CreateJobStep>(scenario);
    REQUIRE(jobs.size() == 2);
    CHECK(jobs[0].job_id == "get"); // a job may be called get or notify (DESIGN.md)
    CHECK(jobs[1].job_id == "notify");
    CHECK(scenario.find_firmware("v3")->version == "3.0.0");
    CHECK(std::any_of(result.notes.begin(), result.notes.end(), [](const auto& n) {
        return n.find("ignored job id bad.id") != std::string::npos;
    }));
}
