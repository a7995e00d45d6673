#include "scenario/scenario_parser.hpp"

#include "scenario/job_document.hpp"
#include "scenario/units.hpp"
#include "scenario/yaml_reader.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace fota::sim {

using detail::classify;
using detail::ScalarType;
using detail::YamlReader;
using std::chrono::milliseconds;

std::string Diagnostic::to_string() const {
    if (mark.line <= 0) {
        return file + ": " + message;
    }
    return file + ":" + std::to_string(mark.line) + ":" + std::to_string(mark.column) + ": " +
           message;
}

namespace {

using Keys = std::vector<std::string_view>;

constexpr milliseconds kMaxDuration = std::chrono::hours(24 * 30);
constexpr std::uint32_t kMaxDevices = 100'000;
constexpr std::size_t kMaxJobDocumentChars = 32'768; // AWS IoT's limit

const Keys& top_keys() {
    static const Keys names{"name",  "description", "field_bugs", "seed",  "deadline",
                            "stack", "devices",     "firmware",   "steps", "expect"};
    return names;
}
const Keys& step_kinds() {
    static const Keys names{"create_job",    "wait_for",    "hold",        "start_devices",
                            "reboot",        "power_cut",   "flash_fault", "network_fault",
                            "http_fault",    "cloud_fault", "cancel_job",  "delete_job",
                            "restart_broker"};
    return names;
}
const Keys& condition_kinds() {
    static const Keys names{"execution_status", "job_status", "device_phase", "downloaded_bytes",
                            "running_version",  "all_of",     "any_of"};
    return names;
}
const Keys& expectation_kinds() {
    static const Keys names{"execution_status",
                            "job_status",
                            "running_version",
                            "shadow_version",
                            "slot",
                            "downloads",
                            "no_execution_in_progress",
                            "phases",
                            "boots",
                            "job_updates"};
    return names;
}
const Keys& phase_names() {
    static const Keys names{
        "booted",           "shadow_reported", "connected",         "job_received",
        "in_progress_sent", "downloading",     "download_complete", "apply_sent",
        "image_scheduled",  "succeeded_sent",  "failed_sent",       "rebooting",
        "swapping",         "confirmed",       "rolled_back",       "job_abandoned"};
    return names;
}
const Keys& execution_status_names() {
    static const Keys names{"QUEUED",    "IN_PROGRESS", "SUCCEEDED", "FAILED",
                            "TIMED_OUT", "REJECTED",    "REMOVED",   "CANCELED"};
    return names;
}
const Keys& job_status_names() {
    static const Keys names{"IN_PROGRESS", "CANCELED", "DELETION_IN_PROGRESS", "COMPLETED"};
    return names;
}
const Keys& reject_code_names() {
    static const Keys names{"VersionMismatch",  "InvalidStateTransition", "TerminalStateReached",
                            "ResourceNotFound", "InvalidRequest",         "InvalidJson",
                            "RequestThrottled"};
    return names;
}

template <class E>
E enum_at(const Keys& names, const std::string& name) {
    const auto it = std::find(names.begin(), names.end(), name);
    return static_cast<E>(it - names.begin());
}

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

bool is_identifier(const std::string& text, std::size_t max_length) {
    return !text.empty() && text.size() <= max_length &&
           std::all_of(text.begin(), text.end(), is_name_char);
}

// "major.minor.revision[+build]" within MCUboot's field widths (u8.u8.u16+u32).
bool is_image_version(const std::string& text) {
    std::size_t position = 0;
    const auto number = [&](std::uint64_t max, char end) {
        std::size_t digits = 0;
        std::uint64_t value = 0;
        while (position < text.size() && text[position] >= '0' && text[position] <= '9') {
            value = value * 10 + static_cast<std::uint64_t>(text[position] - '0');
            ++position;
            if (++digits > 10) {
                return false;
            }
        }
        if (digits == 0 || value > max || (digits > 1 && text[position - digits] == '0')) {
            return false;
        }
        if (end == '\0') {
            return position == text.size();
        }
        if (position < text.size() && text[position] == end) {
            ++position;
            return true;
        }
        return false;
    };
    const bool major_ok = number(255, '.');
    if (!major_ok || !number(255, '.')) {
        return false;
    }
    if (text.find('+', position) == std::string::npos) {
        return number(65535, '\0');
    }
    return number(65535, '+') && number(4294967295ULL, '\0');
}

std::string q(const std::string& text) {
    return "'" + text.substr(0, 80) + "'";
}

class Parser {
public:
    Parser(std::string file, std::string base_dir, std::vector<Diagnostic>& errors)
        : r_(std::move(file), errors), base_dir_(std::move(base_dir)), errors_(errors) {}

    std::optional<Scenario> parse(const YAML::Node& root) {
        scenario_.file = r_.file();
        if (!root.IsDefined() || root.IsNull()) {
            r_.error(SourceMark{1, 1}, "the file is empty; a scenario needs the keys " +
                                           detail::join(Keys{"name", "description", "devices",
                                                             "firmware", "steps", "expect"}));
            return std::nullopt;
        }
        if (!r_.expect_map(root, "the scenario", top_keys(),
                           {"name", "description", "devices", "firmware", "steps", "expect"})) {
            return std::nullopt;
        }
        parse_header(root);
        if (const auto& node = root["stack"]; node.IsDefined()) {
            parse_stack(node);
        }
        if (const auto& node = root["firmware"]; node.IsDefined()) {
            parse_firmware(node);
        }
        if (const auto& node = root["devices"]; node.IsDefined()) {
            parse_devices(node);
        }
        if (const auto& node = root["steps"]; node.IsDefined()) {
            parse_steps(node);
        }
        if (const auto& node = root["expect"]; node.IsDefined()) {
            parse_expectations(node);
        }
        if (!errors_.empty()) {
            return std::nullopt;
        }
        return std::move(scenario_);
    }

private:
    // ---- header -------------------------------------------------------------------------------

    void parse_header(const YAML::Node& root) {
        if (const auto& node = root["name"]; node.IsDefined()) {
            if (auto name = r_.string(node, "'name'")) {
                const bool valid = !name->empty() && name->size() <= 100 &&
                                   std::all_of(name->begin(), name->end(),
                                               [](char c) { return is_name_char(c) || c == '.'; });
                if (!valid) {
                    r_.error(node, "'name' must be 1 to 100 characters of letters, digits, '-', "
                                   "'_' and '.'; got " +
                                       q(*name));
                } else {
                    scenario_.name = *name;
                }
            }
        }
        if (const auto& node = root["description"]; node.IsDefined()) {
            if (auto text = r_.string(node, "'description'")) {
                if (text->find_first_not_of(" \t\r\n") == std::string::npos) {
                    r_.error(node, "'description' must say what the scenario proves; it is empty");
                }
                scenario_.description = *text;
            }
        }
        if (const auto& node = root["field_bugs"]; node.IsDefined()) {
            parse_list(node, "'field_bugs'", [&](const YAML::Node& item) {
                if (auto id = r_.string(item, "an entry of 'field_bugs'")) {
                    const bool valid =
                        id->size() >= 5 && id->size() <= 6 && id->rfind("FB-", 0) == 0 &&
                        std::all_of(id->begin() + 3, id->end(),
                                    [](char c) { return c >= '0' && c <= '9'; }) &&
                        std::stoi(id->substr(3)) >= 1 && std::stoi(id->substr(3)) <= 27;
                    if (!valid) {
                        r_.error(item,
                                 "an entry of 'field_bugs' must be an id FB-01 to FB-27; got " +
                                     q(*id));
                    } else {
                        scenario_.field_bugs.push_back(*id);
                    }
                }
            });
        }
        if (const auto& node = root["seed"]; node.IsDefined()) {
            if (auto seed =
                    r_.integer(node, "'seed'", 0, std::numeric_limits<std::int64_t>::max())) {
                scenario_.seed = *seed;
            }
        }
        if (const auto& node = root["deadline"]; node.IsDefined()) {
            if (auto deadline = r_.duration(node, "'deadline'", milliseconds(1000), kMaxDuration)) {
                scenario_.deadline = *deadline;
            }
        }
    }

