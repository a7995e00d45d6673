// Step flash_fault: fault plans of the fake flash (a power cut at an operation, failing writes or
// erases, bit flips, wear-out), counted from the moment the step runs.
#include "scenario/parse_context.hpp"

namespace fota::sim::steps {
namespace {

const std::vector<ParseContext::FaultKind>& flash_fault_kinds() {
    // In the order of FlashFaultStep::Kind.
    static const std::vector<ParseContext::FaultKind> table{
        {"power_cut", {"devices", "at_op", "torn", "off_for"}, {"at_op"}},
        {"fail_write", {"devices", "at_op", "partition", "count"}, {}},
        {"fail_erase", {"devices", "at_op", "partition", "count"}, {}},
        {"bit_flips", {"devices", "rate", "partition"}, {"rate"}},
        {"wear_out", {"devices", "erase_limit", "partition"}, {"erase_limit"}},
    };
    return table;
}

} // namespace

std::optional<FlashFaultStep> parse_flash_fault(ParseContext& context, const YAML::Node& body,
                                                const std::string& here) {
    auto& r = context.reader();
    std::string what;
    const auto index = context.fault_kind(body, here, "flash_fault", flash_fault_kinds(), what);
    if (!index) {
        return std::nullopt;
    }
    FlashFaultStep fault;
    fault.kind = static_cast<FlashFaultStep::Kind>(*index);
    bool ok = true;
    if (auto devices = context.devices_of(body, what)) {
        fault.devices = *devices;
    } else {
        ok = false;
    }
    if (body["at_op"].IsDefined()) {
        fault.at_op = r.integer(body["at_op"], "'at_op' in " + what, 0, 10'000'000);
        ok = ok && fault.at_op.has_value();
    }
    if (body["torn"].IsDefined()) {
        auto value = r.boolean(body["torn"], "'torn' in " + what);
        ok = ok && value.has_value();
        fault.torn = value.value_or(false);
    }
    if (body["off_for"].IsDefined()) {
        auto value = r.duration(body["off_for"], "'off_for' in " + what,
                                std::chrono::milliseconds(0), context.scenario().deadline);
        ok = ok && value.has_value();
        fault.off_for = value.value_or(std::chrono::milliseconds(0));
    }
    if (body["partition"].IsDefined()) {
        static const Keys partitions{"any", "mcuboot", "primary", "secondary", "storage"};
        if (auto value = r.choice(body["partition"], "'partition' in " + what, partitions)) {
            fault.partition = enum_at<FlashFaultStep::Partition>(partitions, *value);
        } else {
            ok = false;
        }
    }
    if (body["count"].IsDefined()) {
        auto value = r.integer(body["count"], "'count' in " + what, 1, 1'000'000);
        ok = ok && value.has_value();
        fault.count = static_cast<std::uint32_t>(value.value_or(1));
    }
    if (body["rate"].IsDefined()) {
        auto value = r.number(body["rate"], "'rate' in " + what, 1e-12, 1);
        ok = ok && value.has_value();
        fault.rate = value.value_or(0);
        if (value && *value <= 0) {
            r.error(body["rate"], "'rate' in " + what + " must be above 0");
            ok = false;
        }
    }
    if (body["erase_limit"].IsDefined()) {
        auto value = r.integer(body["erase_limit"], "'erase_limit' in " + what, 1, 10'000'000);
        ok = ok && value.has_value();
        fault.erase_limit = static_cast<std::uint32_t>(value.value_or(1));
    }
    return ok ? std::optional(fault) : std::nullopt;
}

} // namespace fota::sim::steps
