// Firmware version text <-> ImageVersion (MCUboot's major.minor.revision+build).
#pragma once

#include "fota/json_writer.hpp"
#include "fota/ports.hpp"

#include <string_view>

namespace fota {

/// Parse "[v]MAJOR.MINOR.REVISION[+BUILD]" (MAJOR, MINOR <= 255, REVISION <= 65535,
/// BUILD < 2^32). False for anything else; version is then unchanged.
bool parse_image_version(std::string_view text, ImageVersion& version);

/// Append "vMAJOR.MINOR.REVISION", plus "+BUILD" when BUILD is not 0 (the seed's "v1.0.0").
void append_image_version(TextBuilder& out, const ImageVersion& version);

} // namespace fota
