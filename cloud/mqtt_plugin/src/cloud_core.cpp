#include "fota/cloud/cloud_core.hpp"

#include "fota/cloud/jobs_topic.hpp"

namespace fota::cloud {
namespace {

// Thing name of a message to "$aws/things/<T>/...", or empty.
std::string thing_of(const std::string& topic) {
    constexpr std::string_view prefix = "$aws/things/";
    if (topic.compare(0, prefix.size(), prefix) != 0) {
        return {};
    }
    const std::size_t end = topic.find('/', prefix.size());
    return topic.substr(prefix.size(),
                        end == std::string::npos ? std::string::npos : end - prefix.size());
}

bool ends_with(const std::string& text, std::string_view suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_reply(const std::string& topic) {
    return ends_with(topic, "/accepted") || ends_with(topic, "/rejected");
}

IdentityOptions identity_options(const CloudConfig& config, const JobsService& jobs) {
    IdentityOptions options = config.identity;
    options.region = config.jobs.region;
    options.account_id = config.jobs.account_id;
    options.thing_exists = [&jobs](const std::string& thing) {
        return jobs.describe_thing(thing).ok();
    };
    return options;
}

} // namespace

CloudCore::CloudCore(const CloudConfig& config)
    : store_(config.database_path), jobs_(store_, config.jobs), shadow_(store_),
      identity_(store_, identity_options(config, jobs_)) {
    for (const auto& [key, value] : store_.load("core")) {
        if (key == "clock_offset") {
            clock_offset_ = std::stoll(value);
        }
    }
}

void CloudCore::advance_clock(std::int64_t seconds) {
    if (seconds <= 0) {
        return;
    }
    clock_offset_ += seconds;
    store_.put("core", "clock_offset", std::to_string(clock_offset_));
}

bool CloudCore::handle_message(std::string_view client_id, std::string_view topic,
                               std::string_view payload, std::int64_t now) {
    if (JobsService::is_jobs_topic(topic)) {
        publish(jobs_.handle_request(client_id, topic, payload, now), now);
        return true;
    }
    if (ShadowService::is_shadow_topic(topic)) {
        publish(shadow_.handle_request(client_id, topic, payload, now), now);
        return true;
    }
    return false;
}

void CloudCore::tick(std::int64_t now) {
    publish(jobs_.tick(now), now);
    while (!delayed_.empty() && delayed_.front().due <= now) {
        send(delayed_.front().message);
        delayed_.pop_front();
    }
}

void CloudCore::publish(const Messages& messages, std::int64_t now) {
    for (const auto& message : messages) {
        const std::string thing = thing_of(message.topic);
        if (!thing.empty() && is_reply(message.topic)) {
            if (auto drop = drop_reply_.find(thing);
                drop != drop_reply_.end() && ends_with(message.topic, drop->second)) {
                drop_reply_.erase(drop);
                continue;
            }
            if (auto delay = delay_reply_.find(thing);
                delay != delay_reply_.end() &&
                ends_with(message.topic, delay->second.topic_suffix)) {
                delayed_.push_back({now + delay->second.seconds, message});
                delay_reply_.erase(delay);
                continue;
            }
        }
        send(message);
        if (thing.empty()) {
            continue;
        }
        const bool notify_next = ends_with(message.topic, "/jobs/notify-next");
        if (notify_next && duplicate_notify_next_.erase(thing) != 0) {
            send(message);
            continue;
        }
        if (message.payload.find("\"jobDocument\"") != std::string::npos &&
            duplicate_job_document_.erase(thing) != 0) {
            send(message);
        }
    }
}

void CloudCore::send(const OutboundMessage& message) {
    if (publisher_) {
        publisher_(message);
    }
}

void CloudCore::duplicate_next_notify_next(const std::string& thing_name) {
    duplicate_notify_next_.insert(thing_name);
}
void CloudCore::duplicate_next_job_document(const std::string& thing_name) {
    duplicate_job_document_.insert(thing_name);
}
void CloudCore::reject_next_update(const std::string& thing_name, const std::string& code) {
    jobs_.reject_next_update(thing_name, code);
}
void CloudCore::delay_next_reply(const std::string& thing_name, std::int64_t seconds,
                                 const std::string& topic_suffix) {
    delay_reply_[thing_name] = DelayRule{seconds, topic_suffix};
}
void CloudCore::drop_next_reply(const std::string& thing_name, const std::string& topic_suffix) {
    drop_reply_[thing_name] = topic_suffix;
}

} // namespace fota::cloud
