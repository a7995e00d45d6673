#pragma once
// Local AWS IoT identity: X.509 certificates made by CreateKeysAndCertificate (signed by the
// stack's CA), IoT policies, the policies attached to certificates, and the things attached to
// certificates (thing principals), with AWS's REST shapes and errors. State is written through to
// a KvStore. Policies are stored and validated as JSON documents but not enforced: the topic
// policy (topic_policy.hpp) decides what a connection may do, as a per-thing policy would.
// Not thread-safe: one thread (the broker's) calls everything.

#include "fota/cloud/kv_store.hpp"
#include "fota/cloud/messages.hpp"
#include "fota/cloud/tls/certificates.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace fota::cloud {

struct IdentityOptions {
    std::string region = "us-east-1";
    std::string account_id = "123456789012";
    /// Makes a key pair and a client certificate signed by the stack's CA. Empty: the stack has
    /// no CA key, and CreateKeysAndCertificate answers InvalidRequestException.
    std::function<tls::Credentials()> issue_certificate;
    /// DescribeEndpoint's endpointAddress (the broker's "host:port"); empty: unknown.
    std::string mqtt_endpoint;
    /// True when thing exists (the Jobs service's registry); AttachThingPrincipal needs it.
    std::function<bool(const std::string& thing)> thing_exists;
};

class IdentityService {
public:
    /// Loads the saved certificates and policies from store (which must outlive the service).
    IdentityService(KvStore& store, IdentityOptions options);

    /// GET /endpoint?endpointType=iot:Data-ATS|iot:Data (others: InvalidRequestException)
    [[nodiscard]] ControlResult describe_endpoint(const std::string& endpoint_type) const;
    /// POST /keys-and-certificate?setAsActive=
    ControlResult create_keys_and_certificate(bool set_as_active, std::int64_t now);
    /// GET /certificates/{id}
    [[nodiscard]] ControlResult describe_certificate(const std::string& id) const;
    /// ListCertificates: every certificate (one page), in id order.
    [[nodiscard]] ControlResult list_certificates() const;
    /// ListPolicies: every policy (one page), in name order.
    [[nodiscard]] ControlResult list_policies() const;
    /// PUT /certificates/{id}?newStatus=ACTIVE|INACTIVE
    ControlResult update_certificate(const std::string& id, const std::string& new_status,
                                     std::int64_t now);
    /// DELETE /certificates/{id}[?forceDelete=true]: refused while ACTIVE
    /// (CertificateStateException), attached to a thing, or (without force) to a policy
    /// (DeleteConflictException).
    ControlResult delete_certificate(const std::string& id, bool force);

    /// POST /policies/{name} {"policyDocument": "<JSON text>"}
    ControlResult create_policy(const std::string& name, const nlohmann::json& body,
                                std::int64_t now);
    /// GET /policies/{name}
    [[nodiscard]] ControlResult get_policy(const std::string& name) const;
    /// DELETE /policies/{name}: refused while attached (DeleteConflictException).
    ControlResult delete_policy(const std::string& name);
    /// PUT /target-policies/{name} {"target": certificate ARN}
    ControlResult attach_policy(const std::string& name, const nlohmann::json& body);
    /// POST /target-policies/{name} {"target": certificate ARN}
    ControlResult detach_policy(const std::string& name, const nlohmann::json& body);
    /// POST /attached-policies/{target}
    [[nodiscard]] ControlResult list_attached_policies(const std::string& target) const;

    /// PUT /things/{thing}/principals, header x-amzn-principal: certificate ARN
    ControlResult attach_thing_principal(const std::string& thing, const std::string& principal);
    /// DELETE /things/{thing}/principals
    ControlResult detach_thing_principal(const std::string& thing, const std::string& principal);
    /// GET /things/{thing}/principals
    [[nodiscard]] ControlResult list_thing_principals(const std::string& thing) const;
    /// True when a principal is attached to thing (DeleteThing is refused then).
    [[nodiscard]] bool has_principals(const std::string& thing) const;

    /// The MQTT CONNECT rule for a client certificate (certificate_id: tls::certificate_id).
    /// nullopt: the certificate is not one of ours (the caller applies its own rule); "": the
    /// client may connect as client_id (the certificate is ACTIVE and thing client_id is attached
    /// to it); otherwise why it may not.
    [[nodiscard]] std::optional<std::string>
    connect_refusal(const std::string& client_id, const std::string& certificate_id) const;

    [[nodiscard]] std::string certificate_arn(const std::string& id) const;

private:
    struct Certificate {
        std::string id;
        std::string pem;
        std::string status; ///< ACTIVE | INACTIVE
        std::int64_t created = 0;
        std::int64_t modified = 0;
        std::set<std::string> things;
    };
    struct Policy {
        std::string name;
        std::string document;
        std::int64_t created = 0;
        std::set<std::string> targets; ///< certificate ids
    };
    void save(const Certificate& certificate);
    void save(const Policy& policy);
    /// The certificate id of a certificate ARN of this account and region; nullopt otherwise.
    [[nodiscard]] std::optional<std::string> certificate_of_arn(const std::string& arn) const;
    [[nodiscard]] std::string policy_arn(const std::string& name) const;
    ControlResult policy_target(const std::string& name, const nlohmann::json& body,
                                Policy*& policy, std::string& certificate);

    KvStore& store_;
    IdentityOptions options_;
    std::map<std::string, Certificate> certificates_;
    std::map<std::string, Policy> policies_;
};

} // namespace fota::cloud
