#include "fota/cloud/http/uri.hpp"

namespace fota::cloud::http {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

bool is_unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

} // namespace

TargetParts split_target(std::string_view target) {
    const auto q = target.find('?');
    if (q == std::string_view::npos) {
        return {target, {}};
    }
    return {target.substr(0, q), target.substr(q + 1)};
}

std::string aws_uri_encode(std::string_view text, bool encode_slash) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        if (is_unreserved(c) || (c == '/' && !encode_slash)) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(digits[c >> 4]);
            out.push_back(digits[c & 0x0f]);
        }
    }
    return out;
}

std::optional<std::string> percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out.push_back(text[i]);
            continue;
        }
        if (i + 2 >= text.size()) {
            return std::nullopt;
        }
        const int hi = hex_value(text[i + 1]);
        const int lo = hex_value(text[i + 2]);
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        out.push_back(static_cast<char>((hi << 4) | lo));
        i += 2;
    }
    return out;
}

std::optional<std::vector<QueryParam>> parse_query(std::string_view raw_query) {
    std::vector<QueryParam> params;
    while (!raw_query.empty()) {
        const auto amp = raw_query.find('&');
        const std::string_view pair = raw_query.substr(0, amp);
        raw_query = amp == std::string_view::npos ? std::string_view{} : raw_query.substr(amp + 1);
        if (pair.empty()) {
            continue;
        }
        const auto eq = pair.find('=');
        auto name = percent_decode(pair.substr(0, eq));
        auto value =
            percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
        if (!name || !value) {
            return std::nullopt;
        }
        params.push_back({std::move(*name), std::move(*value)});
    }
    return params;
}

std::optional<std::string> find_param(const std::vector<QueryParam>& params,
                                      std::string_view name) {
    for (const auto& p : params) {
        if (p.name == name) {
            return p.value;
        }
    }
    return std::nullopt;
}

std::optional<std::vector<std::string>> split_path(std::string_view raw_path) {
    std::vector<std::string> segments;
    if (raw_path.empty() || raw_path == "/") {
        return segments;
    }
    if (raw_path.front() == '/') {
        raw_path.remove_prefix(1);
    }
    while (true) {
        const auto slash = raw_path.find('/');
        auto segment = percent_decode(raw_path.substr(0, slash));
        if (!segment) {
            return std::nullopt;
        }
        segments.push_back(std::move(*segment));
        if (slash == std::string_view::npos) {
            break;
        }
        raw_path.remove_prefix(slash + 1);
    }
    return segments;
}

} // namespace fota::cloud::http