    void parse_stack(const YAML::Node& node) {
        if (node.IsScalar()) {
            if (auto kind = r_.choice(node, "'stack'", {"embedded", "aws"})) {
                scenario_.stack.kind = *kind == "aws" ? StackKind::aws : StackKind::embedded;
            }
            return;
        }
        if (!r_.expect_map(node, "'stack'",
                           {"kind", "control_url", "mqtt_url", "object_url", "region", "bucket"},
                           {"kind"})) {
            return;
        }
        const auto kind = r_.choice(node["kind"], "'kind' in 'stack'", {"embedded", "url", "aws"});
        if (!kind) {
            return;
        }
        auto& stack = scenario_.stack;
        stack.kind = *kind == "url"   ? StackKind::url
                     : *kind == "aws" ? StackKind::aws
                                      : StackKind::embedded;
        const auto allowed = [&](std::string_view key, bool ok) {
            if (node[std::string(key)].IsDefined() && !ok) {
                r_.error(node[std::string(key)], "'" + std::string(key) +
                                                     "' in 'stack' does not apply to kind '" +
                                                     *kind + "'");
                return false;
            }
            return node[std::string(key)].IsDefined();
        };
        const auto url = [&](const char* key, std::string& out, const char* schemes) {
            if (auto text = r_.string(node[key], std::string("'") + key + "' in 'stack'")) {
                const auto scheme_end = text->find("://");
                const std::string scheme = text->substr(0, scheme_end);
                if (scheme_end == std::string::npos || scheme_end + 3 >= text->size() ||
                    std::string(schemes).find(" " + scheme + " ") == std::string::npos) {
                    r_.error(node[key], std::string("'") + key +
                                            "' in 'stack' must be a URL with a "
                                            "host, scheme one of:" +
                                            schemes + "; got " + q(*text));
                } else {
                    out = *text;
                }
            }
        };
        if (allowed("control_url", stack.kind == StackKind::url)) {
            url("control_url", stack.control_url, " http https ");
        } else if (stack.kind == StackKind::url) {
            r_.error(node, "'stack' of kind 'url' is missing the required key 'control_url'");
        }
        if (allowed("mqtt_url", stack.kind == StackKind::url)) {
            url("mqtt_url", stack.mqtt_url, " mqtt mqtts tcp ssl ");
        } else if (stack.kind == StackKind::url) {
            r_.error(node, "'stack' of kind 'url' is missing the required key 'mqtt_url'");
        }
        if (allowed("object_url", stack.kind == StackKind::url)) {
            url("object_url", stack.object_url, " http ");
        } else if (stack.kind == StackKind::url) {
            r_.error(node, "'stack' of kind 'url' is missing the required key 'object_url'");
        }
        if (allowed("region", stack.kind == StackKind::aws)) {
            if (auto text = r_.string(node["region"], "'region' in 'stack'")) {
                stack.region = *text;
            }
        }
        if (allowed("bucket", stack.kind == StackKind::aws || stack.kind == StackKind::url)) {
            if (auto text = r_.string(node["bucket"], "'bucket' in 'stack'")) {
                stack.bucket = *text;
            }
        } else if (stack.kind == StackKind::aws) {
            r_.error(node, "'stack' of kind 'aws' is missing the required key 'bucket' (the S3 "
                           "bucket firmware images are uploaded to)");
        }
    }

    // ---- firmware -----------------------------------------------------------------------------

    void parse_firmware(const YAML::Node& node) {
        if (!r_.visit(node)) {
            return;
        }
        if (!node.IsMap() || node.size() == 0) {
            r_.error(node, "'firmware' must be a map from firmware ids to images, e.g. "
                           "{v1: {version: 1.0.0, size: 200KiB}}; got " +
                               detail::describe_node(node));
            return;
        }
        std::set<std::string> keys;
        for (const auto& entry : node) {
            if (!r_.visit(entry.first)) {
                return;
            }
            auto id = r_.string(entry.first, "a firmware id");
            if (!id) {
                continue;
            }
            if (!is_identifier(*id, 64) || *id == "erased") {
                r_.error(entry.first, "a firmware id must be 1 to 64 letters, digits, '-' or '_' "
                                      "(and not 'erased'); got " +
                                          q(*id));
                continue;
            }
            if (!keys.insert(*id).second) {
                r_.error(entry.first, "duplicate firmware id " + q(*id));
                continue;
            }
            parse_image(*id, entry.second);
        }
    }

    void parse_image(const std::string& id, const YAML::Node& node) {
        const std::string what = "firmware " + q(id);
        if (!r_.expect_map(node, what,
                           {"version", "size", "file", "content_seed", "defect", "object_key"},
                           {"version"})) {
            return;
        }
        Firmware image;
        image.id = id;
        image.mark = detail::mark_of(node);
        image.object_key = id + ".bin";
        image.content_seed = scenario_.seed;
        if (auto version = r_.string(node["version"], "'version' in " + what)) {
            if (!is_image_version(*version)) {
                r_.error(node["version"], "'version' in " + what +
                                              " must be an MCUboot version major.minor.revision"
                                              "[+build] (at most 255.255.65535+4294967295, no "
                                              "leading zeros), e.g. 1.2.3 or 1.2.3+4; got " +
                                              q(*version));
            }
            image.version = *version;
        }
        const bool has_size = node["size"].IsDefined();
        const bool has_file = node["file"].IsDefined();
        if (has_size == has_file) {
            r_.error(node, what + " needs exactly one of 'size' (a generated image) or 'file' (an "
                                  "image file)");
        }
        if (has_size) {
            if (auto size = r_.size(node["size"], "'size' in " + what, 512, 16ULL << 20)) {
                image.size = *size;
            }
        }
        if (has_file) {
            if (auto file = r_.string(node["file"], "'file' in " + what)) {
                namespace fs = std::filesystem;
                fs::path path(*file);
                if (path.is_relative() && !base_dir_.empty()) {
                    path = fs::path(base_dir_) / path;
                }
                std::error_code ec;
                if (!fs::is_regular_file(path, ec)) {
                    r_.error(node["file"], "'file' in " + what + " names " + q(path.string()) +
                                               ", which is not a readable file");
                } else {
                    image.file = path.string();
                    image.size = static_cast<std::uint64_t>(fs::file_size(path, ec));
                }
            }
            if (node["content_seed"].IsDefined()) {
                r_.error(node["content_seed"], "'content_seed' in " + what +
                                                   " applies only to generated images (with "
                                                   "'size'), not to a 'file'");
            }
        }
        if (const auto& seed = node["content_seed"]; seed.IsDefined() && !has_file) {
            if (auto value = r_.integer(seed, "'content_seed' in " + what, 0,
                                        std::numeric_limits<std::int64_t>::max())) {
                image.content_seed = *value;
            }
        }
        if (const auto& defect = node["defect"]; defect.IsDefined()) {
            static const Keys defects{"none", "bad_hash", "bad_magic", "truncated"};
            if (auto value = r_.choice(defect, "'defect' in " + what, defects)) {
                image.defect = enum_at<ImageDefect>(defects, *value);
            }
        }
        if (const auto& key = node["object_key"]; key.IsDefined()) {
            if (auto value = r_.string(key, "'object_key' in " + what)) {
                const bool valid = !value->empty() && value->size() <= 1024 &&
                                   value->front() != '/' &&
                                   std::all_of(value->begin(), value->end(), [](char c) {
                                       return is_name_char(c) || c == '.' || c == '/' || c == '!' ||
                                              c == '*' || c == '\'' || c == '(' || c == ')';
                                   });
                if (!valid) {
                    r_.error(key, "'object_key' in " + what +
                                      " must be an S3 key of 1 to 1024 safe characters (letters, "
                                      "digits, - _ . / ! * ' ( )) not starting with '/'; got " +
                                      q(*value));
                } else {
                    image.object_key = *value;
                }
            }
        }
        for (const auto& other : scenario_.firmware) {
            if (other.object_key == image.object_key) {
                r_.error(node, what + " has the same object key " + q(image.object_key) +
                                   " as firmware " + q(other.id));
            }
        }
        scenario_.firmware.push_back(std::move(image));
    }

    Keys firmware_ids() const {
        Keys ids;
        for (const auto& image : scenario_.firmware) {
            ids.emplace_back(image.id);
        }
        return ids;
    }

    // A firmware id that must exist.
    std::optional<std::string> firmware_ref(const YAML::Node& node, const std::string& what) {
        auto id = r_.string(node, what);
        if (!id) {
            return std::nullopt;
        }
        if (scenario_.find_firmware(*id) == nullptr) {
            const auto ids = firmware_ids();
            std::string message =
                what + " names firmware " + q(*id) + ", which the 'firmware' map does not define";
            message += ids.empty() ? "" : "; defined: " + detail::join(ids);
            r_.error(node, std::move(message));
            return std::nullopt;
        }
        return id;
    }

    // ---- devices ------------------------------------------------------------------------------

    void parse_devices(const YAML::Node& node) {
        if (!r_.visit(node)) {
            return;
        }
        if (!node.IsSequence() || node.size() == 0) {
            r_.error(node, "'devices' must be a list of device groups, e.g. [{thing_prefix: dev-, "
                           "count: 1, initial_firmware: v1}]; got " +
                               detail::describe_node(node));
            return;
        }
        std::uint64_t total = 0;
        for (const auto& item : node) {
            parse_group(item);
            if (!scenario_.devices.empty()) {
                total += scenario_.devices.back().count;
            }
        }
        if (total > kMaxDevices) {
            r_.error(node, "'devices' adds up to " + std::to_string(total) +
                               " devices; a scenario has at most " + std::to_string(kMaxDevices) +
                               " (use fota-sim fleet for more)");
        }
    }

