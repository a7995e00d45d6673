// start_control_plane(): the REST server inside the Mosquitto plugin, on its own thread, handing
// calls to the broker thread through the plugin's WorkQueue.
//
// plugin_opt_ options (mosquitto.conf):
//   control_address 127.0.0.1      listen address
//   control_port 0                 port (0: a free one; "off": no REST server)
//   control_port_file PATH         the bound port is written here (for launchers using port 0)
//   access_key_id / secret_access_key   when both set, requests must be SigV4-signed with them
//   https_certificate / https_key        when both set, HTTPS only (TLS 1.2+) with this PEM pair
//   https_client_ca                      a device may authenticate with a client certificate of
//                                        this CA instead of SigV4 (its own shadow calls only)
//   object_endpoint http://127.0.0.1:9000   where presigned URLs point (empty: the URL's own host)
//   object_access_key_id / object_secret_access_key   credentials of the object server
//   object_region us-east-1
#include "fota/cloud/control_plane_hook.hpp"
#include "fota/cloud/control_plane.hpp"
#include "fota/cloud/object_server.hpp"
#include "fota/cloud/s3_presigner.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <fstream>
#include <stdexcept>
#include <thread>

namespace fota::cloud {

namespace {

std::string option(const PluginOptions& options, const char* name, std::string fallback = {}) {
    const auto it = options.find(name);
    return it == options.end() ? fallback : it->second;
}

class HookedControlPlane : public ControlPlaneServer {
public:
    HookedControlPlane(WorkQueue& queue, const PluginOptions& options)
        : backend_(queue), signer_(signer_config(options)) {
        ControlPlaneConfig config;
        config.server.address = option(options, "control_address", "127.0.0.1");
        const std::string port_text = option(options, "control_port", "0");
        try {
            const int port = std::stoi(port_text);
            if (port < 0 || port > 65535) {
                throw std::out_of_range("port");
            }
            config.server.port = static_cast<std::uint16_t>(port);
        } catch (const std::exception&) {
            throw std::runtime_error("plugin_opt_control_port must be 0..65535 or off, not '" +
                                     port_text + "'");
        }
        const std::string akid = option(options, "access_key_id");
        const std::string secret = option(options, "secret_access_key");
        if (!akid.empty() && !secret.empty()) {
            config.credentials = http::Credentials{akid, secret, ""};
        }
        const std::string https_certificate = option(options, "https_certificate");
        const std::string https_key = option(options, "https_key");
        if (!https_certificate.empty() && !https_key.empty()) {
            config.server.tls = http::make_server_tls_context(https_certificate, https_key,
                                                              option(options, "https_client_ca"));
        }
        plane_ = std::make_unique<ControlPlane>(io_, std::move(config), backend_);
        plane_->start(); // throws std::system_error with the reason when the port is taken
        if (const std::string file = option(options, "control_port_file"); !file.empty()) {
            std::ofstream out(file, std::ios::trunc);
            out << plane_->port() << "\n";
            if (!out) {
                throw std::runtime_error("cannot write plugin_opt_control_port_file " + file);
            }
        }
        thread_ = std::thread([this] { io_.run(); });
    }

    ~HookedControlPlane() override {
        plane_->stop();
        guard_.reset();
        io_.stop();
        thread_.join();
    }

    [[nodiscard]] std::uint16_t port() const override { return plane_->port(); }
    PresignedUrlSigner* signer() override { return &signer_; }

private:
    static S3PresignerConfig signer_config(const PluginOptions& options) {
        S3PresignerConfig c;
        c.endpoint = option(options, "object_endpoint");
        c.region = option(options, "object_region", "us-east-1");
        const std::string akid = option(options, "object_access_key_id");
        const std::string secret = option(options, "object_secret_access_key");
        c.credentials = akid.empty() || secret.empty() ? placeholder_credentials()
                                                       : http::Credentials{akid, secret, ""};
        return c;
    }

    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{
        io_.get_executor()};
    QueueControlBackend backend_;
    S3Presigner signer_;
    std::unique_ptr<ControlPlane> plane_;
    std::thread thread_;
};

} // namespace

std::unique_ptr<ControlPlaneServer> start_control_plane(WorkQueue& queue,
                                                        const PluginOptions& options) {
    if (option(options, "control_port") == "off") {
        return nullptr;
    }
    return std::make_unique<HookedControlPlane>(queue, options);
}

} // namespace fota::cloud
