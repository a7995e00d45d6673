#include "fota/sim/device_runtime.hpp"

#include <fota/agent.hpp>
#include <fota/flash/device.hpp>
#include <fota/flash/mcuboot_image.hpp>
#include <fota/image_version.hpp>
#include <fota/json_writer.hpp>
#include <fota/ports.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

namespace fota::sim {

std::string_view to_string(DeviceState state) {
    switch (state) {
    case DeviceState::Off:
        return "off";
    case DeviceState::Running:
        return "running";
    case DeviceState::Rebooting:
        return "rebooting";
    case DeviceState::Bricked:
        return "bricked";
    }
    return "off";
}

namespace {

// The key of the core's state record in the settings partition.
constexpr std::string_view kStateRecordKey = "fota/state";

// The core's record has a fixed layout (2324 bytes, mostly the zero padding of a 2 KiB URL
// field). Runs of zeros are stored as (0, run length), so a save writes (and wears) only about
// as many bytes as the URL holds; the store takes up to RecordStore::kMaxValueSize (3 KiB), so
// even the longest URL the core accepts fits unpacked.
constexpr std::uint8_t kPackedRecordFormat = 0x5a;

std::vector<std::uint8_t> pack_record(std::span<const std::uint8_t> record) {
    std::vector<std::uint8_t> packed{kPackedRecordFormat};
    for (std::size_t i = 0; i < record.size();) {
        if (record[i] != 0) {
            packed.push_back(record[i++]);
            continue;
        }
        std::size_t run = 0;
        while (i < record.size() && record[i] == 0 && run < 255) {
            ++run;
            ++i;
        }
        packed.push_back(0);
        packed.push_back(static_cast<std::uint8_t>(run));
    }
    return packed;
}

// False if the stored bytes are not a packed record or do not fit `out`.
bool unpack_record(std::span<const std::uint8_t> packed, std::span<std::uint8_t> out,
                   std::size_t& length) {
    if (packed.empty() || packed[0] != kPackedRecordFormat) {
        return false;
    }
    std::size_t used = 0;
    for (std::size_t i = 1; i < packed.size(); ++i) {
        std::size_t count = 1;
        std::uint8_t value = packed[i];
        if (value == 0) {
            if (i + 1 >= packed.size() || packed[i + 1] == 0) {
                return false;
            }
            count = packed[++i];
        }
        if (used + count > out.size()) {
            return false;
        }
        std::fill_n(out.begin() + static_cast<std::ptrdiff_t>(used), count, value);
        used += count;
    }
    length = used;
    return true;
}

std::shared_ptr<spdlog::logger> device_logger() {
    static const std::shared_ptr<spdlog::logger> logger = [] {
        if (auto existing = spdlog::get("device")) {
            return existing;
        }
        auto created = spdlog::stderr_color_mt("device");
        return created;
    }();
    return logger;
}

fota::ImageVersion to_core(const flash::ImageVersion& version) {
    return fota::ImageVersion{version.major, version.minor, version.revision, version.build};
}

std::string version_text(const fota::ImageVersion& version) {
    std::array<char, 48> buffer{};
    TextBuilder text(buffer);
    append_image_version(text, version);
    return std::string(text.view());
}

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

// ---------------------------------------------------------------------------------------------
// One boot: the core and the host side of its ports. Destroying it drops the core, its MQTT
// session, its HTTP transfers and its timers; nothing of it runs afterwards.
class BootSession final : public Mqtt,
                          public Http,
                          public Flash,
                          public Boot,
                          public Store,
                          public Timers,
                          public Log,
                          public std::enable_shared_from_this<BootSession> {
public:
    // What the session asks of the device around it.
    struct Host {
        std::function<void(bool clean)> request_reboot; // posted, never synchronous
        std::function<void()> power_lost;               // a flash operation hit a power cut
        std::function<void()> download_cut;             // the download reached the cut byte
        std::function<void()> download_stall;           // the download reached the stall byte
        std::function<void(std::string_view, std::string_view)> event; // a core log event
    };

    BootSession(Strand strand, const DeviceOptions& options, flash::Device& device,
                const flash::BootResult& boot, std::uint32_t boot_number, Host host,
                std::shared_ptr<spdlog::logger> logger)
        : strand_(std::move(strand)), options_(options), device_(device), host_(std::move(host)),
          logger_(std::move(logger)), timers_{boost::asio::steady_timer(strand_),
                                              boost::asio::steady_timer(strand_),
                                              boost::asio::steady_timer(strand_),
                                              boost::asio::steady_timer(strand_),
                                              boost::asio::steady_timer(strand_)} {
        boot_info_.running = to_core(boot.version);
        boot_info_.confirmed = boot.confirmed;
        boot_info_.reverted = boot.reverted();
        boot_number_ = boot_number;
    }

    ~BootSession() { shut_down(false); }

    // Builds the clients and the agent, then boots the agent. Separate from the constructor:
    // handlers capture weak pointers to this session.
    void run() {
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
                    self->agent_->on_message(topic, payload);
                }
            }
        };
        mqtt_client_ = std::make_unique<MqttClient>(strand_, mqtt, std::move(handlers));