    void parse_group(const YAML::Node& node) {
        const std::string what = "a device group";
        if (!r_.expect_map(node, what,
                           {"thing_prefix", "count", "profile", "initial_firmware", "flash",
                            "autostart", "clean_session"},
                           {"thing_prefix", "initial_firmware"})) {
            return;
        }
        DeviceGroup group;
        group.mark = detail::mark_of(node);
        if (auto prefix = r_.string(node["thing_prefix"], "'thing_prefix' in " + what)) {
            const bool valid = !prefix->empty() && prefix->size() <= 100 &&
                               std::all_of(prefix->begin(), prefix->end(),
                                           [](char c) { return is_name_char(c) || c == ':'; });
            if (!valid) {
                r_.error(node["thing_prefix"],
                         "'thing_prefix' in " + what +
                             " must be 1 to 100 characters allowed in AWS thing names (letters, "
                             "digits, '-', '_', ':'); got " +
                             q(*prefix));
                return;
            }
            for (const auto& other : scenario_.devices) {
                if (other.thing_prefix.rfind(*prefix, 0) == 0 ||
                    prefix->rfind(other.thing_prefix, 0) == 0) {
                    r_.error(
                        node["thing_prefix"],
                        "'thing_prefix' " + q(*prefix) + " overlaps the group with prefix " +
                            q(other.thing_prefix) +
                            ": no prefix may start another, or thing names would be ambiguous");
                    return;
                }
            }
            group.thing_prefix = *prefix;
        } else {
            return;
        }
        if (const auto& count = node["count"]; count.IsDefined()) {
            if (auto value = r_.integer(count, "'count' in " + what, 1, kMaxDevices)) {
                group.count = static_cast<std::uint32_t>(*value);
            }
        }
        if (const auto& profile = node["profile"]; profile.IsDefined()) {
            if (auto value = r_.choice(profile, "'profile' in " + what, {"seed", "verified"})) {
                group.profile = *value == "verified" ? ProfileName::verified : ProfileName::seed;
            }
        }
        if (auto id = firmware_ref(node["initial_firmware"], "'initial_firmware' in " + what)) {
            group.initial_firmware = *id;
        }
        if (const auto& autostart = node["autostart"]; autostart.IsDefined()) {
            if (auto value = r_.boolean(autostart, "'autostart' in " + what)) {
                group.autostart = *value;
            }
        }
        if (const auto& clean = node["clean_session"]; clean.IsDefined()) {
            if (auto value = r_.boolean(clean, "'clean_session' in " + what)) {
                group.clean_session = *value;
            }
        }
        if (const auto& flash = node["flash"]; flash.IsDefined()) {
            parse_flash(flash, group.flash);
        }
        const auto* image = scenario_.find_firmware(group.initial_firmware);
        for (const auto& firmware : scenario_.firmware) {
            if (firmware.size > group.flash.size / 2) {
                r_.error(firmware.mark,
                         "firmware " + q(firmware.id) + " is " + format_size(firmware.size) +
                             ", which cannot fit in a slot of the " +
                             format_size(group.flash.size) + " flash of devices " +
                             q(group.thing_prefix + "*") + " (a slot is less than half the flash)");
            }
        }
        if (image != nullptr && image->defect != ImageDefect::none) {
            r_.error(node["initial_firmware"], "'initial_firmware' in " + what +
                                                   " must be a bootable image; firmware " +
                                                   q(image->id) + " has a defect");
        }
        scenario_.devices.push_back(std::move(group));
    }

    void parse_flash(const YAML::Node& node, FlashGeometry& flash) {
        const std::string what = "'flash' in a device group";
        if (!r_.expect_map(node, what, {"size", "page_size", "write_unit", "erased_value"})) {
            return;
        }
        const auto power_of_two = [](std::uint64_t v) { return v != 0 && (v & (v - 1)) == 0; };
        if (const auto& size = node["size"]; size.IsDefined()) {
            if (auto value = r_.size(size, "'size' in " + what, 64ULL * 1024, 64ULL << 20)) {
                flash.size = *value;
            }
        }
        if (const auto& page = node["page_size"]; page.IsDefined()) {
            if (auto value = r_.size(page, "'page_size' in " + what, 256, 64ULL * 1024)) {
                if (!power_of_two(*value)) {
                    r_.error(page, "'page_size' in " + what + " must be a power of two; got " +
                                       format_size(*value));
                } else if (*value < 4096) {
                    // The settings store keeps the core's state record (up to 3 KiB) in a page.
                    r_.error(page, "'page_size' in " + what +
                                       " must be at least 4KiB (the settings store keeps the "
                                       "core's state record, up to 3 KiB, in one page); got " +
                                       format_size(*value));
                } else {
                    flash.page_size = static_cast<std::uint32_t>(*value);
                }
            }
        }
        if (const auto& unit = node["write_unit"]; unit.IsDefined()) {
            if (auto value = r_.integer(unit, "'write_unit' in " + what, 1, 16)) {
                if (!power_of_two(*value)) {
                    r_.error(unit, "'write_unit' in " + what + " must be 1, 2, 4, 8 or 16; got " +
                                       std::to_string(*value));
                } else {
                    flash.write_unit = static_cast<std::uint32_t>(*value);
                }
            }
        }
        if (const auto& erased = node["erased_value"]; erased.IsDefined()) {
            if (auto value = r_.integer(erased, "'erased_value' in " + what, 0, 255)) {
                if (*value != 0 && *value != 255) {
                    r_.error(erased, "'erased_value' in " + what +
                                         " must be 0xFF (NOR flash) or 0x00; got " +
                                         std::to_string(*value));
                } else {
                    flash.erased_value = static_cast<std::uint8_t>(*value);
                }
            }
        }
        if (flash.size % flash.page_size != 0) {
            r_.error(node, what + ": 'size' (" + format_size(flash.size) +
                               ") must be a whole number of pages of " +
                               format_size(flash.page_size));
        }
    }

    // ---- device selectors ---------------------------------------------------------------------

    // The range text "dev-0..dev-4, gw-0" for messages.
    std::string device_ranges() const {
        std::string text;
        for (const auto& group : scenario_.devices) {
            text += text.empty() ? "" : ", ";
            text += group.thing_prefix + "0";
            if (group.count > 1) {
                text += ".." + group.thing_prefix + std::to_string(group.count - 1);
            }
        }
        return text;
    }

    bool thing_exists(const std::string& name) const {
        for (const auto& group : scenario_.devices) {
            if (name.rfind(group.thing_prefix, 0) != 0) {
                continue;
            }
            const auto index = name.substr(group.thing_prefix.size());
            if (index.empty() || index.size() > 6 || (index.size() > 1 && index[0] == '0') ||
                !std::all_of(index.begin(), index.end(),
                             [](char c) { return c >= '0' && c <= '9'; })) {
                return false;
            }
            return std::stoul(index) < group.count;
        }
        return false;
    }

    std::optional<DeviceSelector> selector(const YAML::Node& node, const std::string& what) {
        if (!r_.visit(node)) {
            return std::nullopt;
        }
        DeviceSelector result;
        const auto one = [&](const YAML::Node& item) {
            auto name = r_.string(item, what);
            if (!name) {
                return false;
            }
            if (*name == "all") {
                r_.error(item, what + ": 'all' stands alone, not in a list");
                return false;
            }
            if (!thing_exists(*name)) {
                r_.error(item, what + " names device " + q(*name) +
                                   ", which no device group defines; devices: " + device_ranges() +
                                   " (or 'all')");
                return false;
            }
            if (std::find(result.things.begin(), result.things.end(), *name) !=
                result.things.end()) {
                r_.error(item, what + " names device " + q(*name) + " twice");
                return false;
            }
            result.things.push_back(*name);
            return true;
        };
        if (node.IsScalar() && node.Scalar() == "all" && classify(node) == ScalarType::string) {
            return result;
        }
        result.all = false;
        if (node.IsSequence()) {
            if (node.size() == 0) {
                r_.error(node, what + " must name at least one device");
                return std::nullopt;
            }
            bool ok = true;
            for (const auto& item : node) {
                ok = one(item) && ok;
            }
            return ok ? std::optional(result) : std::nullopt;
        }
        if (node.IsScalar() && classify(node) == ScalarType::string) {
            return one(node) ? std::optional(result) : std::nullopt;
        }
        r_.error(node, what + " must be 'all', a thing name or a list of thing names (" +
                           device_ranges() + "); got " + detail::describe_node(node));
        return std::nullopt;
    }

    // An optional 'devices' key defaulting to all.
    std::optional<DeviceSelector> devices_of(const YAML::Node& map, const std::string& what) {
        if (!map.IsMap() || !map["devices"].IsDefined()) {
            return DeviceSelector{};
        }
        return selector(map["devices"], "'devices' in " + what);
    }

    // ---- jobs ---------------------------------------------------------------------------------

    std::optional<std::string> job_ref(const YAML::Node& node, const std::string& what) {
        auto id = r_.string(node, what);
        if (!id) {
            return std::nullopt;
        }
        if (std::find(jobs_.begin(), jobs_.end(), *id) == jobs_.end()) {
            std::string message =
                what + " names job " + q(*id) + ", which no earlier create_job step creates";
            Keys known(jobs_.begin(), jobs_.end());
            message += known.empty() ? "" : "; jobs created so far: " + detail::join(known);
            r_.error(node, std::move(message));
            return std::nullopt;
        }
        return id;
    }

    template <class Each>
    void parse_list(const YAML::Node& node, const std::string& what, Each each) {
        if (!r_.visit(node)) {
            return;
        }
        if (!node.IsSequence()) {
            r_.error(node, what + " must be a list; got " + detail::describe_node(node));
            return;
        }
        for (const auto& item : node) {
            if (r_.exhausted()) {
                return;
            }
            each(item);
        }
    }

    // ---- conditions ---------------------------------------------------------------------------

    std::optional<std::vector<ExecutionStatus>> statuses(const YAML::Node& node,
                                                         const std::string& what) {
        std::vector<ExecutionStatus> result;
        const auto one = [&](const YAML::Node& item) {
            if (auto name = r_.choice(item, what, execution_status_names())) {
                result.push_back(enum_at<ExecutionStatus>(execution_status_names(), *name));
                return true;
            }
            return false;
        };
        if (node.IsSequence()) {
            if (node.size() == 0) {
                r_.error(node, what + " must list at least one status");
                return std::nullopt;
            }
            bool ok = true;
            for (const auto& item : node) {
                ok = one(item) && ok;
            }
            return ok ? std::optional(result) : std::nullopt;
        }
        return one(node) ? std::optional(result) : std::nullopt;
    }

    std::optional<DevicePhase> phase(const YAML::Node& node, const std::string& what) {
        if (auto name = r_.choice(node, what, phase_names())) {
            return enum_at<DevicePhase>(phase_names(), *name);
        }
        return std::nullopt;
    }

