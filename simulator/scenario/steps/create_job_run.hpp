// The CreateJob request of a create_job step, for the runner's step and for `fota-sim fleet`
// (which creates its jobs the same way).
#pragma once

#include "scenario/job_document.hpp"
#include "scenario/scenario.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace fota::sim::runner::steps {

/// The body of CreateJob for job on things: targets (thing ARNs), the job document built for
/// firmware where it was published, targetSelection, presignedUrlConfig, timeoutConfig and the
/// rollout, abort and retry configs.
nlohmann::json create_job_request(const CreateJobStep& job, const Firmware& firmware,
                                  const PublishedFirmware& published,
                                  const std::vector<std::string>& things);

} // namespace fota::sim::runner::steps
