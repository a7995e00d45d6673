// fota-sim import's readers (simulator/import/): AWS IoT log entries in their three forms, the
// job execution history of both planes, timestamps, and the FILE:LINE of each kind of bad input.
#include "fota/sim/import.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

using namespace fota::sim::importer;

namespace {

std::string data(const std::string& name) {
    std::ifstream in(std::string(FOTA_IMPORT_DATA_DIR) + "/" + name, std::ios::binary);
    REQUIRE(in);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The error of reading text as a log; "" when it reads.
std::string log_error(const std::string& text) {
    FieldRecord record;
    const auto problem = read_iot_log(text, "f.jsonl", record);
    return problem ? problem->to_string() : std::string();
}

std::string execution_error(const std::string& text) {
    FieldRecord record;
    const auto problem = read_executions(text, "x.json", "", record);
    return problem ? problem->to_string() : std::string();
}

const char* const kConnect = R"({"timestamp":"2026-11-30 08:14:02.101","eventType":"Connect",)"
                             R"("status":"Success","clientId":"nrf-1"})";

} // namespace

TEST_CASE("timestamps of the IoT logs and of the AWS CLI") {
    CHECK(parse_timestamp("2017-08-10 15:37:23.476") == 1502379443476);
    CHECK(parse_timestamp("2017-08-10T15:37:23.476Z") == 1502379443476);
    CHECK(parse_timestamp("2017-08-10T17:37:23.476+02:00") == 1502379443476);
    CHECK(parse_timestamp("2017-08-10T15:37:23.476000+00:00") == 1502379443476);
    CHECK(parse_timestamp("1970-01-01 00:00:00") == 0);
    CHECK(parse_timestamp("2000-02-29 00:00:00") == 951782400000);
    for (const char* bad : {"", "2017-08-10", "2017-13-10 00:00:00", "2017-08-10 15:37:23.",
                            "2017-08-10 15:37:23.476 UTC", "10/08/2017 15:37:23",
                            "2017-08-10 25:00:00", "2017-08-10T15:37:23+2"}) {
        INFO(bad);
        CHECK_FALSE(parse_timestamp(bad));
    }
}

TEST_CASE("the sample log as JSON lines: the entries the importer uses, the others counted") {
    FieldRecord record;
    REQUIRE_FALSE(read_iot_log(data("field-failure.jsonl"), "field-failure.jsonl", record));
    CHECK(record.entries == 22);
    CHECK(record.events.size() == 21);
    CHECK(record.unknown_event_types ==
          std::map<std::string, std::size_t>{{"UpdateThingShadow", 1}});
    const LogEvent& connect = record.events.front();
    CHECK(connect.event_type == "Connect");
    CHECK(connect.client_id == "nrf-352656100123456");
    CHECK(connect.time_ms == *parse_timestamp("2026-11-30 08:14:02.101"));
    CHECK(connect.line == 1);
    const auto disconnect =
        std::find_if(record.events.begin(), record.events.end(),
                     [](const auto& e) { return e.event_type == "Disconnect"; });
    REQUIRE(disconnect != record.events.end());
    CHECK(disconnect->disconnect_reason == "CONNECTION_LOST");
    CHECK(disconnect->line == 13);
    const auto update = std::find_if(record.events.begin(), record.events.end(), [](const auto& e) {
        return e.event_type == "UpdateJobExecution";
    });
    REQUIRE(update != record.events.end());
    CHECK(update->job_id == "fw-2-1-0");
    CHECK(update->thing_name == "nrf-352656100123456");
}

TEST_CASE("the same log as a JSON array and as filter-log-events output reads the same") {
    FieldRecord lines;
    FieldRecord array;
    FieldRecord filtered;
    REQUIRE_FALSE(read_iot_log(data("field-failure.jsonl"), "a", lines));
    REQUIRE_FALSE(read_iot_log(data("field-failure-array.json"), "b", array));
    REQUIRE_FALSE(read_iot_log(data("field-failure-filter-log-events.json"), "c", filtered));
    for (const FieldRecord* other : {&array, &filtered}) {
        REQUIRE(other->events.size() == lines.events.size());
        CHECK(other->unknown_event_types == lines.unknown_event_types);
        for (std::size_t i = 0; i < lines.events.size(); ++i) {
            const LogEvent& a = lines.events[i];
            const LogEvent& b = other->events[i];
            CHECK(a.time_ms == b.time_ms);
            CHECK(a.event_type == b.event_type);
            CHECK(a.client_id == b.client_id);
            CHECK(a.topic == b.topic);
            CHECK(a.status == b.status);
        }
    }
    // Each element's own line: the array's 13th entry (the Disconnect) and the 13th event.
    CHECK(array.events[11].event_type == "Disconnect");
    CHECK(array.events[11].line == 168);
    CHECK(filtered.events[11].line == 87);
}

TEST_CASE("a UTF-8 byte order mark before the JSON is skipped") {
    FieldRecord record;
    REQUIRE_FALSE(read_iot_log("\xEF\xBB\xBF" + std::string(kConnect) + "\n", "f.jsonl", record));
    CHECK(record.events.size() == 1);
    REQUIRE_FALSE(read_executions("\xEF\xBB\xBF" + data("describe-job-execution.json"), "d.json",
                                  "", record));
    CHECK(record.executions.size() == 1);
}

TEST_CASE("a filter-log-events message without a timestamp takes the event's") {
    FieldRecord record;
    const std::string text =
        R"({"events":[{"timestamp":1502379443476,"message":"{\"eventType\":\"Connect\",)"
        R"(\"clientId\":\"nrf-1\"}"}]})";
    REQUIRE_FALSE(read_iot_log(text, "f.json", record));
    REQUIRE(record.events.size() == 1);
    CHECK(record.events[0].time_ms == 1502379443476);
}

