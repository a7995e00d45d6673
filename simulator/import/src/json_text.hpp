// Where things are in a JSON text: lines of a top-level array's elements and of a top-level
// object's members, so that an error in the Nth entry of a JSON array can name its line
// (nlohmann::json keeps no positions). Also JSON parsing that reports the line of a syntax error.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace fota::sim::importer::detail {

/// Lines (1-based) where values start in a JSON text, for the first two levels.
struct JsonLayout {
    std::vector<int> elements;               ///< a top-level array: each element's line
    std::map<std::string, int> member_lines; ///< a top-level object: each member value's line
    std::map<std::string, std::vector<int>> member_elements; ///< an array member's elements
};

/// Scans text (which need not be valid JSON: past an error the lines mean little). Iterative,
/// linear in the text, never throws.
JsonLayout scan_layout(std::string_view text);

/// The 1-based line of a 0-based byte offset in text.
int line_of_offset(std::string_view text, std::size_t offset);

/// Parses text as one JSON value into out. On failure returns false, with what is wrong in
/// error (without nlohmann's prefixes) and its line in error_line, counted from first_line (the
/// line of text's first character). Never throws.
bool parse_json(std::string_view text, int first_line, nlohmann::json& out, std::string& error,
                int& error_line);

/// "an object", "an array", "a string", "a number", "a boolean" or "null": for messages.
std::string describe_type(const nlohmann::json& value);

} // namespace fota::sim::importer::detail
