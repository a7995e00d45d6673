// The JSON control API (control_dispatch.hpp): a table of ops, each a function that reads its
// args and calls the services or the fault knobs. Plain functions on a CloudCore, so any host
// (the Mosquitto plugin, an in-process harness) can run them.
#include "fota/cloud/control_dispatch.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "fota/cloud/json_input.hpp"

namespace fota::cloud {

using nlohmann::json;

namespace {

ControlResult bad(const std::string& message) {
    return ControlResult::failure("InvalidRequestException", 400, message);
}

// Typed readers of a request's args: a wrong type is a clear error, not an exception. The first
// problem met is kept in `problem`; a reader that fails returns an empty value.
struct Args {
    json args;
    json body; // args.body, {} when absent
    std::string problem;

    std::string text(const char* name, bool required = true) {
        if (!args.contains(name)) {
            if (required && problem.empty()) {
                problem = std::string("args.") + name + " is required";
            }
            return {};
        }
        if (!args[name].is_string()) {
            if (problem.empty()) {
                problem = std::string("args.") + name + " must be a string";
            }
            return {};
        }
        return args[name].get<std::string>();
    }
    [[nodiscard]] bool flag(const char* name) const {
        return args.contains(name) && args[name].is_boolean() && args[name].get<bool>();
    }
    std::optional<std::int64_t> number(const char* name) {
        if (!args.contains(name)) {
            return std::nullopt;
        }
        if (!args[name].is_number_integer()) {
            if (problem.empty()) {
                problem = std::string("args.") + name + " must be an integer";
            }
            return std::nullopt;
        }
        return args[name].get<std::int64_t>();
    }
    // status, maxResults, nextToken; list calls run even when these are malformed.
    ListQuery query() {
        ListQuery q;
        if (args.contains("status") && args["status"].is_string()) {
            q.status = args["status"].get<std::string>();
        }
        if (auto max = number("maxResults")) {
            q.max_results = static_cast<int>(*max);
        }
        q.next_token = text("nextToken", false);
        return q;
    }
};

using OpHandler = ControlResult (*)(CloudCore& core, Args& a, std::int64_t now);

// ---- things and jobs ---------------------------------------------------------------------------

ControlResult create_thing(CloudCore& core, Args& a, std::int64_t now) {
    const auto thing = a.text("thingName");
    return a.problem.empty() ? core.jobs().create_thing(thing, a.body, now) : bad(a.problem);
}
ControlResult describe_thing(CloudCore& core, Args& a, std::int64_t) {
    const auto thing = a.text("thingName");
    return a.problem.empty() ? core.jobs().describe_thing(thing) : bad(a.problem);
}
ControlResult list_things(CloudCore& core, Args& a, std::int64_t) {
    return core.jobs().list_things(a.query());
}
ControlResult create_job(CloudCore& core, Args& a, std::int64_t now) {
    const auto id = a.text("jobId");
    return a.problem.empty() ? core.jobs().create_job(id, a.body, now) : bad(a.problem);
}
ControlResult describe_job(CloudCore& core, Args& a, std::int64_t) {
    const auto id = a.text("jobId");
    return a.problem.empty() ? core.jobs().describe_job(id) : bad(a.problem);
}
ControlResult get_job_document(CloudCore& core, Args& a, std::int64_t) {
    const auto id = a.text("jobId");
    return a.problem.empty() ? core.jobs().get_job_document(id) : bad(a.problem);
}
ControlResult list_jobs(CloudCore& core, Args& a, std::int64_t) {
    return core.jobs().list_jobs(a.query());
}
ControlResult cancel_job(CloudCore& core, Args& a, std::int64_t now) {
    const auto id = a.text("jobId");
    return a.problem.empty() ? core.jobs().cancel_job(id, a.flag("force"), a.body, now)
                             : bad(a.problem);
}
ControlResult delete_job(CloudCore& core, Args& a, std::int64_t now) {
    const auto id = a.text("jobId");
    return a.problem.empty() ? core.jobs().delete_job(id, a.flag("force"), now) : bad(a.problem);
}

// ---- job executions ----------------------------------------------------------------------------

ControlResult describe_job_execution(CloudCore& core, Args& a, std::int64_t now) {
    const auto thing = a.text("thingName");
    const auto id = a.text("jobId");
    const auto execution = a.number("executionNumber");
    return a.problem.empty() ? core.jobs().describe_job_execution(thing, id, execution, now)
                             : bad(a.problem);
}
ControlResult list_job_executions_for_job(CloudCore& core, Args& a, std::int64_t) {
    const auto id = a.text("jobId");
    return a.problem.empty() ? core.jobs().list_job_executions_for_job(id, a.query())
                             : bad(a.problem);
}
ControlResult list_job_executions_for_thing(CloudCore& core, Args& a, std::int64_t) {
    const auto thing = a.text("thingName");
    return a.problem.empty() ? core.jobs().list_job_executions_for_thing(thing, a.query())
                             : bad(a.problem);
}
ControlResult cancel_job_execution(CloudCore& core, Args& a, std::int64_t now) {
    const auto thing = a.text("thingName");
    const auto id = a.text("jobId");
    return a.problem.empty()
               ? core.jobs().cancel_job_execution(thing, id, a.flag("force"), a.body, now)
               : bad(a.problem);
}
ControlResult delete_job_execution(CloudCore& core, Args& a, std::int64_t now) {
    const auto thing = a.text("thingName");
    const auto id = a.text("jobId");
    const auto execution = a.number("executionNumber");
    if (!execution && a.problem.empty()) {
        a.problem = "args.executionNumber is required";
    }
    return a.problem.empty()
               ? core.jobs().delete_job_execution(thing, id, *execution, a.flag("force"), now)
               : bad(a.problem);
}

// ---- shadows -----------------------------------------------------------------------------------

ControlResult get_thing_shadow(CloudCore& core, Args& a, std::int64_t now) {
    const auto thing = a.text("thingName");
    const auto name = a.text("shadowName", false);
    return a.problem.empty() ? core.shadow().get_thing_shadow(thing, name, now) : bad(a.problem);
}
ControlResult delete_thing_shadow(CloudCore& core, Args& a, std::int64_t now) {
    const auto thing = a.text("thingName");
    const auto name = a.text("shadowName", false);
    return a.problem.empty() ? core.shadow().delete_thing_shadow(thing, name, now) : bad(a.problem);
}
ControlResult update_thing_shadow(CloudCore& core, Args& a, std::int64_t now) {
    const auto thing = a.text("thingName");
    const auto name = a.text("shadowName", false);
    if (!a.problem.empty()) {
        return bad(a.problem);
    }
    const std::string payload =
        a.args.value("payload", json()).dump(-1, ' ', false, json::error_handler_t::replace);
    return core.shadow().update_thing_shadow(thing, name, payload, now);
}

// ---- the cloud's clock and fault knobs ---------------------------------------------------------

ControlResult advance_clock(CloudCore& core, Args& a, std::int64_t now) {
    const auto seconds = a.number("seconds");
    if (!seconds || *seconds < 0 || *seconds > 10LL * 365 * 24 * 3600) {
        return bad(a.problem.empty() ? "args.seconds must be an integer from 0 to 10 years"
                                     : a.problem);
    }
    core.advance_clock(*seconds);
    return ControlResult::success(json{{"cloudTime", now + *seconds}});
}

ControlResult knob_set() {
    return ControlResult::success(json::object());
}
ControlResult duplicate_next_notify_next(CloudCore& core, Args& a, std::int64_t) {
    const auto thing = a.text("thingName");
    if (!a.problem.empty()) {
        return bad(a.problem);
    }
    core.duplicate_next_notify_next(thing);
    return knob_set();
}
ControlResult duplicate_next_job_document(CloudCore& core, Args& a, std::int64_t) {
    const auto thing = a.text("thingName");
    if (!a.problem.empty()) {
        return bad(a.problem);
    }
    core.duplicate_next_job_document(thing);
    return knob_set();
}
ControlResult reject_next_update(CloudCore& core, Args& a, std::int64_t) {
    const auto thing = a.text("thingName");
    const auto code = a.text("code");
    if (!a.problem.empty()) {
        return bad(a.problem);
    }
    core.reject_next_update(thing, code);
    return knob_set();
}
ControlResult delay_next_reply(CloudCore& core, Args& a, std::int64_t) {
    const auto thing = a.text("thingName");
    const auto seconds = a.number("seconds");
    const auto suffix = a.text("topicSuffix", false);
    if (!seconds && a.problem.empty()) {
        a.problem = "args.seconds is required";
    }
    if (!a.problem.empty()) {
        return bad(a.problem);
    }
    core.delay_next_reply(thing, *seconds, suffix);
    return knob_set();
}
ControlResult drop_next_reply(CloudCore& core, Args& a, std::int64_t) {
    const auto thing = a.text("thingName");
    const auto suffix = a.text("topicSuffix", false);
    if (!a.problem.empty()) {
        return bad(a.problem);
    }
    core.drop_next_reply(thing, suffix);
    return knob_set();
}

// Every op of the JSON control API (control_dispatch.hpp lists their args).
constexpr std::pair<std::string_view, OpHandler> ops[] = {
    {"create_thing", create_thing},
    {"describe_thing", describe_thing},
    {"list_things", list_things},
    {"create_job", create_job},
    {"describe_job", describe_job},
    {"get_job_document", get_job_document},
    {"list_jobs", list_jobs},
    {"cancel_job", cancel_job},
    {"delete_job", delete_job},
    {"describe_job_execution", describe_job_execution},
    {"list_job_executions_for_job", list_job_executions_for_job},
    {"list_job_executions_for_thing", list_job_executions_for_thing},
    {"cancel_job_execution", cancel_job_execution},
    {"delete_job_execution", delete_job_execution},
    {"get_thing_shadow", get_thing_shadow},
    {"delete_thing_shadow", delete_thing_shadow},
    {"update_thing_shadow", update_thing_shadow},
    {"advance_clock", advance_clock},
    {"duplicate_next_notify_next", duplicate_next_notify_next},
    {"duplicate_next_job_document", duplicate_next_job_document},
    {"reject_next_update", reject_next_update},
    {"delay_next_reply", delay_next_reply},
    {"drop_next_reply", drop_next_reply},
};

} // namespace

ControlResult dispatch_control(CloudCore& core, const json& request, std::int64_t now) {
    if (!request.is_object() || !request.contains("op") || !request["op"].is_string()) {
        return bad("control request must be an object with a string \"op\"");
    }
    const std::string op = request["op"].get<std::string>();
    Args args{request.value("args", json::object()), json(), std::string()};
    if (!args.args.is_object()) {
        return bad("args must be an object");
    }
    args.body = args.args.value("body", json::object());
    for (const auto& [name, handler] : ops) {
        if (name == op) {
            return handler(core, args, now);
        }
    }
    return bad("unknown op: " + op);
}

void handle_control_message(CloudCore& core, std::string_view client_id, std::string_view payload,
                            std::int64_t now) {
    auto input = parse_json_input(payload);
    json request = input.status == JsonInputStatus::ok ? input.value : json();
    ControlResult result = input.status == JsonInputStatus::ok
                               ? dispatch_control(core, request, now)
                               : bad("control request is not valid UTF-8 JSON");
    core.publish(result.messages, now);
    json reply{{"ok", result.ok()}};
    if (request.is_object() && request.contains("id")) {
        reply["id"] = request["id"];
    }
    if (result.ok()) {
        reply["body"] = result.body;
    } else {
        reply["error"] = {{"type", result.error->type},
                          {"status", result.error->http_status},
                          {"message", result.error->message}};
    }
    core.publish(
        {{std::string(client_id), std::string(control_reply_prefix) + std::string(client_id),
          reply.dump(-1, ' ', false, json::error_handler_t::replace)}},
        now);
}

} // namespace fota::cloud
