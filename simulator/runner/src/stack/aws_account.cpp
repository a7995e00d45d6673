// Creating, finding and removing what stack `aws` makes in an account (see aws_account.hpp).
#include "aws_account.hpp"

#include "fota/cloud/http/uri.hpp"
#include "fota/sim/stack.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <random>
#include <set>
#include <thread>

namespace fota::sim::stacks {

using json = nlohmann::json;
using std::chrono::seconds;

namespace {

std::string query_value(const std::string& text) {
    return cloud::http::aws_uri_encode(text, true);
}

/// Runs attempt up to `tries` times, a second apart, while it answers a conflict (AWS is
/// eventually consistent: a certificate detached a moment ago may still count as attached).
AwsReply with_retries(const std::function<AwsReply()>& attempt, int tries = 10) {
    AwsReply reply = attempt();
    for (int i = 1; i < tries && (reply.status == 409 || reply.status == 429 ||
                                  reply.error_code == "DeleteConflictException" ||
                                  reply.error_code == "ThrottlingException");
         ++i) {
        std::this_thread::sleep_for(seconds(1));
        reply = attempt();
    }
    return reply;
}

/// "" when reply is ok or a 404 (already gone), else "<what>: <reply>".
std::string outcome(const std::string& what, const AwsReply& reply) {
    return reply.ok() || reply.status == 404 ? std::string() : what + ": " + reply.describe();
}

void append(std::string& problems, const std::string& problem) {
    if (!problem.empty()) {
        problems += (problems.empty() ? "" : "; ") + problem;
    }
}

} // namespace

std::string make_aws_run_id() {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &utc);
    std::random_device random;
    char suffix[8];
    std::snprintf(suffix, sizeof suffix, "%04x", static_cast<unsigned>(random() & 0xffffu));
    return std::string("fsim-") + stamp + "-" + suffix;
}

std::string device_policy_document() {
    const std::string thing = "${iot:Connection.Thing.ThingName}";
    const json document = {
        {"Version", "2012-10-17"},
        {"Statement",
         {{{"Effect", "Allow"},
           {"Action", "iot:Connect"},
           {"Resource", "arn:aws:iot:*:*:client/" + thing}},
          {{"Effect", "Allow"},
           {"Action", {"iot:Publish", "iot:Receive"}},
           {"Resource", "arn:aws:iot:*:*:topic/$aws/things/" + thing + "/*"}},
          {{"Effect", "Allow"},
           {"Action", "iot:Subscribe"},
           {"Resource", "arn:aws:iot:*:*:topicfilter/$aws/things/" + thing + "/*"}},
          {{"Effect", "Allow"},
           {"Action", {"iot:GetThingShadow", "iot:UpdateThingShadow"}},
           {"Resource", "arn:aws:iot:*:*:thing/" + thing}}}}};
    return document.dump();
}

AwsAccount::AwsAccount(AwsSettings settings)
    : settings_(std::move(settings)),
      client_(settings_.credentials, settings_.region, settings_.ca_file) {}

std::string AwsAccount::object_key(const std::string& run_id, const std::string& key) {
    return "fota-sim/" + run_id + "/" + key;
}

std::string AwsAccount::policy_name(const std::string& run_id) {
    return "fota-sim-" + run_id;
}

std::string AwsAccount::describe_endpoint() const {
    const json reply = client_.json_call(AwsService::iot, settings_.iot_url, "GET",
                                         "/endpoint?endpointType=iot%3AData-ATS");
    const std::string address = reply.value("endpointAddress", "");
    if (address.empty()) {
        throw StackError("DescribeEndpoint gave no endpointAddress: " + reply.dump());
    }
    return address;
}

const std::string& AwsAccount::data_url() {
    if (settings_.iot_data_url.empty()) {
        const std::string endpoint = describe_endpoint();
        settings_.iot_data_url = "https://" + endpoint.substr(0, endpoint.rfind(':'));
    }
    return settings_.iot_data_url;
}

