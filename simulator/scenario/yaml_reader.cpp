#include "scenario/yaml_reader.hpp"

#include "scenario/units.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>

namespace fota::sim::detail {
namespace {

constexpr std::string_view kTagPrefix = "tag:yaml.org,2002:";

bool one_of(std::string_view text, std::initializer_list<std::string_view> options) {
    return std::find(options.begin(), options.end(), text) != options.end();
}

bool all_chars(std::string_view text, std::string_view allowed) {
    return !text.empty() && text.find_first_not_of(allowed) == std::string_view::npos;
}

std::string_view strip_sign(std::string_view text) {
    if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
        text.remove_prefix(1);
    }
    return text;
}

// YAML 1.1 int (PyYAML's resolver, without the sexagesimal form).
bool looks_integer(std::string_view text) {
    const auto body = strip_sign(text);
    if (body.empty()) {
        return false;
    }
    if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) {
        return all_chars(body.substr(2), "0123456789abcdefABCDEF_");
    }
    if (body.size() > 2 && body[0] == '0' && body[1] == 'b') {
        return all_chars(body.substr(2), "01_");
    }
    if (body == "0") {
        return true;
    }
    if (body[0] == '0') {
        return all_chars(body.substr(1), "01234567_");
    }
    return body[0] >= '1' && body[0] <= '9' && all_chars(body, "0123456789_");
}

// YAML 1.1 float: digits with a '.', optional exponent with a sign; .inf, .nan.
bool looks_float(std::string_view text) {
    if (one_of(text, {".nan", ".NaN", ".NAN"})) {
        return true;
    }
    auto body = strip_sign(text);
    if (one_of(body, {".inf", ".Inf", ".INF"})) {
        return true;
    }
    const auto e = body.find_first_of("eE");
    std::string_view mantissa = body.substr(0, e);
    if (e != std::string_view::npos) {
        auto exponent = body.substr(e + 1);
        if (exponent.size() < 2 || (exponent[0] != '+' && exponent[0] != '-') ||
            !all_chars(exponent.substr(1), "0123456789")) {
            return false;
        }
    }
    const auto dot = mantissa.find('.');
    if (dot == std::string_view::npos || mantissa.find('.', dot + 1) != std::string_view::npos) {
        return false;
    }
    const auto before = mantissa.substr(0, dot);
    const auto after = mantissa.substr(dot + 1);
    if (before.empty()) {
        return all_chars(after, "0123456789_") && after[0] != '_';
    }
    return before[0] >= '0' && before[0] <= '9' && all_chars(before, "0123456789_") &&
           (after.empty() || all_chars(after, "0123456789_"));
}

std::optional<std::uint64_t> parse_unsigned(std::string_view text) {
    std::string digits;
    int base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text.remove_prefix(2);
    }
    for (char c : text) {
        if (c != '_') {
            digits.push_back(c);
        }
    }
    if (digits.empty()) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    const auto [end, ec] =
        std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
    if (ec != std::errc() || end != digits.data() + digits.size()) {
        return std::nullopt;
    }
    return value;
}

std::optional<double> parse_double(std::string_view text) {
    std::string cleaned;
    for (char c : text) {
        if (c != '_') {
            cleaned.push_back(c);
        }
    }
    const auto body = strip_sign(cleaned);
    if (body == ".inf" || body == ".Inf" || body == ".INF" ||
        body.find("nan") != std::string::npos || body.find("NaN") != std::string::npos ||
        body.find("NAN") != std::string::npos) {
        return std::nullopt; // never a useful value in a scenario
    }
    double value = 0;
    const char* begin = cleaned.data();
    if (*begin == '+') {
        ++begin;
    }
    const auto [end, ec] = std::from_chars(begin, cleaned.data() + cleaned.size(), value);
    if (ec != std::errc() || end != cleaned.data() + cleaned.size() || !std::isfinite(value)) {
        return std::nullopt;
    }
    return value;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] =
                std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string quote_text(std::string_view text) {
    constexpr std::size_t kMaxShown = 60;
    std::string out = "'";
    for (char c : text.substr(0, kMaxShown)) {
        // Control characters would garble a terminal line.
        out.push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
    }
    if (text.size() > kMaxShown) {
        out += "...";
    }
    return out + "'";
}

} // namespace

