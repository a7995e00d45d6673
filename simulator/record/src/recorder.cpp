// Writing a recording: the device's file, the ports of one boot that write each call with its
// result, and the inputs written before the core receives them.
#include "fota/record/recorder.hpp"

#include "calls.hpp"

#include <fota/flash/device.hpp>
#include <fota/flash/mcuboot_image.hpp>

#include <algorithm>
#include <vector>

namespace fota::record {

using nlohmann::json;

json describe_storage(flash::Device& device, std::string_view store_key) {
    json partitions = json::array();
    for (const flash::Partition& partition : device.partitions().partitions()) {
        std::vector<std::uint8_t> bytes(partition.size);
        (void)device.flash().peek(partition.offset, bytes);
        partitions.push_back({{"name", partition.name},
                              {"offset", partition.offset},
                              {"size", partition.size},
                              {"sha256", to_hex(flash::sha256(bytes))}});
    }
    json store = nullptr;
    if (flash::RecordStore* records = device.store()) {
        if (const auto value = records->load(store_key)) {
            store = to_hex(*value);
        }
    }
    return {{"geometry", device.flash().geometry().to_string()},
            {"partitions", std::move(partitions)},
            {"store_key", std::string(store_key)},
            {"store", std::move(store)}};
}

// ---- DeviceRecorder -------------------------------------------------------------------------

DeviceRecorder::DeviceRecorder(std::string path, Clock clock)
    : path_(std::move(path)), out_(path_, std::ios::binary | std::ios::trunc),
      clock_(std::move(clock)) {
    start_ = clock_();
}

DeviceRecorder::~DeviceRecorder() {
    flush();
}

std::unique_ptr<DeviceRecorder> DeviceRecorder::open(const std::string& path, std::string thing,
                                                     const Profile& profile,
                                                     std::string shadow_base_url, Clock clock,
                                                     std::string& error) {
    std::unique_ptr<DeviceRecorder> recorder(new DeviceRecorder(path, std::move(clock)));
    if (!recorder->out_) {
        error = "cannot write the recording " + path;
        return nullptr;
    }
    recorder->header_ = {{"format", kFormatName},
                         {"version", kFormatVersion},
                         {"thing", std::move(thing)},
                         {"profile", RecordedProfile(profile).to_json()},
                         {"shadow_base_url", std::move(shadow_base_url)}};
    return recorder;
}

void DeviceRecorder::begin_boot(std::uint32_t boot, std::uint64_t seed, const json& storage) {
    if (!header_written_) {
        header_written_ = true;
        header_["storage"] = storage;
        write("header", std::move(header_));
    }
    write("boot", {{"boot", boot}, {"seed", seed}, {"storage", storage}});
}

void DeviceRecorder::write(const char* type, json line) {
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(clock_() - start_);
    json out = {{"type", type}, {"i", next_index_++}, {"t", elapsed.count()}};
    out.update(line);
    out_ << out.dump() << '\n';
}

void DeviceRecorder::note(std::string_view what, std::string_view detail) {
    if (!header_written_) {
        return; // before the first boot of the recording: nothing to replay yet
    }
    json line = {{"note", std::string(what)}};
    if (!detail.empty()) {
        put_text(line, "detail", detail);
    }
    write("note", std::move(line));
    flush();
}

void DeviceRecorder::flush() {
    out_.flush();
}

// ---- BootRecorder ---------------------------------------------------------------------------

BootRecorder::BootRecorder(DeviceRecorder& file, const Ports& platform, std::uint32_t boot,
                           std::uint64_t seed, const json& storage)
    : file_(file), platform_(platform) {
    file_.begin_boot(boot, seed, storage);
}

void BootRecorder::input(std::string_view kind, json fields) {
    fields["input"] = std::string(kind);
    file_.write("in", std::move(fields));
}

void BootRecorder::output(json call) const {
    file_.write("out", std::move(call));
}

PortStatus BootRecorder::output(json call, PortStatus status) const {
    call["ret"] = {{"status", status_name(status)}};
    file_.write("out", std::move(call));
    return status;
}

void BootRecorder::connect() {
    platform_.mqtt.connect();
    output(calls::connect());
}

PortStatus BootRecorder::subscribe(std::string_view topic_filter) {
    return output(calls::subscribe(topic_filter), platform_.mqtt.subscribe(topic_filter));
}

PortStatus BootRecorder::unsubscribe(std::string_view topic_filter) {
    return output(calls::unsubscribe(topic_filter), platform_.mqtt.unsubscribe(topic_filter));
}

PortStatus BootRecorder::publish(std::string_view topic, std::string_view payload) {
    return output(calls::publish(topic, payload), platform_.mqtt.publish(topic, payload));
}

PortStatus BootRecorder::start(const HttpRequest& request) {
    return output(calls::http_start(request), platform_.http.start(request));
}

void BootRecorder::cancel(std::uint32_t request_id) {
    platform_.http.cancel(request_id);
    output(calls::http_cancel(request_id));
}

FlashGeometry BootRecorder::geometry() const {
    const FlashGeometry geometry = platform_.flash.geometry();
    json call = calls::geometry();
    call["ret"] = {{"geometry", geometry_json(geometry)}};
    output(std::move(call));
    return geometry;
}

PortStatus BootRecorder::erase(std::uint32_t offset, std::uint32_t length) {
    return output(calls::erase(offset, length), platform_.flash.erase(offset, length));
}

PortStatus BootRecorder::write(std::uint32_t offset, std::span<const std::uint8_t> data) {
    return output(calls::write(offset, data), platform_.flash.write(offset, data));
}

PortStatus BootRecorder::sha256(std::uint32_t length, Digest& digest) {
    const PortStatus status = platform_.flash.sha256(length, digest);
    json call = calls::sha256(length);
    call["ret"] = {{"status", status_name(status)}, {"digest", to_hex(digest)}};
    output(std::move(call));
    return status;
}

BootInfo BootRecorder::boot_info() const {
    const BootInfo info = platform_.boot.boot_info();
    json call = calls::boot_info();
    call["ret"] = {{"boot_info", boot_info_json(info)}};
    output(std::move(call));
    return info;
}

PortStatus BootRecorder::request_upgrade(bool permanent) {
    return output(calls::request_upgrade(permanent), platform_.boot.request_upgrade(permanent));
}

PortStatus BootRecorder::confirm() {
    return output(calls::confirm(), platform_.boot.confirm());
}

void BootRecorder::reboot() {
    // Written first: the platform's reboot may end this boot before it returns.
    output(calls::reboot());
    file_.flush();
    platform_.boot.reboot();
}

PortStatus BootRecorder::load(std::span<std::uint8_t> out, std::size_t& length) {
    length = 0;
    const PortStatus status = platform_.store.load(out, length);
    json call = calls::load(out.size());
    call["ret"] = {{"status", status_name(status)}};
    if (status == PortStatus::Ok) {
        call["ret"]["record"] = to_hex(out.first(std::min(length, out.size())));
    }
    output(std::move(call));
    return status;
}

PortStatus BootRecorder::save(std::span<const std::uint8_t> record) {
    return output(calls::save(record), platform_.store.save(record));
}

void BootRecorder::start(TimerId id, std::uint32_t delay_ms) {
    platform_.timers.start(id, delay_ms);
    output(calls::timer_start(id, delay_ms));
}

void BootRecorder::cancel(TimerId id) {
    platform_.timers.cancel(id);
    output(calls::timer_cancel(id));
}

void BootRecorder::event(LogLevel level, Event event, std::string_view detail) {
    // Written first: the host may cut the power from inside the event (power_cut at a phase).
    output(calls::log_event(level, event, detail));
    platform_.log.event(level, event, detail);
}

// ---- AgentInputs ----------------------------------------------------------------------------

void AgentInputs::on_boot() {
    if (recorder_ != nullptr) {
        recorder_->input("boot");
    }
    agent_->on_boot();
}

void AgentInputs::on_connected(bool session_present) {
    if (recorder_ != nullptr) {
        recorder_->input("connected", {{"session_present", session_present}});
    }
    agent_->on_connected(session_present);
}

void AgentInputs::on_disconnected() {
    if (recorder_ != nullptr) {
        recorder_->input("disconnected");
    }
    agent_->on_disconnected();
}

void AgentInputs::on_message(std::string_view topic, std::string_view payload) {
    if (recorder_ != nullptr) {
        json fields = json::object();
        put_text(fields, "topic", topic);
        put_text(fields, "payload", payload);
        recorder_->input("message", std::move(fields));
    }
    agent_->on_message(topic, payload);
}

void AgentInputs::on_http_status(std::uint32_t request_id, int status) {
    if (recorder_ != nullptr) {
        recorder_->input("http_status", {{"id", request_id}, {"status", status}});
    }
    agent_->on_http_status(request_id, status);
}

void AgentInputs::on_http_header(std::uint32_t request_id, std::string_view name,
                                 std::string_view value) {
    if (recorder_ != nullptr) {
        json fields = {{"id", request_id}};
        put_text(fields, "name", name);
        put_text(fields, "value", value);
        recorder_->input("http_header", std::move(fields));
    }
    agent_->on_http_header(request_id, name, value);
}

void AgentInputs::on_http_body(std::uint32_t request_id, std::span<const std::uint8_t> data) {
    if (recorder_ != nullptr) {
        recorder_->input("http_body", {{"id", request_id}, {"data", to_hex(data)}});
    }
    agent_->on_http_body(request_id, data);
}

void AgentInputs::on_http_done(std::uint32_t request_id) {
    if (recorder_ != nullptr) {
        recorder_->input("http_done", {{"id", request_id}});
    }
    agent_->on_http_done(request_id);
}

void AgentInputs::on_http_error(std::uint32_t request_id, HttpError error) {
    if (recorder_ != nullptr) {
        recorder_->input("http_error", {{"id", request_id}, {"error", http_error_name(error)}});
    }
    agent_->on_http_error(request_id, error);
}

void AgentInputs::on_timer(TimerId id) {
    if (recorder_ != nullptr) {
        recorder_->input("timer", {{"timer", timer_name(id)}});
    }
    agent_->on_timer(id);
}

} // namespace fota::record
