// Stack `url`: a running stack (e.g. `fota-sim cloud`) reached through its URLs: the control
// plane's `_fota/control`, the broker (plain MQTT) and the object server's control API. Nothing
// to start but the device threads; it outlives the run, so what an earlier run left under this
// scenario's names is removed first (remove_leftovers) and the broker cannot be restarted.
#pragma once

#include "http_control.hpp"
#include "real_time_stack.hpp"

#include <string>

namespace fota::sim::stacks {

class UrlStack final : public RealTimeStack {
public:
    /// Throws StackUnsupported for a broker over TLS, StackConfigError when mqtt_url or
    /// object_url has no host:port.
    UrlStack(const StackConfig& config, const StackOptions& options);
    ~UrlStack() override;

    std::string name() const override { return "url"; }
    void start(const std::string& work_dir) override;
    /// Deletes the jobs (forced) and the things' shadows; a missing one is no error.
    void remove_leftovers(const std::vector<std::string>& job_ids,
                          const std::vector<std::string>& things) override;
    void stop() override;
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

    bool can_restart_broker() const override { return false; }
    void restart_broker(std::chrono::milliseconds down_for) override;

protected:
    DeviceEndpoints device_endpoints() const override;

private:
    std::string control_endpoint_;
    ControlClient control_;
    RemoteObjects objects_;
    std::string mqtt_host_;
    std::uint16_t mqtt_port_ = 0;
    std::string bucket_;
};

} // namespace fota::sim::stacks
