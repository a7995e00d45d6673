#pragma once
// The cloud as the broker hosts it: the state store, the Jobs and Shadow services, and the
// cloud-side fault knobs, behind one object that the Mosquitto plugin (and tests) drive.
// Not thread-safe: only the broker thread calls it. Other threads use WorkQueue.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "fota/cloud/identity_service.hpp"
#include "fota/cloud/jobs_service.hpp"
#include "fota/cloud/kv_store.hpp"
#include "fota/cloud/messages.hpp"
#include "fota/cloud/shadow_service.hpp"

namespace fota::cloud {

struct CloudConfig {
    std::string database_path = ":memory:"; ///< SQLite file; ":memory:" loses state on exit
    JobsOptions jobs;
    /// Certificates and policies; region, account and thing_exists are filled in by CloudCore.
    IdentityOptions identity;
};

class CloudCore {
public:
    /// Sends one message to the broker (the plugin: mosquitto_broker_publish).
    using Publisher = std::function<void(const OutboundMessage&)>;

    /// Opens the store (throws std::runtime_error if it cannot) and loads the saved state.
    explicit CloudCore(const CloudConfig& config);

    void set_publisher(Publisher publisher) { publisher_ = std::move(publisher); }

    JobsService& jobs() { return jobs_; }
    ShadowService& shadow() { return shadow_; }
    IdentityService& identity() { return identity_; }

    /// A PUBLISH from `client_id` on a reserved topic: runs the service and publishes what it
    /// returns (after the fault knobs). Returns false if the topic is not one the services own.
    bool handle_message(std::string_view client_id, std::string_view topic,
                        std::string_view payload, std::int64_t now);

    /// Advances timers/rollouts and releases delayed messages whose time has come.
    void tick(std::int64_t now);

    /// Publishes `messages` through the fault knobs (used for what control calls cause).
    void publish(const Messages& messages, std::int64_t now);

    // ---- Fault knobs (each applies once, to thing `thing_name`) -------------------------------

    /// The next notify-next to the thing is delivered twice.
    void duplicate_next_notify_next(const std::string& thing_name);
    /// The next message to the thing that carries a jobDocument (start-next/accepted,
    /// <J>/get/accepted, notify-next) is delivered twice.
    void duplicate_next_job_document(const std::string& thing_name);
    /// The next UpdateJobExecution of the thing is rejected with `code`.
    void reject_next_update(const std::string& thing_name, const std::string& code);
    /// The next reply (accepted/rejected) to the thing whose topic ends with `topic_suffix`
    /// (empty: any reply) is held back `seconds` (released by tick).
    void delay_next_reply(const std::string& thing_name, std::int64_t seconds,
                          const std::string& topic_suffix = {});
    /// The next reply (accepted/rejected) to the thing whose topic ends with `topic_suffix`
    /// (empty: any reply) is never sent.
    void drop_next_reply(const std::string& thing_name, const std::string& topic_suffix = {});

    // ---- Cloud clock ---------------------------------------------------------------------------

    /// The cloud's time for wall-clock time `wall_seconds`: wall time plus the offset that
    /// advance_clock() accumulated (persisted, so a restart keeps it).
    [[nodiscard]] std::int64_t cloud_time(std::int64_t wall_seconds) const {
        return wall_seconds + clock_offset_;
    }
    /// Moves the cloud's clock forward by `seconds` (>= 0), so tests and scenarios can reach
    /// in-progress/step timeouts and rollout minutes without waiting. Timers fire at the next tick.
    void advance_clock(std::int64_t seconds);

    /// Messages held back by delay_next_reply and not yet released.
    [[nodiscard]] std::size_t delayed_count() const { return delayed_.size(); }

private:
    struct Delayed {
        std::int64_t due = 0;
        OutboundMessage message;
    };
    void send(const OutboundMessage& message);

    KvStore store_;
    JobsService jobs_;
    ShadowService shadow_;
    IdentityService identity_;
    Publisher publisher_;
    std::set<std::string> duplicate_notify_next_;
    std::set<std::string> duplicate_job_document_;
    struct DelayRule {
        std::int64_t seconds = 0;
        std::string topic_suffix;
    };
    std::map<std::string, DelayRule> delay_reply_;
    std::map<std::string, std::string> drop_reply_; // thing -> topic suffix
    std::deque<Delayed> delayed_;
    std::int64_t clock_offset_ = 0;
};

} // namespace fota::cloud
