// Time in the importer: Unix milliseconds (UTC). parse_timestamp is public (import.hpp).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace fota::sim::importer::detail {

/// "2026-12-01 10:00:05.250" (UTC), as the IoT logs write it.
std::string format_time(std::int64_t unix_ms);

/// A duration in the scenario format: "12s" when whole seconds, else "12500ms".
std::string format_duration(std::int64_t ms);

/// An AWS CLI timestamp: epoch seconds (CLI v1, iot-jobs-data; fractions allowed) or ISO 8601
/// text (CLI v2). nullopt for anything else.
std::optional<std::int64_t> epoch_or_text_ms(const nlohmann::json& value);

} // namespace fota::sim::importer::detail
