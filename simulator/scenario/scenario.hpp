// The scenario model: what a scenario file (scenarios/*.yaml) says, after parsing and validation.
// The format is documented in scenarios/README.md and scenarios/scenario.schema.json; the parser
// (scenario_parser.hpp) is the only producer of these structs, the runner their consumer.
//
// Every value here has been checked: names resolve (firmware ids, job ids, thing names), numbers
// are in range, and each step carries the fields its kind needs. Marks (file line and column)
// travel with steps and expectations so that a failing run can point at the line that set it up.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace fota::sim {

/// A position in a scenario file, 1-based; line 0 means unknown.
struct SourceMark {
    int line = 0;
    int column = 0;
};

/// Where the cloud comes from: a private local stack started by the runner (embedded), the same
/// cloud code in one thread on a virtual clock (sim: deterministic, faster than real time), a
/// running local stack (url, e.g. docker compose), or a real AWS account (aws).
enum class StackKind { embedded, url, aws, sim };

struct StackConfig {
    StackKind kind = StackKind::embedded;
    std::string control_url; ///< url: the control-plane endpoint, e.g. http://localhost:8443
    std::string mqtt_url;    ///< url: the broker, e.g. mqtt://localhost:1883
    std::string object_url;  ///< url: the object server, e.g. http://localhost:9000
    std::string region;      ///< aws: e.g. eu-west-1 (empty: from the AWS CLI configuration)
    /// aws: the S3 bucket the firmware images are uploaded to (required); url: the object
    /// server's bucket (default "firmware")
    std::string bucket;
    /// aws: overrides of what the AWS CLI's settings give (see runner/src/stack/aws_settings.hpp):
    /// the profile, the devices' MQTT endpoint (host[:port]), the IoT control plane, IoT data
    /// plane and S3 endpoints (https URLs; a local stack's), a CA bundle trusted instead of the
    /// system's, and the IAM role presignedUrlConfig names (empty: the runner presigns URLs).
    std::string profile;
    std::string endpoint;
    std::string iot_url;
    std::string iot_data_url;
    std::string s3_url;
    std::string ca_file;
    std::string role_arn;
    /// url: the running stack's TLS folder (`fota-sim cloud --tls` prints it): its ca.crt is
    /// trusted for mqtts and https, its CA key signs each thing's certificate (made in things/
    /// when missing), its `credentials` file ([default]) signs the runner's calls (SigV4).
    /// Required with an mqtts:// broker.
    std::string tls_dir;
    /// embedded: MQTT over TLS like AWS IoT (a CA, the server's and each thing's certificate
    /// made at start; the client id must be its certificate's CN; cloud/README.md)
    bool tls = false;
};

/// The name a scenario gives a device policy of the FOTA core (fota::Profile; see DESIGN.md,
/// Profiles): seed is fota::default_profile(), verified fota::verified_profile().
enum class ProfileName { seed, verified };

/// NOR flash geometry of each device of a group (nRF9160 defaults).
struct FlashGeometry {
    std::uint64_t size = 1024ULL * 1024;
    std::uint32_t page_size = 4096;
    std::uint32_t write_unit = 4;
    std::uint8_t erased_value = 0xFF;
};

/// A group of identical devices, named <thing_prefix><index> with index 0..count-1.
struct DeviceGroup {
    std::string thing_prefix;
    std::uint32_t count = 1;
    ProfileName profile = ProfileName::seed;
    std::string initial_firmware; ///< a firmware id; the image in the primary slot, confirmed
    FlashGeometry flash;
    bool autostart = true; ///< false: the devices stay off until a start_devices step
    /// false: connect with a persistent MQTT session (clean session flag 0), so the broker keeps
    /// subscriptions and queued QoS 1 messages across reconnects and reboots.
    bool clean_session = true;
    SourceMark mark;
};

/// A defect deliberately built into a test image.
enum class ImageDefect {
    none,
    bad_hash,  ///< the SHA-256 TLV does not match the image (MCUboot refuses to boot it)
    bad_magic, ///< the header magic is not 0x96f3b83d (not recognised as an MCUboot image)
    truncated, ///< the object is shorter than its header says
};

/// A firmware image: generated (version, size, content seed) or loaded from a file.
struct Firmware {
    std::string id;         ///< the key in the scenario's firmware map
    std::string version;    ///< MCUboot version "major.minor.revision[+build]"
    std::uint64_t size = 0; ///< image size in bytes (generated images); 0 with a file
    std::string file;       ///< resolved path of an existing image file, or empty
    std::uint64_t content_seed = 0;
    ImageDefect defect = ImageDefect::none;
    std::string object_key; ///< the key in the object store (default "<id>.bin")
    SourceMark mark;
};

