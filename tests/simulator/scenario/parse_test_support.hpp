// What the parser's tests share: a minimal valid scenario and ways to swap its steps or its
// expectations, so that each kind's test (steps/, expectations/) writes only the lines it is about.
#pragma once

#include "scenario/scenario_parser.hpp"

#include <string>

namespace fota::sim::test {

/// Three devices dev-0..dev-2 on v1, firmware v1 and v2, one create_job j1 and one expectation.
/// Steps start at line 9, expectations at line 11.
inline constexpr const char* kMinimal = R"(name: t
description: a test
firmware:
  v1: {version: 1.0.0, size: 64KiB}
  v2: {version: 2.0.0, size: 100KiB}
devices:
  - {thing_prefix: dev-, count: 3, initial_firmware: v1}
steps:
  - create_job: {id: j1, firmware: v2}
expect:
  - execution_status: {job: j1, status: SUCCEEDED}
)";

/// The first error as "file:line:col: message", for INFO.
inline std::string first_error(const ParseResult& result) {
    return result.errors.empty() ? std::string("(no error)") : result.errors.front().to_string();
}

/// kMinimal with its steps replaced by steps (lines "  - kind: ...").
inline std::string with_steps(const std::string& steps) {
    const std::string base = kMinimal;
    const auto begin = base.find("steps:\n");
    const auto end = base.find("expect:\n");
    return base.substr(0, begin) + "steps:\n" + steps + base.substr(end);
}

/// kMinimal with create_job j1 (steps[0]) followed by steps (steps[1] on).
inline std::string after_job(const std::string& steps) {
    return with_steps("  - create_job: {id: j1, firmware: v2}\n" + steps);
}

/// kMinimal with its expectations replaced by expect (lines "  - kind: ..."); job j1 exists.
inline std::string with_expect(const std::string& expect) {
    const std::string base = kMinimal;
    return base.substr(0, base.find("expect:\n")) + "expect:\n" + expect;
}

} // namespace fota::sim::test
