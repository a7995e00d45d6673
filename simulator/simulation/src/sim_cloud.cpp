// The local AWS IoT on the in-memory broker (sim_cloud.hpp).
#include "fota/sim/simulation/sim_cloud.hpp"

#include "fota/cloud/control_dispatch.hpp"
#include "fota/cloud/topic_policy.hpp"

#include <algorithm>

namespace fota::sim::simulation {

namespace {

cloud::TopicAccess topic_access(MqttAccess access) {
    switch (access) {
    case MqttAccess::publish:
        return cloud::TopicAccess::write;
    case MqttAccess::subscribe:
        return cloud::TopicAccess::subscribe;
    case MqttAccess::receive:
        break;
    }
    return cloud::TopicAccess::read;
}

} // namespace

SimCloud::SimCloud(Scheduler& scheduler, Broker& broker, CloudDelayOptions delays,
                   std::int64_t epoch_seconds)
    : scheduler_(scheduler), broker_(broker), delays_(delays), epoch_seconds_(epoch_seconds),
      core_(std::make_unique<cloud::CloudCore>(cloud::CloudConfig{})) {
    core_->set_publisher([this](const cloud::OutboundMessage& message) { send(message); });
    broker_.set_authorize([](std::string_view client_id, std::string_view topic, MqttAccess access,
                             int qos, std::size_t payload_size) {
        cloud::TopicAccessRequest request;
        request.client_id = client_id;
        request.topic = topic;
        request.access = topic_access(access);
        request.qos = qos;
        request.payload_size = payload_size;
        return cloud::is_topic_access_allowed(request);
    });
    broker_.set_on_publish(
        [this](const std::string& client_id, const std::string& topic, const std::string& payload) {
            if (topic == cloud::control_request_topic) {
                cloud::handle_control_message(*core_, client_id, payload, now_seconds());
                return;
            }
            core_->handle_message(client_id, topic, payload, now_seconds());
        });
    schedule_tick();
}

std::int64_t SimCloud::now_seconds() const {
    return core_->cloud_time(
        epoch_seconds_ +
        std::chrono::duration_cast<std::chrono::seconds>(scheduler_.now()).count());
}

cloud::ControlResult SimCloud::control(const nlohmann::json& request) {
    const std::int64_t now = now_seconds();
    cloud::ControlResult result = cloud::dispatch_control(*core_, request, now);
    if (result.ok()) {
        core_->publish(result.messages, now);
    }
    return result;
}

cloud::ControlResult
SimCloud::run(const std::function<cloud::ControlResult(cloud::CloudCore&, std::int64_t)>& call) {
    const std::int64_t now = now_seconds();
    cloud::ControlResult result = call(*core_, now);
    if (result.ok()) {
        core_->publish(result.messages, now);
    }
    return result;
}

void SimCloud::send(const cloud::OutboundMessage& message) {
    ++messages_published_;
    if (!delays_.enabled) {
        broker_.deliver(message.client_id, message.topic, message.payload);
        return;
    }
    const Duration delay = draw_cloud_delay(scheduler_.random(), delays_);
    longest_delay_ = std::max(longest_delay_, delay);
    scheduler_.after(delay, [this, message, stops = broker_.stops()] {
        if (broker_.stops() == stops) {
            broker_.deliver(message.client_id, message.topic, message.payload);
        }
    });
}

void SimCloud::schedule_tick() {
    // Like the plugin's MOSQ_EVT_TICK: the services' timers, rollouts and delayed replies, once a
    // (virtual) second.
    scheduler_.after(std::chrono::seconds(1), [this] {
        core_->tick(now_seconds());
        schedule_tick();
    });
}

} // namespace fota::sim::simulation
