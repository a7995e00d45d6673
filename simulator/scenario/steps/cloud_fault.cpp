// Step cloud_fault: faults of the cloud side of the Jobs protocol (duplicate notifications and
// documents, rejected updates, delayed or dropped replies).
#include "scenario/parse_context.hpp"

namespace fota::sim::steps {
namespace {

const std::vector<ParseContext::FaultKind>& cloud_fault_kinds() {
    // In the order of CloudFaultStep::Kind.
    static const std::vector<ParseContext::FaultKind> table{
        {"duplicate_notify_next", {"devices"}, {}},
        {"deliver_document_twice", {"devices"}, {}},
        {"reject_next_update", {"devices", "code"}, {"code"}},
        {"delay_reply", {"devices", "delay", "topic_suffix"}, {"delay"}},
        {"drop_reply", {"devices", "topic_suffix"}, {}},
    };
    return table;
}

} // namespace

std::optional<CloudFaultStep> parse_cloud_fault(ParseContext& context, const YAML::Node& body,
                                                const std::string& here) {
    auto& r = context.reader();
    std::string what;
    const auto index = context.fault_kind(body, here, "cloud_fault", cloud_fault_kinds(), what);
    if (!index) {
        return std::nullopt;
    }
    CloudFaultStep fault;
    fault.kind = static_cast<CloudFaultStep::Kind>(*index);
    bool ok = true;
    if (auto devices = context.devices_of(body, what)) {
        fault.devices = *devices;
    } else {
        ok = false;
    }
    if (body["code"].IsDefined()) {
        if (auto code = r.choice(body["code"], "'code' in " + what, reject_code_names())) {
            fault.code = enum_at<RejectCode>(reject_code_names(), *code);
        } else {
            ok = false;
        }
    }
    if (body["delay"].IsDefined()) {
        auto value = r.duration(body["delay"], "'delay' in " + what, std::chrono::milliseconds(1),
                                context.scenario().deadline);
        ok = ok && value.has_value();
        fault.delay = value.value_or(std::chrono::milliseconds(0));
    }
    if (body["topic_suffix"].IsDefined()) {
        ok = context.topic_suffix(body["topic_suffix"], "'topic_suffix' in " + what,
                                  fault.topic_suffix) &&
             ok;
    }
    return ok ? std::optional(fault) : std::nullopt;
}

} // namespace fota::sim::steps