        HttpClientOptions http;
        http.ca_file = options_.ca_file;
        http.client_cert_file = options_.cert_file;
        http.client_key_file = options_.key_file;
        http.verify_tls = options_.verify_tls;
        http_client_ = std::make_unique<HttpClient>(strand_, http);

        AgentConfig config;
        config.thing_name = options_.thing_name;
        config.profile = options_.profile;
        config.seed = options_.seed * 7'919u + boot_number_;
        config.shadow_base_url = options_.shadow_base_url;
        const Ports ports{*this, *this, *this, *this, *this, *this, *this};
        agent_ = std::make_unique<Agent>(config, ports);
        agent_->on_boot();
    }

    // Clean: say goodbye to the broker. Either way nothing of this boot runs afterwards.
    void shut_down(bool clean) {
        dead_ = true;
        for (auto& timer : timers_) {
            timer.cancel();
        }
        if (mqtt_client_ && clean) {
            mqtt_client_->stop();
        }
        mqtt_client_.reset();
        http_client_.reset();
    }

    bool alive() const { return !dead_ && agent_ && !agent_->rebooted(); }
    const Agent* agent() const { return agent_.get(); }
    MqttClient* mqtt_client() { return mqtt_client_.get(); }
    const MqttClient* mqtt_client() const { return mqtt_client_.get(); }
    HttpClient* http_client() { return http_client_.get(); }
    const HttpClient* http_client() const { return http_client_.get(); }
    bool mqtt_connected() const { return agent_connected_; }
    bool image_confirmed() const { return boot_info_.confirmed; }

    // ---- faults ----
    void set_drop_at_download_byte(std::optional<std::uint64_t> bytes) {
        drop_at_download_byte_ = bytes;
    }
    void set_stalled(bool stalled) {
        stalled_ = stalled;
        for (const auto& [agent_id, client_id] : transfers_) {
            if (stalled) {
                http_client_->pause(client_id);
            } else {
                http_client_->resume(client_id);
            }
        }
    }
    void set_cut_at_download_byte(std::optional<std::uint64_t> bytes) {
        cut_at_download_byte_ = bytes;
    }
    void set_stall_at_download_byte(std::optional<std::uint64_t> bytes) {
        stall_at_download_byte_ = bytes;
    }
    void set_offline_until(std::chrono::steady_clock::time_point until) {
        offline_until_ = until;
        const auto now = std::chrono::steady_clock::now();
        if (mqtt_client_ && until > now) {
            mqtt_client_->go_offline(
                std::chrono::duration_cast<std::chrono::milliseconds>(until - now));
        }
    }
    std::uint64_t download_bytes() const { return download_bytes_; }

    // The power is gone at this instant: whatever the core is doing unwinds, but nothing it asks
    // for afterwards happens (no publish, no state save, no timer, no log event).
    void lose_power() {
        dead_ = true;
        for (auto& timer : timers_) {
            timer.cancel();
        }
    }

    // ---- Mqtt ----
    void connect() override {
        if (!dead_ && mqtt_client_) {
            const auto now = std::chrono::steady_clock::now();
            if (offline_until_ > now) {
                // Still no network from before the reboot: the first attempts fail too.
                mqtt_client_->go_offline(
                    std::chrono::duration_cast<std::chrono::milliseconds>(offline_until_ - now));
            }
            mqtt_client_->start();
        }
    }
    PortStatus subscribe(std::string_view topic_filter) override {
        if (dead_) {
            return PortStatus::NotConnected;
        }
        return to_core(mqtt_client_->subscribe(topic_filter));
    }
    PortStatus unsubscribe(std::string_view topic_filter) override {
        if (dead_) {
            return PortStatus::NotConnected;
        }
        return to_core(mqtt_client_->unsubscribe(topic_filter));
    }
    PortStatus publish(std::string_view topic, std::string_view payload) override {
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

    // ---- Http ----
    PortStatus start(const HttpRequest& request) override {
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
        const std::uint32_t id = request.id;
        const bool is_download = request.method == HttpMethod::Get;
        std::weak_ptr<BootSession> weak = weak_from_this();
        HttpHandlers handlers;
        handlers.on_status = [weak, id](int status) {
            if (auto self = weak.lock(); self && self->alive()) {
                self->agent_->on_http_status(id, status);
            }
        };
        handlers.on_header = [weak, id](std::string_view name, std::string_view value) {
            if (auto self = weak.lock(); self && self->alive()) {
                self->agent_->on_http_header(id, name, value);
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
                self->agent_->on_http_body(id, chunk);
            }
        };
        handlers.on_done = [weak, id] {
            if (auto self = weak.lock(); self && self->alive()) {
                self->transfers_.erase(id);
                self->agent_->on_http_done(id);
            }
        };
        handlers.on_error = [weak, id](HttpFailure failure, std::string_view message) {
            if (auto self = weak.lock(); self && self->alive()) {
                self->transfers_.erase(id);
                self->logger_->debug("[{}] http request {} failed: {}", self->options_.thing_name,
                                     id, message);
                self->agent_->on_http_error(id, to_core(failure));
            }
        };
        const std::uint64_t client_id = http_client_->start(spec, std::move(handlers));
        if (client_id == 0) {
            return PortStatus::Error;
        }
        transfers_[id] = client_id;
        if (stalled_) {
            http_client_->pause(client_id);
        }
        return PortStatus::Ok;
    }
    void cancel(std::uint32_t request_id) override {
        if (dead_) {
            return;
        }
        const auto found = transfers_.find(request_id);
        if (found != transfers_.end()) {
            http_client_->cancel(found->second);
            transfers_.erase(found);
        }
    }

    // ---- Flash ----
    FlashGeometry geometry() const override {
        FlashGeometry geometry;
        geometry.slot_size = device_.boot_model().max_image_size();
        geometry.erase_page_size = device_.flash().geometry().page_size;
        geometry.write_block_size = device_.flash().geometry().write_unit;
        return geometry;
    }
    PortStatus erase(std::uint32_t offset, std::uint32_t length) override {
        if (dead_) {
            return PortStatus::Error;
        }
        return flash_result(device_.erase_secondary(offset, length));
    }
    PortStatus write(std::uint32_t offset, std::span<const std::uint8_t> data) override {
        if (dead_) {
            return PortStatus::Error;
        }
        return flash_result(device_.write_secondary(offset, data));
    }
    PortStatus read(std::uint32_t offset, std::span<std::uint8_t> data) override {
        if (dead_) {
            return PortStatus::Error;
        }
        return flash_result(device_.read_secondary(offset, data));
    }

    // ---- Boot ----
    BootInfo boot_info() const override { return boot_info_; }
    PortStatus request_upgrade(bool permanent) override {
        if (dead_) {
            return PortStatus::Error;
        }
        return flash_result(device_.request_upgrade(permanent ? flash::UpgradeMode::permanent
                                                              : flash::UpgradeMode::test));
    }
    PortStatus confirm() override {
        if (dead_) {
            return PortStatus::Error;
        }
        const PortStatus result = flash_result(device_.confirm());
        if (result == PortStatus::Ok) {
            boot_info_.confirmed = true;
        }
        return result;
    }
    void reboot() override {
        if (dead_) {
            return;
        }
        logger_->info("[{}] reboot requested by the core", options_.thing_name);
        host_.request_reboot(true);
    }

    // ---- Store ----
    PortStatus load(std::span<std::uint8_t> out, std::size_t& length) override {
        if (dead_) {
            return PortStatus::Error;
        }
        flash::RecordStore* store = device_.store();
        if (store == nullptr) {
            return PortStatus::Error;
        }
        const auto record = store->load(kStateRecordKey);
        if (!record) {
            return PortStatus::NotFound;
        }
        if (!unpack_record(*record, out, length)) {
            logger_->error("[{}] the stored state record is malformed ({} bytes)",
                           options_.thing_name, record->size());
            return PortStatus::Error;
        }
        return PortStatus::Ok;
    }
    PortStatus save(std::span<const std::uint8_t> record) override {
        if (dead_) {
            return PortStatus::Error;
        }
        flash::RecordStore* store = device_.store();
        if (store == nullptr) {
            return PortStatus::Error;
        }
        const auto saved = store->save(kStateRecordKey, pack_record(record));
        if (!saved) {
            logger_->error("[{}] cannot save the state record: {}", options_.thing_name,
                           saved.error().message);
            return flash_result(saved.error().flash == flash::FlashStatus::ok
                                    ? flash::FlashStatus::write_failed
                                    : saved.error().flash);
        }
        return PortStatus::Ok;
    }

    // ---- Timers ----
    void start(TimerId id, std::uint32_t delay_ms) override {
        if (dead_) {
            return;
        }
        auto& timer = timers_.at(static_cast<std::size_t>(id));
        timer.expires_after(std::chrono::milliseconds(delay_ms));
        std::weak_ptr<BootSession> weak = weak_from_this();
        timer.async_wait([weak, id](boost::system::error_code ec) {
            if (ec) {
                return; // cancelled or restarted
            }
            if (auto self = weak.lock(); self && self->alive()) {
                self->agent_->on_timer(id);
            }
        });
    }
    void cancel(TimerId id) override { timers_.at(static_cast<std::size_t>(id)).cancel(); }

    // ---- Log ----
    void event(LogLevel level, std::string_view name, std::string_view detail) override {
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

private:
    PortStatus flash_result(flash::FlashStatus status) {
        if (status == flash::FlashStatus::ok) {
            return PortStatus::Ok;
        }
        if (status == flash::FlashStatus::power_lost && !power_lost_reported_) {
            // The power is gone at this instant: the core's call stack unwinds, but nothing it
            // asks for afterwards happens (no FAILED report, no state save, no timer).
            power_lost_reported_ = true;
            lose_power();
            host_.power_lost();
        }
        return PortStatus::Error;
    }

    void mqtt_connected(bool session_present) {
        if (!alive()) {
            return;
        }
        logger_->info("[{}] mqtt connected to {}:{}", options_.thing_name, options_.mqtt_host,
                      options_.mqtt_port);
        agent_connected_ = true;
        agent_->on_connected(session_present);
    }

    void mqtt_disconnected(const MqttDisconnect& why) {
        if (!alive()) {
            return;
        }
        logger_->warn("[{}] mqtt {}", options_.thing_name, why.reason);
        if (agent_connected_) {
            agent_connected_ = false;
            agent_->on_disconnected();
        }
    }

    // True once: when the download passes `mark`, which is then cleared.
    static bool passes(std::optional<std::uint64_t>& mark, std::uint64_t before,
                       std::uint64_t now) {
        if (!mark || before >= *mark || now < *mark) {
            return false;
        }
        mark.reset();
        return true;
    }

    void count_download_bytes(std::size_t bytes) {
        const std::uint64_t before = download_bytes_;
        download_bytes_ += bytes;
        if (passes(drop_at_download_byte_, before, download_bytes_)) {
            logger_->warn("[{}] fault: dropping MQTT at download byte {}", options_.thing_name,
                          download_bytes_);
            mqtt_client_->drop_connection();
        }
        if (passes(stall_at_download_byte_, before, download_bytes_)) {
            logger_->warn("[{}] fault: HTTP stalls at download byte {}", options_.thing_name,
                          download_bytes_);
            host_.download_stall();
        }
        if (passes(cut_at_download_byte_, before, download_bytes_)) {
            logger_->warn("[{}] fault: power cut at download byte {}", options_.thing_name,
                          download_bytes_);
            lose_power();
            host_.download_cut();
        }
    }

    Strand strand_;
    const DeviceOptions& options_;
    flash::Device& device_;
    Host host_;
    std::shared_ptr<spdlog::logger> logger_;
    std::array<boost::asio::steady_timer, kTimerCount> timers_;
    BootInfo boot_info_;
    std::uint32_t boot_number_ = 0;
    std::unique_ptr<MqttClient> mqtt_client_;
    std::unique_ptr<HttpClient> http_client_;
    std::unique_ptr<Agent> agent_;
    std::map<std::uint32_t, std::uint64_t> transfers_; // core request id -> client id
    std::optional<std::uint64_t> drop_at_download_byte_;
    std::optional<std::uint64_t> cut_at_download_byte_;
    std::optional<std::uint64_t> stall_at_download_byte_;
    std::chrono::steady_clock::time_point offline_until_{};
    std::uint64_t download_bytes_ = 0;
    bool stalled_ = false;
    bool announce_first_byte_ = false; // a download (re)started: tell of its first byte
    bool dead_ = false;
    bool agent_connected_ = false;
    bool power_lost_reported_ = false;
};

// ---------------------------------------------------------------------------------------------
class DeviceRuntime::Impl : public std::enable_shared_from_this<DeviceRuntime::Impl> {
public:
    Impl(boost::asio::io_context& io, DeviceOptions options)
        : strand_(boost::asio::make_strand(io)), options_(std::move(options)),
          logger_(device_logger()), power_timer_(strand_), stall_timer_(strand_) {}

    ~Impl() { shut_down(false); }

    void start() {
        if (state_ != DeviceState::Off) {
            return;
        }
        if (!device_) {
            if (!open_flash()) {
                return;
            }
        }
        boot();
    }

    void stop() {
        power_timer_.cancel();
        stall_timer_.cancel();
        power_off_ = false;
        shut_down(true);
        state_ = DeviceState::Off;
    }

    void shut_down(bool clean) {
        if (session_) {
            carry_over_counters(); // before the clients go
            session_->shut_down(clean);
            session_.reset();
        }
    }

    DeviceStatus status() const {
        DeviceStatus status = last_status_;
        status.state = state_;
        status.boots = boots_;
        status.power_cuts = power_cuts_;
        status.download_bytes = download_bytes_before_;
        status.http_requests = http_requests_before_;
        status.http_connections = http_connections_before_;
        status.download_retries = download_retries_before_;
        status.mqtt_connections = mqtt_connections_before_;
        status.messages_lost = messages_lost_before_;
        status.last_error = last_error_;
        if (session_) {
            if (const Agent* agent = session_->agent()) {
                status.phase = std::string(phase_text(agent->phase()));
                status.job_id = std::string(agent->job_id());
                status.jobs_taken = jobs_taken_before_ + agent->stats().jobs_taken;
            }
            status.mqtt_connected = session_->mqtt_connected();
            if (const Agent* agent = session_->agent()) {
                status.download_retries += agent->stats().download_retries;
            }
            if (const MqttClient* mqtt = session_->mqtt_client()) {
                status.mqtt_connections += mqtt->stats().connections;
                status.messages_lost += mqtt->stats().messages_dropped_by_fault;
            }
            status.confirmed = session_->image_confirmed();
            status.download_bytes += session_->download_bytes();
            if (const HttpClient* http = session_->http_client()) {
                status.http_requests += http->stats().requests_started;
                status.http_connections += http->stats().connections_opened;
            }
        } else {
            status.jobs_taken = jobs_taken_before_;
        }
        return status;
    }

    // ---- faults ----
    void reboot(bool clean) {
        if (state_ != DeviceState::Running) {
            return;
        }
        logger_->info("[{}] rebooting{}", options_.thing_name, clean ? "" : " (no clean shutdown)");
        emit("rebooting", clean ? "" : "no clean shutdown");
        state_ = DeviceState::Rebooting;
        shut_down(clean);
        boot();
    }

    // The power goes now (safe inside a core callback: the session stops at once) and comes back
    // after off_for; the session is dropped on a later turn of the strand.
    void cut_power(std::chrono::milliseconds off_for) {
        if (power_off_ || (state_ != DeviceState::Running && state_ != DeviceState::Rebooting)) {
            return;
        }
        if (session_) {
            session_->lose_power();
        }
        ++power_cuts_;
        power_off_ = true;
        state_ = DeviceState::Rebooting;
        logger_->warn("[{}] power cut (off for {} ms)", options_.thing_name, off_for.count());
        emit("power_cut", "");
        std::weak_ptr<Impl> weak = weak_from_this();
        boost::asio::post(strand_, [weak, off_for] {
            if (auto self = weak.lock()) {
                self->shut_down(false);
                self->power_on_after(off_for);
            }
        });
    }

    void cut_power_at_download_byte(std::uint64_t bytes, std::chrono::milliseconds off_for) {
        download_cut_off_for_ = off_for;
        if (session_) {
            session_->set_cut_at_download_byte(session_->download_bytes() + bytes);
        }
    }

    void stall_http_for(std::chrono::milliseconds duration) {
        stall_http(true);
        stall_timer_.expires_after(duration);
        std::weak_ptr<Impl> weak = weak_from_this();
        stall_timer_.async_wait([weak](boost::system::error_code ec) {
            if (auto self = weak.lock(); self && !ec) {
                self->stall_http(false);
            }
        });
    }

    void stall_http_at_download_byte(std::uint64_t bytes, std::chrono::milliseconds duration) {
        download_stall_for_ = duration;
        if (session_) {
            session_->set_stall_at_download_byte(session_->download_bytes() + bytes);
        }
    }

    void go_offline(std::chrono::milliseconds duration) {
        offline_until_ = std::chrono::steady_clock::now() + duration;
        logger_->warn("[{}] fault: offline for {} ms", options_.thing_name, duration.count());
        if (session_) {
            session_->set_offline_until(offline_until_);
        }
        stall_http_for(duration);
    }

    void cut_power_during_swap(std::chrono::milliseconds off_for, std::uint64_t seed) {
        swap_cut_ = SwapCut{off_for, seed};
    }

    std::string arm_flash_faults(const std::string& line, std::chrono::milliseconds off_for) {
        auto plan = flash::FaultPlan::parse(line);
        if (!plan) {
            return "flash fault plan '" + line + "': " + plan.error().message;
        }
        if (!device_) {
            return "the device's flash is not open";
        }
        flash_off_for_ = off_for;
        device_->flash().arm(plan.value());
        logger_->info("[{}] fault armed: {}", options_.thing_name,
                      device_->flash().plan().to_string());
        return {};
    }

    void emit(std::string_view name, std::string_view detail) {
        if (event_handler_) {
            event_handler_(name, detail);
        }
    }

    void power_cut_at_flash_operation(std::uint64_t operation, bool torn, std::uint64_t seed) {
        if (!device_) {
            return;
        }
        device_->flash().arm(torn ? flash::FaultPlan::cut_torn(operation, seed)
                                  : flash::FaultPlan::cut_before(operation));
        logger_->info("[{}] fault armed: {}", options_.thing_name,
                      device_->flash().plan().to_string());
    }

    void drop_mqtt() {
        if (session_ && session_->mqtt_client()) {
            logger_->warn("[{}] fault: dropping MQTT now", options_.thing_name);
            session_->mqtt_client()->drop_connection();
        }
    }
    void drop_mqtt_at_download_byte(std::uint64_t bytes) {
        if (session_) {
            session_->set_drop_at_download_byte(session_->download_bytes() + bytes);
        }
    }
    void lose_next_message(std::string topic_suffix) {
        if (session_ && session_->mqtt_client()) {
            session_->mqtt_client()->lose_next_message(std::move(topic_suffix));
        }
    }
    void stall_http(bool stalled) {
        stalled_ = stalled;
        if (session_) {
            session_->set_stalled(stalled);
        }
    }

    Strand strand_;
    DeviceOptions options_;
    std::function<void(const DeviceStatus&)> boot_handler_;
    DeviceRuntime::EventHandler event_handler_;

private:
    bool open_flash() {
        flash::DeviceConfig config;
        config.file = options_.flash_file;
        if (!options_.flash_geometry.empty()) {
            auto geometry = flash::Geometry::parse(options_.flash_geometry);
            if (!geometry) {
                fail("flash geometry '" + options_.flash_geometry +
                     "': " + geometry.error().message);
                return false;
            }
            config.geometry = geometry.value();
        }
        if (!options_.flash_layout.empty()) {
            config.layout = options_.flash_layout;
        }
        auto opened = flash::Device::open(config);
        if (!opened) {
            fail("cannot open the flash: " + opened.error().message);
            return false;
        }
        device_ = std::move(opened.value());
        return true;
    }

    void fail(const std::string& message) {
        last_error_ = message;
        logger_->error("[{}] {}", options_.thing_name, message);
    }

    // Puts the initial image into the primary slot of a flash that boots nothing.
    bool install_initial_image() {
        std::vector<std::uint8_t> image;
        if (!options_.image_file.empty()) {
            std::ifstream in(options_.image_file, std::ios::binary);
            if (!in) {
                fail("cannot read the image file " + options_.image_file);
                return false;
            }
            image.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
            const auto parsed = flash::parse_image(image);
            if (!parsed) {
                fail("the image file " + options_.image_file +
                     " is not an MCUboot image: " + parsed.error().message);
                return false;
            }
        } else {
            const auto version = flash::ImageVersion::parse(options_.firmware_version);
            if (!version) {
                fail("bad firmware version '" + options_.firmware_version +
                     "': " + version.error().message);
                return false;
            }
            flash::TestImageOptions test;
            test.version = version.value();
            test.total_size = options_.image_size;
            test.seed = options_.seed;
            auto built = flash::make_test_image(test);
            if (!built) {
                fail("cannot build the initial image: " + built.error().message);
                return false;
            }
            image = std::move(built.value());
        }
        const flash::Partition* primary = device_->partitions().find(flash::kPrimaryPartition);
        if (primary == nullptr || image.size() > primary->size) {
            fail("the initial image does not fit the primary slot");
            return false;
        }
        flash::NorFlash& nor = device_->flash();
        const std::uint32_t page = nor.geometry().page_size;
        const auto padded = static_cast<std::uint32_t>((image.size() + page - 1) / page * page);
        image.resize(padded, nor.geometry().erased_value);
        if (nor.erase(primary->offset, padded) != flash::FlashStatus::ok ||
            nor.write(primary->offset, image) != flash::FlashStatus::ok) {
            fail("cannot write the initial image: " + nor.last_violation());
            return false;
        }
        logger_->info("[{}] installed the initial image ({} bytes) in the primary slot",
                      options_.thing_name, image.size());
        return true;
    }

    void power_on_after(std::chrono::milliseconds off_for) {
        if (off_for.count() <= 0) {
            power_off_ = false;
            boot();
            return;
        }
        power_timer_.expires_after(off_for);
        std::weak_ptr<Impl> weak = weak_from_this();
        power_timer_.async_wait([weak](boost::system::error_code ec) {
            if (auto self = weak.lock(); self && !ec && self->power_off_) {
                self->power_off_ = false;
                self->boot();
            }
        });
    }

    void boot() {
        ++boots_;
        // A cut armed for the swap: the flash is armed to cut before one of the boot loader's
        // first operations (a swap of a 200 KiB image takes hundreds; a boot without a swap
        // writes nothing, and then the cut waits for the next boot).
        bool swap_cut_armed = false;
        std::chrono::milliseconds swap_off_for{0};
        if (swap_cut_) {
            swap_off_for = swap_cut_->off_for;
            device_->flash().arm(flash::FaultPlan::cut_before(2 + swap_cut_->seed % 60));
            swap_cut_armed = true;
        }
        bool swap_announced = false;
        // A power cut may hit the boot itself (a swap in progress): power on and boot again,
        // as the hardware would, a bounded number of times.
        flash::BootResult result;
        for (int attempt = 0; attempt < 8; ++attempt) {
            result = device_->boot();
            if (result.booted || result.flash_status != flash::FlashStatus::power_lost) {
                break;
            }
            ++power_cuts_;
            logger_->warn("[{}] power cut during boot: {}", options_.thing_name, result.error);
            if (!swap_announced) {
                swap_announced = true;
                emit("swapping", result.error);
            }
            emit("power_cut", result.error);
            if (swap_cut_armed) {
                swap_cut_armed = false;
                swap_cut_.reset();
                if (swap_off_for.count() > 0) {
                    // The power stays off for a while; the next power-on resumes the swap.
                    state_ = DeviceState::Rebooting;
                    power_off_ = true;
                    power_on_after(swap_off_for);
                    return;
                }
            }
        }
        if (swap_cut_armed) {
            device_->flash().disarm();
            if (result.swap != flash::SwapType::none) {
                swap_cut_.reset(); // the swap was shorter than the chosen operation
            }
        }
        if (!swap_announced && result.swap != flash::SwapType::none) {
            emit("swapping", flash::to_string(result.swap));
        }
        if (!result.booted && boots_ == 1 && !installed_) { // the first power-on
            installed_ = true;
            if (!install_initial_image()) {
                state_ = DeviceState::Off;
                return;
            }
            result = device_->boot();
        }
        if (!result.booted) {
            state_ = DeviceState::Bricked;
            fail("boot failed: " + result.error);
            emit("boot_failed", result.error);
            notify_boot();
            return;
        }
        last_status_.running_version = version_text(to_core(result.version));
        last_status_.confirmed = result.confirmed;
        last_status_.reverted_last_boot = result.reverted();
        logger_->info("[{}] boot {}: running {} ({}){}{}", options_.thing_name, boots_,
                      last_status_.running_version, result.confirmed ? "confirmed" : "unconfirmed",
                      result.swap != flash::SwapType::none
                          ? std::string(", swap ") + flash::to_string(result.swap)
                          : std::string(),
                      result.secondary_rejected ? ", secondary rejected: " + result.rejection
                                                : std::string());
        state_ = DeviceState::Running;
        emit("boot", last_status_.running_version);
        BootSession::Host host;
        std::weak_ptr<Impl> weak = weak_from_this();
        host.request_reboot = [weak, this](bool clean) {
            boost::asio::post(strand_, [weak, clean] {
                if (auto self = weak.lock()) {
                    self->reboot(clean);
                }
            });
        };
        host.power_lost = [weak, this] {
            boost::asio::post(strand_, [weak] {
                if (auto self = weak.lock()) {
                    self->cut_power(self->flash_off_for_);
                }
            });
        };
        host.download_cut = [this] { cut_power(download_cut_off_for_); };
        host.download_stall = [this] { stall_http_for(download_stall_for_); };
        host.event = [this](std::string_view name, std::string_view detail) { emit(name, detail); };
        session_ = std::make_shared<BootSession>(strand_, options_, *device_, result, boots_,
                                                 std::move(host), logger_);
        session_->set_offline_until(offline_until_);
        session_->run();
        if (stalled_) {
            session_->set_stalled(true);
        }
        notify_boot();
    }

    void notify_boot() {
        if (boot_handler_) {
            boot_handler_(status());
        }
    }

    void carry_over_counters() {
        if (!session_) {
            return;
        }
        download_bytes_before_ += session_->download_bytes();
        if (HttpClient* http = session_->http_client()) {
            http_requests_before_ += http->stats().requests_started;
            http_connections_before_ += http->stats().connections_opened;
        }
        if (const Agent* agent = session_->agent()) {
            jobs_taken_before_ += agent->stats().jobs_taken;
            download_retries_before_ += agent->stats().download_retries;
        }
        if (const MqttClient* mqtt = session_->mqtt_client()) {
            mqtt_connections_before_ += mqtt->stats().connections;
            messages_lost_before_ += mqtt->stats().messages_dropped_by_fault;
        }
    }

    std::shared_ptr<spdlog::logger> logger_;
    std::unique_ptr<flash::Device> device_;
    std::shared_ptr<BootSession> session_;
    DeviceState state_ = DeviceState::Off;
    DeviceStatus last_status_;
    std::string last_error_;
    std::uint32_t boots_ = 0;
    std::uint32_t power_cuts_ = 0;
    std::uint64_t download_bytes_before_ = 0;
    std::uint64_t http_requests_before_ = 0;
    std::uint64_t http_connections_before_ = 0;
    std::uint32_t jobs_taken_before_ = 0;
    std::uint32_t download_retries_before_ = 0;
    std::uint64_t mqtt_connections_before_ = 0;
    std::uint64_t messages_lost_before_ = 0;
    bool installed_ = false;
    bool stalled_ = false;
    bool power_off_ = false; // between a cut and the power-on after off_for
    struct SwapCut {
        std::chrono::milliseconds off_for{0};
        std::uint64_t seed = 0;
    };
    std::optional<SwapCut> swap_cut_;
    std::chrono::milliseconds flash_off_for_{0};
    std::chrono::milliseconds download_cut_off_for_{0};
    std::chrono::milliseconds download_stall_for_{0};
    std::chrono::steady_clock::time_point offline_until_{};
    boost::asio::steady_timer power_timer_;
    boost::asio::steady_timer stall_timer_; // ends stall_http_for and go_offline
};

DeviceRuntime::DeviceRuntime(boost::asio::io_context& io, DeviceOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}

DeviceRuntime::~DeviceRuntime() {
    impl_->shut_down(false);
}

void DeviceRuntime::start() {
    boost::asio::post(impl_->strand_, [impl = impl_] { impl->start(); });
}
void DeviceRuntime::stop() {
    impl_->stop();
}
void DeviceRuntime::post(std::function<void()> work) {
    boost::asio::post(impl_->strand_, std::move(work));
}
DeviceStatus DeviceRuntime::status() const {
    return impl_->status();
}
const DeviceOptions& DeviceRuntime::options() const {
    return impl_->options_;
}
Strand& DeviceRuntime::strand() {
    return impl_->strand_;
}
void DeviceRuntime::on_boot(std::function<void(const DeviceStatus&)> handler) {
    impl_->boot_handler_ = std::move(handler);
}
void DeviceRuntime::reboot() {
    impl_->reboot(false);
}
void DeviceRuntime::reboot_cleanly() {
    impl_->reboot(true);
}
void DeviceRuntime::power_cut() {
    impl_->cut_power(std::chrono::milliseconds(0));
}
void DeviceRuntime::power_cut_at_flash_operation(std::uint64_t operation, bool torn,
                                                 std::uint64_t seed) {
    impl_->power_cut_at_flash_operation(operation, torn, seed);
}
void DeviceRuntime::drop_mqtt() {
    impl_->drop_mqtt();
}
void DeviceRuntime::drop_mqtt_at_download_byte(std::uint64_t bytes) {
    impl_->drop_mqtt_at_download_byte(bytes);
}
void DeviceRuntime::lose_next_message(std::string topic_suffix) {
    impl_->lose_next_message(std::move(topic_suffix));
}
void DeviceRuntime::stall_http_for(std::chrono::milliseconds duration) {
    impl_->stall_http_for(duration);
}
void DeviceRuntime::stall_http_at_download_byte(std::uint64_t bytes,
                                                std::chrono::milliseconds duration) {
    impl_->stall_http_at_download_byte(bytes, duration);
}
void DeviceRuntime::go_offline(std::chrono::milliseconds duration) {
    impl_->go_offline(duration);
}
void DeviceRuntime::on_event(EventHandler handler) {
    impl_->event_handler_ = std::move(handler);
}
void DeviceRuntime::cut_power(std::chrono::milliseconds off_for) {
    impl_->cut_power(off_for);
}
void DeviceRuntime::cut_power_at_download_byte(std::uint64_t bytes,
                                               std::chrono::milliseconds off_for) {
    impl_->cut_power_at_download_byte(bytes, off_for);
}
void DeviceRuntime::cut_power_during_swap(std::chrono::milliseconds off_for, std::uint64_t seed) {
    impl_->cut_power_during_swap(off_for, seed);
}
std::string DeviceRuntime::arm_flash_faults(const std::string& plan_line,
                                            std::chrono::milliseconds off_for) {
    return impl_->arm_flash_faults(plan_line, off_for);
}
void DeviceRuntime::stall_http() {
    impl_->stall_http(true);
}
void DeviceRuntime::unstall_http() {
    impl_->stall_http(false);
}

} // namespace fota::sim
