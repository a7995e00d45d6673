#include "scenario/parse_context.hpp"

namespace fota::sim {

using detail::classify;
using detail::ScalarType;

const Keys& phase_names() {
    static const Keys names{
        "booted",           "shadow_reported", "connected",         "job_received",
        "in_progress_sent", "downloading",     "download_complete", "apply_sent",
        "image_scheduled",  "succeeded_sent",  "failed_sent",       "rebooting",
        "swapping",         "confirmed",       "rolled_back",       "job_abandoned"};
    return names;
}
const Keys& execution_status_names() {
    static const Keys names{"QUEUED",    "IN_PROGRESS", "SUCCEEDED", "FAILED",
                            "TIMED_OUT", "REJECTED",    "REMOVED",   "CANCELED"};
    return names;
}
const Keys& job_status_names() {
    static const Keys names{"IN_PROGRESS", "CANCELED", "DELETION_IN_PROGRESS", "COMPLETED"};
    return names;
}
const Keys& reject_code_names() {
    static const Keys names{"VersionMismatch",  "InvalidStateTransition", "TerminalStateReached",
                            "ResourceNotFound", "InvalidRequest",         "InvalidJson",
                            "RequestThrottled"};
    return names;
}

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

bool is_identifier(const std::string& text, std::size_t max_length) {
    return !text.empty() && text.size() <= max_length &&
           std::all_of(text.begin(), text.end(), is_name_char);
}

std::string quote(const std::string& text) {
    return "'" + text.substr(0, 80) + "'";
}

namespace {

const Keys& condition_kinds() {
    static const Keys names{"execution_status", "job_status", "device_phase", "downloaded_bytes",
                            "running_version",  "all_of",     "any_of"};
    return names;
}

} // namespace

bool ParseContext::job_created(const std::string& id) const {
    return std::find(jobs_.begin(), jobs_.end(), id) != jobs_.end();
}

void ParseContext::add_job(const std::string& id) {
    jobs_.push_back(id);
}

std::string ParseContext::device_ranges() const {
    std::string text;
    for (const auto& group : scenario_.devices) {
        text += text.empty() ? "" : ", ";
        text += group.thing_prefix + "0";
        if (group.count > 1) {
            text += ".." + group.thing_prefix + std::to_string(group.count - 1);
        }
    }
    return text;
}

bool ParseContext::thing_exists(const std::string& name) const {
    for (const auto& group : scenario_.devices) {
        if (name.rfind(group.thing_prefix, 0) != 0) {
            continue;
        }
        const auto index = name.substr(group.thing_prefix.size());
        if (index.empty() || index.size() > 6 || (index.size() > 1 && index[0] == '0') ||
            !std::all_of(index.begin(), index.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            return false;
        }
        return std::stoul(index) < group.count;
    }
    return false;
}

std::optional<DeviceSelector> ParseContext::selector(const YAML::Node& node,
                                                     const std::string& what) {
    if (!r_.visit(node)) {
        return std::nullopt;
    }
    DeviceSelector result;
    const auto one = [&](const YAML::Node& item) {
        auto name = r_.string(item, what);
        if (!name) {
            return false;
        }
        if (*name == "all") {
            r_.error(item, what + ": 'all' stands alone, not in a list");
            return false;
        }
        if (!thing_exists(*name)) {
            r_.error(item, what + " names device " + quote(*name) +
                               ", which no device group defines; devices: " + device_ranges() +
                               " (or 'all')");
            return false;
        }
        if (std::find(result.things.begin(), result.things.end(), *name) != result.things.end()) {
            r_.error(item, what + " names device " + quote(*name) + " twice");
            return false;
        }
        result.things.push_back(*name);
        return true;
    };
    if (node.IsScalar() && node.Scalar() == "all" && classify(node) == ScalarType::string) {
        return result;
    }
    result.all = false;
    if (node.IsSequence()) {
        if (node.size() == 0) {
            r_.error(node, what + " must name at least one device");
            return std::nullopt;
        }
        bool ok = true;
        for (const auto& item : node) {
            ok = one(item) && ok;
        }
        return ok ? std::optional(result) : std::nullopt;
    }
    if (node.IsScalar() && classify(node) == ScalarType::string) {
        return one(node) ? std::optional(result) : std::nullopt;
    }
    r_.error(node, what + " must be 'all', a thing name or a list of thing names (" +
                       device_ranges() + "); got " + detail::describe_node(node));
    return std::nullopt;
}

std::optional<DeviceSelector> ParseContext::devices_of(const YAML::Node& map,
                                                       const std::string& what) {
    if (!map.IsMap() || !map["devices"].IsDefined()) {
        return DeviceSelector{};
    }
    return selector(map["devices"], "'devices' in " + what);
}

std::optional<std::string> ParseContext::firmware_ref(const YAML::Node& node,
                                                      const std::string& what) {
    auto id = r_.string(node, what);
    if (!id) {
        return std::nullopt;
    }
    if (scenario_.find_firmware(*id) == nullptr) {
        Keys ids;
        for (const auto& image : scenario_.firmware) {
            ids.emplace_back(image.id);
        }
        std::string message =
            what + " names firmware " + quote(*id) + ", which the 'firmware' map does not define";
        message += ids.empty() ? "" : "; defined: " + detail::join(ids);
        r_.error(node, std::move(message));
        return std::nullopt;
    }
    return id;
}

std::optional<std::string> ParseContext::version_ref(const YAML::Node& node,
                                                     const std::string& what) {
    auto version = r_.string(node, what);
    if (!version) {
        return std::nullopt;
    }
    Keys versions;
    for (const auto& image : scenario_.firmware) {
        if (image.version == *version) {
            return version;
        }
        versions.emplace_back(image.version);
    }
    r_.error(node, what + " is " + quote(*version) +
                       ", which is not the version of any firmware in the scenario; versions: " +
                       detail::join(versions));
    return std::nullopt;
}

std::optional<std::string> ParseContext::job_ref(const YAML::Node& node, const std::string& what) {
    auto id = r_.string(node, what);
    if (!id) {
        return std::nullopt;
    }
    if (std::find(jobs_.begin(), jobs_.end(), *id) == jobs_.end()) {
        std::string message =
            what + " names job " + quote(*id) + ", which no earlier create_job step creates";
        Keys known(jobs_.begin(), jobs_.end());
        message += known.empty() ? "" : "; jobs created so far: " + detail::join(known);
        r_.error(node, std::move(message));
        return std::nullopt;
    }
    return id;
}

std::optional<std::vector<ExecutionStatus>> ParseContext::statuses(const YAML::Node& node,
                                                                   const std::string& what) {
    std::vector<ExecutionStatus> result;
    const auto one = [&](const YAML::Node& item) {
        if (auto name = r_.choice(item, what, execution_status_names())) {
            result.push_back(enum_at<ExecutionStatus>(execution_status_names(), *name));
            return true;
        }
        return false;
    };
    if (node.IsSequence()) {
        if (node.size() == 0) {
            r_.error(node, what + " must list at least one status");
            return std::nullopt;
        }
        bool ok = true;
        for (const auto& item : node) {
            ok = one(item) && ok;
        }
        return ok ? std::optional(result) : std::nullopt;
    }
    return one(node) ? std::optional(result) : std::nullopt;
}

std::optional<DevicePhase> ParseContext::phase(const YAML::Node& node, const std::string& what) {
    if (auto name = r_.choice(node, what, phase_names())) {
        return enum_at<DevicePhase>(phase_names(), *name);
    }
    return std::nullopt;
}

std::optional<Condition> ParseContext::condition(const YAML::Node& node, const std::string& what,
                                                 int depth) {
    if (depth > 8) {
        r_.error(node, what + ": conditions are nested more than 8 levels deep");
        return std::nullopt;
    }
    auto entry = r_.single_key(node, "condition", condition_kinds());
    if (!entry) {
        return std::nullopt;
    }
    const auto& [kind, body] = *entry;
    const std::string here = "condition " + quote(kind);
    Condition result;
    result.kind = enum_at<Condition::Kind>(condition_kinds(), kind);
    result.mark = detail::mark_of(node);
    if (kind == "all_of" || kind == "any_of") {
        if (!body.IsSequence() || body.size() == 0) {
            r_.error(body, here + " must be a non-empty list of conditions; got " +
                               detail::describe_node(body));
            return std::nullopt;
        }
        bool ok = true;
        for (const auto& item : body) {
            auto child = condition(item, here, depth + 1);
            ok = ok && child.has_value();
            if (child) {
                result.children.push_back(std::move(*child));
            }
            if (r_.exhausted()) {
                return std::nullopt;
            }
        }
        return ok ? std::optional(std::move(result)) : std::nullopt;
    }
    return leaf_condition(kind, body, here, std::move(result));
}

// The conditions on one thing's state (all but all_of / any_of).
std::optional<Condition> ParseContext::leaf_condition(const std::string& kind,
                                                      const YAML::Node& body,
                                                      const std::string& here, Condition result) {
    bool ok = true;
    const auto need = [&](auto value) {
        ok = ok && value.has_value();
        return value;
    };
    if (kind == "execution_status") {
        if (!r_.expect_map(body, here, {"job", "devices", "status"}, {"job", "status"})) {
            return std::nullopt;
        }
        if (auto job = need(job_ref(body["job"], "'job' in " + here))) {
            result.job = *job;
        }
        if (auto devices = need(devices_of(body, here))) {
            result.devices = *devices;
        }
        if (auto list = need(statuses(body["status"], "'status' in " + here))) {
            result.statuses = *list;
        }
    } else if (kind == "job_status") {
        if (!r_.expect_map(body, here, {"job", "status"}, {"job", "status"})) {
            return std::nullopt;
        }
        if (auto job = need(job_ref(body["job"], "'job' in " + here))) {
            result.job = *job;
        }
        if (auto status =
                need(r_.choice(body["status"], "'status' in " + here, job_status_names()))) {
            result.job_status = enum_at<JobStatus>(job_status_names(), *status);
        }
    } else if (kind == "device_phase") {
        if (!r_.expect_map(body, here, {"devices", "phase"}, {"phase"})) {
            return std::nullopt;
        }
        if (auto devices = need(devices_of(body, here))) {
            result.devices = *devices;
        }
        if (auto value = need(phase(body["phase"], "'phase' in " + here))) {
            result.phase = *value;
        }
    } else if (kind == "downloaded_bytes") {
        if (!r_.expect_map(body, here, {"devices", "at_least"}, {"at_least"})) {
            return std::nullopt;
        }
        if (auto devices = need(devices_of(body, here))) {
            result.devices = *devices;
        }
        if (auto bytes = need(r_.size(body["at_least"], "'at_least' in " + here, 1, 16ULL << 20))) {
            result.bytes = *bytes;
        }
    } else if (kind == "running_version") {
        if (!r_.expect_map(body, here, {"devices", "version"}, {"version"})) {
            return std::nullopt;
        }
        if (auto devices = need(devices_of(body, here))) {
            result.devices = *devices;
        }
        if (auto version = need(version_ref(body["version"], "'version' in " + here))) {
            result.version = *version;
        }
    }
    return ok && !r_.exhausted() ? std::optional(std::move(result)) : std::nullopt;
}

std::optional<std::size_t> ParseContext::fault_kind(const YAML::Node& body, const std::string& here,
                                                    std::string_view step,
                                                    const std::vector<FaultKind>& kinds,
                                                    std::string& what) {
    Keys names;
    for (const auto& kind : kinds) {
        names.push_back(kind.name);
    }
    if (!r_.visit(body)) {
        return std::nullopt;
    }
    if (!body.IsMap()) {
        r_.error(body, here + " must be a map with a 'kind' (one of: " + detail::join(names) +
                           "); got " + detail::describe_node(body));
        return std::nullopt;
    }
    if (!body["kind"].IsDefined()) {
        r_.error(body, here + " is missing the required key 'kind'; kinds: " + detail::join(names));
        return std::nullopt;
    }
    const auto name = r_.choice(body["kind"], "'kind' in " + here, names);
    if (!name) {
        return std::nullopt;
    }
    const auto index =
        static_cast<std::size_t>(std::find(names.begin(), names.end(), *name) - names.begin());
    what = std::string(step) + " " + quote(*name);
    Keys keys{"kind"};
    keys.insert(keys.end(), kinds[index].keys.begin(), kinds[index].keys.end());
    Keys required{"kind"};
    required.insert(required.end(), kinds[index].required.begin(), kinds[index].required.end());
    if (!r_.expect_map(body, what, keys, required)) {
        return std::nullopt;
    }
    return index;
}

bool ParseContext::topic_suffix(const YAML::Node& node, const std::string& what, std::string& out) {
    auto text = r_.string(node, what);
    if (!text) {
        return false;
    }
    if (text->empty() || text->size() > 256 || text->front() == '/' ||
        text->find_first_of("+#") != std::string::npos) {
        r_.error(node, what +
                           " must be the end of a topic without wildcards, e.g. "
                           "'update/accepted' or 'notify-next'; got " +
                           quote(*text));
        return false;
    }
    out = *text;
    return true;
}

std::optional<CountRange> ParseContext::count_range(const YAML::Node& node, const std::string& what,
                                                    bool sizes) {
    const auto read = [&](const YAML::Node& n, const std::string& w) {
        return sizes ? r_.size(n, w, 0, 1ULL << 40) : r_.integer(n, w, 0, 100'000'000);
    };
    CountRange range;
    if (node.IsMap()) {
        if (!r_.expect_map(node, what, {"min", "max"})) {
            return std::nullopt;
        }
        if (node["min"].IsDefined()) {
            range.min = read(node["min"], "'min' in " + what);
            if (!range.min) {
                return std::nullopt;
            }
        }
        if (node["max"].IsDefined()) {
            range.max = read(node["max"], "'max' in " + what);
            if (!range.max) {
                return std::nullopt;
            }
        }
        if (!range.min && !range.max) {
            r_.error(node, what + " needs 'min', 'max' or both");
            return std::nullopt;
        }
        if (range.min && range.max && *range.min > *range.max) {
            r_.error(node, what + ": 'min' is above 'max'");
            return std::nullopt;
        }
        return range;
    }
    auto exact = read(node, what + " (an exact value, or {min, max})");
    if (!exact) {
        return std::nullopt;
    }
    range.min = range.max = exact;
    return range;
}

std::optional<DeviceSelector> ParseContext::devices_only(const YAML::Node& body,
                                                         const std::string& here) {
    if (!r_.expect_map(body, here, {"devices"})) {
        return std::nullopt;
    }
    return devices_of(body, here);
}

std::optional<ParseContext::TimedCondition> ParseContext::timed_condition(const YAML::Node& body,
                                                                          const std::string& here,
                                                                          const char* time_key) {
    if (!r_.expect_map(body, here, {"condition", time_key}, {"condition", time_key})) {
        return std::nullopt;
    }
    auto cond = body["condition"].IsDefined()
                    ? condition(body["condition"], "'condition' in " + here, 0)
                    : std::nullopt;
    auto time = body[time_key].IsDefined()
                    ? r_.duration(body[time_key], std::string("'") + time_key + "' in " + here,
                                  std::chrono::milliseconds(1), scenario_.deadline)
                    : std::nullopt;
    if (!cond || !time) {
        return std::nullopt;
    }
    return TimedCondition{std::move(*cond), *time};
}

std::optional<ParseContext::JobAction> ParseContext::job_action(const YAML::Node& body,
                                                                const std::string& here) {
    if (!r_.expect_map(body, here, {"job", "force", "devices"}, {"job"})) {
        return std::nullopt;
    }
    auto job = body["job"].IsDefined() ? job_ref(body["job"], "'job' in " + here) : std::nullopt;
    bool force = false;
    if (body["force"].IsDefined()) {
        auto value = r_.boolean(body["force"], "'force' in " + here);
        if (!value) {
            return std::nullopt;
        }
        force = *value;
    }
    std::optional<DeviceSelector> devices;
    if (body["devices"].IsDefined()) {
        devices = selector(body["devices"], "'devices' in " + here);
        if (!devices) {
            return std::nullopt;
        }
    }
    if (!job) {
        return std::nullopt;
    }
    return JobAction{*job, force, devices};
}

void ParseContext::phase_list(const YAML::Node& body, const char* key, const std::string& here,
                              std::vector<DevicePhase>& out, bool& ok) {
    if (!body.IsMap() || !body[key].IsDefined()) {
        return;
    }
    const auto& list = body[key];
    if (!list.IsSequence() || list.size() == 0) {
        r_.error(list, "'" + std::string(key) + "' in " + here +
                           " must be a non-empty list of phases: " + detail::join(phase_names()));
        ok = false;
        return;
    }
    for (const auto& item : list) {
        auto value = phase(item, "an entry of '" + std::string(key) + "' in " + here);
        ok = ok && value.has_value();
        if (value) {
            out.push_back(*value);
        }
    }
}

std::optional<Expectation> ParseContext::expectation(const YAML::Node& body,
                                                     const std::string& here, const Keys& keys,
                                                     const Keys& required, bool& ok) {
    Keys all{"name", "within"};
    all.insert(all.end(), keys.begin(), keys.end());
    if (!r_.expect_map(body, here, all, required)) {
        return std::nullopt;
    }
    Expectation e;
    const auto has = [&](const char* key) { return body.IsMap() && body[key].IsDefined(); };
    if (has("name")) {
        auto name = r_.string(body["name"], "'name' in " + here);
        ok = ok && name.has_value();
        e.name = name.value_or("");
    }
    if (has("within")) {
        auto value = r_.duration(body["within"], "'within' in " + here,
                                 std::chrono::milliseconds(0), scenario_.deadline);
        ok = ok && value.has_value();
        e.within = value.value_or(std::chrono::milliseconds(0));
    }
    return e;
}

void ParseContext::expectation_job(const YAML::Node& body, const std::string& here, Expectation& e,
                                   bool& ok) {
    if (body.IsMap() && body["job"].IsDefined()) {
        auto job = job_ref(body["job"], "'job' in " + here);
        ok = ok && job.has_value();
        e.job = job.value_or("");
    }
}

void ParseContext::expectation_devices(const YAML::Node& body, const std::string& here,
                                       Expectation& e, bool& ok) {
    if (auto devices = devices_of(body, here)) {
        e.devices = *devices;
    } else {
        ok = false;
    }
}

void ParseContext::expectation_version(const YAML::Node& body, const std::string& here,
                                       Expectation& e, bool& ok) {
    if (body.IsMap() && body["version"].IsDefined()) {
        auto version = version_ref(body["version"], "'version' in " + here);
        ok = ok && version.has_value();
        e.version = version.value_or("");
    }
}

std::optional<ExecutionStatus> ParseContext::expectation_execution_status(const YAML::Node& body,
                                                                          const std::string& here,
                                                                          Expectation& e,
                                                                          bool& ok) {
    if (!body.IsMap() || !body["status"].IsDefined()) {
        return std::nullopt;
    }
    auto value = r_.choice(body["status"], "'status' in " + here, execution_status_names());
    if (!value) {
        ok = false;
        return std::nullopt;
    }
    e.execution_status = enum_at<ExecutionStatus>(execution_status_names(), *value);
    return e.execution_status;
}

void ParseContext::expectation_range(const YAML::Node& body, const char* key,
                                     const std::string& here, bool sizes, CountRange& out,
                                     bool& ok) {
    if (body.IsMap() && body[key].IsDefined()) {
        auto value = count_range(body[key], "'" + std::string(key) + "' in " + here, sizes);
        ok = ok && value.has_value();
        out = value.value_or(CountRange{});
    }
}

} // namespace fota::sim