ScalarType classify(const YAML::Node& node) {
    if (!node.IsDefined() || node.IsNull()) {
        return ScalarType::null;
    }
    if (!node.IsScalar()) {
        return ScalarType::null;
    }
    const std::string& tag = node.Tag();
    if (tag == "!") {
        return ScalarType::string; // quoted or block scalar
    }
    if (tag != "?" && !tag.empty()) {
        if (tag.rfind(kTagPrefix, 0) != 0) {
            return ScalarType::unsupported_tag;
        }
        const auto type = std::string_view(tag).substr(kTagPrefix.size());
        if (type == "str") {
            return ScalarType::string;
        }
        if (type == "int" && looks_integer(node.Scalar())) {
            return ScalarType::integer;
        }
        if (type == "float" && (looks_float(node.Scalar()) || looks_integer(node.Scalar()))) {
            return ScalarType::floating;
        }
        if (type == "bool") {
            // falls through to the plain resolution below, which must agree
        } else {
            return ScalarType::unsupported_tag;
        }
    }
    const std::string& text = node.Scalar();
    if (one_of(text, {"true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes", "YES", "no",
                      "No", "NO", "on", "On", "ON", "off", "Off", "OFF"})) {
        return ScalarType::boolean;
    }
    if (tag == "tag:yaml.org,2002:bool") {
        return ScalarType::unsupported_tag;
    }
    if (one_of(text, {"~", "null", "Null", "NULL", ""})) {
        return ScalarType::null;
    }
    if (looks_integer(text)) {
        return ScalarType::integer;
    }
    if (looks_float(text)) {
        return ScalarType::floating;
    }
    return ScalarType::string;
}

std::string describe_node(const YAML::Node& node) {
    if (!node.IsDefined() || node.IsNull()) {
        return "nothing (null)";
    }
    if (node.IsSequence()) {
        return "a list";
    }
    if (node.IsMap()) {
        return "a map";
    }
    switch (classify(node)) {
    case ScalarType::null:
        return "nothing (null)";
    case ScalarType::boolean:
        return "the boolean " + node.Scalar();
    case ScalarType::integer:
        return "the integer " + node.Scalar().substr(0, 60);
    case ScalarType::floating:
        return "the number " + node.Scalar().substr(0, 60);
    case ScalarType::unsupported_tag:
        return "a value tagged " + quote_text(node.Tag());
    case ScalarType::string:
        break;
    }
    return "the string " + quote_text(node.Scalar());
}

std::string closest(std::string_view word, const std::vector<std::string_view>& candidates) {
    std::string best;
    std::size_t best_distance = 3;
    for (auto candidate : candidates) {
        const auto distance = edit_distance(word.substr(0, 64), candidate);
        if (distance < best_distance) {
            best_distance = distance;
            best = std::string(candidate);
        }
    }
    return best;
}

std::string join(const std::vector<std::string_view>& items, std::string_view separator) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i != 0) {
            out += separator;
        }
        out += items[i];
    }
    return out;
}

SourceMark mark_of(const YAML::Node& node) {
    if (!node.IsDefined()) {
        return {};
    }
    const auto mark = node.Mark();
    if (mark.line < 0 || mark.column < 0) {
        return {};
    }
    return {mark.line + 1, mark.column + 1};
}

void YamlReader::error(const YAML::Node& at, std::string message) {
    error(mark_of(at), std::move(message));
}

