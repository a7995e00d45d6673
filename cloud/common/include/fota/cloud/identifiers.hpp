#pragma once
// Validation of AWS IoT identifiers and payload encodings (spec §2.1, §5, §6.2).

#include <string_view>

namespace fota::cloud {

/// Thing name: 1..128 characters of [a-zA-Z0-9:_-].
[[nodiscard]] bool is_valid_thing_name(std::string_view name);

/// Job id: 1..64 characters of [a-zA-Z0-9_-]. Never accepts "$next" (callers handle it).
[[nodiscard]] bool is_valid_job_id(std::string_view id);

/// Shadow name: 1..64 characters of [$a-zA-Z0-9:_-], not starting with '$' (reserved).
[[nodiscard]] bool is_valid_shadow_name(std::string_view name);

/// statusDetails key: 1..128 characters of [a-zA-Z0-9:_-].
[[nodiscard]] bool is_valid_details_key(std::string_view key);

/// statusDetails value: 1..1024 characters (UTF-8 code points), no control characters.
[[nodiscard]] bool is_valid_details_value(std::string_view value);

/// True if `bytes` is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
[[nodiscard]] bool is_valid_utf8(std::string_view bytes);

} // namespace fota::cloud
