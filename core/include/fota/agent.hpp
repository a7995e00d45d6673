// fota::Agent: the device side of the seed's FOTA flow (AWS IoT Jobs + Shadow + S3) as an
// event-driven, single-threaded, deterministic state machine. It never reads a clock, never
// blocks and never allocates; it acts only through its Ports. Given the same config and the same
// sequence of inputs it makes the same port calls (record/replay). Many agents may live in one
// process: there are no globals and no mutable statics.
#pragma once

#include "fota/download_policy.hpp"
#include "fota/job_document.hpp"
#include "fota/jobs_topics.hpp"
#include "fota/json_writer.hpp"
#include "fota/limits.hpp"
#include "fota/ports.hpp"
#include "fota/profile.hpp"
#include "fota/state_record.hpp"

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace fota {

struct AgentConfig {
    std::string_view thing_name; ///< also the MQTT client ID; copied
    Profile profile = default_profile();
    std::uint64_t seed = 1;           ///< jitter and clientTokens
    std::string_view shadow_base_url; ///< "https://<endpoint>[:port]" for ShadowTransport::Https
};

/// Counters for tests, the simulator's reports and record/replay checks.
struct AgentStats {
    std::uint32_t jobs_taken = 0;
    std::uint32_t duplicates_ignored = 0;
    std::uint32_t updates_published = 0;
    std::uint32_t updates_rejected = 0;
    std::uint32_t http_requests = 0;
    std::uint32_t download_retries = 0;
    std::uint32_t restarts_from_zero = 0;
    std::uint32_t url_refreshes = 0;
    std::uint32_t bytes_written = 0;
    std::uint32_t state_saves = 0;
};

namespace detail {

/// The agent's ports, profile and random source: its first base, so that they lie at small
/// offsets (Thumb-2 loads reach 4 KiB) ahead of the buffers of AgentData.
class AgentSetup {
protected:
    AgentSetup(const Ports& ports, const Profile& profile, std::uint64_t seed)
        : ports_(ports), profile_(profile), random_(seed) {}

    Ports ports_;
    Profile profile_;
    SeededRandom random_;
};

/// The rest of the agent's data, in a base class that the agent's constructor value-initialises:
/// the compiler clears it as one block instead of a store per member (issue 17). Only
/// fota::Agent uses it.
class AgentData {
protected:
    enum class RequestKind : std::uint8_t { None, Shadow, Download };
    static constexpr std::size_t kLogDetailSize = 192; ///< a log detail or failure text

    PersistedState state_;
    AgentStats stats_;
    BootInfo boot_info_;
    FlashGeometry geometry_;
    ByteRange requested_; ///< the Range of the running download request

    // sizes and counters
    std::size_t thing_length_ = 0;
    std::size_t shadow_base_url_length_ = 0;
    std::size_t abandoned_job_length_ = 0;
    std::size_t content_range_length_ = 0;
    std::size_t write_buffer_fill_ = 0;
    std::uint32_t update_retries_ = 0;
    std::uint32_t url_refreshes_ = 0;
    std::uint32_t next_request_id_ = 1;
    std::uint32_t request_id_ = 0;
    std::uint32_t shadow_attempts_ = 0;
    std::uint32_t response_last_ = 0;
    std::uint32_t received_offset_ = 0; ///< next byte to ask for
    std::uint32_t erased_end_ = 0;      ///< pages below this were erased in this boot
    std::uint32_t failed_attempts_ = 0;
    std::uint32_t restarts_from_zero_ = 0;
    std::uint32_t write_buffer_start_ = 0; ///< slot offset of write_buffer_[0]
    int response_status_ = 0;
    RequestKind request_kind_ = RequestKind::None;

    // flags
    bool config_ok_ = false;
    bool booted_ = false;
    bool rebooted_ = false;
    bool connected_ = false;
    bool connect_requested_ = false;
    bool update_in_flight_ = false;
    bool describe_in_flight_ = false;
    bool refresh_pending_ = false;
    bool content_range_too_long_ = false;
    bool response_judged_ = false;
    bool download_active_ = false; ///< a request is running or a retry is scheduled

    // text and byte buffers
    std::array<char, kMaxThingNameLength + 1> thing_;
    std::array<char, kMaxShadowBaseUrlLength + 1> shadow_base_url_;
    std::array<char, kClientTokenLength + 1> client_token_; ///< of the update in flight
    /// A job whose FAILED report was itself rejected: not taken again this boot.
    std::array<char, kMaxJobIdLength + 1> abandoned_job_;
    std::array<char, 96> content_range_;
    /// Image bytes on their way to flash; before the first download of a boot (no download
    /// starts until the shadow report is over) it holds the shadow report's URL.
    std::array<std::uint8_t, kFlashWriteBufferSize> write_buffer_;

    // Scratch space kept off the stack: a parsed job document (its URL goes straight into the
    // record's URL field) or a topic while a port call takes it (one at a time; each use begins
    // it anew, and a document is dead before a topic is built).
    union Scratch {
        Scratch() {} // no member is live until a use begins it
        JobDocument doc;
        std::array<char, kMaxTopicLength + 1> topic;
    };
    Scratch scratch_;
    /// The state record as last saved or loaded, and the one home of the job's URL and failure
    /// reason (its text fields): a job document is parsed into the URL field, requests, updates
    /// and saves read them in place.
    std::array<std::uint8_t, kStateRecordSize> record_;
    std::array<char, kMaxUpdatePayloadSize> payload_;
};

} // namespace detail

class Agent : private detail::AgentSetup, private detail::AgentData {
public:
    /// The config is copied (the thing name and base URL into fixed buffers: a thing name that is
    /// invalid or too long, or a base URL longer than kMaxShadowBaseUrlLength, leaves the agent
    /// inert with an error logged on on_boot).
    Agent(const AgentConfig& config, const Ports& ports);
    Agent(const Agent&) = delete;
    Agent& operator=(const Agent&) = delete;

    // ---- inputs -------------------------------------------------------------------------
    /// Once per boot, first: loads the persisted state, finishes a pending reboot-into-update,
    /// reports the version to the shadow (HTTPS) and asks the Mqtt port to connect.
    void on_boot();
    void on_connected(bool session_present);
    void on_disconnected();
    void on_message(std::string_view topic, std::string_view payload);
    void on_http_status(std::uint32_t request_id, int status);
    void on_http_header(std::uint32_t request_id, std::string_view name, std::string_view value);
    void on_http_body(std::uint32_t request_id, std::span<const std::uint8_t> data);
    void on_http_done(std::uint32_t request_id);
    void on_http_error(std::uint32_t request_id, HttpError error);
    void on_timer(TimerId id);

    // ---- observers ----------------------------------------------------------------------
    Phase phase() const { return state_.phase; }
    std::string_view job_id() const { return state_.job_id_view(); }
    std::uint32_t version_number() const { return state_.version_number; }
    std::uint32_t download_offset() const { return received_offset_; }
    /// True once the agent called Boot::reboot(); it ignores every later input.
    bool rebooted() const { return rebooted_; }
    const AgentStats& stats() const { return stats_; }

private:
    // boot and connection
    void evaluate_reboot(const BootInfo& info);
    void start_shadow_report();
    void shadow_finished(bool ok);
    void after_shadow();
    void subscribe_for_phase();
    void subscribe_update_replies(bool subscribe);
    std::string_view build_get_payload();
    void publish_next_get();
    void publish_describe();
    void publish_shadow_mqtt();
    bool build_shadow_body(TextBuilder& out);

    // jobs
    /// keep_url: the URL goes into the record's URL field (a job taken, or a fresh URL for the
    /// job in hand); otherwise it is not examined.
    JobParseResult parse_job(std::string_view payload, JobDocument& doc, bool keep_url);
    void handle_job_message(std::string_view payload);
    void handle_update_reply(bool accepted, std::string_view payload);
    void handle_describe_reply(bool accepted, std::string_view payload);
    void adopt_job(const JobDocument& doc, Phase phase);
    void announce_job(LogLevel level, Event event, std::string_view detail);
    void take_job(const JobDocument& doc);
    void start_failing_job(const JobDocument& doc);
    void publish_update();
    void update_accepted();
    void job_over(std::string_view reason);
    /// job_over with "cloud_status <status>".
    void job_ended_in_cloud(ExecutionStatus status);
    void finish_job();
    void fail_job(std::string_view reason);
    void reboot_into_update();
    bool job_in_hand() const { return state_.phase != Phase::Idle; }
    bool update_outstanding() const;

    // download
    void start_download();
    void start_fragment();
    void handle_verdict(Verdict verdict, std::string_view reason);
    void schedule_retry(std::string_view reason);
    bool judge_response();
    bool append_image_bytes(std::span<const std::uint8_t> data);
    bool flush_write_buffer(bool final_block);
    bool ensure_erased(std::uint32_t end);
    void fragment_complete();
    void download_complete();
    void cancel_download();
    /// Cancels the running download request, if any, at the Http port.
    void stop_request();
    /// The bytes received so far into flash and the record, then a retry (unless the flush
    /// failed the job).
    void retry_after_flush(std::string_view reason);
    void reset_download_progress();

    // helpers
    void save_state();
    // Events are codes (their names are outside the core); literal details are C strings: a
    // std::string_view built from a literal at each call site costs about 20 bytes of Thumb code
    // more than a pointer (issue 17).
    void log(LogLevel level, Event event, std::string_view detail = {});
    void log(LogLevel level, Event event, const char* detail);
    void log_number(LogLevel level, Event event, const char* text, std::uint32_t number);
    /// An event about the job in hand: its ID is the detail.
    void log_job(LogLevel level, Event event);
    /// ports_.timers.cancel(id) and start(id, ms), out of line: a virtual call at each of 17
    /// and 9 sites costs more.
    void cancel_timer(TimerId id);
    void start_timer(TimerId id, std::uint32_t ms);
    void new_client_token();
    std::string_view thing() const { return {thing_.data(), thing_length_}; }
    std::string_view job_topic(JobTopic which);
    std::string_view thing_topic(ThingTopic which);
    void publish_payload(std::string_view topic, std::string_view payload);

    JobDocument& scratch_doc();
    std::span<char> scratch_topic();
    std::string_view url() const { return state_record_url(record_, state_); }
    std::string_view failure_reason() const { return state_record_reason(record_, state_); }
    /// The failure reason of the job in hand, into the record's reason field (truncated to
    /// kMaxReasonLength, as statusDetails carries it).
    void set_failure_reason(std::string_view text);
};

} // namespace fota
