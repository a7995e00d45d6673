// Step http_fault: object-server faults, every kind.
#include "scenario/scenario_parser.hpp"

#include "../fake_run.hpp"
#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using namespace std::chrono_literals;
using fota::sim::test::after_job;
using fota::sim::test::first_error;
using fota::sim::test::with_steps;

TEST_CASE("step http_fault carries its fields into the model",
          "[scenario_format][parser][http_fault]") {
    const auto result = parse_scenario(
        after_job("  - http_fault: {kind: close_after_bytes, firmware: v2, bytes: 50000}\n"),
        "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    const auto& http = std::get<HttpFaultStep>(result.scenario->steps[1].action);
    CHECK(http.kind == HttpFaultStep::Kind::close_after_bytes);
    CHECK(http.firmware == "v2");
    CHECK(http.bytes == 50000u);
}

TEST_CASE("every http_fault kind maps to its own enum value",
          "[scenario_format][parser][http_fault]") {
    const std::vector<std::pair<std::string, HttpFaultStep::Kind>> kinds{
        {"close_after_bytes, bytes: 1", HttpFaultStep::Kind::close_after_bytes},
        {"throttle, bytes_per_second: 1", HttpFaultStep::Kind::throttle},
        {"error_status, status: 500", HttpFaultStep::Kind::error_status},
        {"slow_down", HttpFaultStep::Kind::slow_down},
        {"ignore_range", HttpFaultStep::Kind::ignore_range},
        {"wrong_content_range, content_range: wrong_end", HttpFaultStep::Kind::wrong_content_range},
        {"stall, duration: 1s", HttpFaultStep::Kind::stall},
        {"replace_object, firmware: v1, replacement: v2", HttpFaultStep::Kind::replace_object},
        {"redirect, status: 307", HttpFaultStep::Kind::redirect},
        {"refuse_connections", HttpFaultStep::Kind::refuse_connections},
        {"connection_close", HttpFaultStep::Kind::connection_close},
        {"long_header, bytes: 3000", HttpFaultStep::Kind::long_header},
        {"lowercase_headers", HttpFaultStep::Kind::lowercase_headers},
    };
    std::string steps = "  - create_job: {id: j1, firmware: v2}\n";
    for (const auto& [text, kind] : kinds) {
        steps += "  - http_fault: {kind: " + text + "}\n";
    }
    const auto result = parse_scenario(with_steps(steps), "http.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    REQUIRE(result.scenario->steps.size() == kinds.size() + 1);
    for (std::size_t i = 0; i < kinds.size(); ++i) {
        CHECK(std::get<HttpFaultStep>(result.scenario->steps[i + 1].action).kind ==
              kinds[i].second);
    }
    CHECK(std::get<HttpFaultStep>(result.scenario->steps[4].action).status == 503);
    CHECK(std::get<HttpFaultStep>(result.scenario->steps[12].action).bytes == 3000u);
}

TEST_CASE("step http_fault adds object faults for one firmware or every object",
          "[scenario_format][run][http_fault]") {
    test::FakeRun run(test::with_only_steps(
        R"(  - http_fault: {kind: close_after_bytes, firmware: v2, bytes: 50000}
  - http_fault: {kind: slow_down, count: 2}
)"));
    REQUIRE(run.run_steps());
    const auto& faults = run.fake_stack().faults;
    REQUIRE(faults.size() == 2);
    CHECK(faults[0].kind == fota::cloud::ObjectFault::Kind::close_after_bytes);
    CHECK(faults[0].bucket == "fw");
    CHECK(faults[0].key == "v2.bin");
    CHECK(faults[0].bytes == 50000);
    CHECK(faults[0].count == 1); // the next response only
    CHECK(faults[1].kind == fota::cloud::ObjectFault::Kind::error_status);
    CHECK(faults[1].key.empty());
    CHECK(faults[1].status == 503);
    CHECK(faults[1].code == "SlowDown");
    CHECK(faults[1].count == 2);
}

TEST_CASE("step http_fault 'from' makes range faults wait for a later range",
          "[scenario_format][run][http_fault]") {
    test::FakeRun run(test::with_only_steps(
        "  - http_fault: {kind: wrong_content_range, firmware: v2, content_range: wrong_start, "
        "from: 16KiB}\n  - http_fault: {kind: ignore_range, from: 1}\n"));
    REQUIRE(run.run_steps());
    const auto& faults = run.fake_stack().faults;
    REQUIRE(faults.size() == 2);
    CHECK(faults[0].from_byte == 16384);
    CHECK(faults[0].mismatch == "start");
    CHECK(faults[1].from_byte == 1);

    for (const char* bad : {"  - http_fault: {kind: throttle, bytes_per_second: 10, from: 4KiB}\n",
                            "  - http_fault: {kind: ignore_range, from: 0}\n"}) {
        const auto result = parse_scenario(test::with_only_steps(bad), "from.yaml");
        INFO(bad);
        CHECK_FALSE(result.ok());
        CHECK(first_error(result).find("from") != std::string::npos);
    }
}

TEST_CASE("step http_fault replace_object puts the replacement's image under the firmware's key",
          "[scenario_format][run][http_fault]") {
    test::FakeRun run(test::with_only_steps(
        "  - http_fault: {kind: replace_object, firmware: v2, replacement: v1}\n"));
    REQUIRE(run.run_steps());
    CHECK(run.fake_stack().puts ==
          std::vector<std::pair<std::string, std::size_t>>{{"v2.bin", 64 * 1024}});
    CHECK(run.fake_stack().faults.empty());
}
