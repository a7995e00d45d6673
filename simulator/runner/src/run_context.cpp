// What step and expectation kinds share on top of RunContext: selecting devices, asking them
// their status, reading executions, evaluating conditions (wait_for, hold), tallying devices.
#include "run_context.hpp"

#include "run_error.hpp"

#include <algorithm>

namespace fota::sim::runner {

using json = nlohmann::json;

void Tally::add(const std::string& thing, bool ok, const std::string& value) {
    ++values[value];
    if (!ok) {
        if (++failing <= 5) {
            observed += (observed.empty() ? "" : "; ") + thing + ": " + value;
        }
    }
}

std::string Tally::summary() const {
    if (failing == 0) {
        std::string s;
        for (const auto& [value, n] : values) {
            s += (s.empty() ? "" : ", ") + value +
                 (values.size() > 1 || n > 1 ? " x" + std::to_string(n) : "");
        }
        return s;
    }
    return observed + (failing > 5 ? "; ... (" + std::to_string(failing) + " devices)" : "");
}

StackDevice::Status RunContext::status_of(const Device& d) const {
    auto status = d.device->status();
    if (!status) {
        throw RunError("device " + d.thing + " did not answer a status request in 10 s");
    }
    return *status;
}

std::vector<const Device*> RunContext::select(const DeviceSelector& selector) const {
    std::vector<const Device*> out;
    for (const Device& d : devices()) {
        if (selector.all || std::find(selector.things.begin(), selector.things.end(), d.thing) !=
                                selector.things.end()) {
            out.push_back(&d);
        }
    }
    return out;
}

std::vector<const Device*> RunContext::started(const DeviceSelector& selector) const {
    std::vector<const Device*> out;
    for (const Device* d : select(selector)) {
        if (d->started) {
            out.push_back(d);
        }
    }
    return out;
}

std::vector<json> RunContext::executions(const std::string& job,
                                         const std::vector<const Device*>& devices) const {
    std::vector<json> args;
    for (const Device* d : devices) {
        args.push_back({{"jobId", job}, {"thingName", d->thing}});
    }
    std::vector<json> out;
    for (const json& reply : stack().call_many("describe_job_execution", args, true)) {
        out.push_back(reply.contains("__error") ? json() : reply.value("execution", json()));
    }
    return out;
}

namespace {

bool status_is_one_of(const json& execution, const std::vector<ExecutionStatus>& statuses) {
    const std::string status =
        execution.is_object() ? execution.value("status", "?") : std::string("none");
    return std::any_of(statuses.begin(), statuses.end(),
                       [&status](ExecutionStatus st) { return status == to_string(st); });
}

std::string statuses_text(const std::vector<ExecutionStatus>& statuses) {
    std::string s;
    for (const auto st : statuses) {
        s += (s.empty() ? "" : " or ") + std::string(to_string(st));
    }
    return s;
}

} // namespace

Check RunContext::evaluate(const Condition& c) const {
    Check check;
    Tally tally;
    switch (c.kind) {
    case Condition::Kind::execution_status: {
        check.expected = "execution of " + c.job + " " + statuses_text(c.statuses);
        const auto selected = select(c.devices);
        const auto found = executions(c.job, selected);
        for (std::size_t i = 0; i < selected.size(); ++i) {
            const Device* d = selected[i];
            const json& e = found[i];
            const std::string status = e.is_object() ? e.value("status", "?") : "none";
            tally.add(d->thing, status_is_one_of(e, c.statuses), status);
        }
        break;
    }
    case Condition::Kind::job_status: {
        check.expected = "job " + c.job + " " + to_string(c.job_status);
        const json reply = stack().call("describe_job", {{"jobId", c.job}}, true);
        const std::string status =
            reply.contains("job") ? reply["job"].value("status", "?") : "none";
        tally.add("job " + c.job, status == to_string(c.job_status), status);
        break;
    }
    case Condition::Kind::device_phase:
        check.expected = std::string("phase ") + to_string(c.phase) + " reached";
        for (const Device* d : select(c.devices)) {
            const bool ok = recorder().reached(d->thing, c.phase);
            tally.add(d->thing, ok, ok ? "reached" : "not reached");
        }
        break;
    case Condition::Kind::downloaded_bytes:
        check.expected = "at least " + std::to_string(c.bytes) + " bytes downloaded";
        for (const Device* d : select(c.devices)) {
            const std::uint64_t n = d->started ? status_of(*d).download_bytes : 0;
            tally.add(d->thing, n >= c.bytes, std::to_string(n) + " bytes");
        }
        break;
    case Condition::Kind::running_version:
        check.expected = "running " + c.version;
        for (const Device* d : select(c.devices)) {
            const std::string v = d->started ? status_of(*d).running_version : "off";
            tally.add(d->thing, same_version(v, c.version), v);
        }
        break;
    case Condition::Kind::all_of:
    case Condition::Kind::any_of: {
        const bool all = c.kind == Condition::Kind::all_of;
        check.expected = all ? "all of (" : "any of (";
        std::size_t held = 0;
        for (const Condition& child : c.children) {
            const Check sub = evaluate(child);
            check.expected += (held + tally.failing == 0 ? "" : "; ") + sub.expected;
            if (sub.passed) {
                ++held;
            } else {
                tally.add("(" + sub.expected + ")", false, sub.observed);
            }
        }
        check.expected += ")";
        check.passed = all ? tally.failing == 0 : held > 0;
        check.observed = tally.summary();
        return check;
    }
    }
    check.passed = tally.failing == 0;
    check.observed = tally.summary();
    return check;
}

bool RunContext::holds(const Condition& c) const {
    switch (c.kind) {
    case Condition::Kind::execution_status: {
        const auto selected = select(c.devices);
        std::size_t& first = first_failing_[&c];
        for (std::size_t k = 0; k < selected.size(); ++k) {
            const std::size_t i = (first + k) % selected.size();
            if (!status_is_one_of(executions(c.job, {selected[i]}).front(), c.statuses)) {
                first = i;
                return false;
            }
        }
        return true;
    }
    case Condition::Kind::all_of:
        return std::all_of(c.children.begin(), c.children.end(),
                           [this](const Condition& child) { return holds(child); });
    case Condition::Kind::any_of:
        return std::any_of(c.children.begin(), c.children.end(),
                           [this](const Condition& child) { return holds(child); });
    default:
        return evaluate(c).passed;
    }
}

} // namespace fota::sim::runner