void AwsAccount::create_policy(const std::string& run_id) const {
    const json body = {{"policyDocument", device_policy_document()},
                       {"tags", {{{"Key", kRunMark}, {"Value", run_id}}}}};
    client_.json_call(AwsService::iot, settings_.iot_url, "POST",
                      "/policies/" + encode_segment(policy_name(run_id)), body);
}

std::string AwsAccount::create_thing(const std::string& thing, const std::string& run_id) const {
    const auto existing = thing_run(thing);
    if (existing && *existing != run_id) {
        throw StackError("thing " + thing + " already exists in the account" +
                         (existing->empty() ? " and was not made by fota-sim"
                                            : " (left by fota-sim run " + *existing +
                                                  "; `fota-sim aws cleanup --run " + *existing +
                                                  "` removes it)") +
                         "; fota-sim changes no thing it did not make: rename the scenario's "
                         "devices or remove the thing");
    }
    const json body = {{"attributePayload", {{"attributes", {{kRunMark, run_id}}}}}};
    const json reply = client_.json_call(AwsService::iot, settings_.iot_url, "POST",
                                         "/things/" + encode_segment(thing), body);
    return reply.value("thingArn", "");
}

ThingCertificate AwsAccount::create_certificate(const std::string& thing,
                                                const std::string& run_id) const {
    const json reply = client_.json_call(AwsService::iot, settings_.iot_url, "POST",
                                         "/keys-and-certificate?setAsActive=true", json::object());
    ThingCertificate c;
    c.arn = reply.value("certificateArn", "");
    c.id = reply.value("certificateId", "");
    c.pem = reply.value("certificatePem", "");
    if (reply.contains("keyPair") && reply["keyPair"].is_object()) {
        c.private_key = reply["keyPair"].value("PrivateKey", "");
    }
    if (c.arn.empty() || c.id.empty() || c.pem.empty() || c.private_key.empty()) {
        throw StackError("CreateKeysAndCertificate for " + thing +
                         " gave no certificate or key: " + reply.dump().substr(0, 300));
    }
    client_.json_call(AwsService::iot, settings_.iot_url, "PUT",
                      "/target-policies/" + encode_segment(policy_name(run_id)),
                      {{"target", c.arn}});
    const AwsReply attached = client_.send(AwsService::iot, settings_.iot_url, "PUT",
                                           "/things/" + encode_segment(thing) + "/principals", {},
                                           {{"x-amzn-principal", c.arn}});
    if (!attached.ok()) {
        throw StackError("AttachThingPrincipal " + thing + " " + c.arn + ": " +
                         attached.describe());
    }
    return c;
}

void AwsAccount::put_object(const std::string& run_id, const std::string& key,
                            const std::string& bytes) const {
    const std::string target = "/" + encode_segment(settings_.bucket) + "/" +
                               cloud::http::aws_uri_encode(object_key(run_id, key), false);
    const AwsReply reply = client_.send(AwsService::s3, settings_.s3_url, "PUT", target, bytes,
                                        {{"content-type", "application/octet-stream"}});
    if (!reply.ok()) {
        throw StackError("S3 PutObject " + settings_.s3_url + target + ": " + reply.describe());
    }
}

std::optional<std::string> AwsAccount::thing_run(const std::string& thing) const {
    const AwsReply reply =
        client_.send(AwsService::iot, settings_.iot_url, "GET", "/things/" + encode_segment(thing));
    if (reply.status == 404) {
        return std::nullopt;
    }
    if (!reply.ok()) {
        throw StackError("DescribeThing " + thing + ": " + reply.describe());
    }
    const json body = json::parse(reply.body, nullptr, false);
    if (body.is_object() && body.contains("attributes") && body["attributes"].is_object()) {
        return body["attributes"].value(kRunMark, "");
    }
    return std::string();
}

std::optional<std::string> AwsAccount::job_run(const std::string& job_id) const {
    const AwsReply reply =
        client_.send(AwsService::iot, settings_.iot_url, "GET", "/jobs/" + encode_segment(job_id));
    if (reply.status == 404) {
        return std::nullopt;
    }
    if (!reply.ok()) {
        throw StackError("DescribeJob " + job_id + ": " + reply.describe());
    }
    const json body = json::parse(reply.body, nullptr, false);
    const json job = body.is_object() ? body.value("job", json::object()) : json::object();
    // The mark is in the description too (a local stack may not keep tags).
    const std::string description = job.value("description", "");
    const std::string marker = std::string("[") + kRunMark + "=";
    if (const auto at = description.rfind(marker); at != std::string::npos) {
        const auto from = at + marker.size();
        return description.substr(from, description.find(']', from) - from);
    }
    return std::string();
}

