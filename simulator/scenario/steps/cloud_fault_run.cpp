// Step cloud_fault, executed: one control-plane call per selected device arms the fault in the
// cloud's Jobs service (parsed in cloud_fault.cpp).
#include "runner/src/run_context.hpp"

namespace fota::sim::runner::steps {

bool run_cloud_fault(RunContext& run, const CloudFaultStep& fault, const Step&) {
    using K = CloudFaultStep::Kind;
    std::vector<nlohmann::json> args;
    std::string op;
    for (const Device* d : run.select(fault.devices)) {
        nlohmann::json a = {{"thingName", d->thing}};
        switch (fault.kind) {
        case K::duplicate_notify_next:
            op = "duplicate_next_notify_next";
            break;
        case K::deliver_document_twice:
            op = "duplicate_next_job_document";
            break;
        case K::reject_next_update:
            op = "reject_next_update";
            a["code"] = to_string(fault.code);
            break;
        case K::delay_reply:
            // The cloud holds replies back in whole seconds (its clock ticks in seconds).
            op = "delay_next_reply";
            a["seconds"] = (fault.delay.count() + 999) / 1000;
            a["topicSuffix"] = fault.topic_suffix;
            break;
        case K::drop_reply:
            op = "drop_next_reply";
            a["topicSuffix"] = fault.topic_suffix;
            break;
        }
        args.push_back(std::move(a));
    }
    if (!args.empty()) {
        run.stack().call_many(op, args);
    }
    return true;
}

} // namespace fota::sim::runner::steps
