// A whole fake world around one fota::Agent for unit tests (mocks inside the core's tests only):
// an in-memory AWS IoT Jobs + Shadow model, an S3-like object server with fault knobs and
// virtual-time timers, on the portable fake device (core/vectors fake_device.hpp: the strict NOR
// slot, the MCUboot-like boot model and the store the vectors use too). Every agent input is one
// step(), so a power cut can be placed between any two inputs.
#pragma once

#include "fota/agent.hpp"
#include "fota/fake_device.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fota::test {

struct CloudExecution {
    std::string job_id;
    std::string status = "QUEUED";
    std::uint32_t version = 1;
    nlohmann::json document;
    nlohmann::json status_details = nlohmann::json::object();
    bool deleted = false;
};

/// The slot's bytes, a base so that they exist before the FakeDevice fills them.
struct WorldSlot {
    std::vector<std::uint8_t> slot_bytes = std::vector<std::uint8_t>(std::size_t{256} * 1024);
};

class World final : WorldSlot,
                    public script::FakeDevice,
                    public Mqtt,
                    public Http,
                    public Timers,
                    public Log {
public:
    explicit World(Profile profile = default_profile(), std::uint64_t seed = 1);

    // ---- scenario control ---------------------------------------------------------------
    /// The image served at url (pattern bytes) and a job pointing at it.
    void make_image(std::size_t size, std::uint64_t seed = 3);
    /// Queue a job in the cloud; notify-next goes out if the device listens and it is the head.
    void create_job(const std::string& job_id, nlohmann::json document);
    nlohmann::json fota_document(bool with_size = true, bool with_sha = true) const;
    void power_on();
    /// The common start: power on, run until idle (shadow report, connect, notify-next), then
    /// queue job_id with fota_document().
    void boot_and_offer_job(const std::string& job_id = "job1");
    /// Drop the agent without a reboot request; in-flight messages and HTTP are lost.
    void power_cut();
    /// Deliver one agent input. False when nothing is pending (timers included).
    bool step();
    /// Steps until quiescent or max_steps; returns the steps taken.
    int run(int max_steps = 20000);
    CloudExecution* execution(const std::string& job_id);
    std::string head_job_id() const;

    // ---- what happened ------------------------------------------------------------------
    std::vector<std::string> published;  ///< "topic payload"
    std::vector<std::string> subscribed; ///< SUBSCRIBE filters, in order (all sessions)
    std::vector<std::string> http_log;   ///< "GET url first-last" / "POST url body"
    std::vector<std::string> events;     ///< log events "name: detail"
    std::string shadow_reported;         ///< last shadow body
    int boots = 0;
    int flash_violations = 0;
    int notify_next_sent = 0;

    // ---- the device ---------------------------------------------------------------------
    std::optional<Agent> agent;
    std::vector<std::uint8_t> image; ///< the object on the server
    bool mqtt_up = false;
    bool auto_connect = true; ///< answer Mqtt::connect with on_connected

    // ---- cloud and server knobs ---------------------------------------------------------
    std::string thing = "dev1";
    std::string url_base = "https://bucket.s3.amazonaws.com/app_update.bin";
    int url_generation = 0;   ///< bumps the presigned signature
    bool urls_expire = false; ///< true: only the newest generation is accepted
    std::function<void(std::uint32_t first, std::uint32_t last, int& status,
                       std::string& content_range, std::vector<std::uint8_t>& body)>
        http_fault;                ///< may rewrite a GET response
    std::size_t body_chunk = 1000; ///< body delivered in chunks of this size
    bool drop_update_replies = false;
    int duplicate_notify = 0; ///< extra copies of each notify-next
    std::uint64_t now_ms = 0;
    std::uint64_t ms_per_input = 0; ///< virtual time each delivered input takes
    bool suppress_done = false;     ///< set by http_fault: this response never ends

    std::string current_url() const;

private:
    // ports
    void connect() override;
    PortStatus subscribe(std::string_view topic_filter) override;
    PortStatus unsubscribe(std::string_view topic_filter) override;
    PortStatus publish(std::string_view topic, std::string_view payload) override;
    PortStatus start(const HttpRequest& request) override;
    void cancel(std::uint32_t request_id) override;
    void port_called(script::Check, std::string_view, std::string_view) override {}
    void violation(std::string_view) override { ++flash_violations; }
    void start(TimerId id, std::uint32_t delay_ms) override;
    void cancel(TimerId id) override;
    void event(LogLevel level, Event event, std::string_view detail) override;

    void deliver(const std::string& topic, const nlohmann::json& payload);
    void handle_jobs_publish(const std::string& topic, const std::string& payload);
    nlohmann::json execution_json(const CloudExecution& e) const;
    void notify_next_if_head_changed(const std::string& before);

    struct Input {
        enum Kind {
            Connected,
            Message,
            HttpStatus,
            HttpHeader,
            HttpBody,
            HttpDone
        } kind = Connected;
        std::string a;
        std::string b;
        std::uint32_t id = 0;
        int status = 0;
        std::vector<std::uint8_t> body;
    };
    static Input make_input(Input::Kind kind, std::string a = {}, std::string b = {},
                            std::uint32_t id = 0, int status = 0) {
        Input input;
        input.kind = kind;
        input.a = std::move(a);
        input.b = std::move(b);
        input.id = id;
        input.status = status;
        return input;
    }
    std::deque<Input> inputs_;
    std::map<TimerId, std::uint64_t> timers_;
    std::vector<CloudExecution> jobs_;
    std::vector<std::string> device_subs_;
    Profile profile_;
    std::uint64_t seed_;
};

} // namespace fota::test
