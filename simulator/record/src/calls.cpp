// Each port call of the core as the JSON a recording holds.
#include "calls.hpp"

#include "fota/record/recording.hpp"

#include <fota/flash/mcuboot_image.hpp>
#include <fota/names.hpp>

namespace fota::record::calls {

using nlohmann::json;

json connect() {
    return {{"call", "mqtt.connect"}};
}

json subscribe(std::string_view topic_filter) {
    json call = {{"call", "mqtt.subscribe"}};
    put_text(call, "topic", topic_filter);
    return call;
}

json unsubscribe(std::string_view topic_filter) {
    json call = {{"call", "mqtt.unsubscribe"}};
    put_text(call, "topic", topic_filter);
    return call;
}

json publish(std::string_view topic, std::string_view payload) {
    json call = {{"call", "mqtt.publish"}};
    put_text(call, "topic", topic);
    put_text(call, "payload", payload);
    return call;
}

json http_start(const HttpRequest& request) {
    json call = {{"call", "http.start"},
                 {"id", request.id},
                 {"method", request.method == HttpMethod::Post ? "POST" : "GET"}};
    put_text(call, "url", request.url);
    if (request.has_range) {
        call["range"] = json::array({request.range_start, request.range_end});
    }
    if (request.method == HttpMethod::Post) {
        put_text(call, "body", request.body);
        put_text(call, "content_type", request.content_type);
    }
    return call;
}

json http_cancel(std::uint32_t request_id) {
    return {{"call", "http.cancel"}, {"id", request_id}};
}

json geometry() {
    return {{"call", "flash.geometry"}};
}

json erase(std::uint32_t offset, std::uint32_t length) {
    return {{"call", "flash.erase"}, {"offset", offset}, {"length", length}};
}

json write(std::uint32_t offset, std::span<const std::uint8_t> data) {
    return {{"call", "flash.write"},
            {"offset", offset},
            {"length", data.size()},
            {"sha256", to_hex(flash::sha256(data))}};
}

json sha256(std::uint32_t length) {
    return {{"call", "flash.sha256"}, {"length", length}};
}

json boot_info() {
    return {{"call", "boot.boot_info"}};
}

json request_upgrade(bool permanent) {
    return {{"call", "boot.request_upgrade"}, {"permanent", permanent}};
}

json confirm() {
    return {{"call", "boot.confirm"}};
}

json reboot() {
    return {{"call", "boot.reboot"}};
}

json load(std::size_t capacity) {
    return {{"call", "store.load"}, {"capacity", capacity}};
}

json save(std::span<const std::uint8_t> record) {
    return {{"call", "store.save"}, {"record", to_hex(record)}};
}

json timer_start(TimerId id, std::uint32_t delay_ms) {
    return {{"call", "timers.start"}, {"timer", timer_name(id)}, {"delay_ms", delay_ms}};
}

json timer_cancel(TimerId id) {
    return {{"call", "timers.cancel"}, {"timer", timer_name(id)}};
}

json log_event(LogLevel level, Event event, std::string_view detail) {
    json call = {{"call", "log.event"}, {"level", log_level_name(level)}};
    call["event"] = std::string(event_name(event));
    put_text(call, "detail", detail);
    return call;
}

} // namespace fota::record::calls
