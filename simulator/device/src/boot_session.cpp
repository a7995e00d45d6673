// One boot's core and its network side: building the clients and the agent (whose on_boot()
// reports the version to the shadow and connects), the MQTT session with its reconnects, the
// HTTP transfers, the core's timers and its log events.
#include "boot_session.hpp"

#include <fota/names.hpp>

namespace fota::sim {

namespace {

HttpError to_core(HttpFailure failure) {
    switch (failure) {
    case HttpFailure::Timeout:
        return HttpError::Timeout;
    case HttpFailure::ConnectionReset:
        return HttpError::ConnectionReset;
    case HttpFailure::ConnectFailed:
        return HttpError::ConnectFailed;
    case HttpFailure::NameResolution:
        return HttpError::NameResolution;
    case HttpFailure::Tls:
        return HttpError::Tls;
    case HttpFailure::Other:
        break;
    }
    return HttpError::Other;
}

PortStatus to_core(MqttClient::Result result) {
    switch (result) {
    case MqttClient::Result::Ok:
        return PortStatus::Ok;
    case MqttClient::Result::NotConnected:
        return PortStatus::NotConnected;
    case MqttClient::Result::Error:
        break;
    }
    return PortStatus::Error;
}

spdlog::level::level_enum to_spdlog(LogLevel level) {
    switch (level) {
    case LogLevel::Debug:
        return spdlog::level::debug;
    case LogLevel::Info:
        return spdlog::level::info;
    case LogLevel::Warning:
        return spdlog::level::warn;
    case LogLevel::Error:
        return spdlog::level::err;
    }
    return spdlog::level::info;
}

} // namespace

fota::ImageVersion core_version(const flash::ImageVersion& version) {
    return fota::ImageVersion{version.major, version.minor, version.revision, version.build};
}

BootCounters& BootCounters::operator+=(const BootCounters& other) {
    download_bytes += other.download_bytes;
    http_requests += other.http_requests;
    http_connections += other.http_connections;
    jobs_taken += other.jobs_taken;
    download_retries += other.download_retries;
    mqtt_connections += other.mqtt_connections;
    messages_lost += other.messages_lost;
    return *this;
}

BootSession::BootSession(std::shared_ptr<DeviceHost> device_host, const DeviceOptions& options,
                         flash::Device& device, const flash::BootResult& boot,
                         std::uint32_t boot_number, Host host,
                         std::shared_ptr<spdlog::logger> logger)
    : device_host_(std::move(device_host)), options_(options), device_(device),
      host_(std::move(host)), logger_(std::move(logger)) {
    for (auto& timer : timers_) {
        timer = device_host_->make_timer();
    }
    boot_info_.running = core_version(boot.version);
    boot_info_.confirmed = boot.confirmed;
    boot_info_.reverted = boot.reverted();
    boot_number_ = boot_number;
}

BootSession::~BootSession() {
    shut_down(false);
}

void BootSession::run() {
    make_mqtt_client();

    HttpClientOptions http;
    http.ca_file = options_.ca_file;
    http.client_cert_file = options_.cert_file;
    http.client_key_file = options_.key_file;
    http.verify_tls = options_.verify_tls;
    http_client_ = device_host_->make_http_client(std::move(http));

    AgentConfig config;
    config.thing_name = options_.thing_name;
    config.profile = options_.profile;
    config.seed = options_.seed * 7'919u + boot_number_;
    config.shadow_base_url = options_.shadow_base_url;
    const Ports ports{*this, *this, *this, *this, *this, *this, *this};
    if (host_.recorder != nullptr) {
        boot_recorder_ = std::make_unique<record::BootRecorder>(
            *host_.recorder, ports, boot_number_, config.seed,
            record::describe_storage(device_, kStateRecordKey));
    }
    agent_ = std::make_unique<Agent>(config, boot_recorder_ ? boot_recorder_->ports() : ports);
    inputs_ = record::AgentInputs(*agent_, boot_recorder_.get());
    inputs_.on_boot();
}

void BootSession::make_mqtt_client() {
    MqttOptions mqtt;
    mqtt.host = options_.mqtt_host;
    mqtt.port = options_.mqtt_port;
    mqtt.use_tls = options_.mqtt_tls;
    mqtt.tls.ca_file = options_.ca_file;
    mqtt.tls.cert_file = options_.cert_file;
    mqtt.tls.key_file = options_.key_file;
    mqtt.tls.verify_server = options_.verify_tls;
    mqtt.client_id = options_.thing_name;
    mqtt.keep_alive_s = options_.keep_alive_s;
    mqtt.clean_session = options_.clean_session;
    mqtt.reconnect_min_ms = options_.reconnect_min_ms;
    mqtt.reconnect_max_ms = options_.reconnect_max_ms;
    mqtt.seed = options_.seed * 1'000'003u + boot_number_;
    std::weak_ptr<BootSession> weak = weak_from_this();
    MqttHandlers handlers;
    handlers.on_connected = [weak](bool session_present) {
        if (auto self = weak.lock()) {
            self->mqtt_connected(session_present);
        }
    };
    handlers.on_disconnected = [weak](const MqttDisconnect& why) {
        if (auto self = weak.lock()) {
            self->mqtt_disconnected(why);
        }
    };
    handlers.on_message = [weak](std::string_view topic, std::string_view payload) {
        if (auto self = weak.lock()) {
            if (self->alive()) {
                self->inputs_.on_message(topic, payload);
            }
        }
    };
    mqtt_client_ = device_host_->make_mqtt_client(std::move(mqtt), std::move(handlers));
}

void BootSession::shut_down(bool clean) {
    if (!dead_ && boot_recorder_) {
        host_.recorder->note(clean ? "shutdown" : "reset");
    }
    dead_ = true;
    for (auto& timer : timers_) {
        timer->cancel();
    }
    if (mqtt_client_ && clean) {
        mqtt_client_->stop();
    }
    mqtt_client_.reset();
    http_client_.reset();
}

BootCounters BootSession::counters() const {
    BootCounters counters;
    counters.download_bytes = download_bytes_;
    if (http_client_) {
        counters.http_requests = http_client_->stats().requests_started;
        counters.http_connections = http_client_->stats().connections_opened;
    }
    if (agent_) {
        counters.jobs_taken = agent_->stats().jobs_taken;
        counters.download_retries = agent_->stats().download_retries;
    }
    if (mqtt_client_) {
        counters.mqtt_connections = mqtt_client_->stats().connections;
        counters.messages_lost = mqtt_client_->stats().messages_dropped_by_fault;
    }
    return counters;
}

// ---- Mqtt ----------------------------------------------------------------------------------

void BootSession::connect() {
    if (!dead_ && mqtt_client_) {
        const HostTime now = device_host_->now();
        if (offline_until_ > now) {
            // Still no network from before the reboot: the first attempts fail too.
            mqtt_client_->go_offline(
                std::chrono::duration_cast<std::chrono::milliseconds>(offline_until_ - now));
        }
        mqtt_client_->start();
    }
}

PortStatus BootSession::subscribe(std::string_view topic_filter) {
    if (dead_) {
        return PortStatus::NotConnected;
    }
    return to_core(mqtt_client_->subscribe(topic_filter));
}

PortStatus BootSession::unsubscribe(std::string_view topic_filter) {
    if (dead_) {
        return PortStatus::NotConnected;
    }
    return to_core(mqtt_client_->unsubscribe(topic_filter));
}

PortStatus BootSession::publish(std::string_view topic, std::string_view payload) {
    if (dead_) {
        return PortStatus::NotConnected;
    }
    const PortStatus status = to_core(mqtt_client_->publish(topic, payload));
    if (status == PortStatus::Ok && host_.event) {
        // Not logged: the runner counts the job updates a device publishes from these.
        std::string detail(topic);
        detail += ' ';
        detail += payload;
        host_.event("mqtt_published", detail);
    }
    return status;
}

void BootSession::mqtt_connected(bool session_present) {
    if (!alive()) {
        return;
    }
    logger_->info("[{}] mqtt connected to {}:{}", options_.thing_name, options_.mqtt_host,
                  options_.mqtt_port);
    agent_connected_ = true;
    inputs_.on_connected(session_present);
}

void BootSession::mqtt_disconnected(const MqttDisconnect& why) {
    if (!alive()) {
        return;
    }
    logger_->warn("[{}] mqtt {}", options_.thing_name, why.reason);
    if (agent_connected_) {
        agent_connected_ = false;
        inputs_.on_disconnected();
    }
}

// ---- Http ----------------------------------------------------------------------------------

PortStatus BootSession::start(const HttpRequest& request) {
    if (dead_ || !http_client_) {
        return PortStatus::Error;
    }
    HttpRequestSpec spec;
    spec.method = request.method == HttpMethod::Post ? HttpRequestSpec::Method::Post
                                                     : HttpRequestSpec::Method::Get;
    spec.url = std::string(request.url);
    if (request.has_range) {
        spec.range_start = request.range_start;
        spec.range_end = request.range_end;
    }
    spec.body = std::string(request.body);
    spec.content_type = std::string(request.content_type);
    const bool is_download = request.method == HttpMethod::Get;
    const std::uint64_t client_id =
        http_client_->start(spec, http_handlers(request.id, is_download));
    if (client_id == 0) {
        return PortStatus::Error;
    }
    transfers_[request.id] = client_id;
    if (stalled_) {
        http_client_->pause(client_id);
    }
    return PortStatus::Ok;
}

// The transfer's callbacks, handed to the core while this boot lives.
HttpHandlers BootSession::http_handlers(std::uint32_t id, bool is_download) {
    std::weak_ptr<BootSession> weak = weak_from_this();
    HttpHandlers handlers;
    handlers.on_status = [weak, id](int status) {
        if (auto self = weak.lock(); self && self->alive()) {
            self->inputs_.on_http_status(id, status);
        }
    };
    handlers.on_header = [weak, id](std::string_view name, std::string_view value) {
        if (auto self = weak.lock(); self && self->alive()) {
            self->inputs_.on_http_header(id, name, value);
        }
    };
    handlers.on_body = [weak, id, is_download](std::span<const std::uint8_t> chunk) {
        if (auto self = weak.lock(); self && self->alive()) {
            if (is_download) {
                if (self->announce_first_byte_ && !chunk.empty() && self->host_.event) {
                    self->announce_first_byte_ = false;
                    self->host_.event("download_first_byte", "");
                }
                self->count_download_bytes(chunk.size());
                if (!self->alive()) {
                    return; // the power went with these bytes
                }
            }
            self->inputs_.on_http_body(id, chunk);
        }
    };
    handlers.on_done = [weak, id] {
        if (auto self = weak.lock(); self && self->alive()) {
            self->transfers_.erase(id);
            self->inputs_.on_http_done(id);
        }
    };
    handlers.on_error = [weak, id](HttpFailure failure, std::string_view message) {
        if (auto self = weak.lock(); self && self->alive()) {
            self->transfers_.erase(id);
            self->logger_->debug("[{}] http request {} failed: {}", self->options_.thing_name, id,
                                 message);
            self->inputs_.on_http_error(id, to_core(failure));
        }
    };
    return handlers;
}

void BootSession::cancel(std::uint32_t request_id) {
    if (dead_) {
        return;
    }
    const auto found = transfers_.find(request_id);
    if (found != transfers_.end()) {
        http_client_->cancel(found->second);
        transfers_.erase(found);
    }
}

// ---- Timers --------------------------------------------------------------------------------

void BootSession::start(TimerId id, std::uint32_t delay_ms) {
    if (dead_) {
        return;
    }
    std::weak_ptr<BootSession> weak = weak_from_this();
    timers_.at(static_cast<std::size_t>(id))
        ->start(std::chrono::milliseconds(delay_ms), [weak, id] {
            if (auto self = weak.lock(); self && self->alive()) {
                self->inputs_.on_timer(id);
            }
        });
}

// ---- Log -----------------------------------------------------------------------------------

void BootSession::event(LogLevel level, Event event, std::string_view detail) {
    const std::string_view name = event_name(event);
    if (dead_) {
        return; // the CPU stopped with the power: nothing after the cut happened
    }
    logger_->log(to_spdlog(level), "[{}] {} {}", options_.thing_name, name, detail);
    if (name == "download_started" || name == "download_resume") {
        announce_first_byte_ = true;
    }
    if (host_.event) {
        host_.event(name, detail);
    }
}

} // namespace fota::sim
