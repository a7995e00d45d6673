#include "scenario/job_document.hpp"

#include <algorithm>

namespace fota::sim {
namespace {

constexpr std::string_view kPlaceholderPrefix = "${firmware.";

std::string value_of(std::string_view name, const Firmware& firmware,
                     const PublishedFirmware& published, bool& known) {
    known = true;
    if (name == "url") {
        return published.url;
    }
    if (name == "protocol") {
        return published.protocol;
    }
    if (name == "host") {
        return published.host;
    }
    if (name == "path") {
        return published.path;
    }
    if (name == "s3_url") {
        return published.s3_url;
    }
    if (name == "version") {
        return firmware.version;
    }
    if (name == "size") {
        return std::to_string(firmware.size);
    }
    if (name == "sha256") {
        return published.sha256;
    }
    known = false;
    return {};
}

// Calls each(name) for every ${firmware.<name>} in text; a missing '}' gives name "" and stops.
template <class Each>
void for_each_placeholder(std::string_view text, Each each) {
    std::size_t at = 0;
    while ((at = text.find(kPlaceholderPrefix, at)) != std::string_view::npos) {
        const auto end = text.find('}', at + kPlaceholderPrefix.size());
        if (end == std::string_view::npos) {
            each(std::string_view{}, at, text.size());
            return;
        }
        each(text.substr(at + kPlaceholderPrefix.size(), end - at - kPlaceholderPrefix.size()), at,
             end + 1);
        at = end + 1;
    }
}

void collect_unknown(const nlohmann::json& value, std::vector<std::string>& unknown) {
    if (value.is_object() || value.is_array()) {
        for (const auto& child : value) {
            collect_unknown(child, unknown);
        }
        return;
    }
    if (!value.is_string()) {
        return;
    }
    for_each_placeholder(
        value.get_ref<const std::string&>(), [&](std::string_view name, std::size_t, std::size_t) {
            const auto& names = firmware_placeholder_names();
            const bool known =
                !name.empty() && std::find(names.begin(), names.end(), name) != names.end();
            if (!known && std::find(unknown.begin(), unknown.end(), name) == unknown.end()) {
                unknown.emplace_back(name);
            }
        });
}

nlohmann::json substitute(const nlohmann::json& value, const Firmware& firmware,
                          const PublishedFirmware& published) {
    if (value.is_object()) {
        auto copy = nlohmann::json::object();
        for (const auto& [key, child] : value.items()) {
            copy[key] = substitute(child, firmware, published);
        }
        return copy;
    }
    if (value.is_array()) {
        auto copy = nlohmann::json::array();
        for (const auto& child : value) {
            copy.push_back(substitute(child, firmware, published));
        }
        return copy;
    }
    if (!value.is_string()) {
        return value;
    }
    const auto& text = value.get_ref<const std::string&>();
    if (text == "${firmware.size}") {
        return firmware.size;
    }
    std::string out;
    std::size_t copied = 0;
    for_each_placeholder(text, [&](std::string_view name, std::size_t begin, std::size_t end) {
        bool known = false;
        const std::string replacement = value_of(name, firmware, published, known);
        if (!known) {
            return; // left as written
        }
        out.append(text, copied, begin - copied);
        out += replacement;
        copied = end;
    });
    out.append(text, copied, std::string::npos);
    return out;
}

} // namespace

const std::vector<std::string_view>& firmware_placeholder_names() {
    static const std::vector<std::string_view> names{"url",    "protocol", "host",   "path",
                                                     "s3_url", "version",  "sha256", "size"};
    return names;
}

std::vector<std::string> unknown_firmware_placeholders(const nlohmann::json& document) {
    std::vector<std::string> unknown;
    collect_unknown(document, unknown);
    return unknown;
}

nlohmann::json build_job_document(const CreateJobStep& job, const Firmware& firmware,
                                  const PublishedFirmware& published) {
    if (job.document) {
        return substitute(*job.document, firmware, published);
    }
    nlohmann::json location;
    switch (job.document_template) {
    case DocumentTemplate::host_path:
        location = {{"protocol", job.protocol.empty() ? published.protocol : job.protocol},
                    {"host", published.host},
                    {"path", published.path}};
        break;
    case DocumentTemplate::url:
        location = {{"url", published.url}};
        break;
    case DocumentTemplate::presigned_url:
        location = {{"url", "${aws:iot:s3-presigned-url:" + published.s3_url + "}"}};
        break;
    }
    return {{"operation", "app_fw_update"},
            {"fwversion", firmware.version},
            {"size", firmware.size},
            {"location", std::move(location)}};
}

} // namespace fota::sim
