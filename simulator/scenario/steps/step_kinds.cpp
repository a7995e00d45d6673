#include "scenario/steps/step_kinds.hpp"

#include "scenario/parse_context.hpp"

#include <array>
#include <utility>
#include <variant>

namespace fota::sim {

namespace steps {
// Each defined in steps/<kind>.cpp.
std::optional<CreateJobStep> parse_create_job(ParseContext&, const YAML::Node&, const std::string&);
std::optional<WaitForStep> parse_wait_for(ParseContext&, const YAML::Node&, const std::string&);
std::optional<HoldStep> parse_hold(ParseContext&, const YAML::Node&, const std::string&);
std::optional<StartDevicesStep> parse_start_devices(ParseContext&, const YAML::Node&,
                                                    const std::string&);
std::optional<RebootStep> parse_reboot(ParseContext&, const YAML::Node&, const std::string&);
std::optional<PowerCutStep> parse_power_cut(ParseContext&, const YAML::Node&, const std::string&);
std::optional<FlashFaultStep> parse_flash_fault(ParseContext&, const YAML::Node&,
                                                const std::string&);
std::optional<NetworkFaultStep> parse_network_fault(ParseContext&, const YAML::Node&,
                                                    const std::string&);
std::optional<HttpFaultStep> parse_http_fault(ParseContext&, const YAML::Node&, const std::string&);
std::optional<CloudFaultStep> parse_cloud_fault(ParseContext&, const YAML::Node&,
                                                const std::string&);
std::optional<CancelJobStep> parse_cancel_job(ParseContext&, const YAML::Node&, const std::string&);
std::optional<DeleteJobStep> parse_delete_job(ParseContext&, const YAML::Node&, const std::string&);
std::optional<RestartBrokerStep> parse_restart_broker(ParseContext&, const YAML::Node&,
                                                      const std::string&);
} // namespace steps

namespace {

template <class Step>
using Parse = std::optional<Step> (*)(ParseContext&, const YAML::Node&, const std::string&);

template <class Step, Parse<Step> parse>
std::optional<StepAction> parse_as(ParseContext& context, const YAML::Node& body,
                                   const std::string& here) {
    auto step = parse(context, body, here);
    if (!step) {
        return std::nullopt;
    }
    return StepAction(std::in_place_type<Step>, std::move(*step));
}

// A table line: the kind's name, the struct it makes, and its parse function.
struct Line {
    StepKind kind;
    std::size_t alternative;
};
template <class Step, Parse<Step> parse>
constexpr Line line(std::string_view name) {
    return {{name, &parse_as<Step, parse>}, step_action_index<Step>};
}

constexpr std::array kLines{
    line<CreateJobStep, steps::parse_create_job>("create_job"),
    line<WaitForStep, steps::parse_wait_for>("wait_for"),
    line<HoldStep, steps::parse_hold>("hold"),
    line<StartDevicesStep, steps::parse_start_devices>("start_devices"),
    line<RebootStep, steps::parse_reboot>("reboot"),
    line<PowerCutStep, steps::parse_power_cut>("power_cut"),
    line<FlashFaultStep, steps::parse_flash_fault>("flash_fault"),
    line<NetworkFaultStep, steps::parse_network_fault>("network_fault"),
    line<HttpFaultStep, steps::parse_http_fault>("http_fault"),
    line<CloudFaultStep, steps::parse_cloud_fault>("cloud_fault"),
    line<CancelJobStep, steps::parse_cancel_job>("cancel_job"),
    line<DeleteJobStep, steps::parse_delete_job>("delete_job"),
    line<RestartBrokerStep, steps::parse_restart_broker>("restart_broker"),
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

constexpr auto kKinds = [] {
    std::array<StepKind, kLines.size()> kinds{};
    for (std::size_t i = 0; i < kLines.size(); ++i) {
        kinds[i] = kLines[i].kind;
    }
    return kinds;
}();

} // namespace

std::span<const StepKind> step_kinds() {
    return kKinds;
}

const StepKind* find_step_kind(std::string_view name) {
    for (const auto& kind : kKinds) {
        if (kind.name == name) {
            return &kind;
        }
    }
    return nullptr;
}

std::vector<std::string_view> step_kind_names() {
    std::vector<std::string_view> names;
    for (const auto& kind : kKinds) {
        names.push_back(kind.name);
    }
    return names;
}

} // namespace fota::sim
