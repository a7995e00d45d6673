#include "fota/cloud/http/aws_errors.hpp"

#include "fota/cloud/http/xml.hpp"

#include <cstdio>

namespace fota::cloud::http {

std::string s3_error_xml(std::string_view code, std::string_view message,
                         const std::vector<std::pair<std::string, std::string>>& extra,
                         std::string_view request_id) {
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>";
    out += xml_escape(code);
    out += "</Code><Message>";
    out += xml_escape(message);
    out += "</Message>";
    for (const auto& [name, value] : extra) {
        out += "<" + name + ">" + xml_escape(value) + "</" + name + ">";
    }
    out += "<RequestId>";
    out += xml_escape(request_id);
    out += "</RequestId><HostId>fota-sim</HostId></Error>";
    return out;
}

std::string json_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out.push_back(static_cast<char>(c));
            }
        }
    }
    return out;
}

std::string rest_json_error_body(std::string_view message) {
    return "{\"message\":\"" + json_escape(message) + "\"}";
}

} // namespace fota::cloud::http
