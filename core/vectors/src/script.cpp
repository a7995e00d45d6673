#include "fota/script.hpp"
#include "fota/text.hpp"

#include "fota/image_version.hpp"
#include "fota/json_writer.hpp"
#include "fota/names.hpp"

#include <algorithm>
#include <cstring>

namespace fota::script {
namespace {

std::string_view timer_name(TimerId id) {
    switch (id) {
    case TimerId::DownloadRetry:
        return "retry";
    case TimerId::DownloadStall:
        return "stall";
    case TimerId::UpdateResponse:
        return "update";
    case TimerId::JobCheck:
        return "jobcheck";
    case TimerId::ShadowRetry:
        return "shadow";
    }
    return "?";
}

bool parse_timer(std::string_view name, TimerId& id) {
    for (std::size_t i = 0; i < kTimerCount; ++i) {
        const auto candidate = static_cast<TimerId>(i);
        if (timer_name(candidate) == name) {
            id = candidate;
            return true;
        }
    }
    return false;
}

bool parse_u32(std::string_view text, std::uint32_t& value) {
    if (text.empty() || text.size() > 10) {
        return false;
    }
    std::uint64_t result = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') {
            return false;
        }
        result = result * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (result > UINT32_MAX) {
        return false;
    }
    value = static_cast<std::uint32_t>(result);
    return true;
}

// Splits "word rest" at the first space.
std::string_view first_word(std::string_view text, std::string_view& rest) {
    const std::size_t space = text.find(' ');
    if (space == std::string_view::npos) {
        rest = {};
        return text;
    }
    rest = slice(text, space + 1);
    return slice(text, 0, space);
}

} // namespace

Harness::Harness(const Setup& setup)
    : FakeDevice(slot_bytes, FlashGeometry{setup.slot_size, setup.page_size, setup.write_block},
                 setup.running, setup.new_image),
      setup_(setup), ports_{static_cast<Mqtt&>(*this),  static_cast<Http&>(*this),
                            static_cast<Flash&>(*this), static_cast<Boot&>(*this),
                            static_cast<Store&>(*this), static_cast<Timers&>(*this),
                            static_cast<Log&>(*this)} {
    setup_.slot_size = geometry().slot_size;
}

void Harness::fail(std::string_view a, std::string_view b, std::string_view c) {
    if (failed_) {
        return;
    }
    failed_ = true;
    TextBuilder text(failure_);
    text.append(a).append(b).append(c);
    if (!text.ok()) {
        TextBuilder(failure_).append(slice(a, 0, failure_.size() - 1));
    }
    failure_length_ = std::strlen(failure_.data());
}

void Harness::emit(Check category, std::string_view a, std::string_view b, std::string_view c,
                   std::string_view d) {
    TextBuilder text(line_);
    text.append(a);
    if (!b.empty()) {
        text.append_char(' ').append(b);
    }
    if (!c.empty()) {
        text.append_char(' ').append(c);
    }
    if (!d.empty()) {
        text.append_char(' ').append(d);
    }
    const std::string_view line = text.ok() ? text.view() : std::string_view("<output too long>");
    if (observer_ != nullptr) {
        observer_(observer_context_, line);
    }
    if (failed_ || (setup_.checks & category) == 0) {
        return;
    }
    const std::string_view expected = peek_line();
    if (!expected.empty() && expected[0] == '<' && line == slice(expected, 1)) {
        advance_line();
        return;
    }
    const bool expected_output = !expected.empty() && expected[0] == '<';
    fail("unexpected output '", slice(line, 0, 200),
         expected_output ? std::string_view("' (expected another)") : std::string_view("'"));
    if (expected_output) {
        // Show what was expected instead: the two lines are what a reader needs.
        TextBuilder text2(failure_);
        text2.append("got '").append(slice(line, 0, 200)).append("' expected '");
        text2.append(slice(expected, 1, 200)).append_char('\'');
        failure_length_ = text2.ok() ? text2.size() : failure_length_;
    }
}

bool Harness::check_pending_outputs() {
    if (failed_) {
        return false;
    }
    const std::string_view expected = peek_line();
    if (!expected.empty() && expected[0] == '<') {
        fail("missing output '", slice(expected, 1, 300), "'");
        return false;
    }
    return true;
}

