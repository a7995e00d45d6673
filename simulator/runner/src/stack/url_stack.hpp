// Stack `url`: a running stack (e.g. `fota-sim cloud`) reached through its URLs: the control
// plane's `_fota/control`, the broker and the object server's control API. Nothing to start but
// the device threads; it outlives the run, so what an earlier run left under this scenario's
// names is removed first (remove_leftovers), and the object server's faults are cleared before
// and after a run that sets any (they are keyed by object, and every scenario names its images
// v1.bin, v2.bin, ...); the broker cannot be restarted. With tls_dir (a
// `fota-sim cloud --tls`): MQTT over TLS with a certificate per thing signed by the folder's CA,
// HTTPS trusting that CA, the runner's calls SigV4-signed with the folder's credentials, and
// firmware URLs presigned with them.
#pragma once

#include "http_control.hpp"
#include "real_time_stack.hpp"

#include "fota/cloud/tls/tls_folder.hpp"

#include <memory>
#include <optional>
#include <string>

namespace fota::sim::stacks {

class UrlStack final : public RealTimeStack {
public:
    /// Throws StackConfigError when mqtt_url or object_url has no host:port, for a broker over
    /// TLS without tls_dir, and for a tls_dir without a CA or with an unreadable credentials file.
    UrlStack(const StackConfig& config, const StackOptions& options);
    ~UrlStack() override;

    std::string name() const override { return "url"; }
    /// Also refuses refuse_connections: the object server would refuse the runner's own control
    /// calls (new connections too) until its count ran out, this run's and the next runs'.
    void check(const Scenario& scenario) const override;
    void start(const std::string& work_dir) override;
    /// Deletes the jobs (forced) and the things' shadows (a missing one is no error) and clears
    /// the object server's faults.
    void remove_leftovers(const std::vector<std::string>& job_ids,
                          const std::vector<std::string>& things) override;
    void check_alive() override {}
    std::string log() const override { return {}; }

    nlohmann::json call(const std::string& op, const nlohmann::json& args,
                        bool allow_error) override;
    std::vector<nlohmann::json> call_many(const std::string& op,
                                          const std::vector<nlohmann::json>& args,
                                          bool allow_error) override;

    void put_object(const std::string& key, const std::string& bytes) override;
    void add_object_fault(const cloud::ObjectFault& fault) override;
    std::string object_endpoint() const override { return objects_.endpoint(); }
    std::string bucket() const override { return bucket_; }
    /// Stops the devices; clears the object server's faults when this run added any.
    void stop() override;
    /// Over HTTPS with credentials: a presigned URL (6 h), as a device gets from AWS.
    PublishedFirmware locate_object(const std::string& key) const override;

    bool can_restart_broker() const override { return false; }
    void restart_broker(std::chrono::milliseconds down_for) override;

protected:
    DeviceEndpoints device_endpoints() const override;
    /// With tls_dir: the thing's certificate (made when missing) and the CA.
    void add_credentials(DeviceOptions& device) override;

private:
    UrlStack(const StackConfig& config, const StackOptions& options,
             std::unique_ptr<cloud::tls::TlsFolder> tls_folder,
             std::optional<cloud::http::Credentials> credentials);

    std::string control_endpoint_;
    std::unique_ptr<cloud::tls::TlsFolder> tls_folder_;
    std::optional<cloud::http::Credentials> credentials_;
    bool mqtt_tls_ = false;
    ControlClient control_;
    RemoteObjects objects_;
    std::string mqtt_host_;
    std::uint16_t mqtt_port_ = 0;
    std::string bucket_;
    bool added_faults_ = false;
};

} // namespace fota::sim::stacks