    std::optional<Condition> condition(const YAML::Node& node, const std::string& what, int depth) {
        if (depth > 8) {
            r_.error(node, what + ": conditions are nested more than 8 levels deep");
            return std::nullopt;
        }
        auto entry = r_.single_key(node, "condition", condition_kinds());
        if (!entry) {
            return std::nullopt;
        }
        const auto& [kind, body] = *entry;
        const std::string here = "condition " + q(kind);
        Condition result;
        result.kind = enum_at<Condition::Kind>(condition_kinds(), kind);
        result.mark = detail::mark_of(node);
        if (kind == "all_of" || kind == "any_of") {
            if (!body.IsSequence() || body.size() == 0) {
                r_.error(body, here + " must be a non-empty list of conditions; got " +
                                   detail::describe_node(body));
                return std::nullopt;
            }
            bool ok = true;
            for (const auto& item : body) {
                auto child = condition(item, here, depth + 1);
                ok = ok && child.has_value();
                if (child) {
                    result.children.push_back(std::move(*child));
                }
                if (r_.exhausted()) {
                    return std::nullopt;
                }
            }
            return ok ? std::optional(std::move(result)) : std::nullopt;
        }
        bool ok = true;
        const auto need = [&](auto value) {
            ok = ok && value.has_value();
            return value;
        };
        if (kind == "execution_status") {
            if (!r_.expect_map(body, here, {"job", "devices", "status"}, {"job", "status"})) {
                return std::nullopt;
            }
            if (auto job = need(job_ref(body["job"], "'job' in " + here))) {
                result.job = *job;
            }
            if (auto devices = need(devices_of(body, here))) {
                result.devices = *devices;
            }
            if (auto list = need(statuses(body["status"], "'status' in " + here))) {
                result.statuses = *list;
            }
        } else if (kind == "job_status") {
            if (!r_.expect_map(body, here, {"job", "status"}, {"job", "status"})) {
                return std::nullopt;
            }
            if (auto job = need(job_ref(body["job"], "'job' in " + here))) {
                result.job = *job;
            }
            if (auto status =
                    need(r_.choice(body["status"], "'status' in " + here, job_status_names()))) {
                result.job_status = enum_at<JobStatus>(job_status_names(), *status);
            }
        } else if (kind == "device_phase") {
            if (!r_.expect_map(body, here, {"devices", "phase"}, {"phase"})) {
                return std::nullopt;
            }
            if (auto devices = need(devices_of(body, here))) {
                result.devices = *devices;
            }
            if (auto value = need(phase(body["phase"], "'phase' in " + here))) {
                result.phase = *value;
            }
        } else if (kind == "downloaded_bytes") {
            if (!r_.expect_map(body, here, {"devices", "at_least"}, {"at_least"})) {
                return std::nullopt;
            }
            if (auto devices = need(devices_of(body, here))) {
                result.devices = *devices;
            }
            if (auto bytes =
                    need(r_.size(body["at_least"], "'at_least' in " + here, 1, 16ULL << 20))) {
                result.bytes = *bytes;
            }
        } else if (kind == "running_version") {
            if (!r_.expect_map(body, here, {"devices", "version"}, {"version"})) {
                return std::nullopt;
            }
            if (auto devices = need(devices_of(body, here))) {
                result.devices = *devices;
            }
            if (auto version = need(version_ref(body["version"], "'version' in " + here))) {
                result.version = *version;
            }
        }
        return ok && !r_.exhausted() ? std::optional(std::move(result)) : std::nullopt;
    }

    // A version, which must be one of the scenario's firmware versions.
    std::optional<std::string> version_ref(const YAML::Node& node, const std::string& what) {
        auto version = r_.string(node, what);
        if (!version) {
            return std::nullopt;
        }
        Keys versions;
        for (const auto& image : scenario_.firmware) {
            if (image.version == *version) {
                return version;
            }
            versions.emplace_back(image.version);
        }
        r_.error(node,
                 what + " is " + q(*version) +
                     ", which is not the version of any firmware in the scenario; versions: " +
                     detail::join(versions));
        return std::nullopt;
    }

    // ---- steps --------------------------------------------------------------------------------

    void parse_steps(const YAML::Node& node) {
        if (!r_.visit(node)) {
            return;
        }
        if (!node.IsSequence() || node.size() == 0) {
            r_.error(node, "'steps' must be a non-empty list of steps (each a map with one key: " +
                               detail::join(step_kinds()) + "); got " +
                               detail::describe_node(node));
            return;
        }
        for (const auto& item : node) {
            if (r_.exhausted()) {
                return;
            }
            auto entry = r_.single_key(item, "step", step_kinds());
            if (!entry) {
                continue;
            }
            auto action = step(entry->first, entry->second);
            if (action) {
                scenario_.steps.push_back(Step{std::move(*action), detail::mark_of(item)});
            }
        }
    }

    std::optional<StepAction> step(const std::string& kind, const YAML::Node& body) {
        const std::string here = "step " + q(kind);
        if (kind == "create_job") {
            return create_job(body, here);
        }
        if (kind == "wait_for" || kind == "hold") {
            const char* time_key = kind == "wait_for" ? "timeout" : "for";
            if (!r_.expect_map(body, here, {"condition", time_key}, {"condition", time_key})) {
                return std::nullopt;
            }
            auto cond = body["condition"].IsDefined()
                            ? condition(body["condition"], "'condition' in " + here, 0)
                            : std::nullopt;
            auto time =
                body[time_key].IsDefined()
                    ? r_.duration(body[time_key], std::string("'") + time_key + "' in " + here,
                                  milliseconds(1), scenario_.deadline)
                    : std::nullopt;
            if (!cond || !time) {
                return std::nullopt;
            }
            if (kind == "wait_for") {
                return WaitForStep{std::move(*cond), *time};
            }
            return HoldStep{std::move(*cond), *time};
        }
        if (kind == "start_devices" || kind == "reboot") {
            if (!r_.expect_map(body, here, {"devices"})) {
                return std::nullopt;
            }
            auto devices = devices_of(body, here);
            if (!devices) {
                return std::nullopt;
            }
            if (kind == "start_devices") {
                return StartDevicesStep{*devices};
            }
            return RebootStep{*devices};
        }
        if (kind == "power_cut") {
            return power_cut(body, here);
        }
        if (kind == "flash_fault") {
            return flash_fault(body, here);
        }
        if (kind == "network_fault") {
            return network_fault(body, here);
        }
        if (kind == "http_fault") {
            return http_fault(body, here);
        }
        if (kind == "cloud_fault") {
            return cloud_fault(body, here);
        }
        if (kind == "cancel_job" || kind == "delete_job") {
            if (!r_.expect_map(body, here, {"job", "force", "devices"}, {"job"})) {
                return std::nullopt;
            }
            auto job =
                body["job"].IsDefined() ? job_ref(body["job"], "'job' in " + here) : std::nullopt;
            bool force = false;
            if (body["force"].IsDefined()) {
                auto value = r_.boolean(body["force"], "'force' in " + here);
                if (!value) {
                    return std::nullopt;
                }
                force = *value;
            }
            std::optional<DeviceSelector> devices;
            if (body["devices"].IsDefined()) {
                devices = selector(body["devices"], "'devices' in " + here);
                if (!devices) {
                    return std::nullopt;
                }
            }
            if (!job) {
                return std::nullopt;
            }
            if (kind == "cancel_job") {
                return CancelJobStep{*job, force, devices};
            }
            return DeleteJobStep{*job, force, devices};
        }
        // restart_broker
        if (!r_.expect_map(body, here, {"down_for"})) {
            return std::nullopt;
        }
        RestartBrokerStep restart;
        if (body["down_for"].IsDefined()) {
            auto value = r_.duration(body["down_for"], "'down_for' in " + here, milliseconds(0),
                                     scenario_.deadline);
            if (!value) {
                return std::nullopt;
            }
            restart.down_for = *value;
        }
        return restart;
    }