std::vector<std::string> AwsAccount::run_things(const std::string& run_id) const {
    std::vector<std::string> things;
    std::string token;
    do {
        std::string target = "/things?maxResults=250&attributeName=" + query_value(kRunMark) +
                             "&attributeValue=" + query_value(run_id);
        if (!token.empty()) {
            target += "&nextToken=" + query_value(token);
        }
        const json page = client_.json_call(AwsService::iot, settings_.iot_url, "GET", target);
        for (const json& t : page.value("things", json::array())) {
            things.push_back(t.value("thingName", ""));
        }
        token = page.value("nextToken", "");
    } while (!token.empty());
    return things;
}

std::vector<std::string> AwsAccount::thing_jobs(const std::string& thing) const {
    std::vector<std::string> jobs;
    std::string token;
    do {
        std::string target = "/things/" + encode_segment(thing) + "/jobs?maxResults=250";
        if (!token.empty()) {
            target += "&nextToken=" + query_value(token);
        }
        const json page = client_.json_call(AwsService::iot, settings_.iot_url, "GET", target);
        for (const json& e : page.value("executionSummaries", json::array())) {
            jobs.push_back(e.value("jobId", ""));
        }
        token = page.value("nextToken", "");
    } while (!token.empty());
    return jobs;
}

std::vector<std::string> AwsAccount::run_objects(const std::string& run_id) const {
    std::vector<std::string> keys;
    std::string token;
    do {
        std::string target = "/" + encode_segment(settings_.bucket) +
                             "?list-type=2&prefix=" + query_value(object_key(run_id, ""));
        if (!token.empty()) {
            target += "&continuation-token=" + query_value(token);
        }
        const AwsReply page = client_.send(AwsService::s3, settings_.s3_url, "GET", target);
        if (!page.ok()) {
            throw StackError("S3 ListObjectsV2 " + settings_.s3_url + target + ": " +
                             page.describe());
        }
        for (const std::string& key : xml_texts(page.body, "Key")) {
            keys.push_back(key);
        }
        const auto next = xml_texts(page.body, "NextContinuationToken");
        token = next.empty() ? std::string() : next.front();
    } while (!token.empty());
    return keys;
}

std::string AwsAccount::delete_job(const std::string& job_id, std::chrono::seconds wait) const {
    const std::string target = "/jobs/" + encode_segment(job_id);
    const AwsReply reply = with_retries([&] {
        return client_.send(AwsService::iot, settings_.iot_url, "DELETE", target + "?force=true");
    });
    if (const std::string problem = outcome("DeleteJob " + job_id, reply); !problem.empty()) {
        return problem;
    }
    // Deleting takes a while on AWS (DELETION_IN_PROGRESS); a job id is free again once gone.
    const auto until = std::chrono::steady_clock::now() + wait;
    while (true) {
        const AwsReply described = client_.send(AwsService::iot, settings_.iot_url, "GET", target);
        if (described.status == 404) {
            return {};
        }
        if (std::chrono::steady_clock::now() >= until) {
            return "DeleteJob " + job_id + ": still there after " + std::to_string(wait.count()) +
                   " s";
        }
        std::this_thread::sleep_for(seconds(1));
    }
}