std::string_view Harness::peek_line() const {
    // Skips blank lines and "#" comments.
    std::size_t pos = next_line_;
    while (pos < script_.size()) {
        const std::size_t end = std::min(script_.find('\n', pos), script_.size());
        std::string_view line = slice(script_, pos, end - pos);
        while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
            line.remove_prefix(1);
        }
        if (!line.empty() && line[0] != '#') {
            return line;
        }
        pos = end + 1;
    }
    return {};
}

void Harness::advance_line() {
    while (next_line_ < script_.size()) {
        const std::size_t end = std::min(script_.find('\n', next_line_), script_.size());
        std::string_view line = slice(script_, next_line_, end - next_line_);
        next_line_ = end + 1;
        while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
            line.remove_prefix(1);
        }
        if (!line.empty() && line[0] != '#') {
            return;
        }
    }
}

bool Harness::run(std::string_view script) {
    script_ = script;
    next_line_ = 0;
    while (!failed_) {
        const std::string_view line = peek_line();
        if (line.empty()) {
            break;
        }
        if (line[0] == '<') {
            return check_pending_outputs();
        }
        advance_line();
        if (!step(line)) {
            return false;
        }
    }
    return finish();
}

bool Harness::finish() {
    return check_pending_outputs();
}

bool Harness::step(std::string_view line) {
    if (line.empty()) {
        return true;
    }
    if (line[0] == '>') {
        return input(slice(line, 1)) && !failed_;
    }
    if (line[0] == '=') {
        return assertion(slice(line, 1));
    }
    fail("bad script line '", slice(line, 0, 100), "'");
    return false;
}

void Harness::power_on() {
    run_boot_loader();
    request_id_ = 0;
    AgentConfig config;
    config.thing_name = setup_.thing;
    config.profile = setup_.profile;
    config.seed = setup_.seed;
    config.shadow_base_url = setup_.shadow_base_url;
    agent_.emplace(config, ports_);
    agent_->on_boot();
}

bool Harness::input(std::string_view line) {
    std::string_view rest;
    const std::string_view command = first_word(line, rest);
    if (command == "boot") {
        power_on();
        return true;
    }
    if (command == "powercut") {
        agent_.reset();
        return true;
    }
    if (command == "refuse_next_image") {
        refuse_next_image = true;
        return true;
    }
    if (command == "fail_flash_write") {
        fail_next_write = true;
        return true;
    }
    if (!agent_) {
        fail("input before boot: ", command);
        return false;
    }
    Agent& agent = *agent_;
    if (command == "connected") {
        agent.on_connected(false);
    } else if (command == "disconnected") {
        agent.on_disconnected();
    } else if (command == "msg") {
        std::string_view payload;
        const std::string_view topic = first_word(rest, payload);
        agent.on_message(topic, payload);
    } else if (command == "status") {
        std::uint32_t code = 0;
        if (!parse_u32(rest, code)) {
            fail("bad status line");
            return false;
        }
        agent.on_http_status(request_id_, static_cast<int>(code));
    } else if (command == "header") {
        const std::size_t colon = rest.find(": ");
        if (colon == std::string_view::npos) {
            fail("bad header line");
            return false;
        }
        agent.on_http_header(request_id_, slice(rest, 0, colon), slice(rest, colon + 2));
    } else if (command == "body" || command == "body_at") {
        std::string_view count_text = rest;
        std::uint32_t offset = request_next_;
        if (command == "body_at") {
            std::string_view tail;
            const std::string_view offset_text = first_word(rest, tail);
            if (!parse_u32(offset_text, offset)) {
                fail("bad body_at line");
                return false;
            }
            count_text = tail;
        }
        std::uint32_t count = 0;
        if (!parse_u32(count_text, count) || count > 8192) {
            fail("bad body line");
            return false;
        }
        std::array<std::uint8_t, 8192> chunk{};
        for (std::uint32_t i = 0; i < count; ++i) {
            chunk[i] = pattern_byte(offset + i);
        }
        request_next_ += count;
        agent.on_http_body(request_id_, std::span<const std::uint8_t>(chunk.data(), count));
    } else if (command == "done") {
        agent.on_http_done(request_id_);
    } else if (command == "error") {
        agent.on_http_error(request_id_,
                            rest == "timeout" ? HttpError::Timeout : HttpError::ConnectionReset);
    } else if (command == "timer") {
        TimerId id{};
        if (!parse_timer(rest, id)) {
            fail("bad timer name '", rest, "'");
            return false;
        }
        agent.on_timer(id);
    } else {
        fail("unknown input '", command, "'");
        return false;
    }
    return true;
}

