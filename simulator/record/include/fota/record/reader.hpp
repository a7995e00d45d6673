// Reading a recording back (format: recording.hpp). Bad input never throws or crashes: a file
// that is not JSON lines, a header of another format or version, a line whose fields are not
// what its type says, or a last line cut short, gives the 1-based line and what is wrong.
#pragma once

#include "fota/record/recording.hpp"

#include <cstddef>
#include <istream>
#include <optional>
#include <string>

namespace fota::record {

struct ReadError {
    std::size_t line = 0; ///< 1-based; 0 when the file cannot be opened
    std::string message;
};

struct ReadResult {
    std::optional<Recording> recording; ///< set when the file was read
    ReadError error;                    ///< otherwise
};

ReadResult read_recording(std::istream& in);
ReadResult read_recording_file(const std::string& path);

} // namespace fota::record