/// A set of devices: every device, or named things (each name checked to exist).
struct DeviceSelector {
    bool all = true;
    std::vector<std::string> things; ///< when !all: thing names, no duplicates
};

/// Device lifecycle phases the runtime reports; used by conditions, power cuts and the report.
enum class DevicePhase {
    booted,            ///< the boot model chose an image and the core started
    shadow_reported,   ///< the running version was reported to the shadow
    connected,         ///< MQTT CONNACK
    job_received,      ///< a job document was accepted by the core
    in_progress_sent,  ///< IN_PROGRESS (download_firmware) published
    downloading,       ///< the first byte of the image arrived
    download_complete, ///< the whole image is in the secondary slot
    apply_sent,        ///< IN_PROGRESS (apply_firmware) published
    image_scheduled,   ///< upgrade requested from the boot model (test or permanent)
    succeeded_sent,    ///< SUCCEEDED published
    failed_sent,       ///< FAILED published
    rebooting,         ///< the core asked for a reboot
    swapping,          ///< the boot model is swapping slots
    confirmed,         ///< the running image was confirmed
    rolled_back,       ///< the requested image is not running: reverted, or refused at boot
    job_abandoned,     ///< the job in hand was dropped: canceled, deleted or timed out in the cloud
};

/// AWS IoT job execution statuses.
enum class ExecutionStatus {
    queued,
    in_progress,
    succeeded,
    failed,
    timed_out,
    rejected,
    removed,
    canceled,
};

/// AWS IoT job statuses.
enum class JobStatus { in_progress, canceled, deletion_in_progress, completed };

/// How the job document is built when the scenario does not give one.
enum class DocumentTemplate {
    host_path,     ///< {"operation","fwversion","size","location":{"protocol","host","path"}}
    url,           ///< {"operation","fwversion","size","location":{"url"}} (NCS >= 2.5)
    presigned_url, ///< as url, with ${aws:iot:s3-presigned-url:...} replaced by the cloud
};

struct RolloutConfig {
    std::optional<std::uint32_t> maximum_per_minute;
    struct ExponentialRate {
        std::uint32_t base_rate_per_minute = 1;
        double increment_factor = 1.1;
        std::optional<std::uint32_t> number_of_notified_things;
        std::optional<std::uint32_t> number_of_succeeded_things;
    };
    std::optional<ExponentialRate> exponential_rate;
};

enum class FailureType { failed, rejected, timed_out, all };

struct AbortCriterion {
    FailureType failure_type = FailureType::failed;
    double threshold_percentage = 100;
    std::uint32_t min_number_of_executed_things = 1;
};

struct RetryCriterion {
    FailureType failure_type = FailureType::failed; ///< failed, timed_out or all
    std::uint32_t number_of_retries = 0;
};

struct CreateJobStep {
    std::string job_id;
    std::string firmware; ///< firmware id the document points at
    DeviceSelector targets;
    std::optional<nlohmann::json> document; ///< explicit document (placeholders, see README)
    DocumentTemplate document_template = DocumentTemplate::host_path;
    /// For the templates: http or https; empty: where the image was published (http on the
    /// local stacks, https on stack aws).
    std::string protocol;
    std::string description;
    bool continuous = false; ///< targetSelection CONTINUOUS instead of SNAPSHOT
    std::optional<RolloutConfig> rollout;
    std::vector<AbortCriterion> abort;
    std::optional<std::uint32_t> in_progress_timeout_minutes;
    std::vector<RetryCriterion> retry;
    std::optional<std::chrono::seconds> presigned_url_expiry; ///< presignedUrlConfig.expiresInSec
};

/// A condition on observed state; a tree when all_of / any_of.
struct Condition {
    enum class Kind {
        execution_status, ///< job executions of devices have one of statuses
        job_status,       ///< the job has status
        device_phase,     ///< devices have reached phase (in their current boot or before)
        downloaded_bytes, ///< devices have received at least bytes of the image
        running_version,  ///< devices run version
        all_of,
        any_of,
    };
    Kind kind = Kind::execution_status;
    std::string job;
    DeviceSelector devices;
    std::vector<ExecutionStatus> statuses;
    JobStatus job_status = JobStatus::in_progress;
    DevicePhase phase = DevicePhase::booted;
    std::uint64_t bytes = 0;
    std::string version;
    std::vector<Condition> children;
    SourceMark mark;
};

struct WaitForStep {
    Condition condition;
    std::chrono::milliseconds timeout{0};
};

/// The condition must stay true for the whole duration (it fails as soon as it is false).
struct HoldStep {
    Condition condition;
    std::chrono::milliseconds duration{0};
};

struct StartDevicesStep {
    DeviceSelector devices;
};

