// The parser's shared machinery, one place for what every step and expectation kind reads the
// same way: device selectors, references to firmware, jobs and versions, statuses, phases, count
// ranges, topic suffixes, fault kinds and conditions, with the messages that say what would be
// valid. The top level (scenario_parser.cpp) owns a ParseContext and hands it to each kind's
// parse function (steps/, expectations/); a kind reads its own keys through it.
#pragma once

#include "scenario/scenario.hpp"
#include "scenario/yaml_reader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fota::sim {

using Keys = std::vector<std::string_view>;

/// The longest duration a scenario may give anywhere (a deadline of 30 days).
inline constexpr std::chrono::milliseconds kMaxDuration = std::chrono::hours(24 * 30);

/// Names as written in scenario files, in the order of the enums they index.
const Keys& phase_names();            ///< DevicePhase
const Keys& execution_status_names(); ///< ExecutionStatus
const Keys& job_status_names();       ///< JobStatus
const Keys& reject_code_names();      ///< RejectCode

/// The enum value whose name is at name's position in names (name must be among them).
template <class E>
E enum_at(const Keys& names, std::string_view name) {
    const auto it = std::find(names.begin(), names.end(), name);
    return static_cast<E>(it - names.begin());
}

/// A letter, digit, '-' or '_'.
bool is_name_char(char c);
/// 1 to max_length name characters (job ids, firmware ids).
bool is_identifier(const std::string& text, std::size_t max_length);
/// A value quoted for a message, cut at 80 characters.
std::string quote(const std::string& text);

class ParseContext {
public:
    /// scenario is the one being built: the top level fills its header, firmware and devices
    /// before the kinds read references to them.
    ParseContext(detail::YamlReader& reader, const Scenario& scenario)
        : r_(reader), scenario_(scenario) {}

    detail::YamlReader& reader() { return r_; }
    const Scenario& scenario() const { return scenario_; }

    /// Devices: 'all', a thing name or a list of thing names, each of a device group.
    std::optional<DeviceSelector> selector(const YAML::Node& node, const std::string& what);
    /// The optional 'devices' key of map, all devices when absent.
    std::optional<DeviceSelector> devices_of(const YAML::Node& map, const std::string& what);

    /// A firmware id of the 'firmware' map.
    std::optional<std::string> firmware_ref(const YAML::Node& node, const std::string& what);
    /// The version of one of the scenario's firmware images.
    std::optional<std::string> version_ref(const YAML::Node& node, const std::string& what);
    /// A job id that an earlier create_job step creates.
    std::optional<std::string> job_ref(const YAML::Node& node, const std::string& what);
    /// Whether a create_job step has created id so far.
    bool job_created(const std::string& id) const;
    /// Records a job id created by a create_job step (later steps may refer to it).
    void add_job(const std::string& id);

    /// One execution status, or a non-empty list of them.
    std::optional<std::vector<ExecutionStatus>> statuses(const YAML::Node& node,
                                                         const std::string& what);
    std::optional<DevicePhase> phase(const YAML::Node& node, const std::string& what);
    /// A non-empty list of phases (the value of key in body); ok turns false on an error.
    void phase_list(const YAML::Node& body, const char* key, const std::string& here,
                    std::vector<DevicePhase>& out, bool& ok);
    /// An exact count, or {min, max}; sizes: the values are sizes ("10KiB"), else integers.
    std::optional<CountRange> count_range(const YAML::Node& node, const std::string& what,
                                          bool sizes);
    /// The end of an MQTT topic without wildcards, e.g. "update/accepted".
    bool topic_suffix(const YAML::Node& node, const std::string& what, std::string& out);
    /// One kind of a fault step: its name, and the keys it takes and requires besides 'kind'.
    struct FaultKind {
        std::string_view name;
        Keys keys;
        Keys required;
    };
    /// Reads the 'kind' of a fault step (one of kinds) before the other keys, which depend on
    /// it, then checks body's keys against that kind's. Returns the kind's index in kinds and
    /// sets what to "<step> '<kind>'" for messages, or nullopt after reporting.
    std::optional<std::size_t> fault_kind(const YAML::Node& body, const std::string& here,
                                          std::string_view step,
                                          const std::vector<FaultKind>& kinds, std::string& what);
    /// A condition on observed state (conditions nest up to 8 levels).
    std::optional<Condition> condition(const YAML::Node& node, const std::string& what, int depth);

    /// What start_devices and reboot read: a map with only an optional 'devices' key.
    std::optional<DeviceSelector> devices_only(const YAML::Node& body, const std::string& here);
    /// What wait_for and hold read: a 'condition' and a duration under time_key (at most the
    /// deadline).
    struct TimedCondition {
        Condition condition;
        std::chrono::milliseconds time{0};
    };
    std::optional<TimedCondition> timed_condition(const YAML::Node& body, const std::string& here,
                                                  const char* time_key);
    /// What cancel_job and delete_job read: a 'job', 'force' and optional 'devices' (none: the
    /// job itself, else its executions on those devices).
    struct JobAction {
        std::string job;
        bool force = false;
        std::optional<DeviceSelector> devices;
    };
    std::optional<JobAction> job_action(const YAML::Node& body, const std::string& here);

    /// What every expectation reads first: checks body's keys ('name', 'within' and keys, with
    /// required), then reads 'name' and 'within'. nullopt when body is not a map; ok turns false
    /// on any other error.
    std::optional<Expectation> expectation(const YAML::Node& body, const std::string& here,
                                           const Keys& keys, const Keys& required, bool& ok);

    /// Fields several expectation kinds share, each read when body has its key: 'job' (a job
    /// created by a step), 'version' (a firmware version), 'status' (an execution status) and a
    /// count range under key. ok turns false on an error.
    void expectation_job(const YAML::Node& body, const std::string& here, Expectation& e, bool& ok);
    void expectation_version(const YAML::Node& body, const std::string& here, Expectation& e,
                             bool& ok);
    std::optional<ExecutionStatus> expectation_execution_status(const YAML::Node& body,
                                                                const std::string& here,
                                                                Expectation& e, bool& ok);
    void expectation_range(const YAML::Node& body, const char* key, const std::string& here,
                           bool sizes, CountRange& out, bool& ok);
    /// 'devices' (all when absent).
    void expectation_devices(const YAML::Node& body, const std::string& here, Expectation& e,
                             bool& ok);

    /// Calls each(item) for each item of the list node, until the visit budget is spent.
    template <class Each>
    void parse_list(const YAML::Node& node, const std::string& what, Each each) {
        if (!r_.visit(node)) {
            return;
        }
        if (!node.IsSequence()) {
            r_.error(node, what + " must be a list; got " + detail::describe_node(node));
            return;
        }
        for (const auto& item : node) {
            if (r_.exhausted()) {
                return;
            }
            each(item);
        }
    }

private:
    std::string device_ranges() const;
    bool thing_exists(const std::string& name) const;
    std::optional<Condition> leaf_condition(const std::string& kind, const YAML::Node& body,
                                            const std::string& here, Condition result);

    detail::YamlReader& r_;
    const Scenario& scenario_;
    std::vector<std::string> jobs_; // created so far, in step order
};

} // namespace fota::sim