TEST_CASE("malformed log input gives FILE:LINE and what is wrong") {
    const std::string connect = kConnect;
    CHECK(log_error("") ==
          "f.jsonl: the file is empty; expected AWS IoT log entries (AWSIotLogsV2 "
          "JSON: one per line, a JSON array, or aws logs filter-log-events output)");
    CHECK(log_error(connect + "\n\n{\"eventType\":") ==
          "f.jsonl:3: not JSON: syntax error while parsing value - unexpected end of input; "
          "expected '[', '{', or a literal");
    CHECK(log_error(connect + "\n[1]\n") ==
          "f.jsonl:2: a log entry must be a JSON object; got an array");
    CHECK(log_error(connect + "\n{\"timestamp\":\"2026-11-30 08:14:02.101\"}\n") ==
          "f.jsonl:2: the entry has no \"eventType\" (AWSIotLogsV2 entries name their event: "
          "Connect, Publish-In, ...)");
    CHECK(log_error(R"({"eventType":"Connect","clientId":"a","timestamp":"yesterday"})") ==
          "f.jsonl:1: \"timestamp\" must be a UTC time like \"2017-08-10 15:37:23.476\"; got "
          "\"yesterday\"");
    CHECK(log_error(R"({"eventType":"Connect","clientId":"a"})") ==
          "f.jsonl:1: the Connect entry has no \"timestamp\"");
    CHECK(log_error(R"({"eventType":"Connect","clientId":7,"timestamp":"2026-11-30 08:14:02"})") ==
          "f.jsonl:1: \"clientId\" must be a string; got a number (in a Connect entry)");
    CHECK(log_error(R"({"eventType":"Disconnect","timestamp":"2026-11-30 08:14:02"})") ==
          "f.jsonl:1: the Disconnect entry has no \"clientId\"");
    CHECK(log_error(
              connect + "\n" +
              R"({"eventType":"Subscribe","clientId":"a","timestamp":"2026-11-30 08:14:02"})") ==
          "f.jsonl:2: the Subscribe entry has no \"topicName\"");
    CHECK(log_error("[\n" + connect + ",\n  \"Connect\"\n]") ==
          "f.jsonl:3: a log entry must be a JSON object; got a string");
    CHECK(log_error("{\n  \"events\": {}\n}") ==
          "f.jsonl:2: \"events\" must be an array of log events (aws logs filter-log-events "
          "output); got an object");
    CHECK(log_error("{\n  \"events\": [\n    {\"message\": 5}\n  ]\n}") ==
          "f.jsonl:3: \"message\" must be the AWS IoT log entry as a JSON string; got a number");
    CHECK(log_error("{\n  \"events\": [\n    {\"timestamp\": 1},\n  ]\n}")
              .rfind("f.jsonl:4: not JSON", 0) == 0);
    CHECK(log_error("Connect nrf-1\n") ==
          "f.jsonl:1: not an AWS IoT log entry: expected a JSON object per line, a JSON array, or "
          "aws logs filter-log-events output");
}

TEST_CASE("entries of other event types are counted, not fatal, whatever else they hold") {
    FieldRecord record;
    const std::string text = std::string(kConnect) + "\n" +
                             R"({"eventType":"RuleExecution","ruleName":"r"})" + "\n" +
                             R"({"eventType":"RuleExecution"})" + "\n" +
                             R"({"eventType":"Queued","timestamp":5})" + "\n";
    REQUIRE_FALSE(read_iot_log(text, "f.jsonl", record));
    CHECK(record.entries == 4);
    CHECK(record.events.size() == 1);
    CHECK(record.unknown_event_types ==
          std::map<std::string, std::size_t>{{"Queued", 1}, {"RuleExecution", 2}});
}

