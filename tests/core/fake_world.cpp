#include "fake_world.hpp"

#include "fota/image_version.hpp"
#include "fota/names.hpp"
#include "fota/sha256.hpp"

#include <algorithm>
#include <random>

namespace fota::test {

namespace {
std::string hex(const Sha256::Digest& digest) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (const auto b : digest) {
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}
bool terminal(const std::string& status) {
    return status != "QUEUED" && status != "IN_PROGRESS";
}
} // namespace

World::World(Profile profile, std::uint64_t seed)
    : FakeDevice(slot_bytes, FlashGeometry{256 * 1024, 4096, 4}, ImageVersion{1, 0, 0, 0},
                 ImageVersion{1, 0, 1, 0}),
      profile_(profile), seed_(seed) {}

void World::make_image(std::size_t size, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    image.resize(size);
    for (auto& b : image) {
        b = static_cast<std::uint8_t>(rng());
    }
}

std::string World::current_url() const {
    return url_base + "?X-Amz-Signature=sig" + std::to_string(url_generation);
}

nlohmann::json World::fota_document(bool with_size, bool with_sha) const {
    nlohmann::json doc = {{"operation", "app_fw_update"},
                          {"fwversion", "v1.0.1"},
                          {"location", {{"url", current_url()}}}};
    if (with_size) {
        doc["size"] = image.size();
    }
    if (with_sha) {
        Sha256 hash;
        hash.update(image);
        doc["sha256"] = hex(hash.finish());
    }
    return doc;
}

CloudExecution* World::execution(const std::string& job_id) {
    for (auto& e : jobs_) {
        if (e.job_id == job_id && !e.deleted) {
            return &e;
        }
    }
    return nullptr;
}

std::string World::head_job_id() const {
    for (const char* wanted : {"IN_PROGRESS", "QUEUED"}) {
        for (const auto& e : jobs_) {
            if (!e.deleted && e.status == wanted) {
                return e.job_id;
            }
        }
    }
    return {};
}

nlohmann::json World::execution_json(const CloudExecution& e) const {
    nlohmann::json document = e.document;
    if (document.contains("location") && document["location"].contains("url") &&
        document["location"]["url"].is_string() &&
        document["location"]["url"].get<std::string>().rfind(url_base, 0) == 0) {
        document["location"]["url"] = current_url(); // presigned afresh on every delivery
    }
    nlohmann::json j = {
        {"jobId", e.job_id},      {"status", e.status},         {"queuedAt", 1},
        {"lastUpdatedAt", 2},     {"versionNumber", e.version}, {"executionNumber", 1},
        {"jobDocument", document}};
    if (!e.status_details.empty()) {
        j["statusDetails"] = e.status_details;
    }
    return j;
}

void World::deliver(const std::string& topic, const nlohmann::json& payload) {
    if (!mqtt_up) {
        return;
    }
    Input input = make_input(Input::Message, topic, payload.dump());
    inputs_.push_back(input);
}

void World::notify_next_if_head_changed(const std::string& before) {
    const std::string after = head_job_id();
    if (after == before) {
        return;
    }
    const std::string topic = "$aws/things/" + thing + "/jobs/notify-next";
    if (std::find(device_subs_.begin(), device_subs_.end(), topic) == device_subs_.end()) {
        return;
    }
    nlohmann::json payload = {{"timestamp", 5}};
    if (!after.empty()) {
        payload["execution"] = execution_json(*execution(after));
    }
    for (int i = 0; i <= duplicate_notify; ++i) {
        ++notify_next_sent;
        deliver(topic, payload);
    }
}

void World::create_job(const std::string& job_id, nlohmann::json document) {
    const std::string before = head_job_id();
    CloudExecution e;
    e.job_id = job_id;
    e.document = std::move(document);
    jobs_.push_back(e);
    notify_next_if_head_changed(before);
}

void World::power_on() {
    ++boots;
    run_boot_loader();
    inputs_.clear();
    timers_.clear();
    mqtt_up = false;
    device_subs_.clear();
    AgentConfig config;
    config.thing_name = thing;
    config.profile = profile_;
    config.seed = seed_ + static_cast<std::uint64_t>(boots);
    config.shadow_base_url = "https://data.iot.example.com";
    const Ports ports{*this, *this, *this, *this, *this, *this, *this};
    agent.emplace(config, ports);
    agent->on_boot();
}

void World::boot_and_offer_job(const std::string& job_id) {
    power_on();
    run();
    create_job(job_id, fota_document());
}

void World::power_cut() {
    agent.reset();
    inputs_.clear();
    timers_.clear();
    mqtt_up = false;
    device_subs_.clear();
}

bool World::step() {
    if (!agent || agent->rebooted()) {
        if (agent && agent->rebooted()) {
            power_cut();
            power_on();
            return true;
        }
        return false;
    }
    // Timers that fell due while inputs were being delivered fire first.
    if (!inputs_.empty()) {
        auto due = std::min_element(timers_.begin(), timers_.end(),
                                    [](auto& a, auto& b) { return a.second < b.second; });
        if (due != timers_.end() && due->second <= now_ms) {
            const TimerId id = due->first;
            timers_.erase(due);
            agent->on_timer(id);
            return true;
        }
        now_ms += ms_per_input;
        Input input = std::move(inputs_.front());
        inputs_.pop_front();
        switch (input.kind) {
        case Input::Connected:
            agent->on_connected(false);
            break;
        case Input::Message:
            agent->on_message(input.a, input.b);
            break;
        case Input::HttpStatus:
            agent->on_http_status(input.id, input.status);
            break;
        case Input::HttpHeader:
            agent->on_http_header(input.id, input.a, input.b);
            break;
        case Input::HttpBody:
            agent->on_http_body(input.id, input.body);
            break;
        case Input::HttpDone:
            agent->on_http_done(input.id);
            break;
        }
        return true;
    }
    if (timers_.empty()) {
        return false;
    }
    auto earliest = std::min_element(timers_.begin(), timers_.end(),
                                     [](auto& a, auto& b) { return a.second < b.second; });
    const TimerId id = earliest->first;
    now_ms = std::max(now_ms, earliest->second);
    timers_.erase(earliest);
    agent->on_timer(id);
    return true;
}

int World::run(int max_steps) {
    int steps = 0;
    while (steps < max_steps && step()) {
        ++steps;
        // The job-check timer alone does not keep the world busy once everything is done.
        if (inputs_.empty() && timers_.size() == 1 && timers_.count(TimerId::JobCheck) != 0 &&
            agent && agent->phase() != Phase::Downloading) {
            break;
        }
    }
    return steps;
}

// ---- Mqtt ---------------------------------------------------------------------------------

void World::connect() {
    if (auto_connect) {
        mqtt_up = true;
        inputs_.push_back(make_input(Input::Connected, {}, {}));
    }
}

PortStatus World::subscribe(std::string_view topic_filter) {
    if (!mqtt_up) {
        return PortStatus::NotConnected;
    }
    subscribed.emplace_back(topic_filter);
    device_subs_.emplace_back(topic_filter);
    return PortStatus::Ok;
}

PortStatus World::unsubscribe(std::string_view topic_filter) {
    if (!mqtt_up) {
        return PortStatus::NotConnected;
    }
    device_subs_.erase(std::remove(device_subs_.begin(), device_subs_.end(), topic_filter),
                       device_subs_.end());
    return PortStatus::Ok;
}

PortStatus World::publish(std::string_view topic, std::string_view payload) {
    if (!mqtt_up) {
        return PortStatus::NotConnected;
    }
    published.push_back(std::string(topic) + " " + std::string(payload));
    const std::string t(topic);
    if (t == "$aws/things/" + thing + "/shadow/update") {
        shadow_reported = std::string(payload);
        return PortStatus::Ok;
    }
    handle_jobs_publish(t, std::string(payload));
    return PortStatus::Ok;
}

void World::handle_jobs_publish(const std::string& topic, const std::string& payload) {
    const std::string prefix = "$aws/things/" + thing + "/jobs/";
    if (topic.rfind(prefix, 0) != 0) {
        return;
    }
    const std::string rest = topic.substr(prefix.size());
    const auto slash = rest.find('/');
    const std::string job = rest.substr(0, slash);
    const std::string op = slash == std::string::npos ? "" : rest.substr(slash + 1);
    nlohmann::json request = nlohmann::json::parse(payload, nullptr, false);
    if (request.is_discarded()) {
        deliver(topic + "/rejected", {{"code", "InvalidJson"}});
        return;
    }
    const std::string token = request.value("clientToken", std::string());
    if (op == "get") {
        const std::string id = job == "$next" ? head_job_id() : job;
        CloudExecution* e = id.empty() ? nullptr : execution(id);
        if (e == nullptr) {
            if (job == "$next") {
                deliver(topic + "/accepted", {{"clientToken", token}, {"timestamp", 7}});
            } else {
                deliver(topic + "/rejected",
                        {{"code", "ResourceNotFound"}, {"clientToken", token}, {"timestamp", 7}});
            }
            return;
        }
        deliver(topic + "/accepted",
                {{"clientToken", token}, {"timestamp", 7}, {"execution", execution_json(*e)}});
        return;
    }
    if (op != "update") {
        return;
    }
    CloudExecution* e = execution(job);
    if (e == nullptr) {
        deliver(topic + "/rejected",
                {{"code", "ResourceNotFound"}, {"clientToken", token}, {"timestamp", 7}});
        return;
    }
    const auto state = [&] {
        return nlohmann::json{{"status", e->status},
                              {"statusDetails", e->status_details},
                              {"versionNumber", e->version}};
    };
    if (request.contains("expectedVersion")) {
        const auto& v = request["expectedVersion"];
        const std::uint32_t expected =
            v.is_string() ? static_cast<std::uint32_t>(std::stoul(v.get<std::string>()))
                          : v.get<std::uint32_t>();
        if (expected != e->version) {
            if (!drop_update_replies) {
                deliver(topic + "/rejected", {{"code", "VersionMismatch"},
                                              {"clientToken", token},
                                              {"timestamp", 7},
                                              {"executionState", state()}});
            }
            return;
        }
    }
    if (terminal(e->status)) {
        if (!drop_update_replies) {
            deliver(topic + "/rejected", {{"code", "InvalidStateTransition"},
                                          {"clientToken", token},
                                          {"timestamp", 7},
                                          {"executionState", state()}});
        }
        return;
    }
    const std::string before = head_job_id();
    e->status = request.value("status", std::string());
    if (request.contains("statusDetails") && request["statusDetails"].is_object()) {
        e->status_details = request["statusDetails"];
    }
    ++e->version;
    if (!drop_update_replies) {
        deliver(topic + "/accepted", {{"clientToken", token}, {"timestamp", 7}});
    }
    notify_next_if_head_changed(before);
}

// ---- Http ---------------------------------------------------------------------------------

PortStatus World::start(const HttpRequest& request) {
    const std::string url(request.url);
    if (request.method == HttpMethod::Post) {
        http_log.push_back("POST " + url + " " + std::string(request.body));
        shadow_reported = std::string(request.body);
        inputs_.push_back(make_input(Input::HttpStatus, {}, {}, request.id, 200));
        inputs_.push_back(make_input(Input::HttpDone, {}, {}, request.id));
        return PortStatus::Ok;
    }
    http_log.push_back("GET " + url + " " + std::to_string(request.range_start) + "-" +
                       std::to_string(request.range_end));
    int status = 206;
    std::string content_range;
    std::vector<std::uint8_t> body;
    const bool url_ok = url.rfind(url_base, 0) == 0 && (!urls_expire || url == current_url());
    if (!url_ok) {
        status = 403;
    } else if (request.range_start >= image.size()) {
        status = 416;
        content_range = "bytes */" + std::to_string(image.size());
    } else {
        const std::uint32_t last = std::min<std::uint32_t>(
            request.range_end, static_cast<std::uint32_t>(image.size() - 1));
        content_range = "bytes " + std::to_string(request.range_start) + "-" +
                        std::to_string(last) + "/" + std::to_string(image.size());
        body.assign(image.begin() + request.range_start, image.begin() + last + 1);
    }
    if (http_fault) {
        http_fault(request.range_start, request.range_end, status, content_range, body);
    }
    inputs_.push_back(make_input(Input::HttpStatus, {}, {}, request.id, status));
    if (!content_range.empty()) {
        inputs_.push_back(
            make_input(Input::HttpHeader, "Content-Range", content_range, request.id));
    }
    for (std::size_t pos = 0; pos < body.size(); pos += body_chunk) {
        Input chunk = make_input(Input::HttpBody, {}, {}, request.id);
        chunk.body.assign(body.begin() + static_cast<std::ptrdiff_t>(pos),
                          body.begin() +
                              static_cast<std::ptrdiff_t>(std::min(body.size(), pos + body_chunk)));
        inputs_.push_back(std::move(chunk));
    }
    if (suppress_done) {
        suppress_done = false; // the server stalls: neither the rest nor the end arrives
    } else {
        inputs_.push_back(make_input(Input::HttpDone, {}, {}, request.id));
    }
    return PortStatus::Ok;
}

void World::cancel(std::uint32_t request_id) {
    inputs_.erase(std::remove_if(inputs_.begin(), inputs_.end(),
                                 [&](const Input& i) {
                                     return i.id == request_id && (i.kind == Input::HttpStatus ||
                                                                   i.kind == Input::HttpHeader ||
                                                                   i.kind == Input::HttpBody ||
                                                                   i.kind == Input::HttpDone);
                                 }),
                  inputs_.end());
}

// ---- Timers, Log -------------------------------------------------------------------------

void World::start(TimerId id, std::uint32_t delay_ms) {
    timers_[id] = now_ms + delay_ms;
}

void World::cancel(TimerId id) {
    timers_.erase(id);
}

void World::event(LogLevel, Event event, std::string_view detail) {
    events.push_back(std::string(event_name(event)) + ": " + std::string(detail));
}

} // namespace fota::test
