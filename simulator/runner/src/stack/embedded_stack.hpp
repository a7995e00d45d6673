// Stack `embedded`: made for one run and gone after it. A private Mosquitto with the fota plugin
// (the Jobs and Shadow services and `_fota/control`) on free ports, its state in the run's
// folder, and the object server in this process on the stack's io_context. With tls, MQTT is
// TLS only: a CA, the server's and each thing's certificate are made in <work_dir>/tls, and each
// device connects with its own (cloud/README.md).
#pragma once

#include "http_control.hpp"
#include "real_time_stack.hpp"

#include "fota/cloud/broker_process.hpp"
#include "fota/cloud/object_server.hpp"
#include "fota/cloud/tls/tls_folder.hpp"

#include <memory>
#include <optional>
#include <string>

namespace fota::sim::stacks {

class EmbeddedStack final : public RealTimeStack {
public:
    explicit EmbeddedStack(const StackOptions& options, bool tls = false);
    ~EmbeddedStack() override;

    std::string name() const override { return "embedded"; }
    /// Throws StackError when the plugin is not found or the object server or Mosquitto does
    /// not start.
    void start(const std::string& work_dir) override;
    void stop() override;
    /// Throws StackError with the broker's log when Mosquitto has exited.
    void check_alive() override;
    std::string log() const override;

    nlohmann::json call(const std::string& op, const nlohmann::json& args,
                        bool allow_error) override;
    std::vector<nlohmann::json> call_many(const std::string& op,
                                          const std::vector<nlohmann::json>& args,
                                          bool allow_error) override;

    void put_object(const std::string& key, const std::string& bytes) override;
    void add_object_fault(const cloud::ObjectFault& fault) override;
    std::string object_endpoint() const override;
    std::string bucket() const override { return "firmware"; }

    /// The broker's, control plane's and object server's URLs (not with tls: the certificates
    /// are this process's).
    std::optional<StackConfig> url_config() const override;

    bool can_restart_broker() const override { return true; }
    /// Same ports, same work folder (and so the same SQLite state): for the devices it is the
    /// broker going away and coming back.
    void restart_broker(std::chrono::milliseconds down_for) override;

protected:
    DeviceEndpoints device_endpoints() const override;
    /// With tls: the thing's certificate (made now), the stack's CA, MQTT over TLS.
    void add_credentials(DeviceOptions& device) override;

private:
    /// Starts Mosquitto with options; throws StackError starting with failure when it does not.
    void start_broker(const cloud::BrokerOptions& options, const std::string& failure);
    const ControlClient& control() const;

    bool tls_ = false;
    std::unique_ptr<cloud::tls::TlsFolder> tls_folder_; ///< with tls_, once started
    bool stopped_ = false;
    std::unique_ptr<cloud::ObjectServer> object_server_;
    cloud::BrokerOptions broker_options_;
    std::unique_ptr<cloud::BrokerProcess> broker_;
    std::optional<ControlClient> control_;
    std::string notes_; ///< what the stack itself has to say in its log
};

} // namespace fota::sim::stacks