void YamlReader::error(SourceMark at, std::string message) {
    if (errors_.size() < kMaxErrors) {
        errors_.push_back(Diagnostic{file_, at, std::move(message)});
    } else if (errors_.size() == kMaxErrors) {
        errors_.push_back(Diagnostic{file_, at, "too many errors; stopping"});
    }
}

bool YamlReader::visit(const YAML::Node& node) {
    if (exhausted_) {
        return false;
    }
    if (++visits_ > kMaxNodeVisits) {
        exhausted_ = true;
        error(node, "the scenario is too large to read: more than " +
                        std::to_string(kMaxNodeVisits) +
                        " values (aliases that repeat large parts count each time)");
        return false;
    }
    return true;
}

bool YamlReader::expect_map(const YAML::Node& node, const std::string& what,
                            const std::vector<std::string_view>& keys,
                            const std::vector<std::string_view>& required) {
    if (!visit(node)) {
        return false;
    }
    if (node.IsDefined() && !node.IsNull() && !node.IsMap()) {
        error(node,
              what + " must be a map with the keys " + join(keys) + "; got " + describe_node(node));
        return false;
    }
    std::set<std::string> seen;
    if (node.IsMap()) {
        for (const auto& entry : node) {
            if (!visit(entry.first)) {
                return false;
            }
            if (!entry.first.IsScalar()) {
                error(entry.first, "a key in " + what + " must be a plain name; got " +
                                       describe_node(entry.first));
                continue;
            }
            const std::string& key = entry.first.Scalar();
            if (!seen.insert(key).second) {
                error(entry.first, "duplicate key " + quote_text(key) + " in " + what);
                continue;
            }
            if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
                std::string message = "unknown key " + quote_text(key) + " in " + what;
                if (keys.empty()) {
                    message += "; it takes no keys";
                } else {
                    const auto suggestion = closest(key, keys);
                    if (!suggestion.empty()) {
                        message += " (did you mean '" + suggestion + "'?)";
                    }
                    message += "; valid keys: " + join(keys);
                }
                error(entry.first, std::move(message));
            }
        }
    }
    for (auto key : required) {
        if (seen.count(std::string(key)) == 0) {
            error(node, what + " is missing the required key '" + std::string(key) + "'");
        }
    }
    return true;
}

std::optional<std::pair<std::string, YAML::Node>>
YamlReader::single_key(const YAML::Node& node, const std::string& what,
                       const std::vector<std::string_view>& kinds) {
    if (!visit(node)) {
        return std::nullopt;
    }
    if (!node.IsMap() || node.size() == 0) {
        error(node, what + " must be a map with one key, its kind (one of: " + join(kinds) +
                        "); got " + describe_node(node));
        return std::nullopt;
    }
    if (node.size() != 1) {
        std::vector<std::string> names;
        for (const auto& entry : node) {
            names.push_back(entry.first.IsScalar() ? entry.first.Scalar() : "?");
        }
        std::string listed;
        for (std::size_t i = 0; i < names.size() && i < 6; ++i) {
            listed += (i ? ", " : "") + quote_text(names[i]);
        }
        error(node, what + " must have exactly one key, its kind; this one has " +
                        std::to_string(node.size()) + ": " + listed +
                        " (are the fields indented under the kind?)");
        return std::nullopt;
    }
    const auto entry = *node.begin();
    if (!entry.first.IsScalar() || classify(entry.first) != ScalarType::string) {
        error(entry.first, what + " kind must be one of: " + join(kinds) + "; got " +
                               describe_node(entry.first));
        return std::nullopt;
    }
    const std::string& kind = entry.first.Scalar();
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
        std::string message = "unknown " + what + " kind " + quote_text(kind);
        const auto suggestion = closest(kind, kinds);
        if (!suggestion.empty()) {
            message += " (did you mean '" + suggestion + "'?)";
        }
        error(entry.first, message + "; valid kinds: " + join(kinds));
        return std::nullopt;
    }
    return std::make_pair(kind, entry.second);
}

