// Each port call of the core as the JSON a recording holds (without "ret"): one function per
// call, shared by the recorder and the replay so that both describe a call the same way.
#pragma once

#include <fota/ports.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace fota::record::calls {

nlohmann::json connect();
nlohmann::json subscribe(std::string_view topic_filter);
nlohmann::json unsubscribe(std::string_view topic_filter);
nlohmann::json publish(std::string_view topic, std::string_view payload);
nlohmann::json http_start(const HttpRequest& request);
nlohmann::json http_cancel(std::uint32_t request_id);
nlohmann::json geometry();
nlohmann::json erase(std::uint32_t offset, std::uint32_t length);
/// The data by its SHA-256: the image is in the recorded body chunks already.
nlohmann::json write(std::uint32_t offset, std::span<const std::uint8_t> data);
nlohmann::json sha256(std::uint32_t length);
nlohmann::json boot_info();
nlohmann::json request_upgrade(bool permanent);
nlohmann::json confirm();
nlohmann::json reboot();
nlohmann::json load(std::size_t capacity);
nlohmann::json save(std::span<const std::uint8_t> record);
nlohmann::json timer_start(TimerId id, std::uint32_t delay_ms);
nlohmann::json timer_cancel(TimerId id);
nlohmann::json log_event(LogLevel level, Event event, std::string_view detail);

} // namespace fota::record::calls
