// Step flash_fault, executed: each started device's fake flash gets a fault plan line
// (flash::FaultPlan), seeded per device from the run's seed (parsed in flash_fault.cpp).
#include "runner/src/run_context.hpp"
#include "runner/src/run_error.hpp"

#include <sstream>

namespace fota::sim::runner::steps {

namespace {

/// The fault plan line (flash::FaultPlan) of a flash_fault step for one device.
std::string plan_line(const FlashFaultStep& fault, const Device& device,
                      std::uint64_t device_seed) {
    using K = FlashFaultStep::Kind;
    // The step counts operations from 0; a plan counts them from 1.
    const std::uint64_t first = fault.at_op.value_or(0) + 1;
    switch (fault.kind) {
    case K::power_cut:
        return "cut@" + std::to_string(first) +
               (fault.torn ? ":torn:seed=" + std::to_string(device_seed) : ":before");
    case K::fail_write:
    case K::fail_erase: {
        const std::string what = fault.kind == K::fail_write ? "fail-write@" : "fail-erase@";
        std::string line;
        if (fault.at_op) {
            for (std::uint32_t i = 0; i < fault.count; ++i) {
                line += (line.empty() ? "" : ";") + what + std::to_string(first + i);
            }
        } else {
            const auto [offset, size] = partition_region(device.flash, fault.partition);
            line = what + std::to_string(offset) + "+" + std::to_string(size);
        }
        return line;
    }
    case K::bit_flips: {
        std::ostringstream rate;
        rate << fault.rate;
        return "flips=" + rate.str() + ":seed=" + std::to_string(device_seed);
    }
    case K::wear_out:
        return "wear-limit=" + std::to_string(fault.erase_limit);
    }
    return "none";
}

} // namespace

bool run_flash_fault(RunContext& run, const FlashFaultStep& fault, const Step& step) {
    std::uint64_t index = 0;
    for (const Device* d : run.started(fault.devices)) {
        const std::string line = plan_line(fault, *d, run.seed() * 104'729u + ++index);
        const std::string error = d->device->arm_flash_faults(line, fault.off_for);
        if (!error.empty()) {
            throw RunError(where(run.scenario(), step.mark) + ": flash_fault on " + d->thing +
                           ": " + error);
        }
    }
    return true;
}

} // namespace fota::sim::runner::steps
