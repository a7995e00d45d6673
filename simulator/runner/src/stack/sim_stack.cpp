// Stack `sim`: the deterministic simulation (sim_stack.hpp).
#include "sim_stack.hpp"

#include "http_control.hpp"
#include "runtime_device.hpp"

#include "fota/cloud/control_plane.hpp"
#include "fota/cloud/s3_presigner.hpp"
#include "fota/sim/device_runtime.hpp"
#include "fota/sim/simulation/broker.hpp"
#include "fota/sim/simulation/http.hpp"
#include "fota/sim/simulation/scheduler.hpp"
#include "fota/sim/simulation/sim_cloud.hpp"
#include "fota/sim/simulation/sim_control_plane.hpp"
#include "fota/sim/simulation/sim_device_host.hpp"
#include "fota/sim/simulation/sim_object_server.hpp"

#include <algorithm>
#include <sstream>

namespace fota::sim::stacks {

using json = nlohmann::json;

namespace {

constexpr const char* kObjectEndpoint = "http://objects.sim:80";
constexpr const char* kControlEndpoint = "http://control.sim:80";
constexpr const char* kBrokerHost = "broker.sim";

/// The devices' network: LTE-M-like one-way delays of 50 to 100 ms (round trips of 100 to
/// 200 ms), so that what happens at nearly the same time on different connections (a reply and
/// a notification, an MQTT message and an HTTP chunk) comes in an order that depends on the seed.
simulation::NetworkOptions device_network() {
    simulation::NetworkOptions network;
    network.latency = std::chrono::milliseconds(50);
    network.jitter = std::chrono::milliseconds(50);
    return network;
}

/// The cloud's services hand each reply and notification to the broker after a seeded delay of
/// its own (simulation/cloud_delay.hpp: mostly 5-50 ms, sometimes up to 500 ms, rarely 2 s), so
/// a reply and a notification to one device come in either order, as on AWS IoT. Always on: a
/// scenario that passes only when the cloud answers in the order it computes depends on something
/// AWS does not promise.
simulation::CloudDelayOptions cloud_delays() {
    return simulation::CloudDelayOptions{};
}

/// How much virtual time wait_until runs between two looks at the interrupt flag.
constexpr std::chrono::seconds kInterruptSlice{1};

} // namespace

SimStack::SimStack(const StackOptions& options) : options_(options) {}

SimStack::~SimStack() {
    stop();
}

simulation::Scheduler& SimStack::scheduler() const {
    if (!scheduler_) {
        throw StackError("the sim stack has not started");
    }
    return *scheduler_;
}

void SimStack::start(const std::string& work_dir) {
    work_dir_ = work_dir;
    scheduler_ = std::make_unique<simulation::Scheduler>(options_.seed);
    broker_ = std::make_unique<simulation::Broker>(*scheduler_, device_network());
    cloud_ = std::make_unique<simulation::SimCloud>(*scheduler_, *broker_, cloud_delays());

    // Presigned URLs point at the simulated object server, signed as the plugin signs them for
    // the embedded stack's object server (placeholder credentials; the store checks the expiry).
    cloud::S3PresignerConfig signer;
    signer.endpoint = kObjectEndpoint;
    signer.credentials = cloud::placeholder_credentials();
    presigner_ = std::make_unique<cloud::S3Presigner>(signer);
    cloud_->core().jobs().set_signer(presigner_.get());

    http_ = std::make_unique<simulation::SimHttpNetwork>(*scheduler_, device_network());
    simulation::SimObjectServerOptions objects;
    objects.endpoint = kObjectEndpoint;
    objects_ = std::make_unique<simulation::SimObjectServer>(*http_, objects);
    objects_->store().create_bucket(bucket());
    control_plane_ =
        std::make_unique<simulation::SimControlPlane>(*http_, *cloud_, kControlEndpoint);
}

void SimStack::stop() {
    if (stopped_) {
        return;
    }
    stopped_ = true;
    // The devices say goodbye (their DISCONNECTs are events nobody needs to run), then go
    // before the world they live in.
    for (const auto& slot : devices_) {
        make_runtime_device(slot, DeviceAccess::direct)->stop();
    }
    for (const auto& slot : devices_) {
        end_device(*slot);
    }
    devices_.clear();
    control_plane_.reset();
    objects_.reset();
    http_.reset();
    if (cloud_) {
        cloud_->core().jobs().set_signer(nullptr);
    }
    presigner_.reset();
    cloud_.reset();
    broker_.reset();
    // The scheduler stays: now() is still asked for after stop (the report's end).
}

std::string SimStack::log() const {
    if (!scheduler_) {
        return {};
    }
    std::ostringstream out;
    out << "---- simulation ----\n"
        << "seed " << options_.seed << ", virtual time "
        << std::chrono::duration_cast<std::chrono::milliseconds>(scheduler_->now()).count()
        << " ms, " << scheduler_->events_run() << " events run";
    if (broker_) {
        out << ", " << broker_->messages_delivered() << " MQTT messages delivered";
    }
    if (cloud_) {
        out << ", " << cloud_->messages_published() << " published by the cloud (longest delay "
            << std::chrono::duration_cast<std::chrono::milliseconds>(cloud_->longest_delay())
                   .count()
            << " ms)";
    }
    out << "\n";
    return out.str();
}

std::optional<std::chrono::system_clock::time_point> SimStack::virtual_epoch() const {
    return std::chrono::system_clock::time_point(
        std::chrono::seconds(simulation::SimCloud::kDefaultEpoch));
}

json SimStack::call(const std::string& op, const json& args, bool allow_error) {
    if (!cloud_) {
        throw StackError("the sim stack is not running");
    }
    const cloud::ControlResult result = cloud_->control(json{{"op", op}, {"args", args}});
    const cloud::http::RestResponse response = cloud::control_response(result);
    return control_reply(op, args, static_cast<long>(response.status), response.body, allow_error);
}

std::vector<json> SimStack::call_many(const std::string& op, const std::vector<json>& args,
                                      bool allow_error) {
    std::vector<json> replies;
    replies.reserve(args.size());
    for (const json& one : args) {
        replies.push_back(call(op, one, allow_error));
    }
    return replies;
}

void SimStack::put_object(const std::string& key, const std::string& bytes) {
    if (!objects_) {
        throw StackError("the sim stack is not running");
    }
    objects_->store().put_object(bucket(), key, bytes);
}

void SimStack::add_object_fault(const cloud::ObjectFault& fault) {
    if (!objects_) {
        throw StackError("the sim stack is not running");
    }
    objects_->store().add_fault(fault);
}

std::string SimStack::object_endpoint() const {
    return kObjectEndpoint;
}

void SimStack::restart_broker(std::chrono::milliseconds down_for) {
    if (!broker_) {
        throw StackError("the sim stack is not running");
    }
    broker_->stop();
    wait_for(down_for);
    broker_->start();
}

std::unique_ptr<StackDevice> SimStack::make_device(const StackDevice::Options& options,
                                                   StackDevice::EventHandler on_event) {
    if (!broker_) {
        throw StackError("the sim stack is not running");
    }
    // The flash is in memory: a thousand devices write no files, and it lasts as long as the
    // run, across every reboot and power cut.
    const DeviceEndpoints endpoints{kBrokerHost, 1883, kControlEndpoint};
    auto host = simulation::make_sim_device_host({*scheduler_, *broker_, *http_});
    auto runtime =
        std::make_unique<DeviceRuntime>(std::move(host), device_options(options, endpoints, ""));
    auto slot = make_device_slot(std::move(runtime), std::move(on_event), "");
    devices_.push_back(slot);
    return make_runtime_device(std::move(slot), DeviceAccess::direct);
}

RunTime SimStack::now() const {
    return scheduler_ ? std::chrono::duration_cast<RunTime>(scheduler_->now()) : RunTime::zero();
}

void SimStack::wait_until(RunTime until) {
    simulation::Scheduler& events = scheduler();
    const auto target = std::chrono::duration_cast<simulation::Duration>(until);
    while (events.now() < target) {
        if (options_.interrupted != nullptr && options_.interrupted->load()) {
            return;
        }
        events.run_until(std::min<simulation::TimePoint>(target, events.now() + kInterruptSlice));
    }
}

} // namespace fota::sim::stacks
