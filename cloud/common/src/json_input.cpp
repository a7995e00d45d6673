#include "fota/cloud/json_input.hpp"

#include "fota/cloud/identifiers.hpp"

namespace fota::cloud {
namespace {

// Largest nesting of [ and { outside strings; stops counting once past `limit`.
bool nesting_exceeds(std::string_view text, int limit) {
    int depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > limit) {
                return true;
            }
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return false;
}

} // namespace

JsonInput parse_json_input(std::string_view text, int max_depth) {
    JsonInput input;
    if (!is_valid_utf8(text)) {
        input.status = JsonInputStatus::invalid_utf8;
        return input;
    }
    if (nesting_exceeds(text, max_depth)) {
        input.status = JsonInputStatus::too_deep;
        return input;
    }
    input.value = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
    input.status = input.value.is_discarded() ? JsonInputStatus::invalid_json : JsonInputStatus::ok;
    if (input.value.is_discarded()) {
        input.value = nullptr;
    }
    return input;
}

} // namespace fota::cloud
