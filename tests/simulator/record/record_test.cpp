// Record and replay (simulator/record/): the value encodings, the writer and the reader (a
// recording of a real core read back field for field), the reader's errors with their line,
// and the replay's comparison (identical; a changed input, a missing or an extra output give the
// first differing output).
#include "fota/record/reader.hpp"
#include "fota/record/recorder.hpp"
#include "fota/record/replay.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace fota;
using namespace fota::record;
using nlohmann::json;

namespace {

// A platform that accepts everything: an nRF9160-like slot, no stored record, image v1.0.0.
class StubPlatform final : public Mqtt,
                           public Http,
                           public Flash,
                           public Boot,
                           public Store,
                           public Timers,
                           public Log {
public:
    Ports ports() { return Ports{*this, *this, *this, *this, *this, *this, *this}; }
    void connect() override {}
    PortStatus subscribe(std::string_view) override { return PortStatus::Ok; }
    PortStatus unsubscribe(std::string_view) override { return PortStatus::Ok; }
    PortStatus publish(std::string_view, std::string_view) override { return PortStatus::Ok; }
    PortStatus start(const HttpRequest&) override { return PortStatus::Ok; }
    void cancel(std::uint32_t) override {}
    FlashGeometry geometry() const override { return {0x76000, 4096, 4}; }
    PortStatus erase(std::uint32_t, std::uint32_t) override { return PortStatus::Ok; }
    PortStatus write(std::uint32_t, std::span<const std::uint8_t>) override {
        return PortStatus::Ok;
    }
    PortStatus sha256(std::uint32_t, Digest& digest) override {
        digest.fill(0xab);
        return PortStatus::Ok;
    }
    BootInfo boot_info() const override { return BootInfo{{1, 0, 0, 0}, true, false}; }
    PortStatus request_upgrade(bool) override { return PortStatus::Ok; }
    PortStatus confirm() override { return PortStatus::Ok; }
    void reboot() override {}
    PortStatus load(std::span<std::uint8_t>, std::size_t& length) override {
        length = 0;
        return PortStatus::NotFound;
    }
    PortStatus save(std::span<const std::uint8_t>) override { return PortStatus::Ok; }
    void start(TimerId, std::uint32_t) override {}
    void cancel(TimerId) override {}
    void event(LogLevel, Event, std::string_view) override {}
};

std::string temp_path(const std::string& name) {
    static std::atomic<int> counter{0};
    return (std::filesystem::temp_directory_path() /
            ("fota-record-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) +
             "-" + name))
        .string();
}

const std::string kJob =
    R"({"execution":{"jobId":"job1","status":"QUEUED","versionNumber":1,"executionNumber":1,)"
    R"("jobDocument":{"operation":"app_fw_update","fwversion":"v2.0.0","size":8192,)"
    R"("location":{"protocol":"http","host":"objects.local","path":"fw/app_update.bin"}}}})";

// Two boots of a real core through the recorder, to a file; returns its text.
std::string record_two_boots() {
    const std::string path = temp_path("two-boots.jsonl");
    Profile profile = default_profile();
    profile.shadow_transport = ShadowTransport::Mqtt;
    std::int64_t now_ms = 0;
    std::string error;
    auto file = DeviceRecorder::open(
        path, "dev-1", profile, "", [&now_ms] { return std::chrono::milliseconds(now_ms); }, error);
    REQUIRE(file);
    StubPlatform platform;
    for (std::uint32_t boot = 1; boot <= 2; ++boot) {
        BootRecorder recorder(*file, platform.ports(), boot, 40 + boot, json{{"store", nullptr}});
        AgentConfig config;
        config.thing_name = "dev-1";
        config.profile = profile;
        config.seed = 40 + boot;
        auto agent = std::make_unique<Agent>(config, recorder.ports());
        AgentInputs inputs(*agent, &recorder);
        inputs.on_boot();
        now_ms += 120;
        inputs.on_connected(false);
        now_ms += 80;
        inputs.on_message("$aws/things/dev-1/jobs/notify-next", kJob);
        if (boot == 2) {
            file->note("power_cut");
        }
    }
    file.reset();
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    std::filesystem::remove(path);
    return text.str();
}

ReadResult read_text(const std::string& text) {
    std::istringstream in(text);
    return read_recording(in);
}

std::vector<json> lines_of(const std::string& text) {
    std::vector<json> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        lines.push_back(json::parse(line));
    }
    return lines;
}

std::string text_of(const std::vector<json>& lines) {
    std::string text;
    for (const json& line : lines) {
        text += line.dump() + "\n";
    }
    return text;
}

} // namespace

