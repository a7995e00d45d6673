// The table of step executions: one function per step kind
// (simulator/scenario/steps/<kind>_run.cpp), in the order of StepAction's alternatives, as the
// parse table (step_kinds.cpp) is. A kind without its line here does not compile.
#include "run_context.hpp"

#include "scenario/steps/step_kinds.hpp"

#include <array>
#include <variant>

namespace fota::sim::runner {

namespace steps {
// Each defined in simulator/scenario/steps/<kind>_run.cpp.
bool run_create_job(RunContext&, const CreateJobStep&, const Step&);
bool run_wait_for(RunContext&, const WaitForStep&, const Step&);
bool run_hold(RunContext&, const HoldStep&, const Step&);
bool run_start_devices(RunContext&, const StartDevicesStep&, const Step&);
bool run_reboot(RunContext&, const RebootStep&, const Step&);
bool run_power_cut(RunContext&, const PowerCutStep&, const Step&);
bool run_flash_fault(RunContext&, const FlashFaultStep&, const Step&);
bool run_network_fault(RunContext&, const NetworkFaultStep&, const Step&);
bool run_http_fault(RunContext&, const HttpFaultStep&, const Step&);
bool run_cloud_fault(RunContext&, const CloudFaultStep&, const Step&);
bool run_cancel_job(RunContext&, const CancelJobStep&, const Step&);
bool run_delete_job(RunContext&, const DeleteJobStep&, const Step&);
bool run_restart_broker(RunContext&, const RestartBrokerStep&, const Step&);
} // namespace steps

namespace {

using Run = bool (*)(RunContext&, const Step&);

template <class Kind, bool (*run)(RunContext&, const Kind&, const Step&)>
bool run_as(RunContext& context, const Step& step) {
    return run(context, std::get<Kind>(step.action), step);
}

// A table line: the index of the StepAction alternative it runs, and the function.
struct Line {
    std::size_t alternative;
    Run run;
};
template <class Kind, bool (*run)(RunContext&, const Kind&, const Step&)>
constexpr Line line() {
    return {step_action_index<Kind>, &run_as<Kind, run>};
}

constexpr std::array kLines{
    line<CreateJobStep, steps::run_create_job>(),
    line<WaitForStep, steps::run_wait_for>(),
    line<HoldStep, steps::run_hold>(),
    line<StartDevicesStep, steps::run_start_devices>(),
    line<RebootStep, steps::run_reboot>(),
    line<PowerCutStep, steps::run_power_cut>(),
    line<FlashFaultStep, steps::run_flash_fault>(),
    line<NetworkFaultStep, steps::run_network_fault>(),
    line<HttpFaultStep, steps::run_http_fault>(),
    line<CloudFaultStep, steps::run_cloud_fault>(),
    line<CancelJobStep, steps::run_cancel_job>(),
    line<DeleteJobStep, steps::run_delete_job>(),
    line<RestartBrokerStep, steps::run_restart_broker>(),
};

// Every alternative of StepAction has exactly one line, at its own index.
constexpr bool in_step_action_order() {
    for (std::size_t i = 0; i < kLines.size(); ++i) {
        if (kLines[i].alternative != i) {
            return false;
        }
    }
    return kLines.size() == std::variant_size_v<StepAction>;
}
static_assert(in_step_action_order(), "one line per StepAction alternative, in StepAction's order");

} // namespace

bool run_step(RunContext& run, const Step& step) {
    run.check_time();
    return kLines[step.action.index()].run(run, step);
}

} // namespace fota::sim::runner
