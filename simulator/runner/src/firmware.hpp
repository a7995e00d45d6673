// A scenario's firmware images: built (or read from a file) with the defect each asks for,
// written to the run's folder for the devices' first boot, and published to the stack's object
// store for the job documents.
#pragma once

#include "fota/sim/stack.hpp"
#include "scenario/job_document.hpp"
#include "scenario/scenario.hpp"

#include <cstdint>
#include <map>
#include <string>

namespace fota::sim::runner {

struct FirmwareImages {
    std::map<std::string, std::string> bytes; ///< by firmware id
    std::map<std::string, std::string> files; ///< by firmware id: <work_dir>/<id>.bin
};

/// Builds every firmware of scenario (test images from the run's seed unless content_seed is
/// given) with its defect and writes each to work_dir. Throws RunError naming the firmware's line.
FirmwareImages prepare_firmware(const Scenario& scenario, std::uint64_t seed,
                                const std::string& work_dir);

/// The object key of a firmware: its object_key, or "<id>.bin".
std::string object_key(const Scenario& scenario, const std::string& firmware_id);

/// Puts every image into the stack's object store; returns where each is, by firmware id.
std::map<std::string, PublishedFirmware>
publish_firmware(const Scenario& scenario, const FirmwareImages& images, Stack& stack);

} // namespace fota::sim::runner
