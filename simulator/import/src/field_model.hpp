// What the field records say, arranged for the scenario: the things (clients that are things on
// their reserved topics), their connections and disconnects, the jobs and what became of them.
#pragma once

#include "fota/sim/import.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fota::sim::importer::detail {

/// A Disconnect of a thing, and the Connect that ended the gap (if the log has one).
struct Gap {
    std::int64_t disconnect_ms = 0;
    std::optional<std::int64_t> reconnect_ms;
    std::string reason; ///< disconnectReason, when logged
    std::string where;  ///< FILE:LINE of the Disconnect
};

struct ThingModel {
    std::string name;      ///< as in the field
    std::string prefix;    ///< the device group's thing_prefix
    std::string sim_thing; ///< the simulated thing: prefix + "0"
    std::vector<std::int64_t> connects;
    std::vector<Gap> gaps;
    std::map<std::string, std::vector<std::int64_t>> updates; ///< job id -> jobs/<id>/update times
    std::size_t entries = 0;                                  ///< log entries of this thing
};

struct JobModel {
    std::string id;
    std::optional<std::int64_t> first_seen_ms; ///< first log entry naming it
    std::string first_seen_where;              ///< its FILE:LINE
    std::optional<std::int64_t> queued_at_ms;  ///< from the execution history
    std::vector<std::string> things;           ///< field thing names, sorted
    std::optional<nlohmann::json> document;    ///< from iot-jobs-data describe-job-execution
    std::map<std::string, ExecutionRecord> final_status; ///< per thing, the latest record
    std::string firmware_id;                             ///< v2, v3, ...
    std::string version;
    std::uint64_t image_size = 0;
    std::string version_source; ///< where version and size came from, for the comments
};

struct FieldModel {
    std::vector<ThingModel> things; ///< sorted by name
    std::vector<JobModel> jobs;     ///< in the order they were first seen (then by id)
    std::int64_t origin_ms = 0;     ///< the scenario's time 0: the first Connect of a thing
    bool has_origin = false;
    std::vector<std::string> notes;
    std::string error; ///< nothing to import, or an execution without its thing
};

/// Builds the model from what was read; only `thing` when it is not empty.
FieldModel build_model(const FieldRecord& record, const std::string& thing);

/// MCUboot "major.minor.revision[+build]" (scenario format).
bool is_image_version(const std::string& text);

} // namespace fota::sim::importer::detail