TEST_CASE("hex and texts round trip; unprintable texts go to _hex", "[record]") {
    const std::vector<std::uint8_t> bytes = {0x00, 0x7f, 0xff, 0x10};
    CHECK(to_hex(bytes) == "007fff10");
    CHECK(from_hex("007FFF10") == bytes);
    CHECK_FALSE(from_hex("abc"));
    CHECK_FALSE(from_hex("zz"));
    CHECK(from_hex("")->empty());

    json object = json::object();
    put_text(object, "topic", "a/b");
    put_text(object, "payload", std::string("x\0\xff", 3));
    CHECK(object["topic"] == "a/b");
    CHECK(object["payload_hex"] == "7800ff");
    CHECK(get_text(object, "payload") == std::string("x\0\xff", 3));
    CHECK_FALSE(get_text(object, "missing"));
    object["bad_hex"] = "xyz";
    CHECK_FALSE(get_text(object, "bad"));
}

TEST_CASE("a profile round trips through JSON; a missing field is named", "[record]") {
    Profile profile = verified_profile();
    profile.update_format = UpdateFormat::Ncs;
    profile.shadow_transport = ShadowTransport::None;
    profile.download.fragment_size = 2048;
    profile.required_operation = "custom_op";
    RecordedProfile read;
    REQUIRE(read.from_json(RecordedProfile(profile).to_json()).empty());
    const Profile back = read.profile();
    CHECK(back.name == "verified");
    CHECK(back.report_success_after_boot);
    CHECK(back.update_format == UpdateFormat::Ncs);
    CHECK(back.shadow_transport == ShadowTransport::None);
    CHECK(back.download.fragment_size == 2048);
    CHECK(back.required_operation == "custom_op");

    json broken = RecordedProfile(profile).to_json();
    broken["download"].erase("stall_timeout_ms");
    CHECK(RecordedProfile().from_json(broken) ==
          "profile.stall_timeout_ms must be an unsigned 32-bit number");
    broken = RecordedProfile(profile).to_json();
    broken["shadow_transport"] = "pigeon";
    CHECK(RecordedProfile().from_json(broken) ==
          "profile.shadow_transport has an unknown value 'pigeon'");
}

TEST_CASE("a recording of a real core reads back and replays identical", "[record]") {
    const std::string text = record_two_boots();
    const std::vector<json> lines = lines_of(text);
    REQUIRE(lines.size() > 10);
    CHECK(lines[0]["type"] == "header");
    CHECK(lines[0]["thing"] == "dev-1");
    CHECK(lines[1]["type"] == "boot");
    CHECK(lines[1]["seed"] == 41);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        CHECK(lines[i]["i"] == i);
    }

    const ReadResult read = read_text(text);
    INFO(read.error.line << ": " << read.error.message);
    REQUIRE(read.recording);
    const Recording& recording = *read.recording;
    CHECK(recording.thing == "dev-1");
    CHECK(recording.profile.profile().shadow_transport == ShadowTransport::Mqtt);
    REQUIRE(recording.segments.size() == 2);
    CHECK(recording.segments[1].seed == 42);
    const auto& entries = recording.segments[0].entries;
    REQUIRE_FALSE(entries.empty());
    CHECK(entries.front().kind == Entry::Kind::Input);
    CHECK(entries.front().input.kind == Input::Kind::Boot);
    const auto message = std::find_if(entries.begin(), entries.end(), [](const Entry& e) {
        return e.kind == Entry::Kind::Input && e.input.kind == Input::Kind::Message;
    });
    REQUIRE(message != entries.end());
    CHECK(message->input.payload == kJob);
    CHECK(message->time_ms == 200);
    CHECK(recording.segments[1].entries.back().kind == Entry::Kind::Note);

    std::vector<std::string> trace;
    const ReplayResult result =
        replay(recording, [&trace](std::string_view line) { trace.emplace_back(line); });
    INFO(describe(result));
    CHECK(result.identical);
    CHECK(result.segments == 2);
    CHECK(result.inputs == 6);
    // The trace: a line per boot, input and output, in the file's order.
    CHECK(trace.size() == 2 + 6 + result.outputs);
    CHECK(trace[0] == "boot 1 (line 2): seed 41");
    CHECK(trace[1] == "  line 3 in: boot");
    CHECK(std::count_if(trace.begin(), trace.end(), [](const std::string& line) {
              return line.find(" in: message $aws/things/dev-1/jobs/notify-next (") !=
                     std::string::npos;
          }) == 2);
    CHECK(describe(result).rfind("identical (2 boot segment(s), 6 inputs, ", 0) == 0);
}

TEST_CASE("replay: a changed input gives the first output that differs", "[record]") {
    std::vector<json> lines = lines_of(record_two_boots());
    // The job's message of the first boot names another job: the first output that names the
    // job differs.
    std::size_t changed = 0;
    std::uint64_t outputs_before = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i]["type"] == "out") {
            ++outputs_before;
        }
        if (lines[i].value("input", "") == "message") {
            std::string payload = lines[i]["payload"];
            payload.replace(payload.find("job1"), 4, "jobX");
            lines[i]["payload"] = payload;
            changed = i;
            break;
        }
    }
    REQUIRE(changed > 0);
    const ReadResult read = read_text(text_of(lines));
    REQUIRE(read.recording);
    const ReplayResult result = replay(*read.recording);
    CHECK_FALSE(result.identical);
    CHECK(result.boot == 1);
    CHECK(result.output_number > outputs_before);
    CHECK(result.line > changed + 1);
    INFO(describe(result));
    // The first output naming the job: the state record saved (hex) or a message.
    const auto names = [](const std::string& call, const std::string& job) {
        const std::string hex =
            to_hex(std::span(reinterpret_cast<const std::uint8_t*>(job.data()), job.size()));
        return call.find(job) != std::string::npos || call.find(hex) != std::string::npos;
    };
    CHECK(names(result.expected, "job1"));
    CHECK_FALSE(names(result.expected, "jobX"));
    CHECK(names(result.got, "jobX"));
    const std::string text = describe(result);
    CHECK(text.rfind("output " + std::to_string(result.output_number) + ": expected {", 0) == 0);
    CHECK(text.find(" got {") != std::string::npos);
}

