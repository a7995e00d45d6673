// What stack `aws` creates in an AWS account (or in a local stack that answers as AWS does), and
// how it finds and removes it again: things with the attribute fota-sim-run=<run id>, one
// certificate per thing (CreateKeysAndCertificate) attached to it and to the run's policy
// fota-sim-<run id>, jobs tagged fota-sim-run=<run id>, and S3 objects under
// fota-sim/<run id>/ in the run's bucket. Nothing without those marks is ever changed: a thing
// or job of the scenario's name that exists without them makes the run fail instead.
#pragma once

#include "aws_client.hpp"
#include "aws_settings.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace fota::sim::stacks {

/// The attribute (things) and tag (jobs, policies) naming the run that made a resource.
inline constexpr const char* kRunMark = "fota-sim-run";

/// A fresh run id: "fsim-YYYYMMDD-HHMMSS-xxxx" (UTC, four random hex digits).
std::string make_aws_run_id();

/// The run's IoT policy: its devices may connect as their thing, and publish, subscribe and
/// receive on their own thing's reserved topics ($aws/things/<thing>/...), and nothing else.
std::string device_policy_document();

/// One thing's credentials as CreateKeysAndCertificate gave them.
struct ThingCertificate {
    std::string arn;
    std::string id;
    std::string pem;
    std::string private_key;
};

class AwsAccount {
public:
    explicit AwsAccount(AwsSettings settings);

    const AwsSettings& settings() const { return settings_; }
    const AwsClient& client() const { return client_; }

    /// DescribeEndpoint(iot:Data-ATS): "host" or "host:port".
    std::string describe_endpoint() const;
    /// The IoT data plane's URL: settings' iot_data_url, or once found https://<endpoint host>
    /// (DescribeEndpoint; its port is MQTT's, not the data plane's). Call before sharing the
    /// account between threads.
    const std::string& data_url();
    void set_data_url(std::string url) { settings_.iot_data_url = std::move(url); }

    // ---- creating (throw StackError naming the call on failure) ----
    void create_policy(const std::string& run_id) const;
    /// CreateThing with the run's attribute; returns the thing's ARN. A thing of that name
    /// that exists without this run's attribute is an error (StackError).
    std::string create_thing(const std::string& thing, const std::string& run_id) const;
    /// CreateKeysAndCertificate (active), attached to the run's policy and to thing.
    ThingCertificate create_certificate(const std::string& thing, const std::string& run_id) const;
    /// S3 PutObject of <bucket>/<object_key(run_id, key)>.
    void put_object(const std::string& run_id, const std::string& key,
                    const std::string& bytes) const;

    /// fota-sim/<run id>/<key>
    static std::string object_key(const std::string& run_id, const std::string& key);
    static std::string policy_name(const std::string& run_id);

    // ---- reading ----
    /// The run mark of thing: its fota-sim-run attribute; "" when the thing has none; nullopt
    /// when there is no such thing.
    std::optional<std::string> thing_run(const std::string& thing) const;
    /// The job's fota-sim-run tag; "" when it has none; nullopt when there is no such job.
    std::optional<std::string> job_run(const std::string& job_id) const;
    /// Things whose fota-sim-run attribute is run_id (ListThings, all pages).
    std::vector<std::string> run_things(const std::string& run_id) const;
    /// Job ids with an execution on thing (ListJobExecutionsForThing, all pages).
    std::vector<std::string> thing_jobs(const std::string& thing) const;
    /// Keys under fota-sim/<run id>/ in the bucket (ListObjectsV2, all pages).
    std::vector<std::string> run_objects(const std::string& run_id) const;

    // ---- removing: each returns what could not be removed ("" when all went), never throws ----
    /// DeleteJob (forced), then waits up to `wait` for it to be gone.
    std::string delete_job(const std::string& job_id, std::chrono::seconds wait) const;
    /// Its certificates detached (from it and from the run's policy), deactivated and deleted,
    /// its shadow, then the thing.
    std::string delete_thing(const std::string& thing, const std::string& run_id) const;
    std::string delete_policy(const std::string& run_id) const;
    std::string delete_object(const std::string& full_key) const;

private:
    AwsSettings settings_;
    AwsClient client_;
};

/// Removes everything run_id left in the account (its things, their certificates, shadows and
/// the jobs on them that carry its tag, its policy and objects). Returns the list of what could
/// not be removed; progress lines go to progress when it is set.
std::vector<std::string> cleanup_aws_run(const AwsAccount& account, const std::string& run_id,
                                         const std::function<void(const std::string&)>& progress);

} // namespace fota::sim::stacks