    std::optional<StepAction> create_job(const YAML::Node& body, const std::string& here) {
        if (!r_.expect_map(body, here,
                           {"id", "firmware", "targets", "document", "document_template",
                            "protocol", "description", "target_selection", "rollout", "abort",
                            "timeout", "retry", "presigned_url"},
                           {"id", "firmware"})) {
            return std::nullopt;
        }
        CreateJobStep job;
        bool ok = true;
        if (auto id = r_.string(body["id"], "'id' in " + here)) {
            if (!is_identifier(*id, 64)) {
                r_.error(body["id"], "'id' in " + here +
                                         " must be an AWS job id: 1 to 64 letters, digits, '-' or "
                                         "'_'; got " +
                                         q(*id));
                ok = false;
            } else if (std::find(jobs_.begin(), jobs_.end(), *id) != jobs_.end()) {
                r_.error(body["id"], "job " + q(*id) + " is created twice; job ids are unique");
                ok = false;
            }
            job.job_id = *id;
        } else {
            ok = false;
        }
        if (auto firmware = firmware_ref(body["firmware"], "'firmware' in " + here)) {
            job.firmware = *firmware;
        } else {
            ok = false;
        }
        if (body["targets"].IsDefined()) {
            if (auto targets = selector(body["targets"], "'targets' in " + here)) {
                job.targets = *targets;
            } else {
                ok = false;
            }
        }
        const bool has_document = body["document"].IsDefined();
        if (has_document && body["document_template"].IsDefined()) {
            r_.error(body["document"], here + " takes 'document' or 'document_template', not both");
            ok = false;
        }
        if (has_document) {
            auto document = r_.json(body["document"], "'document' in " + here);
            if (!document || !document->is_object()) {
                if (document) {
                    r_.error(body["document"],
                             "'document' in " + here + " must be a map (a JSON object)");
                }
                ok = false;
            } else {
                const auto text =
                    document->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
                if (text.size() > kMaxJobDocumentChars) {
                    r_.error(body["document"], "'document' in " + here + " is " +
                                                   std::to_string(text.size()) +
                                                   " characters as JSON; AWS IoT allows at most " +
                                                   std::to_string(kMaxJobDocumentChars));
                    ok = false;
                }
                for (const auto& name : unknown_firmware_placeholders(*document)) {
                    std::string message = "'document' in " + here;
                    if (name.empty()) {
                        message += " has an unterminated '${firmware.'";
                    } else {
                        message += " uses the unknown placeholder '${firmware.";
                        message += name.substr(0, 40);
                        message += "}'";
                    }
                    message += "; placeholders: ";
                    bool first = true;
                    for (auto known : firmware_placeholder_names()) {
                        message += first ? "${firmware." : ", ${firmware.";
                        message += known;
                        message += "}";
                        first = false;
                    }
                    r_.error(body["document"], std::move(message));
                    ok = false;
                }
                job.document = std::move(*document);
            }
            if (body["protocol"].IsDefined()) {
                r_.error(body["protocol"], "'protocol' in " + here +
                                               " applies to 'document_template' only; write it in "
                                               "the document");
                ok = false;
            }
        }
        if (body["document_template"].IsDefined()) {
            static const Keys templates{"host_path", "url", "presigned_url"};
            if (auto name = r_.choice(body["document_template"], "'document_template' in " + here,
                                      templates)) {
                job.document_template = enum_at<DocumentTemplate>(templates, *name);
            } else {
                ok = false;
            }
        }
        if (body["protocol"].IsDefined() && !has_document) {
            if (auto value =
                    r_.choice(body["protocol"], "'protocol' in " + here, {"http", "https"})) {
                job.protocol = *value;
            } else {
                ok = false;
            }
        }
        if (body["description"].IsDefined()) {
            if (auto text = r_.string(body["description"], "'description' in " + here)) {
                job.description = *text;
            } else {
                ok = false;
            }
        }
        if (body["target_selection"].IsDefined()) {
            if (auto value = r_.choice(body["target_selection"], "'target_selection' in " + here,
                                       {"SNAPSHOT", "CONTINUOUS"})) {
                job.continuous = *value == "CONTINUOUS";
            } else {
                ok = false;
            }
        }
        if (body["rollout"].IsDefined()) {
            ok = rollout(body["rollout"], here, job) && ok;
        }
        if (body["abort"].IsDefined()) {
            ok = abort_config(body["abort"], here, job) && ok;
        }
        if (body["timeout"].IsDefined()) {
            const auto& node = body["timeout"];
            const std::string what = "'timeout' in " + here;
            if (r_.expect_map(node, what, {"in_progress"}, {"in_progress"}) &&
                node["in_progress"].IsDefined()) {
                auto value = r_.duration(node["in_progress"], "'in_progress' in " + what,
                                         std::chrono::minutes(1), std::chrono::minutes(10080));
                if (value && value->count() % 60'000 != 0) {
                    r_.error(node["in_progress"], "'in_progress' in " + what +
                                                      " must be whole minutes (AWS's "
                                                      "inProgressTimeoutInMinutes); got " +
                                                      format_duration(*value));
                    value.reset();
                }
                if (value) {
                    job.in_progress_timeout_minutes =
                        static_cast<std::uint32_t>(value->count() / 60'000);
                } else {
                    ok = false;
                }
            } else {
                ok = false;
            }
        }
        if (body["retry"].IsDefined()) {
            ok = retry_config(body["retry"], here, job) && ok;
        }
        if (body["presigned_url"].IsDefined()) {
            const auto& node = body["presigned_url"];
            const std::string what = "'presigned_url' in " + here;
            if (r_.expect_map(node, what, {"expires_in"}, {"expires_in"}) &&
                node["expires_in"].IsDefined()) {
                auto value = r_.duration(node["expires_in"], "'expires_in' in " + what,
                                         std::chrono::seconds(60), std::chrono::seconds(3600));
                if (value && value->count() % 1000 != 0) {
                    r_.error(node["expires_in"], "'expires_in' in " + what +
                                                     " must be whole seconds; got " +
                                                     format_duration(*value));
                    value.reset();
                }
                if (value) {
                    job.presigned_url_expiry =
                        std::chrono::duration_cast<std::chrono::seconds>(*value);
                } else {
                    ok = false;
                }
            } else {
                ok = false;
            }
        }
        const bool placeholder =
            (job.document &&
             job.document->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                     .find("${aws:iot:s3-presigned-url:") != std::string::npos) ||
            (!job.document && job.document_template == DocumentTemplate::presigned_url);
        if (placeholder && !job.presigned_url_expiry) {
            job.presigned_url_expiry = std::chrono::seconds(3600); // AWS's default expiresInSec
        }
        if (is_identifier(job.job_id, 64) &&
            std::find(jobs_.begin(), jobs_.end(), job.job_id) == jobs_.end()) {
            jobs_.push_back(job.job_id); // later steps may refer to it even if this one is wrong
        }
        if (!ok) {
            return std::nullopt;
        }
        return job;
    }

    bool rollout(const YAML::Node& node, const std::string& here, CreateJobStep& job) {
        const std::string what = "'rollout' in " + here;
        if (!r_.expect_map(node, what, {"maximum_per_minute", "exponential_rate"})) {
            return false;
        }
        RolloutConfig config;
        bool ok = true;
        if (node["maximum_per_minute"].IsDefined()) {
            auto value =
                r_.integer(node["maximum_per_minute"], "'maximum_per_minute' in " + what, 1, 1000);
            ok = value.has_value();
            if (value) {
                config.maximum_per_minute = static_cast<std::uint32_t>(*value);
            }
        }
        if (const auto& rate = node["exponential_rate"]; rate.IsDefined()) {
            const std::string rate_what = "'exponential_rate' in " + what;
            if (!r_.expect_map(
                    rate, rate_what,
                    {"base_rate_per_minute", "increment_factor", "rate_increase_criteria"},
                    {"base_rate_per_minute", "increment_factor", "rate_increase_criteria"})) {
                return false;
            }
            RolloutConfig::ExponentialRate exponential;
            if (auto base = r_.integer(rate["base_rate_per_minute"],
                                       "'base_rate_per_minute' in " + rate_what, 1, 1000)) {
                exponential.base_rate_per_minute = static_cast<std::uint32_t>(*base);
            } else {
                ok = false;
            }
            if (auto factor = r_.number(rate["increment_factor"],
                                        "'increment_factor' in " + rate_what, 1.1, 5)) {
                if (std::abs(*factor * 10 - std::round(*factor * 10)) > 1e-9) {
                    r_.error(rate["increment_factor"], "'increment_factor' in " + rate_what +
                                                           " has at most one decimal (AWS); got " +
                                                           rate["increment_factor"].Scalar());
                    ok = false;
                }
                exponential.increment_factor = *factor;
            } else {
                ok = false;
            }
            const auto& criteria = rate["rate_increase_criteria"];
            const std::string criteria_what = "'rate_increase_criteria' in " + rate_what;
            if (r_.expect_map(criteria, criteria_what,
                              {"number_of_notified_things", "number_of_succeeded_things"})) {
                const bool notified = criteria["number_of_notified_things"].IsDefined();
                const bool succeeded = criteria["number_of_succeeded_things"].IsDefined();
                if (notified == succeeded) {
                    r_.error(criteria, criteria_what + " needs exactly one of "
                                                       "number_of_notified_things, "
                                                       "number_of_succeeded_things");
                    ok = false;
                } else {
                    const char* key =
                        notified ? "number_of_notified_things" : "number_of_succeeded_things";
                    auto value =
                        r_.integer(criteria[key], std::string("'") + key + "' in " + criteria_what,
                                   1, 1'000'000);
                    if (!value) {
                        ok = false;
                    } else if (notified) {
                        exponential.number_of_notified_things = static_cast<std::uint32_t>(*value);
                    } else {
                        exponential.number_of_succeeded_things = static_cast<std::uint32_t>(*value);
                    }
                }
            } else {
                ok = false;
            }
            config.exponential_rate = exponential;
        }
        if (config.maximum_per_minute && config.exponential_rate) {
            r_.error(node, what + " takes 'maximum_per_minute' or 'exponential_rate', not both");
            ok = false;
        }
        if (!config.maximum_per_minute && !config.exponential_rate && ok) {
            r_.error(node, what + " needs 'maximum_per_minute' or 'exponential_rate'");
            ok = false;
        }
        job.rollout = config;
        return ok;
    }

    bool abort_config(const YAML::Node& node, const std::string& here, CreateJobStep& job) {
        const std::string what = "'abort' in " + here;
        if (!node.IsSequence() || node.size() == 0) {
            r_.error(node, what +
                               " must be a non-empty list of criteria {failure_type, "
                               "threshold_percentage, min_number_of_executed_things}; got " +
                               detail::describe_node(node));
            return false;
        }
        bool ok = true;
        for (const auto& item : node) {
            const std::string item_what = "an abort criterion in " + here;
            if (!r_.expect_map(
                    item, item_what,
                    {"failure_type", "threshold_percentage", "min_number_of_executed_things"},
                    {"failure_type", "threshold_percentage", "min_number_of_executed_things"})) {
                ok = false;
                continue;
            }
            AbortCriterion criterion;
            static const Keys types{"FAILED", "REJECTED", "TIMED_OUT", "ALL"};
            if (auto type =
                    r_.choice(item["failure_type"], "'failure_type' in " + item_what, types)) {
                criterion.failure_type = enum_at<FailureType>(types, *type);
            } else {
                ok = false;
            }
            if (auto value = r_.number(item["threshold_percentage"],
                                       "'threshold_percentage' in " + item_what, 0.01, 100)) {
                criterion.threshold_percentage = *value;
            } else {
                ok = false;
            }
            if (auto value =
                    r_.integer(item["min_number_of_executed_things"],
                               "'min_number_of_executed_things' in " + item_what, 1, 1'000'000)) {
                criterion.min_number_of_executed_things = static_cast<std::uint32_t>(*value);
            } else {
                ok = false;
            }
            job.abort.push_back(criterion);
        }
        return ok;
    }

    bool retry_config(const YAML::Node& node, const std::string& here, CreateJobStep& job) {
        const std::string what = "'retry' in " + here;
        if (!node.IsSequence() || node.size() == 0 || node.size() > 2) {
            r_.error(node, what +
                               " must be a list of 1 or 2 criteria {failure_type, "
                               "number_of_retries}; got " +
                               detail::describe_node(node));
            return false;
        }
        bool ok = true;
        std::uint64_t total = 0;
        for (const auto& item : node) {
            const std::string item_what = "a retry criterion in " + here;
            if (!r_.expect_map(item, item_what, {"failure_type", "number_of_retries"},
                               {"failure_type", "number_of_retries"})) {
                ok = false;
                continue;
            }
            RetryCriterion criterion;
            static const Keys types{"FAILED", "TIMED_OUT", "ALL"};
            if (auto type =
                    r_.choice(item["failure_type"], "'failure_type' in " + item_what, types)) {
                criterion.failure_type = *type == "FAILED"      ? FailureType::failed
                                         : *type == "TIMED_OUT" ? FailureType::timed_out
                                                                : FailureType::all;
            } else {
                ok = false;
            }
            if (auto value = r_.integer(item["number_of_retries"],
                                        "'number_of_retries' in " + item_what, 0, 10)) {
                criterion.number_of_retries = static_cast<std::uint32_t>(*value);
                total += *value;
            } else {
                ok = false;
            }
            job.retry.push_back(criterion);
        }
        if (ok && total > 10) {
            r_.error(node, what + " allows " + std::to_string(total) +
                               " retries in all; AWS allows at most 10 per device");
            ok = false;
        }
        return ok;
    }

    std::optional<StepAction> power_cut(const YAML::Node& body, const std::string& here) {
        if (!r_.expect_map(body, here,
                           {"devices", "at_phase", "after_download_bytes", "off_for"})) {
            return std::nullopt;
        }
        PowerCutStep cut;
        bool ok = true;
        if (auto devices = devices_of(body, here)) {
            cut.devices = *devices;
        } else {
            ok = false;
        }
        if (body["at_phase"].IsDefined()) {
            cut.at_phase = phase(body["at_phase"], "'at_phase' in " + here);
            ok = ok && cut.at_phase.has_value();
        }
        if (body["after_download_bytes"].IsDefined()) {
            cut.after_download_bytes = r_.size(body["after_download_bytes"],
                                               "'after_download_bytes' in " + here, 1, 16ULL << 20);
            ok = ok && cut.after_download_bytes.has_value();
            if (cut.at_phase && *cut.at_phase != DevicePhase::downloading) {
                r_.error(body["after_download_bytes"],
                         "'after_download_bytes' in " + here +
                             " applies only with at_phase 'downloading' (or no at_phase)");
                ok = false;
            }
            if (!cut.at_phase) {
                cut.at_phase = DevicePhase::downloading;
            }
        }
        if (body["off_for"].IsDefined()) {
            auto value = r_.duration(body["off_for"], "'off_for' in " + here, milliseconds(0),
                                     scenario_.deadline);
            ok = ok && value.has_value();
            cut.off_for = value.value_or(milliseconds(0));
        }
        return ok ? std::optional<StepAction>(cut) : std::nullopt;
    }

    std::optional<StepAction> flash_fault(const YAML::Node& body, const std::string& here) {
        static const Keys kinds{"power_cut", "fail_write", "fail_erase", "bit_flips", "wear_out"};
        static const std::vector<Keys> keys_of{
            {"kind", "devices", "at_op", "torn", "off_for"},
            {"kind", "devices", "at_op", "partition", "count"},
            {"kind", "devices", "at_op", "partition", "count"},
            {"kind", "devices", "rate", "partition"},
            {"kind", "devices", "erase_limit", "partition"},
        };
        static const std::vector<Keys> required_of{
            {"kind", "at_op"}, {"kind"}, {"kind"}, {"kind", "rate"}, {"kind", "erase_limit"}};
        auto kind = kind_of(body, here, kinds);
        if (!kind) {
            return std::nullopt;
        }
        const auto index =
            static_cast<std::size_t>(std::find(kinds.begin(), kinds.end(), *kind) - kinds.begin());
        const std::string what = "flash_fault " + q(*kind);
        if (!r_.expect_map(body, what, keys_of[index], required_of[index])) {
            return std::nullopt;
        }
        FlashFaultStep fault;
        fault.kind = static_cast<FlashFaultStep::Kind>(index);
        bool ok = true;
        if (auto devices = devices_of(body, what)) {
            fault.devices = *devices;
        } else {
            ok = false;
        }
        if (body["at_op"].IsDefined()) {
            fault.at_op = r_.integer(body["at_op"], "'at_op' in " + what, 0, 10'000'000);
            ok = ok && fault.at_op.has_value();
        }
        if (body["torn"].IsDefined()) {
            auto value = r_.boolean(body["torn"], "'torn' in " + what);
            ok = ok && value.has_value();
            fault.torn = value.value_or(false);
        }
        if (body["off_for"].IsDefined()) {
            auto value = r_.duration(body["off_for"], "'off_for' in " + what, milliseconds(0),
                                     scenario_.deadline);
            ok = ok && value.has_value();
            fault.off_for = value.value_or(milliseconds(0));
        }
        if (body["partition"].IsDefined()) {
            static const Keys partitions{"any", "mcuboot", "primary", "secondary", "storage"};
            if (auto value = r_.choice(body["partition"], "'partition' in " + what, partitions)) {
                fault.partition = enum_at<FlashFaultStep::Partition>(partitions, *value);
            } else {
                ok = false;
            }
        }
        if (body["count"].IsDefined()) {
            auto value = r_.integer(body["count"], "'count' in " + what, 1, 1'000'000);
            ok = ok && value.has_value();
            fault.count = static_cast<std::uint32_t>(value.value_or(1));
        }
        if (body["rate"].IsDefined()) {
            auto value = r_.number(body["rate"], "'rate' in " + what, 1e-12, 1);
            ok = ok && value.has_value();
            fault.rate = value.value_or(0);
            if (value && *value <= 0) {
                r_.error(body["rate"], "'rate' in " + what + " must be above 0");
                ok = false;
            }
        }
        if (body["erase_limit"].IsDefined()) {
            auto value = r_.integer(body["erase_limit"], "'erase_limit' in " + what, 1, 10'000'000);
            ok = ok && value.has_value();
            fault.erase_limit = static_cast<std::uint32_t>(value.value_or(1));
        }
        return ok ? std::optional<StepAction>(fault) : std::nullopt;
    }

    // The 'kind' of a fault step, read before the other keys (which depend on it).
    std::optional<std::string> kind_of(const YAML::Node& body, const std::string& here,
                                       const Keys& kinds) {
        if (!r_.visit(body)) {
            return std::nullopt;
        }
        if (!body.IsMap()) {
            r_.error(body, here + " must be a map with a 'kind' (one of: " + detail::join(kinds) +
                               "); got " + detail::describe_node(body));
            return std::nullopt;
        }
        if (!body["kind"].IsDefined()) {
            r_.error(body,
                     here + " is missing the required key 'kind'; kinds: " + detail::join(kinds));
            return std::nullopt;
        }
        return r_.choice(body["kind"], "'kind' in " + here, kinds);
    }

    std::optional<StepAction> network_fault(const YAML::Node& body, const std::string& here) {
        static const Keys kinds{"drop_mqtt", "lose_next_message", "stall_http", "offline"};
        static const std::vector<Keys> keys_of{
            {"kind", "devices", "at_download_byte"},
            {"kind", "devices", "topic_suffix"},
            {"kind", "devices", "duration", "at_download_byte"},
            {"kind", "devices", "duration"},
        };
        static const std::vector<Keys> required_of{
            {"kind"}, {"kind"}, {"kind", "duration"}, {"kind", "duration"}};
        auto kind = kind_of(body, here, kinds);
        if (!kind) {
            return std::nullopt;
        }
        const auto index =
            static_cast<std::size_t>(std::find(kinds.begin(), kinds.end(), *kind) - kinds.begin());
        const std::string what = "network_fault " + q(*kind);
        if (!r_.expect_map(body, what, keys_of[index], required_of[index])) {
            return std::nullopt;
        }
        NetworkFaultStep fault;
        fault.kind = static_cast<NetworkFaultStep::Kind>(index);
        bool ok = true;
        if (auto devices = devices_of(body, what)) {
            fault.devices = *devices;
        } else {
            ok = false;
        }
        if (body["at_download_byte"].IsDefined()) {
            fault.at_download_byte =
                r_.size(body["at_download_byte"], "'at_download_byte' in " + what, 0, 16ULL << 20);
            ok = ok && fault.at_download_byte.has_value();
        }
        if (body["topic_suffix"].IsDefined()) {
            ok = topic_suffix(body["topic_suffix"], "'topic_suffix' in " + what,
                              fault.topic_suffix) &&
                 ok;
        }
        if (body["duration"].IsDefined()) {
            auto value = r_.duration(body["duration"], "'duration' in " + what, milliseconds(1),
                                     scenario_.deadline);
            ok = ok && value.has_value();
            fault.duration = value.value_or(milliseconds(0));
        }
        return ok ? std::optional<StepAction>(fault) : std::nullopt;
    }

    bool topic_suffix(const YAML::Node& node, const std::string& what, std::string& out) {
        auto text = r_.string(node, what);
        if (!text) {
            return false;
        }
        if (text->empty() || text->size() > 256 || text->front() == '/' ||
            text->find_first_of("+#") != std::string::npos) {
            r_.error(node, what +
                               " must be the end of a topic without wildcards, e.g. "
                               "'update/accepted' or 'notify-next'; got " +
                               q(*text));
            return false;
        }
        out = *text;
        return true;
    }

    std::optional<StepAction> http_fault(const YAML::Node& body, const std::string& here) {
        static const Keys kinds{"close_after_bytes",
                                "throttle",
                                "error_status",
                                "slow_down",
                                "ignore_range",
                                "wrong_content_range",
                                "stall",
                                "replace_object",
                                "redirect",
                                "refuse_connections",
                                "connection_close",
                                "long_header",
                                "lowercase_headers"};
        static const std::vector<Keys> keys_of{
            {"kind", "firmware", "bytes", "count"},
            {"kind", "firmware", "bytes_per_second"},
            {"kind", "firmware", "status", "count"},
            {"kind", "firmware", "count"},
            {"kind", "firmware", "count"},
            {"kind", "firmware", "content_range", "count"},
            {"kind", "firmware", "duration", "bytes", "count"},
            {"kind", "firmware", "replacement"},
            {"kind", "firmware", "status", "count"},
            {"kind", "count"},
            {"kind", "firmware", "count"},
            {"kind", "firmware", "bytes", "count"},
            {"kind", "firmware", "count"},
        };
        static const std::vector<Keys> required_of{{"kind", "bytes"},
                                                   {"kind", "bytes_per_second"},
                                                   {"kind", "status"},
                                                   {"kind"},
                                                   {"kind"},
                                                   {"kind", "content_range"},
                                                   {"kind", "duration"},
                                                   {"kind", "firmware", "replacement"},
                                                   {"kind", "status"},
                                                   {"kind"},
                                                   {"kind"},
                                                   {"kind", "bytes"},
                                                   {"kind"}};
        auto kind = kind_of(body, here, kinds);
        if (!kind) {
            return std::nullopt;
        }
        const auto index =
            static_cast<std::size_t>(std::find(kinds.begin(), kinds.end(), *kind) - kinds.begin());
        const std::string what = "http_fault " + q(*kind);
        if (!r_.expect_map(body, what, keys_of[index], required_of[index])) {
            return std::nullopt;
        }
        HttpFaultStep fault;
        fault.kind = static_cast<HttpFaultStep::Kind>(index);
        bool ok = true;
        if (body["firmware"].IsDefined()) {
            auto id = firmware_ref(body["firmware"], "'firmware' in " + what);
            ok = ok && id.has_value();
            fault.firmware = id.value_or("");
        }
        if (body["bytes"].IsDefined()) {
            auto value = r_.size(body["bytes"], "'bytes' in " + what, 0, 16ULL << 20);
            ok = ok && value.has_value();
            fault.bytes = value.value_or(0);
        }
        if (body["bytes_per_second"].IsDefined()) {
            auto value =
                r_.size(body["bytes_per_second"], "'bytes_per_second' in " + what, 1, 1ULL << 30);
            ok = ok && value.has_value();
            fault.bytes_per_second = value.value_or(0);
        }
        if (body["status"].IsDefined()) {
            if (fault.kind == HttpFaultStep::Kind::redirect) {
                static const Keys redirects{"301", "302", "303", "307", "308"};
                auto value = r_.integer(body["status"], "'status' in " + what, 300, 399);
                if (value && std::find(redirects.begin(), redirects.end(),
                                       std::to_string(*value)) == redirects.end()) {
                    r_.error(body["status"],
                             "'status' in " + what + " must be one of: " + detail::join(redirects));
                    value.reset();
                }
                ok = ok && value.has_value();
                fault.status = static_cast<int>(value.value_or(302));
            } else {
                auto value = r_.integer(body["status"], "'status' in " + what, 400, 599);
                ok = ok && value.has_value();
                fault.status = static_cast<int>(value.value_or(500));
            }
        } else if (fault.kind == HttpFaultStep::Kind::slow_down) {
            fault.status = 503;
        }
        if (body["count"].IsDefined()) {
            auto value = r_.integer(body["count"], "'count' in " + what, 1, 1'000'000);
            ok = ok && value.has_value();
            fault.count = static_cast<std::uint32_t>(value.value_or(1));
        }
        if (fault.kind == HttpFaultStep::Kind::throttle && !body["count"].IsDefined()) {
            fault.count = 0; // a throttled link stays throttled: every response from now on
        }
        if (body["content_range"].IsDefined()) {
            static const Keys errors{"wrong_start", "wrong_end", "wrong_total", "star_total"};
            if (auto value =
                    r_.choice(body["content_range"], "'content_range' in " + what, errors)) {
                fault.content_range = enum_at<HttpFaultStep::ContentRangeError>(errors, *value);
            } else {
                ok = false;
            }
        }
        if (body["duration"].IsDefined()) {
            auto value = r_.duration(body["duration"], "'duration' in " + what, milliseconds(1),
                                     scenario_.deadline);
            ok = ok && value.has_value();
            fault.duration = value.value_or(milliseconds(0));
        }
        if (body["replacement"].IsDefined()) {
            auto id = firmware_ref(body["replacement"], "'replacement' in " + what);
            ok = ok && id.has_value();
            fault.replacement = id.value_or("");
            if (id && *id == fault.firmware) {
                r_.error(body["replacement"],
                         "'replacement' in " + what + " must be another firmware than 'firmware'");
                ok = false;
            }
        }
        return ok ? std::optional<StepAction>(fault) : std::nullopt;
    }

    std::optional<StepAction> cloud_fault(const YAML::Node& body, const std::string& here) {
        static const Keys kinds{"duplicate_notify_next", "deliver_document_twice",
                                "reject_next_update", "delay_reply", "drop_reply"};
        static const std::vector<Keys> keys_of{
            {"kind", "devices"},
            {"kind", "devices"},
            {"kind", "devices", "code"},
            {"kind", "devices", "delay", "topic_suffix"},
            {"kind", "devices", "topic_suffix"},
        };
        static const std::vector<Keys> required_of{
            {"kind"}, {"kind"}, {"kind", "code"}, {"kind", "delay"}, {"kind"}};
        auto kind = kind_of(body, here, kinds);
        if (!kind) {
            return std::nullopt;
        }
        const auto index =
            static_cast<std::size_t>(std::find(kinds.begin(), kinds.end(), *kind) - kinds.begin());
        const std::string what = "cloud_fault " + q(*kind);
        if (!r_.expect_map(body, what, keys_of[index], required_of[index])) {
            return std::nullopt;
        }
        CloudFaultStep fault;
        fault.kind = static_cast<CloudFaultStep::Kind>(index);
        bool ok = true;
        if (auto devices = devices_of(body, what)) {
            fault.devices = *devices;
        } else {
            ok = false;
        }
        if (body["code"].IsDefined()) {
            if (auto code = r_.choice(body["code"], "'code' in " + what, reject_code_names())) {
                fault.code = enum_at<RejectCode>(reject_code_names(), *code);
            } else {
                ok = false;
            }
        }
        if (body["delay"].IsDefined()) {
            auto value = r_.duration(body["delay"], "'delay' in " + what, milliseconds(1),
                                     scenario_.deadline);
            ok = ok && value.has_value();
            fault.delay = value.value_or(milliseconds(0));
        }
        if (body["topic_suffix"].IsDefined()) {
            ok = topic_suffix(body["topic_suffix"], "'topic_suffix' in " + what,
                              fault.topic_suffix) &&
                 ok;
        }
        return ok ? std::optional<StepAction>(fault) : std::nullopt;
    }

    // ---- expectations -------------------------------------------------------------------------

    void parse_expectations(const YAML::Node& node) {
        if (!r_.visit(node)) {
            return;
        }
        if (!node.IsSequence() || node.size() == 0) {
            r_.error(node, "'expect' must be a non-empty list of expectations (each a map with one "
                           "key: " +
                               detail::join(expectation_kinds()) + "); got " +
                               detail::describe_node(node));
            return;
        }
        for (const auto& item : node) {
            if (r_.exhausted()) {
                return;
            }
            auto entry = r_.single_key(item, "expectation", expectation_kinds());
            if (!entry) {
                continue;
            }
            if (auto expectation = parse_expectation(entry->first, entry->second)) {
                expectation->mark = detail::mark_of(item);
                scenario_.expectations.push_back(std::move(*expectation));
            }
        }
    }

    std::optional<CountRange> count_range(const YAML::Node& node, const std::string& what,
                                          bool sizes) {
        const auto read = [&](const YAML::Node& n, const std::string& w) {
            return sizes ? r_.size(n, w, 0, 1ULL << 40) : r_.integer(n, w, 0, 100'000'000);
        };
        CountRange range;
        if (node.IsMap()) {
            if (!r_.expect_map(node, what, {"min", "max"})) {
                return std::nullopt;
            }
            if (node["min"].IsDefined()) {
                range.min = read(node["min"], "'min' in " + what);
                if (!range.min) {
                    return std::nullopt;
                }
            }
            if (node["max"].IsDefined()) {
                range.max = read(node["max"], "'max' in " + what);
                if (!range.max) {
                    return std::nullopt;
                }
            }
            if (!range.min && !range.max) {
                r_.error(node, what + " needs 'min', 'max' or both");
                return std::nullopt;
            }
            if (range.min && range.max && *range.min > *range.max) {
                r_.error(node, what + ": 'min' is above 'max'");
                return std::nullopt;
            }
            return range;
        }
        auto exact = read(node, what + " (an exact value, or {min, max})");
        if (!exact) {
            return std::nullopt;
        }
        range.min = range.max = exact;
        return range;
    }

    std::optional<Expectation> parse_expectation(const std::string& kind, const YAML::Node& body) {
        const std::string here = "expectation " + q(kind);
        static const std::vector<std::pair<std::string_view, Keys>> keys_of{
            {"execution_status", {"job", "devices", "status", "status_details"}},
            {"job_status", {"job", "status"}},
            {"running_version", {"devices", "version", "confirmed"}},
            {"shadow_version", {"devices", "version"}},
            {"slot", {"devices", "slot", "contains"}},
            {"downloads", {"devices", "attempts", "range_requests", "bytes"}},
            {"no_execution_in_progress", {"job"}},
            {"phases", {"devices", "reached", "not_reached"}},
            {"boots", {"devices", "count"}},
            {"job_updates", {"job", "devices", "status", "count"}},
        };
        static const std::vector<std::pair<std::string_view, Keys>> required_of{
            {"execution_status", {"job", "status"}},
            {"job_status", {"job", "status"}},
            {"running_version", {"version"}},
            {"shadow_version", {"version"}},
            {"slot", {"slot", "contains"}},
            {"downloads", {}},
            {"no_execution_in_progress", {}},
            {"phases", {}},
            {"boots", {"count"}},
            {"job_updates", {"job", "count"}},
        };
        Keys keys{"name", "within"};
        Keys required;
        for (const auto& [name, list] : keys_of) {
            if (name == kind) {
                keys.insert(keys.end(), list.begin(), list.end());
            }
        }
        for (const auto& [name, list] : required_of) {
            if (name == kind) {
                required = list;
            }
        }
        if (!r_.expect_map(body, here, keys, required)) {
            return std::nullopt;
        }
        Expectation e;
        e.kind = enum_at<Expectation::Kind>(expectation_kinds(), kind);
        bool ok = true;
        const auto has = [&](const char* key) { return body.IsMap() && body[key].IsDefined(); };
        if (has("name")) {
            auto name = r_.string(body["name"], "'name' in " + here);
            ok = ok && name.has_value();
            e.name = name.value_or("");
        }
        if (has("within")) {
            auto value = r_.duration(body["within"], "'within' in " + here, milliseconds(0),
                                     scenario_.deadline);
            ok = ok && value.has_value();
            e.within = value.value_or(milliseconds(0));
        }
        if (has("job")) {
            auto job = job_ref(body["job"], "'job' in " + here);
            ok = ok && job.has_value();
            e.job = job.value_or("");
        }
        if (kind != "job_status" && kind != "no_execution_in_progress") {
            if (auto devices = devices_of(body, here)) {
                e.devices = *devices;
            } else {
                ok = false;
            }
        }
        if (has("status")) {
            if (kind == "job_status") {
                if (auto value =
                        r_.choice(body["status"], "'status' in " + here, job_status_names())) {
                    e.job_status = enum_at<JobStatus>(job_status_names(), *value);
                } else {
                    ok = false;
                }
            } else if (auto value = r_.choice(body["status"], "'status' in " + here,
                                              execution_status_names())) {
                const auto status = enum_at<ExecutionStatus>(execution_status_names(), *value);
                e.execution_status = status;
                if (kind == "job_updates") {
                    e.update_status = status;
                }
            } else {
                ok = false;
            }
        }
        if (has("status_details")) {
            auto details = r_.json(body["status_details"], "'status_details' in " + here);
            if (details && !details->is_object()) {
                r_.error(body["status_details"], "'status_details' in " + here +
                                                     " must be a map of the fields statusDetails "
                                                     "must contain");
                details.reset();
            }
            ok = ok && details.has_value();
            e.status_details = details;
        }
        if (has("version")) {
            auto version = version_ref(body["version"], "'version' in " + here);
            ok = ok && version.has_value();
            e.version = version.value_or("");
        }
        if (has("confirmed")) {
            auto value = r_.boolean(body["confirmed"], "'confirmed' in " + here);
            ok = ok && value.has_value();
            e.confirmed = value;
        }
        if (has("slot")) {
            if (auto value =
                    r_.choice(body["slot"], "'slot' in " + here, {"primary", "secondary"})) {
                e.slot = *value == "primary" ? Slot::primary : Slot::secondary;
            } else {
                ok = false;
            }
        }
        if (has("contains")) {
            auto text = r_.string(body["contains"], "'contains' in " + here);
            if (text && *text == "erased") {
                e.slot_erased = true;
            } else if (text) {
                auto id = firmware_ref(body["contains"],
                                       "'contains' in " + here + " (a firmware id or 'erased')");
                ok = ok && id.has_value();
                e.slot_firmware = id.value_or("");
            } else {
                ok = false;
            }
        }
        const auto range = [&](const char* key, CountRange& out, bool sizes) {
            if (has(key)) {
                auto value = count_range(body[key], "'" + std::string(key) + "' in " + here, sizes);
                ok = ok && value.has_value();
                out = value.value_or(CountRange{});
            }
        };
        range("attempts", e.download_attempts, false);
        range("range_requests", e.range_requests, false);
        range("bytes", e.bytes, true);
        range("count", e.count, false);
        if (kind == "downloads" && !has("attempts") && !has("range_requests") && !has("bytes")) {
            r_.error(body, here + " needs at least one of 'attempts', 'range_requests', 'bytes'");
            ok = false;
        }
        const auto phase_list = [&](const char* key, std::vector<DevicePhase>& out) {
            if (!has(key)) {
                return;
            }
            const auto& list = body[key];
            if (!list.IsSequence() || list.size() == 0) {
                r_.error(list,
                         "'" + std::string(key) + "' in " + here +
                             " must be a non-empty list of phases: " + detail::join(phase_names()));
                ok = false;
                return;
            }
            for (const auto& item : list) {
                auto value = phase(item, "an entry of '" + std::string(key) + "' in " + here);
                ok = ok && value.has_value();
                if (value) {
                    out.push_back(*value);
                }
            }
        };
        phase_list("reached", e.reached);
        phase_list("not_reached", e.not_reached);
        if (kind == "phases") {
            if (e.reached.empty() && e.not_reached.empty() && ok) {
                r_.error(body, here + " needs 'reached', 'not_reached' or both");
                ok = false;
            }
            for (auto p : e.reached) {
                if (std::find(e.not_reached.begin(), e.not_reached.end(), p) !=
                    e.not_reached.end()) {
                    r_.error(body, here + " lists phase '" + to_string(p) +
                                       "' as both reached and not reached");
                    ok = false;
                }
            }
        }
        return ok ? std::optional(std::move(e)) : std::nullopt;
    }

    YamlReader r_;
    std::string base_dir_;
    std::vector<Diagnostic>& errors_;
    Scenario scenario_;
    std::vector<std::string> jobs_; // created so far, in step order
};

} // namespace

ParseResult parse_scenario(std::string_view text, const std::string& file_name,
                           const std::string& base_dir) {
    ParseResult result;
    if (text.size() > kMaxScenarioBytes) {
        result.errors.push_back(Diagnostic{file_name,
                                           {},
                                           "the file is " + std::to_string(text.size()) +
                                               " bytes; a scenario has at most " +
                                               std::to_string(kMaxScenarioBytes)});
        return result;
    }
    if (text.find('\0') != std::string_view::npos) {
        result.errors.push_back(Diagnostic{file_name,
                                           {},
                                           "the file contains a NUL byte; a "
                                           "scenario is YAML text"});
        return result;
    }
    try {
        const YAML::Node root = YAML::Load(std::string(text));
        Parser parser(file_name, base_dir, result.errors);
        result.scenario = parser.parse(root);
        if (!result.errors.empty()) {
            result.scenario.reset();
        }
    } catch (const YAML::Exception& e) {
        result.scenario.reset();
        SourceMark mark;
        if (e.mark.line >= 0 && e.mark.column >= 0) {
            mark = {e.mark.line + 1, e.mark.column + 1};
        }
        result.errors.push_back(Diagnostic{file_name, mark, "invalid YAML: " + e.msg});
    } catch (const std::exception& e) {
        result.scenario.reset();
        result.errors.push_back(Diagnostic{file_name, {}, std::string("cannot read: ") + e.what()});
    }
    if (!result.scenario && result.errors.empty()) {
        result.errors.push_back(Diagnostic{file_name, {}, "invalid scenario"});
    }
    return result;
}

ParseResult parse_scenario_file(const std::string& path) {
    ParseResult result;
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) {
        result.errors.push_back(Diagnostic{path, {}, "cannot read the file: " + ec.message()});
        return result;
    }
    if (size > kMaxScenarioBytes) {
        result.errors.push_back(Diagnostic{path,
                                           {},
                                           "the file is " + std::to_string(size) +
                                               " bytes; a scenario has at most " +
                                               std::to_string(kMaxScenarioBytes)});
        return result;
    }
    std::ifstream in(path, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    if (!in && !in.eof()) {
        result.errors.push_back(Diagnostic{path, {}, "cannot read the file"});
        return result;
    }
    const auto folder = std::filesystem::path(path).parent_path().string();
    return parse_scenario(content.str(), path, folder);
}

} // namespace fota::sim