std::string AwsAccount::delete_thing(const std::string& thing, const std::string& run_id) const {
    const std::string path = "/things/" + encode_segment(thing);
    std::string problems;
    std::vector<std::string> principals;
    const AwsReply listed =
        client_.send(AwsService::iot, settings_.iot_url, "GET", path + "/principals");
    if (listed.status == 404) {
        return {};
    }
    if (!listed.ok()) {
        return "ListThingPrincipals " + thing + ": " + listed.describe();
    }
    const json body = json::parse(listed.body, nullptr, false);
    if (body.is_object()) {
        for (const json& p : body.value("principals", json::array())) {
            principals.push_back(p.get<std::string>());
        }
    }
    for (const std::string& arn : principals) {
        const std::string id = arn.substr(arn.rfind('/') + 1);
        const bool certificate = arn.find(":cert/") != std::string::npos;
        append(problems,
               outcome("DetachThingPrincipal " + thing + " " + arn,
                       client_.send(AwsService::iot, settings_.iot_url, "DELETE",
                                    path + "/principals", {}, {{"x-amzn-principal", arn}})));
        if (!certificate) {
            continue;
        }
        append(problems,
               outcome("DetachPolicy " + arn,
                       client_.send(AwsService::iot, settings_.iot_url, "POST",
                                    "/target-policies/" + encode_segment(policy_name(run_id)),
                                    json{{"target", arn}}.dump(),
                                    {{"content-type", "application/json"}})));
        append(problems, outcome("UpdateCertificate " + id + " INACTIVE",
                                 client_.send(AwsService::iot, settings_.iot_url, "PUT",
                                              "/certificates/" + encode_segment(id) +
                                                  "?newStatus=INACTIVE")));
        append(problems, outcome("DeleteCertificate " + id, with_retries([&] {
                                     return client_.send(AwsService::iot, settings_.iot_url,
                                                         "DELETE",
                                                         "/certificates/" + encode_segment(id) +
                                                             "?forceDelete=true");
                                 })));
    }
    append(problems, outcome("DeleteThingShadow " + thing,
                             client_.send(AwsService::iot_data, settings_.iot_data_url, "DELETE",
                                          path + "/shadow")));
    append(problems, outcome("DeleteThing " + thing, with_retries([&] {
                                 return client_.send(AwsService::iot, settings_.iot_url, "DELETE",
                                                     path);
                             })));
    return problems;
}

std::string AwsAccount::delete_policy(const std::string& run_id) const {
    return outcome("DeletePolicy " + policy_name(run_id), with_retries([&] {
                       return client_.send(AwsService::iot, settings_.iot_url, "DELETE",
                                           "/policies/" + encode_segment(policy_name(run_id)));
                   }));
}

std::string AwsAccount::delete_object(const std::string& full_key) const {
    const std::string target =
        "/" + encode_segment(settings_.bucket) + "/" + cloud::http::aws_uri_encode(full_key, false);
    return outcome("S3 DeleteObject " + full_key,
                   client_.send(AwsService::s3, settings_.s3_url, "DELETE", target));
}

std::vector<std::string> cleanup_aws_run(const AwsAccount& account, const std::string& run_id,
                                         const std::function<void(const std::string&)>& progress) {
    std::vector<std::string> left;
    const auto say = [&](const std::string& line) {
        if (progress) {
            progress(line);
        }
    };
    const auto note = [&](const std::string& problem) {
        if (!problem.empty()) {
            left.push_back(problem);
        }
    };
    try {
        const std::vector<std::string> things = account.run_things(run_id);
        say("run " + run_id + ": " + std::to_string(things.size()) + " things");
        std::set<std::string> jobs;
        for (const std::string& thing : things) {
            for (const std::string& job : account.thing_jobs(thing)) {
                jobs.insert(job);
            }
        }
        for (const std::string& job : jobs) {
            if (account.job_run(job) == run_id) {
                say("deleting job " + job);
                note(account.delete_job(job, seconds(120)));
            }
        }
        for (const std::string& thing : things) {
            say("deleting thing " + thing + " and its certificates");
            note(account.delete_thing(thing, run_id));
        }
        note(account.delete_policy(run_id));
        if (account.settings().bucket.empty()) {
            say("no bucket given: the run's objects (fota-sim/" + run_id + "/) are not looked for");
            return left;
        }
        for (const std::string& key : account.run_objects(run_id)) {
            say("deleting s3://" + account.settings().bucket + "/" + key);
            note(account.delete_object(key));
        }
    } catch (const StackError& e) {
        left.push_back(e.what());
    }
    return left;
}

} // namespace fota::sim::stacks
