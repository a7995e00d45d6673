// The thing names of a fleet given as a prefix and a count, shared by `fota-sim device --count`
// and the certificates `fota-sim cloud --tls-things` makes for it.
#pragma once

#include <cstddef>
#include <string>

namespace fota::sim::cli {

/// prefix + index, zero-padded to the width of the largest index (count 10: dev-0 .. dev-9;
/// count 11: dev-00 .. dev-10).
inline std::string fleet_thing_name(const std::string& prefix, std::size_t index,
                                    std::size_t count) {
    const std::size_t width = std::to_string(count > 0 ? count - 1 : 0).size();
    const std::string digits = std::to_string(index);
    return prefix + std::string(width > digits.size() ? width - digits.size() : 0, '0') + digits;
}

} // namespace fota::sim::cli
