// Stack `aws`: an AWS account (or a local stack that answers as AWS does, `fota-sim cloud --tls`
// reached through endpoint overrides), driven through AWS's own REST APIs with SigV4. At start
// the run gets an id and an IoT policy; each thing is created with a certificate of its own
// (CreateKeysAndCertificate) that its device connects with over MQTT/TLS; images go to S3 under
// fota-sim/<run id>/; jobs carry the run's tag. stop() deletes all of it, after a failure or an
// interruption too; what it cannot delete is named in the log with the `fota-sim aws cleanup`
// line that finds it again (aws_account.hpp). Cloud and object-server faults and broker restarts
// are not AWS's to give: check() refuses scenarios that use them.
#pragma once

#include "aws_account.hpp"
#include "real_time_stack.hpp"

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace fota::sim::stacks {

class AwsStack final : public RealTimeStack {
public:
    /// Resolves the settings (throws StackConfigError when credentials, region or bucket are
    /// missing; see aws_settings.hpp).
    AwsStack(const StackConfig& config, const StackOptions& options,
             const EnvironmentLookup& env = process_environment());
    ~AwsStack() override;

    std::string name() const override { return "aws"; }
    /// Refuses cloud_fault steps, object-server http_fault steps and restart_broker.
    void check(const Scenario& scenario) const override;
    /// Finds the MQTT endpoint (DescribeEndpoint) unless given, creates the run's policy, starts
    /// the device threads.
    void start(const std::string& work_dir) override;
    /// Jobs and things of these names left by an earlier fota-sim run are removed; one that
    /// fota-sim did not make is an error (StackError): nothing unmarked is touched.
    void remove_leftovers(const std::vector<std::string>& job_ids,
                          const std::vector<std::string>& things) override;
    /// Stops the devices, then deletes what this run created. Idempotent.
    void stop() override;
    void check_alive() override {}
    std::string log() const override;
    std::string stop_log() const override;

    nlohmann::json call(const std::string& op, const nlohmann::json& args,
                        bool allow_error) override;
    std::vector<nlohmann::json> call_many(const std::string& op,
                                          const std::vector<nlohmann::json>& args,
                                          bool allow_error) override;

    void put_object(const std::string& key, const std::string& bytes) override;
    void add_object_fault(const cloud::ObjectFault& fault) override;
    std::string object_endpoint() const override { return account_.settings().s3_url; }
    std::string bucket() const override { return account_.settings().bucket; }
    /// https on S3; host/path and url are URLs the runner presigns (6 hours), s3_url the
    /// placeholder's form for presignedUrlConfig.
    PublishedFirmware locate_object(const std::string& key) const override;

    bool can_restart_broker() const override { return false; }
    void restart_broker(std::chrono::milliseconds down_for) override;

    const std::string& run_id() const { return run_id_; }

protected:
    DeviceEndpoints device_endpoints() const override;
    /// The thing's certificate from CreateKeysAndCertificate, the CA bundle, MQTT over TLS.
    void add_credentials(DeviceOptions& device) override;

private:
    nlohmann::json run_op(const std::string& op, const nlohmann::json& args, bool allow_error);
    nlohmann::json create_thing(const nlohmann::json& args);
    nlohmann::json create_job(const nlohmann::json& args);
    void note(const std::string& line);

    AwsAccount account_;
    std::string run_id_;
    std::string mqtt_host_;
    std::uint16_t mqtt_port_ = 8883;
    std::string iot_data_url_;      ///< the runner's (SigV4) shadow calls
    std::string device_shadow_url_; ///< the devices' (client certificate) shadow reports
    bool started_ = false;
    bool stopped_ = false;
    bool policy_created_ = false;

    mutable std::mutex mutex_; ///< what follows, and notes_
    std::map<std::string, std::string> thing_arns_;
    std::map<std::string, std::pair<std::string, std::string>> certificate_files_; ///< cert, key
    std::vector<std::string> jobs_;
    std::vector<std::string> objects_; ///< full keys
    std::string notes_;
    std::string stop_notes_;
};

} // namespace fota::sim::stacks
