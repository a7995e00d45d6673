#include "fota/cloud/identity_service.hpp"

#include "fota/cloud/identifiers.hpp"

#include <algorithm>

namespace fota::cloud {

namespace {

using nlohmann::json;

ControlResult invalid(const std::string& message) {
    return ControlResult::failure("InvalidRequestException", 400, message);
}
ControlResult not_found(const std::string& message) {
    return ControlResult::failure("ResourceNotFoundException", 404, message);
}
ControlResult conflict(const std::string& message) {
    return ControlResult::failure("DeleteConflictException", 409, message);
}
ControlResult certificate_state(const std::string& message) {
    return ControlResult::failure("CertificateStateException", 406, message);
}

bool is_certificate_id(const std::string& id) {
    return id.size() == 64 && std::all_of(id.begin(), id.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

// AWS's policy name pattern [\w+=,.@-]+, 1..128 characters.
bool is_policy_name(const std::string& name) {
    return !name.empty() && name.size() <= 128 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("_+=,.@-").find(c) != std::string_view::npos;
    });
}

// A policy document as AWS IoT accepts it: a JSON object with a Statement (one or a list), each an
// object with Effect Allow|Deny, Action and Resource. Returns why not, or "".
std::string policy_document_error(const std::string& text) {
    if (text.empty() || text.size() > 2048) {
        return "the policy document must be 1 to 2048 characters";
    }
    const json document = json::parse(text, nullptr, false);
    if (document.is_discarded() || !document.is_object()) {
        return "the policy document is not a JSON object";
    }
    if (!document.contains("Statement")) {
        return "the policy document has no Statement";
    }
    const json statements = document["Statement"].is_array() ? document["Statement"]
                                                             : json::array({document["Statement"]});
    if (statements.empty()) {
        return "the policy document's Statement is empty";
    }
    for (const json& statement : statements) {
        if (!statement.is_object()) {
            return "a Statement is not a JSON object";
        }
        const json effect = statement.value("Effect", json());
        if (effect != "Allow" && effect != "Deny") {
            return "a Statement's Effect must be Allow or Deny";
        }
        if (!statement.contains("Action") || !statement.contains("Resource")) {
            return "a Statement needs an Action and a Resource";
        }
    }
    return {};
}

json string_set(const std::set<std::string>& values) {
    return json(std::vector<std::string>(values.begin(), values.end()));
}

std::set<std::string> read_set(const json& j, const char* name) {
    std::set<std::string> values;
    for (const auto& v : j.value(name, json::array())) {
        values.insert(v.get<std::string>());
    }
    return values;
}

} // namespace

IdentityService::IdentityService(KvStore& store, IdentityOptions options)
    : store_(store), options_(std::move(options)) {
    for (const auto& [id, text] : store_.load("certificate")) {
        const json j = json::parse(text, nullptr, false);
        if (!j.is_object()) {
            continue;
        }
        certificates_[id] = Certificate{id,
                                        j.value("pem", ""),
                                        j.value("status", "INACTIVE"),
                                        j.value("created", std::int64_t{0}),
                                        j.value("modified", std::int64_t{0}),
                                        read_set(j, "things")};
    }
    for (const auto& [name, text] : store_.load("policy")) {
        const json j = json::parse(text, nullptr, false);
        if (!j.is_object()) {
            continue;
        }
        policies_[name] = Policy{name, j.value("document", ""), j.value("created", std::int64_t{0}),
                                 read_set(j, "targets")};
    }
}

void IdentityService::save(const Certificate& c) {
    store_.put("certificate", c.id,
               json{{"pem", c.pem},
                    {"status", c.status},
                    {"created", c.created},
                    {"modified", c.modified},
                    {"things", string_set(c.things)}}
                   .dump());
}

void IdentityService::save(const Policy& p) {
    store_.put(
        "policy", p.name,
        json{{"document", p.document}, {"created", p.created}, {"targets", string_set(p.targets)}}
            .dump());
}

std::string IdentityService::certificate_arn(const std::string& id) const {
    return "arn:aws:iot:" + options_.region + ":" + options_.account_id + ":cert/" + id;
}

std::string IdentityService::policy_arn(const std::string& name) const {
    return "arn:aws:iot:" + options_.region + ":" + options_.account_id + ":policy/" + name;
}

std::optional<std::string> IdentityService::certificate_of_arn(const std::string& arn) const {
    const std::string prefix = certificate_arn("");
    if (arn.compare(0, prefix.size(), prefix) != 0) {
        return std::nullopt;
    }
    return arn.substr(prefix.size());
}

ControlResult IdentityService::describe_endpoint(const std::string& endpoint_type) const {
    if (!endpoint_type.empty() && endpoint_type != "iot:Data-ATS" && endpoint_type != "iot:Data") {
        return invalid("endpointType '" + endpoint_type +
                       "' is not served by fota-sim (iot:Data-ATS or iot:Data)");
    }
    if (options_.mqtt_endpoint.empty()) {
        return ControlResult::failure("InternalFailureException", 500,
                                      "the broker's address is not known to the control plane");
    }
    return ControlResult::success(json{{"endpointAddress", options_.mqtt_endpoint}});
}

// ---- certificates ------------------------------------------------------------------------------

ControlResult IdentityService::create_keys_and_certificate(bool set_as_active, std::int64_t now) {
    if (!options_.issue_certificate) {
        return invalid("CreateKeysAndCertificate needs the stack's CA: run fota-sim cloud --tls");
    }
    const tls::Credentials credentials = options_.issue_certificate();
    const auto id = tls::certificate_id_of_pem(credentials.certificate_pem);
    const auto public_key = tls::public_key_pem_of_certificate(credentials.certificate_pem);
    if (!id || !public_key) {
        return ControlResult::failure("InternalFailureException", 500,
                                      "the new certificate could not be read back");
    }
    Certificate certificate{
        *id, credentials.certificate_pem, set_as_active ? "ACTIVE" : "INACTIVE", now, now, {}};
    save(certificate);
    certificates_[*id] = certificate;
    return ControlResult::success(json{
        {"certificateArn", certificate_arn(*id)},
        {"certificateId", *id},
        {"certificatePem", credentials.certificate_pem},
        {"keyPair", {{"PublicKey", *public_key}, {"PrivateKey", credentials.private_key_pem}}}});
}

ControlResult IdentityService::describe_certificate(const std::string& id) const {
    if (!is_certificate_id(id)) {
        return invalid("certificateId must be 64 lowercase hex characters");
    }
    const auto it = certificates_.find(id);
    if (it == certificates_.end()) {
        return not_found("The certificate " + id + " does not exist");
    }
    const Certificate& c = it->second;
    return ControlResult::success(json{{"certificateDescription",
                                        {{"certificateArn", certificate_arn(id)},
                                         {"certificateId", id},
                                         {"status", c.status},
                                         {"certificatePem", c.pem},
                                         {"ownedBy", options_.account_id},
                                         {"creationDate", c.created},
                                         {"lastModifiedDate", c.modified},
                                         {"customerVersion", 1},
                                         {"generationId", id.substr(0, 16)},
                                         {"certificateMode", "DEFAULT"}}}});
}

ControlResult IdentityService::list_certificates() const {
    json certificates = json::array();
    for (const auto& [id, c] : certificates_) {
        certificates.push_back({{"certificateArn", certificate_arn(id)},
                                {"certificateId", id},
                                {"status", c.status},
                                {"certificateMode", "DEFAULT"},
                                {"creationDate", c.created}});
    }
    return ControlResult::success(json{{"certificates", certificates}});
}

ControlResult IdentityService::list_policies() const {
    json policies = json::array();
    for (const auto& [name, policy] : policies_) {
        policies.push_back({{"policyName", name}, {"policyArn", policy_arn(name)}});
    }
    return ControlResult::success(json{{"policies", policies}});
}

ControlResult IdentityService::update_certificate(const std::string& id,
                                                  const std::string& new_status, std::int64_t now) {
    if (!is_certificate_id(id)) {
        return invalid("certificateId must be 64 lowercase hex characters");
    }
    if (new_status != "ACTIVE" && new_status != "INACTIVE" && new_status != "REVOKED") {
        return invalid("newStatus must be ACTIVE, INACTIVE or REVOKED, not '" + new_status + "'");
    }
    const auto it = certificates_.find(id);
    if (it == certificates_.end()) {
        return not_found("The certificate " + id + " does not exist");
    }
    Certificate& c = it->second;
    if (c.status == "REVOKED" && new_status != "REVOKED") {
        return certificate_state("The certificate " + id + " is REVOKED and cannot be " +
                                 new_status);
    }
    c.status = new_status;
    c.modified = now;
    save(c);
    return ControlResult::success(nullptr);
}

ControlResult IdentityService::delete_certificate(const std::string& id, bool force) {
    if (!is_certificate_id(id)) {
        return invalid("certificateId must be 64 lowercase hex characters");
    }
    const auto it = certificates_.find(id);
    if (it == certificates_.end()) {
        return not_found("The certificate " + id + " does not exist");
    }
    const Certificate& c = it->second;
    if (c.status == "ACTIVE") {
        return certificate_state("Certificate must be deactivated before deletion.");
    }
    if (!c.things.empty()) {
        return conflict("Things must be detached before deletion (arn: " + certificate_arn(id) +
                        ")");
    }
    std::vector<Policy*> attached;
    for (auto& [name, policy] : policies_) {
        if (policy.targets.count(id) != 0) {
            attached.push_back(&policy);
        }
    }
    if (!attached.empty() && !force) {
        return conflict("Certificate policies must be detached before deletion (arn: " +
                        certificate_arn(id) + ")");
    }
    KvTransaction transaction(store_);
    for (Policy* policy : attached) {
        policy->targets.erase(id);
        save(*policy);
    }
    store_.erase("certificate", id);
    certificates_.erase(it);
    return ControlResult::success(nullptr);
}

// ---- policies ----------------------------------------------------------------------------------

ControlResult IdentityService::create_policy(const std::string& name, const json& body,
                                             std::int64_t now) {
    if (!is_policy_name(name)) {
        return invalid("policyName must be 1 to 128 characters of [a-zA-Z0-9_+=,.@-]");
    }
    if (!body.is_object() || !body.contains("policyDocument") ||
        !body["policyDocument"].is_string()) {
        return invalid("CreatePolicy needs policyDocument, a string holding a JSON document");
    }
    if (policies_.count(name) != 0) {
        return ControlResult::failure(
            "ResourceAlreadyExistsException", 409,
            "Policy cannot be created - name already exists (name=" + name + ")");
    }
    const std::string document = body["policyDocument"];
    if (const std::string error = policy_document_error(document); !error.empty()) {
        return ControlResult::failure("MalformedPolicyException", 400, error);
    }
    Policy policy{name, document, now, {}};
    save(policy);
    policies_[name] = policy;
    return ControlResult::success(json{{"policyName", name},
                                       {"policyArn", policy_arn(name)},
                                       {"policyDocument", document},
                                       {"policyVersionId", "1"}});
}

ControlResult IdentityService::get_policy(const std::string& name) const {
    const auto it = policies_.find(name);
    if (it == policies_.end()) {
        return not_found("Policy not found (name=" + name + ")");
    }
    return ControlResult::success(json{{"policyName", name},
                                       {"policyArn", policy_arn(name)},
                                       {"policyDocument", it->second.document},
                                       {"defaultVersionId", "1"},
                                       {"creationDate", it->second.created},
                                       {"lastModifiedDate", it->second.created},
                                       {"generationId", "1"}});
}

ControlResult IdentityService::delete_policy(const std::string& name) {
    const auto it = policies_.find(name);
    if (it == policies_.end()) {
        return not_found("Policy not found (name=" + name + ")");
    }
    if (!it->second.targets.empty()) {
        return conflict("The policy cannot be deleted as the policy is attached to one or more "
                        "principals (name=" +
                        name + ")");
    }
    store_.erase("policy", name);
    policies_.erase(it);
    return ControlResult::success(nullptr);
}

ControlResult IdentityService::policy_target(const std::string& name, const json& body,
                                             Policy*& policy, std::string& certificate) {
    if (!body.is_object() || !body.contains("target") || !body["target"].is_string()) {
        return invalid("the body needs target, a certificate ARN");
    }
    const std::string target = body["target"];
    const auto it = policies_.find(name);
    if (it == policies_.end()) {
        return not_found("Policy not found (name=" + name + ")");
    }
    const auto id = certificate_of_arn(target);
    if (!id) {
        return invalid("target must be a certificate ARN (" + certificate_arn("<id>") + "), not '" +
                       target + "'");
    }
    if (certificates_.count(*id) == 0) {
        return not_found("The certificate " + *id + " does not exist");
    }
    policy = &it->second;
    certificate = *id;
    return ControlResult::success(nullptr);
}

ControlResult IdentityService::attach_policy(const std::string& name, const json& body) {
    Policy* policy = nullptr;
    std::string id;
    if (ControlResult error = policy_target(name, body, policy, id); !error.ok()) {
        return error;
    }
    if (policy->targets.insert(id).second) {
        save(*policy);
    }
    return ControlResult::success(nullptr);
}

ControlResult IdentityService::detach_policy(const std::string& name, const json& body) {
    Policy* policy = nullptr;
    std::string id;
    if (ControlResult error = policy_target(name, body, policy, id); !error.ok()) {
        return error;
    }
    if (policy->targets.erase(id) != 0) {
        save(*policy);
    }
    return ControlResult::success(nullptr);
}

ControlResult IdentityService::list_attached_policies(const std::string& target) const {
    const auto id = certificate_of_arn(target);
    if (!id || certificates_.count(*id) == 0) {
        return not_found("The target " + target + " does not exist");
    }
    json policies = json::array();
    for (const auto& [name, policy] : policies_) {
        if (policy.targets.count(*id) != 0) {
            policies.push_back({{"policyName", name}, {"policyArn", policy_arn(name)}});
        }
    }
    return ControlResult::success(json{{"policies", policies}});
}

// ---- thing principals --------------------------------------------------------------------------

ControlResult IdentityService::attach_thing_principal(const std::string& thing,
                                                      const std::string& principal) {
    if (!is_valid_thing_name(thing)) {
        return invalid("thingName must be 1-128 characters of [a-zA-Z0-9:_-]");
    }
    if (!options_.thing_exists || !options_.thing_exists(thing)) {
        return not_found("Thing " + thing + " cannot be found");
    }
    const auto id = certificate_of_arn(principal);
    if (!id) {
        return invalid("x-amzn-principal must be a certificate ARN (" + certificate_arn("<id>") +
                       "), not '" + principal + "'");
    }
    const auto it = certificates_.find(*id);
    if (it == certificates_.end()) {
        return not_found("The certificate " + *id + " does not exist");
    }
    if (it->second.things.insert(thing).second) {
        save(it->second);
    }
    return ControlResult::success(json::object());
}

ControlResult IdentityService::detach_thing_principal(const std::string& thing,
                                                      const std::string& principal) {
    if (!options_.thing_exists || !options_.thing_exists(thing)) {
        return not_found("Thing " + thing + " cannot be found");
    }
    const auto id = certificate_of_arn(principal);
    if (!id) {
        return invalid("x-amzn-principal must be a certificate ARN, not '" + principal + "'");
    }
    const auto it = certificates_.find(*id);
    if (it == certificates_.end()) {
        return not_found("The certificate " + *id + " does not exist");
    }
    if (it->second.things.erase(thing) != 0) {
        save(it->second);
    }
    return ControlResult::success(json::object());
}

ControlResult IdentityService::list_thing_principals(const std::string& thing) const {
    if (!options_.thing_exists || !options_.thing_exists(thing)) {
        return not_found("Thing " + thing + " cannot be found");
    }
    json principals = json::array();
    for (const auto& [id, certificate] : certificates_) {
        if (certificate.things.count(thing) != 0) {
            principals.push_back(certificate_arn(id));
        }
    }
    return ControlResult::success(json{{"principals", principals}});
}

bool IdentityService::has_principals(const std::string& thing) const {
    return std::any_of(certificates_.begin(), certificates_.end(),
                       [&](const auto& entry) { return entry.second.things.count(thing) != 0; });
}

std::optional<std::string>
IdentityService::connect_refusal(const std::string& client_id,
                                 const std::string& certificate_id) const {
    const auto it = certificates_.find(certificate_id);
    if (it == certificates_.end()) {
        return std::nullopt;
    }
    const Certificate& c = it->second;
    if (c.status != "ACTIVE") {
        return "certificate " + certificate_id + " is " + c.status;
    }
    if (c.things.count(client_id) == 0) {
        return "thing '" + client_id + "' is not attached to certificate " + certificate_id;
    }
    return std::string();
}

} // namespace fota::cloud
