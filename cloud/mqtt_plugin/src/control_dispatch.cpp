#include "fota/cloud/control_dispatch.hpp"

#include <string>

#include "fota/cloud/json_input.hpp"

namespace fota::cloud {

using nlohmann::json;

namespace {

ControlResult bad(const std::string& message) {
    return ControlResult::failure("InvalidRequestException", 400, message);
}

} // namespace

ControlResult dispatch_control(CloudCore& core, const json& request, std::int64_t now) {
    if (!request.is_object() || !request.contains("op") || !request["op"].is_string()) {
        return bad("control request must be an object with a string \"op\"");
    }
    const std::string op = request["op"].get<std::string>();
    const json args = request.value("args", json::object());
    if (!args.is_object()) {
        return bad("args must be an object");
    }
    // Typed argument readers: a wrong type is a clear error, not an exception.
    std::string problem;
    auto text = [&](const char* name, bool required = true) -> std::string {
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
    };
    auto flag = [&](const char* name) {
        return args.contains(name) && args[name].is_boolean() && args[name].get<bool>();
    };
    auto number = [&](const char* name) -> std::optional<std::int64_t> {
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
    };
    auto query = [&]() {
        ListQuery q;
        if (args.contains("status") && args["status"].is_string()) {
            q.status = args["status"].get<std::string>();
        }
        if (auto max = number("maxResults")) {
            q.max_results = static_cast<int>(*max);
        }
        q.next_token = text("nextToken", false);
        return q;
    };
    const json body = args.value("body", json::object());
    JobsService& jobs = core.jobs();
    ShadowService& shadow = core.shadow();
    ControlResult result = bad("unknown op: " + op);

    if (op == "create_thing") {
        const auto thing = text("thingName");
        result = problem.empty() ? jobs.create_thing(thing, body, now) : bad(problem);
    } else if (op == "describe_thing") {
        const auto thing = text("thingName");
        result = problem.empty() ? jobs.describe_thing(thing) : bad(problem);
    } else if (op == "list_things") {
        result = jobs.list_things(query());
    } else if (op == "create_job") {
        const auto id = text("jobId");
        result = problem.empty() ? jobs.create_job(id, body, now) : bad(problem);
    } else if (op == "describe_job") {
        const auto id = text("jobId");
        result = problem.empty() ? jobs.describe_job(id) : bad(problem);
    } else if (op == "get_job_document") {
        const auto id = text("jobId");
        result = problem.empty() ? jobs.get_job_document(id) : bad(problem);
    } else if (op == "list_jobs") {
        result = jobs.list_jobs(query());
    } else if (op == "cancel_job") {
        const auto id = text("jobId");
        result = problem.empty() ? jobs.cancel_job(id, flag("force"), body, now) : bad(problem);
    } else if (op == "delete_job") {
        const auto id = text("jobId");
        result = problem.empty() ? jobs.delete_job(id, flag("force"), now) : bad(problem);
    } else if (op == "describe_job_execution") {
        const auto thing = text("thingName");
        const auto id = text("jobId");
        const auto execution = number("executionNumber");
        result =
            problem.empty() ? jobs.describe_job_execution(thing, id, execution, now) : bad(problem);
    } else if (op == "list_job_executions_for_job") {
        const auto id = text("jobId");
        result = problem.empty() ? jobs.list_job_executions_for_job(id, query()) : bad(problem);
    } else if (op == "list_job_executions_for_thing") {
        const auto thing = text("thingName");
        result =
            problem.empty() ? jobs.list_job_executions_for_thing(thing, query()) : bad(problem);
    } else if (op == "cancel_job_execution") {
        const auto thing = text("thingName");
        const auto id = text("jobId");
        result = problem.empty() ? jobs.cancel_job_execution(thing, id, flag("force"), body, now)
                                 : bad(problem);
    } else if (op == "delete_job_execution") {
        const auto thing = text("thingName");
        const auto id = text("jobId");
        const auto execution = number("executionNumber");
        if (!execution && problem.empty()) {
            problem = "args.executionNumber is required";
        }
        result = problem.empty()
                     ? jobs.delete_job_execution(thing, id, *execution, flag("force"), now)
                     : bad(problem);
    } else if (op == "get_thing_shadow" || op == "delete_thing_shadow" ||
               op == "update_thing_shadow") {
        const auto thing = text("thingName");
        const auto name = text("shadowName", false);
        if (!problem.empty()) {
            result = bad(problem);
        } else if (op == "get_thing_shadow") {
            result = shadow.get_thing_shadow(thing, name, now);
        } else if (op == "delete_thing_shadow") {
            result = shadow.delete_thing_shadow(thing, name, now);
        } else {
            const std::string payload =
                args.value("payload", json()).dump(-1, ' ', false, json::error_handler_t::replace);
            result = shadow.update_thing_shadow(thing, name, payload, now);
        }
    } else if (op == "advance_clock") {
        const auto seconds = number("seconds");
        if (!seconds || *seconds < 0 || *seconds > 10LL * 365 * 24 * 3600) {
            result = bad(problem.empty() ? "args.seconds must be an integer from 0 to 10 years"
                                         : problem);
        } else {
            core.advance_clock(*seconds);
            result = ControlResult::success(json{{"cloudTime", now + *seconds}});
        }
    } else if (op == "duplicate_next_notify_next" || op == "duplicate_next_job_document" ||
               op == "reject_next_update" || op == "delay_next_reply" || op == "drop_next_reply") {
        const auto thing = text("thingName");
        const auto code = op == "reject_next_update" ? text("code") : std::string();
        const auto seconds = op == "delay_next_reply" ? number("seconds") : std::nullopt;
        const auto suffix = op == "delay_next_reply" || op == "drop_next_reply"
                                ? text("topicSuffix", false)
                                : std::string();
        if (op == "delay_next_reply" && !seconds && problem.empty()) {
            problem = "args.seconds is required";
        }
        if (!problem.empty()) {
            result = bad(problem);
        } else {
            if (op == "duplicate_next_notify_next") {
                core.duplicate_next_notify_next(thing);
            } else if (op == "duplicate_next_job_document") {
                core.duplicate_next_job_document(thing);
            } else if (op == "reject_next_update") {
                core.reject_next_update(thing, code);
            } else if (op == "delay_next_reply") {
                core.delay_next_reply(thing, *seconds, suffix);
            } else {
                core.drop_next_reply(thing, suffix);
            }
            result = ControlResult::success(json::object());
        }
    }
    return result;
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