TEST_CASE("describe-job-execution of the data plane: document, details, times") {
    FieldRecord record;
    REQUIRE_FALSE(read_executions(data("describe-job-execution.json"), "d.json", "", record));
    REQUIRE(record.executions.size() == 1);
    const ExecutionRecord& e = record.executions[0];
    CHECK(e.from_describe);
    CHECK(e.thing == "nrf-352656100123456");
    CHECK(e.job_id == "fw-2-1-0");
    CHECK(e.status == "FAILED");
    CHECK(e.status_details ==
          nlohmann::json{{"nextState", "none"}, {"reason", "download interrupted"}});
    REQUIRE(e.job_document);
    CHECK((*e.job_document)["fwversion"] == "v2.1.0");
    CHECK(e.queued_at_ms == *parse_timestamp("2026-11-30 08:10:00"));
    CHECK(e.last_updated_at_ms == *parse_timestamp("2026-11-30 08:15:10"));
    CHECK(e.version_number == 3);
    CHECK(e.execution_number == 1);
    CHECK(e.line == 2);
}

TEST_CASE("describe-job-execution of the control plane: thingArn and detailsMap") {
    FieldRecord record;
    const std::string text =
        R"({"execution":{"jobId":"fw-1","status":"SUCCEEDED",)"
        R"("thingArn":"arn:aws:iot:eu-west-1:123456789012:thing/dev-7",)"
        R"("statusDetails":{"detailsMap":{"nextState":"none"}},)"
        R"("queuedAt":1796026200.5,"lastUpdatedAt":"2026-11-30T08:15:10.330000+00:00"}})";
    REQUIRE_FALSE(read_executions(text, "c.json", "", record));
    const ExecutionRecord& e = record.executions.at(0);
    CHECK(e.thing == "dev-7");
    CHECK(e.status_details == nlohmann::json{{"nextState", "none"}});
    CHECK(e.queued_at_ms == 1796026200500);
    CHECK(e.last_updated_at_ms == *parse_timestamp("2026-11-30 08:15:10.330"));
}

TEST_CASE("list-job-executions-for-thing: the thing from --thing, each summary's line") {
    FieldRecord record;
    REQUIRE_FALSE(
        read_executions(data("list-job-executions-for-thing.json"), "l.json", "nrf-9", record));
    REQUIRE(record.executions.size() == 1);
    const ExecutionRecord& e = record.executions[0];
    CHECK_FALSE(e.from_describe);
    CHECK(e.thing == "nrf-9");
    CHECK(e.status == "FAILED");
    CHECK(e.started_at_ms == *parse_timestamp("2026-11-30 08:14:03.150"));
    CHECK(e.line == 3);
}

TEST_CASE("malformed execution history gives FILE:LINE and what is wrong") {
    CHECK(execution_error("{\n\"execution\": {\"jobId\": \"a\",\n\"status\": }}") ==
          "x.json:3: not JSON: syntax error while parsing value - unexpected '}'; expected '[', "
          "'{', or a literal");
    CHECK(execution_error(R"({"jobs": []})") ==
          "x.json:1: not a job execution history: expected the output of aws iot "
          "describe-job-execution ({\"execution\": {...}}) or aws iot "
          "list-job-executions-for-thing ({\"executionSummaries\": [...]})");
    CHECK(execution_error(R"({"execution":{"jobId":"a","status":"DONE"}})") ==
          "x.json:1: \"status\" \"DONE\" is not a job execution status (QUEUED, IN_PROGRESS, "
          "SUCCEEDED, FAILED, TIMED_OUT, REJECTED, REMOVED, CANCELED)");
    CHECK(execution_error(R"({"execution":{"status":"FAILED"}})") ==
          "x.json:1: the execution needs \"jobId\", a non-empty string");
    CHECK(execution_error(R"({"execution":{"jobId":"a","status":"FAILED","queuedAt":"soon"}})") ==
          "x.json:1: \"queuedAt\" must be epoch seconds or an ISO 8601 time; got \"soon\"");
    CHECK(execution_error(R"({"execution":{"jobId":"a","status":"FAILED","jobDocument":"{"}})")
              .rfind("x.json:1: \"jobDocument\" is not a JSON document: ", 0) == 0);
    CHECK(
        execution_error(R"({"execution":{"jobId":"a","status":"FAILED","thingArn":"dev"}})") ==
        "x.json:1: \"thingArn\" must be a thing ARN, arn:aws:iot:<region>:<account>:thing/<name>");
    CHECK(execution_error(
              "{\"executionSummaries\": [\n{\"jobId\": \"a\", \"jobExecutionSummary\": "
              "{\"status\": \"QUEUED\"}},\n{\"thingArn\": \"arn:aws:iot:r:1:thing/t\"}\n]}") ==
          "x.json:3: the entry of \"executionSummaries\" has no \"jobId\" "
          "(list-job-executions-for-job does not name its job: use list-job-executions-for-thing "
          "or describe-job-execution)");
    CHECK(execution_error(" \n") == "x.json: the file is empty; expected the output of aws iot "
                                    "describe-job-execution or list-job-executions-for-thing");
}