/// A clean reboot requested from outside (the runtime shuts the core down and boots again).
struct RebootStep {
    DeviceSelector devices;
};

/// Power is cut now, or when each device reaches a phase (optionally once it has downloaded a
/// number of bytes); power returns after off_for.
struct PowerCutStep {
    DeviceSelector devices;
    std::optional<DevicePhase> at_phase;
    std::optional<std::uint64_t> after_download_bytes;
    std::chrono::milliseconds off_for{0};
};

/// Fault plans of the fake flash (issue 4). Operation indexes count flash operations (erase or
/// write) of each device from the moment the step runs, starting at 0.
struct FlashFaultStep {
    enum class Kind { power_cut, fail_write, fail_erase, bit_flips, wear_out };
    enum class Partition { any, mcuboot, primary, secondary, storage };
    Kind kind = Kind::power_cut;
    DeviceSelector devices;
    std::optional<std::uint64_t> at_op;
    bool torn = false; ///< power_cut: the operation in flight is half done
    Partition partition = Partition::any;
    std::uint32_t count = 1;              ///< fail_write / fail_erase: how many operations fail
    double rate = 0;                      ///< bit_flips: probability per bit read
    std::uint32_t erase_limit = 0;        ///< wear_out: erase cycles after which a page fails
    std::chrono::milliseconds off_for{0}; ///< power_cut: time before power returns
};

/// Device-side network faults (issue 6).
struct NetworkFaultStep {
    enum class Kind {
        drop_mqtt,         ///< close the MQTT connection now or at a download byte
        lose_next_message, ///< the next received MQTT message (optionally on a topic suffix) is
                           ///< lost
        stall_http,        ///< the HTTP transfer stops receiving for a duration
        offline,           ///< no network at all for a duration (MQTT and HTTP)
    };
    Kind kind = Kind::drop_mqtt;
    DeviceSelector devices;
    std::optional<std::uint64_t> at_download_byte;
    std::string topic_suffix; ///< lose_next_message: e.g. "update/accepted"
    std::chrono::milliseconds duration{0};
};

/// Object-server faults (issue 5), for the next `count` responses (connections, for
/// refuse_connections) for one firmware object, or for every object.
struct HttpFaultStep {
    enum class Kind {
        close_after_bytes,   ///< cut the response after `bytes` body bytes
        throttle,            ///< limit to bytes_per_second
        error_status,        ///< answer status (5xx) to the next count requests
        slow_down,           ///< answer 503 SlowDown to the next count requests
        ignore_range,        ///< answer 200 with the whole object to ranged requests
        wrong_content_range, ///< 206 with a Content-Range that does not match the request
        stall,               ///< after `bytes` body bytes, send nothing for `duration`
        replace_object,      ///< the object's bytes become another firmware's
        redirect,            ///< answer a 3xx to the next count requests
        refuse_connections,  ///< refuse the next count connections
        connection_close,    ///< answer with Connection: close, then close the connection
        long_header,         ///< add a header of `bytes` characters (NCS's limit is 2048)
        lowercase_headers,   ///< send every header name in lower case
    };
    enum class ContentRangeError { wrong_start, wrong_end, wrong_total, star_total };
    Kind kind = Kind::close_after_bytes;
    std::string firmware; ///< the object (a firmware id); empty = every object
    std::uint64_t bytes = 0;
    std::uint64_t bytes_per_second = 0;
    int status = 500;
    /// How many responses (connections, for refuse_connections) are affected; 0: every one
    /// from now on (throttle's default: a slow link stays slow).
    std::uint32_t count = 1;
    ContentRangeError content_range = ContentRangeError::wrong_start;
    std::chrono::milliseconds duration{0};
    std::string replacement; ///< replace_object: firmware id of the new bytes
    /// ignore_range, wrong_content_range: only ranges starting at or after this byte (0: any)
    std::uint64_t from = 0;
};

/// AWS error codes a rejected update can carry.
enum class RejectCode {
    version_mismatch,
    invalid_state_transition,
    terminal_state_reached,
    resource_not_found,
    invalid_request,
    invalid_json,
    request_throttled,
};

/// Cloud-side faults (issue 5).
struct CloudFaultStep {
    enum class Kind {
        duplicate_notify_next,  ///< the next notify-next to each device is sent twice
        deliver_document_twice, ///< the next job document delivery is repeated
        reject_next_update,     ///< the next job update of each device is rejected with code
        delay_reply,            ///< the next reply to each device is delayed
        drop_reply,             ///< the next reply (optionally on a topic suffix) is not sent
    };
    Kind kind = Kind::duplicate_notify_next;
    DeviceSelector devices;
    RejectCode code = RejectCode::version_mismatch;
    std::chrono::milliseconds delay{0};
    std::string topic_suffix; ///< drop_reply / delay_reply: e.g. "update/accepted"; empty = any
};