std::optional<std::string> YamlReader::string(const YAML::Node& node, const std::string& what) {
    if (!visit(node)) {
        return std::nullopt;
    }
    const auto type = classify(node);
    if (!node.IsScalar() || type != ScalarType::string) {
        std::string message = what + " must be a string; got " + describe_node(node);
        if (node.IsScalar() && type != ScalarType::string && type != ScalarType::unsupported_tag) {
            message += " (put it in quotes to make it a string)";
        }
        error(node, std::move(message));
        return std::nullopt;
    }
    return node.Scalar();
}

std::optional<bool> YamlReader::boolean(const YAML::Node& node, const std::string& what) {
    if (!visit(node)) {
        return std::nullopt;
    }
    if (classify(node) != ScalarType::boolean) {
        error(node, what + " must be true or false; got " + describe_node(node));
        return std::nullopt;
    }
    return one_of(node.Scalar(), {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"});
}

std::optional<std::uint64_t> YamlReader::integer(const YAML::Node& node, const std::string& what,
                                                 std::uint64_t min, std::uint64_t max) {
    if (!visit(node)) {
        return std::nullopt;
    }
    const std::string range = " from " + std::to_string(min) + " to " + std::to_string(max);
    if (classify(node) != ScalarType::integer) {
        error(node, what + " must be an integer" + range + "; got " + describe_node(node));
        return std::nullopt;
    }
    const std::string& text = node.Scalar();
    const bool negative = !text.empty() && text[0] == '-';
    const auto value = negative ? std::nullopt : parse_unsigned(strip_sign(text));
    if (negative || !value || *value < min || *value > max) {
        error(node, what + " must be an integer" + range + "; got " + quote_text(text));
        return std::nullopt;
    }
    return value;
}

std::optional<double> YamlReader::number(const YAML::Node& node, const std::string& what,
                                         double min, double max) {
    if (!visit(node)) {
        return std::nullopt;
    }
    const auto type = classify(node);
    std::optional<double> value;
    if (type == ScalarType::integer || type == ScalarType::floating) {
        value = parse_double(node.Scalar());
    }
    if (!value || *value < min || *value > max) {
        error(node, what + " must be a number from " + nlohmann::json(min).dump() + " to " +
                        nlohmann::json(max).dump() + "; got " + describe_node(node));
        return std::nullopt;
    }
    return value;
}

std::optional<std::chrono::milliseconds> YamlReader::duration(const YAML::Node& node,
                                                              const std::string& what,
                                                              std::chrono::milliseconds min,
                                                              std::chrono::milliseconds max) {
    if (!visit(node)) {
        return std::nullopt;
    }
    std::optional<std::chrono::milliseconds> value;
    if (classify(node) == ScalarType::string) {
        value = parse_duration(node.Scalar());
    }
    if (!value) {
        error(node, what + " must be a duration (" + std::string(kDurationForms) + "); got " +
                        describe_node(node));
        return std::nullopt;
    }
    if (*value < min || *value > max) {
        error(node, what + " must be from " + format_duration(min) + " to " + format_duration(max) +
                        "; got " + format_duration(*value));
        return std::nullopt;
    }
    return value;
}

std::optional<std::uint64_t> YamlReader::size(const YAML::Node& node, const std::string& what,
                                              std::uint64_t min, std::uint64_t max) {
    if (!visit(node)) {
        return std::nullopt;
    }
    std::optional<std::uint64_t> value;
    const auto type = classify(node);
    if (type == ScalarType::string || type == ScalarType::integer) {
        value = parse_size(node.Scalar());
    }
    if (!value) {
        error(node, what + " must be a size (" + std::string(kSizeForms) + "); got " +
                        describe_node(node));
        return std::nullopt;
    }
    if (*value < min || *value > max) {
        error(node, what + " must be from " + format_size(min) + " to " + format_size(max) +
                        "; got " + format_size(*value));
        return std::nullopt;
    }
    return value;
}

std::optional<std::string> YamlReader::choice(const YAML::Node& node, const std::string& what,
                                              const std::vector<std::string_view>& choices) {
    if (!visit(node)) {
        return std::nullopt;
    }
    if (classify(node) == ScalarType::string || classify(node) == ScalarType::integer) {
        const std::string& text = node.Scalar();
        if (std::find(choices.begin(), choices.end(), text) != choices.end()) {
            if (classify(node) == ScalarType::string) {
                return text;
            }
        }
    }
    std::string message =
        what + " must be one of: " + join(choices) + "; got " + describe_node(node);
    if (node.IsScalar()) {
        const auto suggestion = closest(node.Scalar(), choices);
        if (!suggestion.empty()) {
            message += " (did you mean '" + suggestion + "'?)";
        }
    }
    error(node, std::move(message));
    return std::nullopt;
}

std::optional<nlohmann::json> YamlReader::json(const YAML::Node& node, const std::string& what,
                                               int depth) {
    if (!visit(node)) {
        return std::nullopt;
    }
    if (depth == 0) {
        json_values_ = 0;
    }
    if (++json_values_ > kMaxJsonValues) {
        if (json_values_ == kMaxJsonValues + 1) {
            error(node, what + " has more than " + std::to_string(kMaxJsonValues) +
                            " values (AWS IoT allows 32768 characters)");
        }
        return std::nullopt;
    }
    if (depth > kMaxJsonDepth) {
        error(node,
              what + " is nested more than " + std::to_string(kMaxJsonDepth) + " levels deep");
        return std::nullopt;
    }
    if (node.IsMap()) {
        auto object = nlohmann::json::object();
        for (const auto& entry : node) {
            if (!visit(entry.first)) {
                return std::nullopt;
            }
            if (!entry.first.IsScalar() || classify(entry.first) != ScalarType::string) {
                error(entry.first,
                      "keys in " + what + " must be strings; got " + describe_node(entry.first));
                return std::nullopt;
            }
            if (object.contains(entry.first.Scalar())) {
                error(entry.first,
                      "duplicate key " + quote_text(entry.first.Scalar()) + " in " + what);
                return std::nullopt;
            }
            auto value = json(entry.second, what, depth + 1);
            if (!value) {
                return std::nullopt;
            }
            object[entry.first.Scalar()] = std::move(*value);
        }
        return object;
    }
    if (node.IsSequence()) {
        auto array = nlohmann::json::array();
        for (const auto& item : node) {
            auto value = json(item, what, depth + 1);
            if (!value) {
                return std::nullopt;
            }
            array.push_back(std::move(*value));
        }
        return array;
    }
    switch (classify(node)) {
    case ScalarType::null:
        return nlohmann::json(nullptr);
    case ScalarType::boolean:
        return nlohmann::json(*boolean(node, what));
    case ScalarType::integer: {
        const std::string& text = node.Scalar();
        const bool negative = text[0] == '-';
        const auto magnitude = parse_unsigned(strip_sign(text));
        if (magnitude && !negative &&
            *magnitude <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return nlohmann::json(static_cast<std::int64_t>(*magnitude));
        }
        if (magnitude && negative &&
            *magnitude <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return nlohmann::json(-static_cast<std::int64_t>(*magnitude));
        }
        error(node, what + " holds an integer that does not fit in 64 bits: " + quote_text(text));
        return std::nullopt;
    }
    case ScalarType::floating: {
        const auto value = parse_double(node.Scalar());
        if (!value) {
            error(node,
                  what + " holds a number JSON cannot represent: " + quote_text(node.Scalar()));
            return std::nullopt;
        }
        return nlohmann::json(*value);
    }
    case ScalarType::string:
        return nlohmann::json(node.Scalar());
    case ScalarType::unsupported_tag:
        break;
    }
    error(node, what + " holds an unsupported tag " + quote_text(node.Tag()));
    return std::nullopt;
}

} // namespace fota::sim::detail
