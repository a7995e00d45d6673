#include "scenario/scenario_parser.hpp"

#include "scenario/expectations/expectation_kinds.hpp"
#include "scenario/parse_context.hpp"
#include "scenario/steps/step_kinds.hpp"
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

constexpr std::uint32_t kMaxDevices = 100'000;

const Keys& top_keys() {
    static const Keys names{"name",    "description", "field_bugs", "seed",   "deadline",  "stack",
                            "devices", "firmware",    "steps",      "expect", "invariants"};
    return names;
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
                                       quote(*name));
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
            context_.parse_list(node, "'field_bugs'", [&](const YAML::Node& item) {
                if (auto id = r_.string(item, "an entry of 'field_bugs'")) {
                    const bool valid =
                        id->size() >= 5 && id->size() <= 6 && id->rfind("FB-", 0) == 0 &&
                        std::all_of(id->begin() + 3, id->end(),
                                    [](char c) { return c >= '0' && c <= '9'; }) &&
                        std::stoi(id->substr(3)) >= 1 && std::stoi(id->substr(3)) <= 27;
                    if (!valid) {
                        r_.error(item,
                                 "an entry of 'field_bugs' must be an id FB-01 to FB-27; got " +
                                     quote(*id));
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
        if (const auto& node = root["invariants"]; node.IsDefined()) {
            scenario_.invariants = r_.boolean(node, "'invariants'").value_or(false);
        }
    }

    // One URL key of 'stack': a URL with a host and one of schemes (" http https ").
    void parse_stack_url(const YAML::Node& node, const char* key, std::string& out,
                         const char* schemes) {
        if (auto text = r_.string(node[key], std::string("'") + key + "' in 'stack'")) {
            const auto scheme_end = text->find("://");
            const std::string scheme = text->substr(0, scheme_end);
            if (scheme_end == std::string::npos || scheme_end + 3 >= text->size() ||
                std::string(schemes).find(" " + scheme + " ") == std::string::npos) {
                r_.error(node[key], std::string("'") + key +
                                        "' in 'stack' must be a URL with a host, scheme one of:" +
                                        schemes + "; got " + quote(*text));
            } else {
                out = *text;
            }
        }
    }

    void parse_stack(const YAML::Node& node) {
        if (node.IsScalar()) {
            if (auto kind = r_.choice(node, "'stack'", {"embedded", "sim", "aws"})) {
                scenario_.stack.kind = *kind == "aws"   ? StackKind::aws
                                       : *kind == "sim" ? StackKind::sim
                                                        : StackKind::embedded;
            }
            return;
        }
        if (!r_.expect_map(node, "'stack'",
                           {"kind", "control_url", "mqtt_url", "object_url", "region", "bucket",
                            "tls", "profile", "endpoint", "iot_url", "iot_data_url", "s3_url",
                            "ca_file", "role_arn", "tls_dir"},
                           {"kind"})) {
            return;
        }
        const auto kind =
            r_.choice(node["kind"], "'kind' in 'stack'", {"embedded", "sim", "url", "aws"});
        if (!kind) {
            return;
        }
        auto& stack = scenario_.stack;
        stack.kind = *kind == "url"   ? StackKind::url
                     : *kind == "aws" ? StackKind::aws
                     : *kind == "sim" ? StackKind::sim
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
            parse_stack_url(node, key, out, schemes);
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
            url("object_url", stack.object_url, " http https ");
        } else if (stack.kind == StackKind::url) {
            r_.error(node, "'stack' of kind 'url' is missing the required key 'object_url'");
        }
        if (allowed("tls_dir", stack.kind == StackKind::url)) {
            if (auto text = r_.string(node["tls_dir"], "'tls_dir' in 'stack'")) {
                stack.tls_dir = *text;
            }
        }
        if (allowed("tls", stack.kind == StackKind::embedded)) {
            if (auto value = r_.boolean(node["tls"], "'tls' in 'stack'")) {
                stack.tls = *value;
            }
        }
        // aws: texts, and the endpoint overrides (URLs, the others)
        for (const auto& [key, field] :
             {std::pair<const char*, std::string*>{"region", &stack.region},
              {"profile", &stack.profile},
              {"endpoint", &stack.endpoint},
              {"ca_file", &stack.ca_file},
              {"role_arn", &stack.role_arn},
              {"iot_url", &stack.iot_url},
              {"iot_data_url", &stack.iot_data_url},
              {"s3_url", &stack.s3_url}}) {
            if (!allowed(key, stack.kind == StackKind::aws)) {
                continue;
            }
            if (std::string_view(key).size() > 4 &&
                std::string_view(key).substr(std::string_view(key).size() - 4) == "_url") {
                url(key, *field, " https ");
            } else if (auto text = r_.string(node[key], std::string("'") + key + "' in 'stack'")) {
                *field = *text;
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
                                          quote(*id));
                continue;
            }
            if (!keys.insert(*id).second) {
                r_.error(entry.first, "duplicate firmware id " + quote(*id));
                continue;
            }
            parse_image(*id, entry.second);
        }
    }

    void parse_image(const std::string& id, const YAML::Node& node) {
        const std::string what = "firmware " + quote(id);
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
                                              quote(*version));
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
                    r_.error(node["file"], "'file' in " + what + " names " + quote(path.string()) +
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
                                      quote(*value));
                } else {
                    image.object_key = *value;
                }
            }
        }
        for (const auto& other : scenario_.firmware) {
            if (other.object_key == image.object_key) {
                r_.error(node, what + " has the same object key " + quote(image.object_key) +
                                   " as firmware " + quote(other.id));
            }
        }
        scenario_.firmware.push_back(std::move(image));
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
                             quote(*prefix));
                return;
            }
            for (const auto& other : scenario_.devices) {
                if (other.thing_prefix.rfind(*prefix, 0) == 0 ||
                    prefix->rfind(other.thing_prefix, 0) == 0) {
                    r_.error(
                        node["thing_prefix"],
                        "'thing_prefix' " + quote(*prefix) + " overlaps the group with prefix " +
                            quote(other.thing_prefix) +
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
        if (auto id =
                context_.firmware_ref(node["initial_firmware"], "'initial_firmware' in " + what)) {
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
                r_.error(firmware.mark, "firmware " + quote(firmware.id) + " is " +
                                            format_size(firmware.size) +
                                            ", which cannot fit in a slot of the " +
                                            format_size(group.flash.size) + " flash of devices " +
                                            quote(group.thing_prefix + "*") +
                                            " (a slot is less than half the flash)");
            }
        }
        if (image != nullptr && image->defect != ImageDefect::none) {
            r_.error(node["initial_firmware"], "'initial_firmware' in " + what +
                                                   " must be a bootable image; firmware " +
                                                   quote(image->id) + " has a defect");
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

    // ---- steps --------------------------------------------------------------------------------

    void parse_steps(const YAML::Node& node) {
        if (!r_.visit(node)) {
            return;
        }
        if (!node.IsSequence() || node.size() == 0) {
            r_.error(node, "'steps' must be a non-empty list of steps (each a map with one key: " +
                               detail::join(step_kind_names()) + "); got " +
                               detail::describe_node(node));
            return;
        }
        for (const auto& item : node) {
            if (r_.exhausted()) {
                return;
            }
            auto entry = r_.single_key(item, "step", step_kind_names());
            if (!entry) {
                continue;
            }
            const auto* kind = find_step_kind(entry->first);
            auto action = kind->parse(context_, entry->second, "step " + quote(entry->first));
            if (action) {
                scenario_.steps.push_back(Step{std::move(*action), detail::mark_of(item)});
            }
        }
    }

    // ---- expectations -------------------------------------------------------------------------

    void parse_expectations(const YAML::Node& node) {
        if (!r_.visit(node)) {
            return;
        }
        if (!node.IsSequence() || node.size() == 0) {
            r_.error(node, "'expect' must be a non-empty list of expectations (each a map with one "
                           "key: " +
                               detail::join(expectation_kind_names()) + "); got " +
                               detail::describe_node(node));
            return;
        }
        for (const auto& item : node) {
            if (r_.exhausted()) {
                return;
            }
            auto entry = r_.single_key(item, "expectation", expectation_kind_names());
            if (!entry) {
                continue;
            }
            const auto* kind = find_expectation_kind(entry->first);
            if (auto expectation =
                    kind->parse(context_, entry->second, "expectation " + quote(entry->first))) {
                expectation->kind = kind->kind;
                expectation->mark = detail::mark_of(item);
                scenario_.expectations.push_back(std::move(*expectation));
            }
        }
    }

    YamlReader r_;
    std::string base_dir_;
    std::vector<Diagnostic>& errors_;
    Scenario scenario_;
    ParseContext context_{r_, scenario_};
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
