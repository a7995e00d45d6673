// Reading a recording: each line parsed as JSON (without exceptions), checked against what its
// type says, and turned into the header, the boot segments and their entries.
#include "fota/record/reader.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <limits>

namespace fota::record {

using nlohmann::json;

namespace {

// What is wrong with a line; thrown inside this file only and caught by read_recording.
struct LineError {
    std::string message;
};

[[noreturn]] void fail(std::string message) {
    throw LineError{std::move(message)};
}

const json& field(const json& object, const char* key) {
    const auto found = object.find(key);
    if (found == object.end()) {
        fail(std::string("no field \"") + key + "\"");
    }
    return *found;
}

std::uint64_t unsigned_field(const json& object, const char* key,
                             std::uint64_t max = std::numeric_limits<std::uint32_t>::max()) {
    const json& value = field(object, key);
    if (!value.is_number_unsigned() || value.get<std::uint64_t>() > max) {
        fail(std::string("\"") + key + "\" must be an unsigned number up to " +
             std::to_string(max) + ", got " + value.dump());
    }
    return value.get<std::uint64_t>();
}

bool bool_field(const json& object, const char* key) {
    const json& value = field(object, key);
    if (!value.is_boolean()) {
        fail(std::string("\"") + key + "\" must be true or false, got " + value.dump());
    }
    return value.get<bool>();
}

std::string string_field(const json& object, const char* key) {
    const json& value = field(object, key);
    if (!value.is_string()) {
        fail(std::string("\"") + key + "\" must be a string, got " + value.dump());
    }
    return value.get<std::string>();
}

std::string text_field(const json& object, const char* key) {
    auto text = get_text(object, key);
    if (!text) {
        fail(std::string("\"") + key + "\" (or \"" + key + "_hex\") must be a string (hex)");
    }
    return std::move(*text);
}

std::vector<std::uint8_t> hex_field(const json& object, const char* key) {
    auto bytes = from_hex(string_field(object, key));
    if (!bytes) {
        fail(std::string("\"") + key + "\" must be hex digits, two per byte");
    }
    return std::move(*bytes);
}

TimerId timer_field(const json& object) {
    const std::string name = string_field(object, "timer");
    const auto timer = parse_timer(name);
    if (!timer) {
        fail("unknown timer \"" + name + "\"");
    }
    return *timer;
}

Input read_input(const json& line) {
    const std::string kind = string_field(line, "input");
    const auto parsed = parse_input_name(kind);
    if (!parsed) {
        fail("unknown input \"" + kind + "\"");
    }
    Input input;
    input.kind = *parsed;
    switch (input.kind) {
    case Input::Kind::Boot:
    case Input::Kind::Disconnected:
        break;
    case Input::Kind::Connected:
        input.session_present = bool_field(line, "session_present");
        break;
    case Input::Kind::Message:
        input.topic = text_field(line, "topic");
        input.payload = text_field(line, "payload");
        break;
    case Input::Kind::HttpStatus:
        input.request_id = static_cast<std::uint32_t>(unsigned_field(line, "id"));
        if (!field(line, "status").is_number_integer()) {
            fail("\"status\" must be an integer");
        }
        input.status = field(line, "status").get<int>();
        break;
    case Input::Kind::HttpHeader:
        input.request_id = static_cast<std::uint32_t>(unsigned_field(line, "id"));
        input.name = text_field(line, "name");
        input.value = text_field(line, "value");
        break;
    case Input::Kind::HttpBody:
        input.request_id = static_cast<std::uint32_t>(unsigned_field(line, "id"));
        input.data = hex_field(line, "data");
        break;
    case Input::Kind::HttpDone:
        input.request_id = static_cast<std::uint32_t>(unsigned_field(line, "id"));
        break;
    case Input::Kind::HttpError: {
        input.request_id = static_cast<std::uint32_t>(unsigned_field(line, "id"));
        const std::string name = string_field(line, "error");
        const auto error = parse_http_error(name);
        if (!error) {
            fail("unknown HTTP error \"" + name + "\"");
        }
        input.error = *error;
        break;
    }
    case Input::Kind::Timer:
        input.timer = timer_field(line);
        break;
    }
    return input;
}

PortStatus status_of(const json& ret) {
    const std::string name = string_field(ret, "status");
    const auto status = parse_status(name);
    if (!status) {
        fail("unknown port status \"" + name + "\"");
    }
    return *status;
}

BootInfo boot_info_of(const json& ret) {
    const json& info = field(ret, "boot_info");
    const json& running = field(info, "running");
    if (!info.is_object() || !running.is_array() || running.size() != 4) {
        fail("\"boot_info\" must be {\"running\":[major,minor,revision,build],...}");
    }
    const json version = {{"major", running[0]},
                          {"minor", running[1]},
                          {"revision", running[2]},
                          {"build", running[3]}};
    BootInfo result;
    result.running.major = static_cast<std::uint8_t>(unsigned_field(version, "major", 255));
    result.running.minor = static_cast<std::uint8_t>(unsigned_field(version, "minor", 255));
    result.running.revision =
        static_cast<std::uint16_t>(unsigned_field(version, "revision", 65535));
    result.running.build = static_cast<std::uint32_t>(unsigned_field(version, "build"));
    result.confirmed = bool_field(info, "confirmed");
    result.reverted = bool_field(info, "reverted");
    return result;
}

// The ret of each call that returns something to the core.
void read_ret(const std::string& call, const json& ret, Output& output) {
    if (call == "flash.geometry") {
        const json& geometry = field(ret, "geometry");
        output.geometry.slot_size =
            static_cast<std::uint32_t>(unsigned_field(geometry, "slot_size"));
        output.geometry.erase_page_size =
            static_cast<std::uint32_t>(unsigned_field(geometry, "erase_page_size"));
        output.geometry.write_block_size =
            static_cast<std::uint32_t>(unsigned_field(geometry, "write_block_size"));
    } else if (call == "boot.boot_info") {
        output.boot_info = boot_info_of(ret);
    } else {
        output.status = status_of(ret);
    }
    if (call == "flash.sha256") {
        const auto digest = hex_field(ret, "digest");
        if (digest.size() != output.digest.size()) {
            fail("\"digest\" must be 32 bytes of hex");
        }
        std::copy(digest.begin(), digest.end(), output.digest.begin());
    }
    if (call == "store.load" && output.status == PortStatus::Ok) {
        output.record = hex_field(ret, "record");
    }
}

Output read_output(json line) {
    static constexpr std::array<std::string_view, 6> kNoReturn = {
        "mqtt.connect", "http.cancel", "boot.reboot", "timers.start", "timers.cancel", "log.event"};
    static constexpr std::array<std::string_view, 13> kReturning = {
        "mqtt.subscribe", "mqtt.unsubscribe", "mqtt.publish",         "http.start",
        "flash.geometry", "flash.erase",      "flash.write",          "flash.sha256",
        "boot.boot_info", "boot.confirm",     "boot.request_upgrade", "store.load",
        "store.save"};
    const std::string call = string_field(line, "call");
    const bool returns = std::find(kReturning.begin(), kReturning.end(), call) != kReturning.end();
    if (!returns && std::find(kNoReturn.begin(), kNoReturn.end(), call) == kNoReturn.end()) {
        fail("unknown port call \"" + call + "\"");
    }
    Output output;
    if (returns) {
        const json& ret = field(line, "ret");
        if (!ret.is_object()) {
            fail("\"ret\" must be an object");
        }
        read_ret(call, ret, output);
    }
    for (const char* key : {"type", "i", "t", "ret"}) {
        line.erase(key);
    }
    output.call = std::move(line);
    return output;
}

void read_header(const json& line, Recording& recording) {
    if (string_field(line, "type") != "header") {
        fail("the first line must be the header "
             "({\"type\":\"header\",\"format\":\"fota-record\"...})");
    }
    if (string_field(line, "format") != kFormatName) {
        fail("not a fota-sim recording (format \"" + string_field(line, "format") + "\")");
    }
    const json& version = field(line, "version");
    if (!version.is_number_integer() || version.get<std::int64_t>() != kFormatVersion) {
        fail("format version " + version.dump() +
             " is not supported; this fota-sim reads version " + std::to_string(kFormatVersion));
    }
    recording.version = kFormatVersion;
    recording.thing = string_field(line, "thing");
    recording.shadow_base_url = string_field(line, "shadow_base_url");
    if (const std::string error = recording.profile.from_json(field(line, "profile"));
        !error.empty()) {
        fail(error);
    }
    recording.storage = field(line, "storage");
}

// One line after the header.
void read_line(json line, std::size_t number, Recording& recording) {
    const std::string type = string_field(line, "type");
    if (type == "boot") {
        Segment segment;
        segment.line = number;
        segment.boot = static_cast<std::uint32_t>(unsigned_field(line, "boot"));
        segment.seed = unsigned_field(line, "seed", std::numeric_limits<std::uint64_t>::max());
        segment.storage = field(line, "storage");
        recording.segments.push_back(std::move(segment));
        return;
    }
    Entry entry;
    entry.line = number;
    entry.index = unsigned_field(line, "i", std::numeric_limits<std::uint64_t>::max());
    if (!field(line, "t").is_number_integer()) {
        fail("\"t\" must be an integer (milliseconds)");
    }
    entry.time_ms = field(line, "t").get<std::int64_t>();
    if (type == "in") {
        entry.kind = Entry::Kind::Input;
        entry.input = read_input(line);
    } else if (type == "out") {
        entry.kind = Entry::Kind::Output;
        entry.output = read_output(std::move(line));
    } else if (type == "note") {
        entry.kind = Entry::Kind::Note;
        entry.note = string_field(line, "note");
    } else if (type == "header") {
        fail("a second header");
    } else {
        fail("unknown line type \"" + type + "\" (header, boot, in, out or note)");
    }
    if (recording.segments.empty()) {
        fail("an \"" + type + "\" line before the first boot line");
    }
    recording.segments.back().entries.push_back(std::move(entry));
}

} // namespace

ReadResult read_recording(std::istream& in) {
    ReadResult result;
    Recording recording;
    std::string text;
    std::size_t number = 0;
    while (std::getline(in, text)) {
        ++number;
        try {
            if (in.eof()) {
                fail("the line is cut short (no newline at the end of the file): the recording "
                     "is truncated");
            }
            json line = json::parse(text, nullptr, false);
            if (line.is_discarded()) {
                fail("not valid JSON");
            }
            if (!line.is_object()) {
                fail("not a JSON object");
            }
            const std::uint64_t index =
                unsigned_field(line, "i", std::numeric_limits<std::uint64_t>::max());
            if (index != number - 1) {
                fail("index \"i\" is " + std::to_string(index) + " where " +
                     std::to_string(number - 1) + " was expected (a line missing or moved)");
            }
            if (number == 1) {
                read_header(line, recording);
            } else {
                read_line(std::move(line), number, recording);
            }
        } catch (const LineError& error) {
            result.error = {number, error.message};
            return result;
        } catch (const json::exception& error) {
            result.error = {number, error.what()};
            return result;
        }
    }
    if (number == 0) {
        result.error = {1, "the file is empty (no header line)"};
        return result;
    }
    result.recording = std::move(recording);
    return result;
}

ReadResult read_recording_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        ReadResult result;
        result.error = {0, "cannot open " + path};
        return result;
    }
    return read_recording(in);
}

} // namespace fota::record
