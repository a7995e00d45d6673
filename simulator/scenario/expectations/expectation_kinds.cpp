#include "scenario/expectations/expectation_kinds.hpp"

#include <array>

namespace fota::sim {

namespace expectations {
// Each defined in expectations/<kind>.cpp.
std::optional<Expectation> parse_execution_status(ParseContext&, const YAML::Node&,
                                                  const std::string&);
std::string describe_execution_status(const Expectation&);
std::optional<Expectation> parse_job_status(ParseContext&, const YAML::Node&, const std::string&);
std::string describe_job_status(const Expectation&);
std::optional<Expectation> parse_running_version(ParseContext&, const YAML::Node&,
                                                 const std::string&);
std::string describe_running_version(const Expectation&);
std::optional<Expectation> parse_shadow_version(ParseContext&, const YAML::Node&,
                                                const std::string&);
std::string describe_shadow_version(const Expectation&);
std::optional<Expectation> parse_slot(ParseContext&, const YAML::Node&, const std::string&);
std::string describe_slot(const Expectation&);
std::optional<Expectation> parse_downloads(ParseContext&, const YAML::Node&, const std::string&);
std::string describe_downloads(const Expectation&);
std::optional<Expectation> parse_no_execution_in_progress(ParseContext&, const YAML::Node&,
                                                          const std::string&);
std::string describe_no_execution_in_progress(const Expectation&);
std::optional<Expectation> parse_phases(ParseContext&, const YAML::Node&, const std::string&);
std::string describe_phases(const Expectation&);
std::optional<Expectation> parse_boots(ParseContext&, const YAML::Node&, const std::string&);
std::string describe_boots(const Expectation&);
std::optional<Expectation> parse_job_updates(ParseContext&, const YAML::Node&, const std::string&);
std::string describe_job_updates(const Expectation&);
} // namespace expectations

namespace {

using K = Expectation::Kind;
namespace e = expectations;

constexpr std::array kKinds{
    ExpectationKind{"execution_status", K::execution_status, e::parse_execution_status,
                    e::describe_execution_status},
    ExpectationKind{"job_status", K::job_status, e::parse_job_status, e::describe_job_status},
    ExpectationKind{"running_version", K::running_version, e::parse_running_version,
                    e::describe_running_version},
    ExpectationKind{"shadow_version", K::shadow_version, e::parse_shadow_version,
                    e::describe_shadow_version},
    ExpectationKind{"slot", K::slot, e::parse_slot, e::describe_slot},
    ExpectationKind{"downloads", K::downloads, e::parse_downloads, e::describe_downloads},
    ExpectationKind{"no_execution_in_progress", K::no_execution_in_progress,
                    e::parse_no_execution_in_progress, e::describe_no_execution_in_progress},
    ExpectationKind{"phases", K::phases, e::parse_phases, e::describe_phases},
    ExpectationKind{"boots", K::boots, e::parse_boots, e::describe_boots},
    ExpectationKind{"job_updates", K::job_updates, e::parse_job_updates, e::describe_job_updates},
};

// One line per value of Expectation::Kind, in its order (expectation_kinds()[k] is kind k).
constexpr bool in_kind_order() {
    for (std::size_t i = 0; i < kKinds.size(); ++i) {
        if (kKinds[i].kind != static_cast<K>(i)) {
            return false;
        }
    }
    return true;
}
static_assert(in_kind_order(), "one line per Expectation::Kind, in its order");

} // namespace

std::span<const ExpectationKind> expectation_kinds() {
    return kKinds;
}

const ExpectationKind* find_expectation_kind(std::string_view name) {
    for (const auto& kind : kKinds) {
        if (kind.name == name) {
            return &kind;
        }
    }
    return nullptr;
}

std::vector<std::string_view> expectation_kind_names() {
    std::vector<std::string_view> names;
    for (const auto& kind : kKinds) {
        names.push_back(kind.name);
    }
    return names;
}

std::string devices_text(const DeviceSelector& selector) {
    if (selector.all) {
        return "all devices";
    }
    if (selector.things.size() == 1) {
        return selector.things.front();
    }
    std::string text =
        std::to_string(selector.things.size()) + " devices (" + selector.things.front();
    return text + ", ...)";
}

std::string range_text(const CountRange& range) {
    if (range.min && range.max && *range.min == *range.max) {
        return "= " + std::to_string(*range.min);
    }
    std::string text;
    if (range.min) {
        text += ">= " + std::to_string(*range.min);
    }
    if (range.max) {
        text += (text.empty() ? "" : " and ") + std::string("<= ") + std::to_string(*range.max);
    }
    return text;
}

} // namespace fota::sim
