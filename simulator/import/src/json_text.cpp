#include "json_text.hpp"

#include <algorithm>

namespace fota::sim::importer::detail {

JsonLayout scan_layout(std::string_view text) {
    JsonLayout layout;
    std::vector<char> open; // '{' or '[' per level
    bool in_string = false;
    bool escaped = false;
    bool awaiting_value = true; // at the top, and after '[', ':' and ',' in an array
    bool awaiting_key = false;  // after '{' and ',' in an object
    bool reading_key = false;
    std::string key;       // the current key of the top-level object
    std::string key_chars; // a key being read at level 1
    int line = 1;
    const auto value_starts = [&] {
        if (open.size() == 1 && open[0] == '[') {
            layout.elements.push_back(line);
        } else if (open.size() == 1 && open[0] == '{') {
            layout.member_lines[key] = line;
        } else if (open.size() == 2 && open[0] == '{' && open[1] == '[') {
            layout.member_elements[key].push_back(line);
        }
        awaiting_value = false;
    };
    for (const char c : text) {
        if (c == '\n') {
            ++line;
        }
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
                if (reading_key) {
                    reading_key = false;
                    if (open.size() == 1) {
                        key = key_chars;
                    }
                }
                continue;
            }
            if (reading_key && open.size() == 1 && key_chars.size() < 256) {
                key_chars.push_back(c);
            }
            continue;
        }
        switch (c) {
        case ' ':
        case '\t':
        case '\r':
        case '\n':
            break;
        case '"':
            in_string = true;
            if (awaiting_key) {
                awaiting_key = false;
                reading_key = true;
                key_chars.clear();
            } else if (awaiting_value) {
                value_starts();
            }
            break;
        case '{':
        case '[':
            if (awaiting_value) {
                value_starts();
            }
            open.push_back(c);
            awaiting_key = c == '{';
            awaiting_value = c == '[';
            break;
        case '}':
        case ']':
            if (!open.empty()) {
                open.pop_back();
            }
            awaiting_key = false;
            awaiting_value = false;
            break;
        case ':':
            awaiting_value = true;
            break;
        case ',':
            awaiting_key = !open.empty() && open.back() == '{';
            awaiting_value = !open.empty() && open.back() == '[';
            break;
        default:
            if (awaiting_value) {
                value_starts();
            }
            break;
        }
    }
    return layout;
}

int line_of_offset(std::string_view text, std::size_t offset) {
    offset = std::min(offset, text.size());
    return 1 + static_cast<int>(
                   std::count(text.begin(), text.begin() + static_cast<long>(offset), '\n'));
}

bool parse_json(std::string_view text, int first_line, nlohmann::json& out, std::string& error,
                int& error_line) {
    try {
        out = nlohmann::json::parse(text.begin(), text.end());
        return true;
    } catch (const nlohmann::json::parse_error& e) {
        // "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..."
        std::string what = e.what();
        if (const auto at = what.find("parse error"); at != std::string::npos) {
            if (const auto colon = what.find(": ", at); colon != std::string::npos) {
                what = what.substr(colon + 2);
            }
        }
        error = what;
        const std::size_t offset = e.byte > 0 ? e.byte - 1 : 0;
        error_line = first_line - 1 + line_of_offset(text, offset);
        return false;
    } catch (const nlohmann::json::exception& e) {
        error = e.what();
        error_line = first_line;
        return false;
    }
}

std::string describe_type(const nlohmann::json& value) {
    switch (value.type()) {
    case nlohmann::json::value_t::object:
        return "an object";
    case nlohmann::json::value_t::array:
        return "an array";
    case nlohmann::json::value_t::string:
        return "a string";
    case nlohmann::json::value_t::boolean:
        return "a boolean";
    case nlohmann::json::value_t::null:
        return "null";
    default:
        return "a number";
    }
}

} // namespace fota::sim::importer::detail