bool Harness::assertion(std::string_view line) {
    std::string_view rest;
    const std::string_view what = first_word(line, rest);
    std::array<char, 64> buffer{};
    TextBuilder actual(buffer);
    if (what == "phase") {
        actual.append(agent_ ? phase_text(agent_->phase()) : std::string_view("none"));
    } else if (what == "offset") {
        actual.append_uint(agent_ ? agent_->download_offset() : 0);
    } else if (what == "job") {
        actual.append(agent_ ? agent_->job_id() : std::string_view());
    } else if (what == "version") {
        actual.append_uint(agent_ ? agent_->version_number() : 0);
    } else if (what == "running") {
        append_image_version(actual, running);
    } else if (what == "confirmed") {
        actual.append(confirmed ? "yes" : "no");
    } else if (what == "rebooted") {
        actual.append(agent_ && agent_->rebooted() ? "yes" : "no");
    } else if (what == "image") {
        std::uint32_t size = 0;
        if (!parse_u32(rest, size) || size > setup_.slot_size) {
            fail("bad image assertion");
            return false;
        }
        for (std::uint32_t i = 0; i < size; ++i) {
            if (slot()[i] != pattern_byte(i)) {
                std::array<char, 64> at{};
                TextBuilder(at).append("image differs at offset ").append_uint(i);
                fail(at.data());
                return false;
            }
        }
        return true;
    } else {
        fail("unknown assertion '", what, "'");
        return false;
    }
    if (actual.view() != rest) {
        fail(what, " is '", actual.view());
        TextBuilder text(failure_);
        text.append(what).append(" is '").append(actual.view()).append("', expected '");
        text.append(slice(rest, 0, 100)).append_char('\'');
        failure_length_ = text.ok() ? text.size() : failure_length_;
        return false;
    }
    return true;
}

// ---- ports --------------------------------------------------------------------------------

void Harness::connect() {
    emit(kMqtt, "mqtt.connect");
}

PortStatus Harness::subscribe(std::string_view topic_filter) {
    emit(kMqtt, "mqtt.subscribe", topic_filter);
    return PortStatus::Ok;
}

PortStatus Harness::unsubscribe(std::string_view topic_filter) {
    emit(kMqtt, "mqtt.unsubscribe", topic_filter);
    return PortStatus::Ok;
}

PortStatus Harness::publish(std::string_view topic, std::string_view payload) {
    emit(kMqtt, "mqtt.publish", topic, payload);
    return PortStatus::Ok;
}

PortStatus Harness::start(const HttpRequest& request) {
    request_id_ = request.id;
    request_first_ = request.range_start;
    request_next_ = request.range_start;
    if (request.method == HttpMethod::Post) {
        emit(kHttp, "http.start POST", request.url, request.body);
    } else {
        std::array<char, 32> range{};
        TextBuilder(range)
            .append_uint(request.range_start)
            .append_char('-')
            .append_uint(request.range_end);
        emit(kHttp, "http.start GET", request.url, range.data());
    }
    return PortStatus::Ok;
}

void Harness::cancel(std::uint32_t request_id) {
    if (request_id == request_id_) {
        emit(kHttp, "http.cancel");
    }
}

void Harness::port_called(Check category, std::string_view call, std::string_view detail) {
    emit(category, call, detail);
}

void Harness::violation(std::string_view what) {
    fail(what);
}

void Harness::start(TimerId id, std::uint32_t delay_ms) {
    std::array<char, 16> ms{};
    TextBuilder(ms).append_uint(delay_ms);
    emit(kTimers, "timer.start", timer_name(id), ms.data());
}

void Harness::cancel(TimerId id) {
    emit(kTimers, "timer.cancel", timer_name(id));
}

void Harness::event(LogLevel, Event, std::string_view) {}

} // namespace fota::script
