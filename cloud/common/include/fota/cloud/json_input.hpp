#pragma once
// Safe parsing of untrusted JSON payloads (MQTT requests, REST bodies).

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace fota::cloud {

enum class JsonInputStatus {
    ok,
    invalid_utf8, ///< bytes are not well-formed UTF-8
    invalid_json, ///< not JSON (syntax error, trailing garbage)
    too_deep,     ///< more than `max_depth` nested arrays/objects
};

struct JsonInput {
    JsonInputStatus status = JsonInputStatus::invalid_json;
    nlohmann::json value;
};

/// Serialises `value` compactly; invalid UTF-8 inside strings becomes U+FFFD instead of throwing.
[[nodiscard]] inline std::string to_text(const nlohmann::json& value) {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

/// Parses `text` as one JSON value. Checks UTF-8 and the nesting depth before parsing, so a
/// hostile payload can neither crash nor exhaust the stack. Never throws.
[[nodiscard]] JsonInput parse_json_input(std::string_view text, int max_depth = 64);

} // namespace fota::cloud
