// Replaying a recording: per boot segment a fresh Agent whose ports compare each call with the
// next recorded output and hand back what the platform returned then.
#include "fota/record/replay.hpp"

#include "calls.hpp"

#include <algorithm>

namespace fota::record {

using nlohmann::json;

namespace {

// Where the replay is, across segments: the outputs counted so far and the first difference.
struct Progress {
    ReplayResult result;
    const ReplayTrace* trace = nullptr;
    std::uint64_t output_number = 0; ///< outputs of the file met so far
    bool diverged = false;
    FlashGeometry fallback_geometry{475136, 4096, 4}; ///< after a divergence
};

std::string describe_entry(const Entry& entry) {
    if (entry.kind == Entry::Kind::Output) {
        return entry.output.call.dump();
    }
    return "no call (the recording's next line, " + std::to_string(entry.line) + ", is an input)";
}

// The ports of one replayed boot: each call takes the segment's next output.
class ReplayPorts final : public Mqtt,
                          public Http,
                          public Flash,
                          public Boot,
                          public Store,
                          public Timers,
                          public Log {
public:
    ReplayPorts(const Segment& segment, Progress& progress)
        : segment_(segment), progress_(progress) {}

    Ports ports() { return Ports{*this, *this, *this, *this, *this, *this, *this}; }

    // The next entry that is not a note, or nullptr at the end of the segment.
    const Entry* peek() {
        while (next_ < segment_.entries.size() &&
               segment_.entries[next_].kind == Entry::Kind::Note) {
            ++next_;
        }
        return next_ < segment_.entries.size() ? &segment_.entries[next_] : nullptr;
    }
    void advance() { ++next_; }

    // A recorded output the core did not make (the replayed core is done with an input).
    void missing(const Entry& expected) {
        ++progress_.output_number;
        diverge(expected.line, expected.output.call.dump(), "no call");
    }

    void connect() override { take(calls::connect()); }
    PortStatus subscribe(std::string_view topic) override {
        return status(take(calls::subscribe(topic)));
    }
    PortStatus unsubscribe(std::string_view topic) override {
        return status(take(calls::unsubscribe(topic)));
    }
    PortStatus publish(std::string_view topic, std::string_view payload) override {
        return status(take(calls::publish(topic, payload)));
    }
    PortStatus start(const HttpRequest& request) override {
        return status(take(calls::http_start(request)));
    }
    void cancel(std::uint32_t request_id) override { take(calls::http_cancel(request_id)); }
    FlashGeometry geometry() const override {
        const Output* output = const_cast<ReplayPorts*>(this)->take(calls::geometry());
        return output != nullptr ? output->geometry : progress_.fallback_geometry;
    }
    PortStatus erase(std::uint32_t offset, std::uint32_t length) override {
        return status(take(calls::erase(offset, length)));
    }
    PortStatus write(std::uint32_t offset, std::span<const std::uint8_t> data) override {
        return status(take(calls::write(offset, data)));
    }
    PortStatus sha256(std::uint32_t length, Digest& digest) override {
        const Output* output = take(calls::sha256(length));
        if (output != nullptr) {
            digest = output->digest;
        }
        return status(output);
    }
    BootInfo boot_info() const override {
        const Output* output = const_cast<ReplayPorts*>(this)->take(calls::boot_info());
        return output != nullptr ? output->boot_info : BootInfo{};
    }
    PortStatus request_upgrade(bool permanent) override {
        return status(take(calls::request_upgrade(permanent)));
    }
    PortStatus confirm() override { return status(take(calls::confirm())); }
    void reboot() override { take(calls::reboot()); }
    PortStatus load(std::span<std::uint8_t> out, std::size_t& length) override {
        length = 0;
        const Output* output = take(calls::load(out.size()));
        if (output == nullptr || output->status != PortStatus::Ok) {
            return status(output);
        }
        if (output->record.size() > out.size()) {
            return PortStatus::Error; // the capacity is compared: this cannot pass unnoticed
        }
        std::copy(output->record.begin(), output->record.end(), out.begin());
        length = output->record.size();
        return PortStatus::Ok;
    }
    PortStatus save(std::span<const std::uint8_t> record) override {
        return status(take(calls::save(record)));
    }
    void start(TimerId id, std::uint32_t delay_ms) override {
        take(calls::timer_start(id, delay_ms));
    }
    void cancel(TimerId id) override { take(calls::timer_cancel(id)); }
    void event(LogLevel level, Event event, std::string_view detail) override {
        take(calls::log_event(level, event, detail));
    }

private:
    static PortStatus status(const Output* output) {
        return output != nullptr ? output->status : PortStatus::Error;
    }

    void diverge(std::size_t line, std::string expected, std::string got) {
        progress_.diverged = true;
        ReplayResult& result = progress_.result;
        result.output_number = progress_.output_number;
        result.line = line;
        result.boot = segment_.boot;
        result.expected = std::move(expected);
        result.got = std::move(got);
    }

    // Compares the core's call with the next recorded output; the recorded output when they are
    // the same call (its results to hand back), else nullptr. After a difference nothing more
    // is compared.
    const Output* take(const json& call) {
        if (progress_.diverged) {
            return nullptr;
        }
        ++progress_.output_number;
        const Entry* expected = peek();
        if (expected == nullptr) {
            diverge(segment_.entries.empty() ? segment_.line : segment_.entries.back().line,
                    "no call (the boot segment ends here)", call.dump());
            return nullptr;
        }
        if (expected->kind != Entry::Kind::Output || expected->output.call != call) {
            diverge(expected->line, describe_entry(*expected), call.dump());
            return nullptr;
        }
        advance();
        ++progress_.result.outputs;
        if (*progress_.trace) {
            (*progress_.trace)("  line " + std::to_string(expected->line) + " out " +
                               std::to_string(progress_.output_number) + ": " + call.dump());
        }
        return &expected->output;
    }

    const Segment& segment_;
    Progress& progress_;
    std::size_t next_ = 0;
};

void feed(Agent& agent, const Input& input) {
    switch (input.kind) {
    case Input::Kind::Boot:
        agent.on_boot();
        break;
    case Input::Kind::Connected:
        agent.on_connected(input.session_present);
        break;
    case Input::Kind::Disconnected:
        agent.on_disconnected();
        break;
    case Input::Kind::Message:
        agent.on_message(input.topic, input.payload);
        break;
    case Input::Kind::HttpStatus:
        agent.on_http_status(input.request_id, input.status);
        break;
    case Input::Kind::HttpHeader:
        agent.on_http_header(input.request_id, input.name, input.value);
        break;
    case Input::Kind::HttpBody:
        agent.on_http_body(input.request_id, input.data);
        break;
    case Input::Kind::HttpDone:
        agent.on_http_done(input.request_id);
        break;
    case Input::Kind::HttpError:
        agent.on_http_error(input.request_id, input.error);
        break;
    case Input::Kind::Timer:
        agent.on_timer(input.timer);
        break;
    }
}

void replay_segment(const Recording& recording, const Segment& segment, Progress& progress) {
    const Profile profile = recording.profile.profile();
    AgentConfig config;
    config.thing_name = recording.thing;
    config.profile = profile;
    config.seed = segment.seed;
    config.shadow_base_url = recording.shadow_base_url;
    if (*progress.trace) {
        (*progress.trace)("boot " + std::to_string(segment.boot) + " (line " +
                          std::to_string(segment.line) + "): seed " + std::to_string(segment.seed));
    }
    ReplayPorts ports(segment, progress);
    // The agent is about 5 KiB: on the heap, as the simulator keeps it.
    auto agent = std::make_unique<Agent>(config, ports.ports());
    ++progress.result.segments;
    while (!progress.diverged) {
        const Entry* entry = ports.peek();
        if (entry == nullptr) {
            return;
        }
        if (entry->kind == Entry::Kind::Output) {
            ports.missing(*entry);
            return;
        }
        ports.advance();
        ++progress.result.inputs;
        if (*progress.trace) {
            (*progress.trace)("  line " + std::to_string(entry->line) +
                              " in: " + describe_input(entry->input));
        }
        feed(*agent, entry->input);
    }
}

} // namespace

ReplayResult replay(const Recording& recording, const ReplayTrace& trace) {
    Progress progress;
    progress.trace = &trace;
    for (const Segment& segment : recording.segments) {
        for (const Entry& entry : segment.entries) {
            if (entry.kind == Entry::Kind::Output &&
                entry.output.call.value("call", "") == "flash.geometry") {
                progress.fallback_geometry = entry.output.geometry;
            }
        }
    }
    for (const Segment& segment : recording.segments) {
        replay_segment(recording, segment, progress);
        if (progress.diverged) {
            return progress.result;
        }
    }
    progress.result.identical = true;
    return progress.result;
}

namespace {

// Long calls (a state record in hex) shown around their first difference.
constexpr std::size_t kShownBefore = 60;
constexpr std::size_t kShownAfter = 100;

// The part of a call around `at`, named by the call ("mqtt.publish ...") when it is cut.
std::string window(const std::string& text, std::size_t at) {
    const std::size_t from = at > kShownBefore ? at - kShownBefore : 0;
    const std::size_t to = std::min(text.size(), at + kShownAfter);
    std::string shown = text.substr(from, to - from);
    if (from > 0) {
        const json call = json::parse(text, nullptr, false);
        const std::string name =
            call.is_object() && call.contains("call") && call["call"].is_string()
                ? call["call"].get<std::string>() + " "
                : std::string();
        shown = name + "..." + shown;
    }
    if (to < text.size()) {
        shown += "...";
    }
    return shown;
}

} // namespace

std::string describe(const ReplayResult& result, bool full) {
    if (!result.identical && !full &&
        std::max(result.expected.size(), result.got.size()) > kShownBefore + kShownAfter) {
        const auto differs = std::mismatch(result.expected.begin(), result.expected.end(),
                                           result.got.begin(), result.got.end());
        const auto at = static_cast<std::size_t>(differs.first - result.expected.begin());
        ReplayResult shown = result;
        shown.expected = window(result.expected, at);
        shown.got = window(result.got, at);
        return describe(shown, true) + " (calls shortened around their first difference)";
    }
    if (result.identical) {
        return "identical (" + std::to_string(result.segments) + " boot segment(s), " +
               std::to_string(result.inputs) + " inputs, " + std::to_string(result.outputs) +
               " outputs)";
    }
    return "output " + std::to_string(result.output_number) + ": expected " + result.expected +
           " got " + result.got + "\n  at line " + std::to_string(result.line) + " (boot " +
           std::to_string(result.boot) + "; " + std::to_string(result.outputs) +
           " outputs were identical before it)";
}

} // namespace fota::record