/// CancelJob (no devices) or CancelJobExecution for the selected devices.
struct CancelJobStep {
    std::string job_id;
    bool force = false;
    std::optional<DeviceSelector> devices;
};

/// DeleteJob (no devices) or DeleteJobExecution for the selected devices.
struct DeleteJobStep {
    std::string job_id;
    bool force = false;
    std::optional<DeviceSelector> devices;
};

/// Stop the broker and start it again on the same port; the cloud's state must survive.
struct RestartBrokerStep {
    std::chrono::milliseconds down_for{0};
};

using StepAction = std::variant<CreateJobStep, WaitForStep, HoldStep, StartDevicesStep, RebootStep,
                                PowerCutStep, FlashFaultStep, NetworkFaultStep, HttpFaultStep,
                                CloudFaultStep, CancelJobStep, DeleteJobStep, RestartBrokerStep>;

struct Step {
    StepAction action;
    SourceMark mark;
};

/// An inclusive range for counts; both ends optional ("count: 1" is min = max = 1).
struct CountRange {
    std::optional<std::uint64_t> min;
    std::optional<std::uint64_t> max;
};

enum class Slot { primary, secondary };

/// A check of the final state. The runner polls it until it holds or `within` expires.
struct Expectation {
    enum class Kind {
        execution_status,         ///< job execution of each device has status (and details)
        job_status,               ///< the job has status
        running_version,          ///< each device runs version (and is or is not confirmed)
        shadow_version,           ///< each device's shadow reports version
        slot,                     ///< a slot holds a firmware's image, or is erased
        downloads,                ///< per device: download attempts, Range requests and bytes
        no_execution_in_progress, ///< no device's execution is left IN_PROGRESS
        phases,                   ///< phases each device reached, and did not reach
        boots,                    ///< per device: number of boots
        job_updates,              ///< per device: number of job updates published
    };
    Kind kind = Kind::execution_status;
    std::string name; ///< optional label in reports
    std::string job;
    DeviceSelector devices;
    ExecutionStatus execution_status = ExecutionStatus::succeeded;
    /// Fields statusDetails must contain, each equal; the string "*" matches any present value.
    std::optional<nlohmann::json> status_details;
    JobStatus job_status = JobStatus::completed;
    std::string version;
    std::optional<bool> confirmed;
    Slot slot = Slot::primary;
    std::string slot_firmware; ///< firmware id, or empty with slot_erased
    bool slot_erased = false;
    /// Download starts (fresh or resumed) per job and boot; fragment retries do not count.
    CountRange download_attempts;
    CountRange range_requests;
    CountRange bytes;
    CountRange count;                             ///< boots / job_updates
    std::optional<ExecutionStatus> update_status; ///< job_updates: only updates with this status
    std::vector<DevicePhase> reached;
    std::vector<DevicePhase> not_reached;
    std::chrono::milliseconds within{0};
    SourceMark mark;
};

struct Scenario {
    std::string file; ///< as given to the parser
    std::string name;
    std::string description;
    std::vector<std::string> field_bugs; ///< FB-xx ids this scenario reproduces
    std::uint64_t seed = 1;
    std::chrono::milliseconds deadline{std::chrono::minutes(5)};
    /// After the expectations, let the updates settle and check the update invariants (what no
    /// power cut may break; fota-sim run --invariants does the same for any file).
    bool invariants = false;
    StackConfig stack;
    std::vector<DeviceGroup> devices;
    std::vector<Firmware> firmware;
    std::vector<Step> steps;
    std::vector<Expectation> expectations;

    /// Total number of devices over all groups.
    std::uint64_t device_count() const;
    /// The firmware with this id, or nullptr.
    const Firmware* find_firmware(const std::string& id) const;
    /// Thing names a selector stands for, in group order then index order.
    std::vector<std::string> thing_names(const DeviceSelector& selector) const;
};

/// Names as written in scenario files (also used in reports).
const char* to_string(StackKind kind);
const char* to_string(ProfileName profile);
const char* to_string(DevicePhase phase);
const char* to_string(ExecutionStatus status);
const char* to_string(JobStatus status);
const char* to_string(Condition::Kind kind);
const char* to_string(Expectation::Kind kind);
const char* to_string(RejectCode code);
/// The step's key in a scenario file ("create_job", "wait_for", ...).
const char* step_name(const StepAction& action);

/// A one-line label of an expectation for reports, e.g.
/// "execution_status fw-1 all = SUCCEEDED" or the expectation's own name when it has one.
std::string describe(const Expectation& expectation);

} // namespace fota::sim
