// Stack `embedded`: a private Mosquitto with the fota plugin and the object server in process.
#include "embedded_stack.hpp"

#include "fota/sim/device_runtime.hpp"

#include <filesystem>

namespace fota::sim::stacks {

using json = nlohmann::json;

EmbeddedStack::EmbeddedStack(const StackOptions& options, bool tls)
    : RealTimeStack(options), tls_(tls) {}

EmbeddedStack::~EmbeddedStack() {
    stop();
}

void EmbeddedStack::start(const std::string& work_dir) {
    set_work_dir(work_dir);
    const std::string plugin = cloud::find_mosquitto_plugin(options().plugin);
    if (plugin.empty()) {
        throw StackError("the fota Mosquitto plugin (libfota_mosquitto_plugin.so) was not found; "
                         "pass --plugin PATH or set FOTA_MOSQUITTO_PLUGIN");
    }
    cloud::ObjectServerConfig object_config;
    object_config.address = "127.0.0.1";
    object_config.port = 0;
    object_server_ = std::make_unique<cloud::ObjectServer>(io(), object_config);
    try {
        object_server_->start();
    } catch (const std::exception& e) {
        throw StackError(std::string("object server did not start: ") + e.what());
    }
    start_threads();

    cloud::BrokerOptions broker;
    broker.mosquitto = options().mosquitto;
    broker.plugin_path = plugin;
    broker.address = "127.0.0.1";
    broker.work_dir = work_dir + "/broker";
    std::filesystem::create_directories(broker.work_dir);
    broker.extra_environment = options().broker_environment;
    broker.plugin_options["object_endpoint"] = object_server_->endpoint();
    if (tls_) {
        try {
            tls_folder_ = std::make_unique<cloud::tls::TlsFolder>(work_dir + "/tls");
        } catch (const std::exception& e) {
            throw StackError(std::string("the TLS certificates were not made: ") + e.what());
        }
        broker.tls =
            cloud::BrokerTls{tls_folder_->ca_file(), tls_folder_->server_certificate_file(),
                             tls_folder_->server_key_file()};
    }
    broker_options_ = broker;
    start_broker(broker, "mosquitto did not start: ");
}

void EmbeddedStack::start_broker(const cloud::BrokerOptions& options, const std::string& failure) {
    broker_ = std::make_unique<cloud::BrokerProcess>(options);
    try {
        broker_->start();
    } catch (const std::exception& e) {
        throw StackError(failure + e.what());
    }
    control_.emplace(broker_->control_endpoint(), unsigned_http());
}

void EmbeddedStack::stop() {
    if (stopped_) {
        return;
    }
    stopped_ = true;
    // Devices first (they talk to both), then the object server and the threads, then the broker.
    stop_devices();
    if (object_server_) {
        object_server_->stop();
    }
    stop_threads();
    if (broker_) {
        broker_->stop();
    }
}

void EmbeddedStack::check_alive() {
    if (broker_ && !broker_->check_alive()) {
        throw StackError("mosquitto exited during the run; its log:\n" + broker_->log());
    }
}

std::string EmbeddedStack::log() const {
    const std::string broker_log = broker_ ? broker_->log() : std::string();
    if (broker_log.empty() && notes_.empty()) {
        return {};
    }
    return "---- mosquitto log ----\n" + notes_ + broker_log;
}

const ControlClient& EmbeddedStack::control() const {
    if (!control_) {
        throw StackError("the embedded stack has not started");
    }
    return *control_;
}

json EmbeddedStack::call(const std::string& op, const json& args, bool allow_error) {
    return control().call(op, args, allow_error);
}

std::vector<json> EmbeddedStack::call_many(const std::string& op, const std::vector<json>& args,
                                           bool allow_error) {
    return control().call_many(op, args, allow_error);
}

void EmbeddedStack::put_object(const std::string& key, const std::string& bytes) {
    object_server_->put_object(bucket(), key, bytes);
}

void EmbeddedStack::add_object_fault(const cloud::ObjectFault& fault) {
    object_server_->add_fault(fault);
}

std::optional<StackConfig> EmbeddedStack::url_config() const {
    if (!broker_ || !object_server_) {
        return std::nullopt;
    }
    StackConfig config;
    config.kind = StackKind::url;
    config.control_url = broker_->control_endpoint();
    config.mqtt_url = broker_->mqtt_uri();
    config.object_url = object_server_->endpoint();
    config.bucket = bucket();
    if (tls_folder_) {
        config.tls_dir = tls_folder_->dir(); // the CA key signs the other process's things
    }
    return config;
}

std::string EmbeddedStack::object_endpoint() const {
    return object_server_ ? object_server_->endpoint() : std::string();
}

void EmbeddedStack::restart_broker(std::chrono::milliseconds down_for) {
    cloud::BrokerOptions options = broker_options_;
    options.mqtt_port = broker_->mqtt_port();
    options.control_port = broker_->control_port();
    if (!broker_->stop()) {
        notes_ += "restart_broker: mosquitto did not exit cleanly\n";
    }
    wait_for(down_for);
    start_broker(options, "restart_broker: mosquitto did not start again: ");
}

void EmbeddedStack::add_credentials(DeviceOptions& device) {
    if (tls_folder_) {
        add_folder_credentials(*tls_folder_, device, true);
    }
}

DeviceEndpoints EmbeddedStack::device_endpoints() const {
    return {"127.0.0.1", broker_->mqtt_port(), broker_->control_endpoint()};
}

} // namespace fota::sim::stacks