TEST_CASE("replay: a missing or an extra output is the first difference", "[record]") {
    Recording recording;
    recording.thing = "dev-1";
    Profile profile = default_profile();
    profile.shadow_transport = ShadowTransport::Mqtt;
    recording.profile = RecordedProfile(profile);
    Segment segment;
    segment.line = 2;
    segment.boot = 1;
    segment.seed = 7;
    Entry boot;
    boot.kind = Entry::Kind::Input;
    boot.line = 3;
    segment.entries.push_back(boot);
    recording.segments.push_back(segment);

    // The core calls ports on boot; the recording has none after it.
    ReplayResult result = replay(recording);
    CHECK_FALSE(result.identical);
    CHECK(result.output_number == 1);
    CHECK(result.expected == "no call (the boot segment ends here)");
    CHECK(result.got.find("\"call\":") != std::string::npos);

    // A recorded output before the boot input: the core made no call before its first input.
    Entry output;
    output.kind = Entry::Kind::Output;
    output.line = 3;
    output.output.call = {{"call", "mqtt.connect"}};
    recording.segments[0].entries.insert(recording.segments[0].entries.begin(), output);
    result = replay(recording);
    CHECK_FALSE(result.identical);
    CHECK(result.output_number == 1);
    CHECK(result.expected == R"({"call":"mqtt.connect"})");
    CHECK(result.got == "no call");
}

TEST_CASE("reader: bad files give the line and what is wrong", "[record]") {
    const std::string good = record_two_boots();
    const auto error_of = [](const std::string& text) {
        const ReadResult read = read_text(text);
        CHECK_FALSE(read.recording);
        return std::to_string(read.error.line) + ": " + read.error.message;
    };
    CHECK(error_of("") == "1: the file is empty (no header line)");
    CHECK(error_of("{not json\n") == "1: not valid JSON");
    CHECK(error_of("[1,2]\n") == "1: not a JSON object");
    // Truncated: the last line lost its end.
    CHECK(error_of(good.substr(0, good.size() - 10)).find(": the line is cut short") !=
          std::string::npos);

    std::vector<json> lines = lines_of(good);
    auto changed = [&](std::size_t index, const char* key, json value) {
        std::vector<json> copy = lines;
        if (value.is_null()) {
            copy[index].erase(key);
        } else {
            copy[index][key] = std::move(value);
        }
        return text_of(copy);
    };
    CHECK(error_of(changed(0, "version", 2)) ==
          "1: format version 2 is not supported; this fota-sim reads version 1");
    CHECK(error_of(changed(0, "format", "other")) ==
          "1: not a fota-sim recording (format \"other\")");
    CHECK(error_of(changed(1, "seed", "seven")).rfind("2: \"seed\" must be an unsigned", 0) == 0);
    CHECK(error_of(changed(2, "input", "teleport")) == "3: unknown input \"teleport\"");
    CHECK(error_of(changed(3, "i", 9)) ==
          "4: index \"i\" is 9 where 3 was expected (a line missing or moved)");
    CHECK(error_of(changed(2, "type", "sideways")) ==
          "3: unknown line type \"sideways\" (header, boot, in, out or note)");

    // An output whose ret is not what its call returns, and an unknown call.
    std::size_t load = 0;
    while (lines[load].value("call", "") != "store.load") {
        ++load;
    }
    CHECK(error_of(changed(load, "ret", json::object())) ==
          std::to_string(load + 1) + ": no field \"status\"");
    CHECK(error_of(changed(load, "call", "store.teleport")) ==
          std::to_string(load + 1) + ": unknown port call \"store.teleport\"");
    // A message without its topic.
    std::size_t message = 0;
    while (lines[message].value("input", "") != "message") {
        ++message;
    }
    CHECK(error_of(changed(message, "topic", nullptr)) ==
          std::to_string(message + 1) + ": \"topic\" (or \"topic_hex\") must be a string (hex)");
    // Lines before the first boot.
    std::vector<json> early = {lines[0], lines[2]};
    early[1]["i"] = 1;
    CHECK(error_of(text_of(early)) == "2: an \"in\" line before the first boot line");
    CHECK(read_recording_file("/nonexistent/rec.jsonl").error.line == 0);
}
