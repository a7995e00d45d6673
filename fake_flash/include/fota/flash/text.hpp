// Small text helpers shared by the parsers of layouts, geometries, fault plans and sizes.
#pragma once

#include "fota/flash/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fota::flash {

/// Parses a byte count: decimal ("4096"), hex ("0x1000"), optionally followed by a unit
/// "K", "KiB", "M", "MiB" (all binary, 1024-based) or "B". Whitespace is not accepted.
/// Returns an error naming the text when it is empty, malformed or does not fit in 32 bits.
Result<std::uint32_t> parse_size(std::string_view text);

/// Parses an unsigned 64-bit number, decimal or 0x-prefixed hex. Never accepts a sign or spaces.
Result<std::uint64_t> parse_u64(std::string_view text);

/// Formats a value as 0x-prefixed lowercase hex ("0x82000").
std::string hex(std::uint64_t value);

/// Formats a byte count compactly and exactly: "472KiB" when a multiple of 1 KiB, "1MiB" when a
/// multiple of 1 MiB, else the decimal number. parse_size(format_size(x)) == x.
std::string format_size(std::uint32_t value);

/// Splits text on a separator character; keeps empty pieces.
std::vector<std::string_view> split(std::string_view text, char separator);

} // namespace fota::flash
