// Runs a private Mosquitto with the fota plugin (Jobs, Shadow and the control-plane REST server)
// as a child process: generated config, free ports, a log file, start-up and shutdown checked
// against deadlines. Used by `fota-sim cloud` and by tests that need the whole local stack.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fota::cloud {

/// The fota Mosquitto plugin: `given` if not empty, else $FOTA_MOSQUITTO_PLUGIN, else next to the
/// running executable (build trees: ../cloud/mqtt_plugin/ and ../../cloud/mqtt_plugin/; ./;
/// install: ../lib/fota/). Empty when not found.
std::string find_mosquitto_plugin(const std::string& given);

/// A TLS listener like AWS IoT's: the broker's certificate, and the CA every client certificate
/// must chain to (require_certificate); the plugin binds each client id to its certificate's CN
/// (plugin_opt_thing_certificates).
struct BrokerTls {
    std::string ca_file;
    std::string certificate_file;
    std::string key_file;
    /// Set: the CA's key, so CreateKeysAndCertificate can sign client certificates.
    std::string ca_key_file{};
    /// The control plane (REST) serves HTTPS with certificate_file/key_file too.
    bool https = false;
};

struct BrokerOptions {
    std::string mosquitto = "mosquitto"; ///< a path, or a name looked up in PATH
    std::string plugin_path;             ///< libfota_mosquitto_plugin.so (required)
    std::string address = "127.0.0.1";
    std::uint16_t mqtt_port = 0;    ///< 0: a free port (pick_port's)
    std::uint16_t control_port = 0; ///< 0: a free port (the plugin reports it through a file)
    /// Config, log and port file go here; empty: a new temporary folder, removed on destruction.
    std::string work_dir;
    std::string database; ///< SQLite state; empty: <work_dir>/cloud.db
    /// More plugin_opt_<name> lines (credentials, object_endpoint, ...).
    std::map<std::string, std::string> plugin_options;
    /// Extra environment entries for the broker ("NAME=value"), e.g. LD_PRELOAD for sanitizers.
    std::vector<std::string> extra_environment;
    std::chrono::seconds start_timeout{15};
    std::optional<BrokerTls> tls; ///< nullopt: plain TCP, anyone may connect
    /// Where a port for mqtt_port 0 comes from (tests); empty: one the kernel says is free.
    std::function<std::uint16_t(const std::string& address)> pick_port;
};

class BrokerProcess {
public:
    explicit BrokerProcess(BrokerOptions options);
    ~BrokerProcess(); ///< stop(), and removes a temporary work_dir
    BrokerProcess(const BrokerProcess&) = delete;
    BrokerProcess& operator=(const BrokerProcess&) = delete;

    /// Writes the config, spawns mosquitto and waits until it accepts MQTT connections and the
    /// plugin's REST server has reported its port. A port it picked itself (mqtt_port 0) can be
    /// taken before Mosquitto listens on it (by the plugin's own server among others): then
    /// Mosquitto exits with "Address already in use" and it starts again on another, up to 5
    /// times. Throws std::runtime_error with the broker's log when it exits or is not ready
    /// before start_timeout.
    void start();
    /// SIGTERM, then waits up to 15 s (SIGKILL after). Returns true when the broker exited with
    /// status 0. Does nothing (returns true) when not running.
    bool stop();

    [[nodiscard]] bool running() const { return pid_ > 0; }
    /// Reaps the broker if it has exited on its own; returns false then (and running() is false).
    bool check_alive();
    [[nodiscard]] std::uint16_t mqtt_port() const { return mqtt_port_; }
    [[nodiscard]] std::uint16_t control_port() const { return control_port_; }
    [[nodiscard]] std::string mqtt_uri() const; ///< "tcp://address:port" ("ssl://" with TLS)
    /// "http://address:port" ("https://" with tls->https)
    [[nodiscard]] std::string control_endpoint() const;
    [[nodiscard]] std::string log() const; ///< the broker's log so far
    [[nodiscard]] const std::string& work_dir() const { return work_dir_; }

private:
    bool launch();
    BrokerOptions options_;
    std::string work_dir_;
    bool temporary_dir_ = false;
    pid_t pid_ = -1;
    std::uint16_t mqtt_port_ = 0;
    std::uint16_t control_port_ = 0;
};

/// A port that was free a moment ago on address (bind to 0, read it back, close).
std::uint16_t pick_free_port(const std::string& address = "127.0.0.1");

} // namespace fota::cloud
