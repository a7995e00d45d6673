// Profiles: the agent's policy as data. Every profile runs the same code paths; only these
// values differ.
#pragma once

#include "fota/job_update.hpp"

#include <cstdint>
#include <string_view>

namespace fota {

/// How the boot-time firmware version report reaches the device shadow.
enum class ShadowTransport : std::uint8_t {
    Https, ///< POST <shadow_base_url>/things/<thing>/shadow through the Http port, before connect
    Mqtt,  ///< publish $aws/things/<thing>/shadow/update after CONNACK
    None,  ///< no report
};

/// The HTTP download policy (see download_policy.hpp).
struct DownloadPolicyConfig {
    std::uint32_t fragment_size = 4096;      ///< bytes per Range request (<= kMaxFragmentSize)
    std::uint32_t max_attempts = 8;          ///< consecutive failed attempts before FAILED
    std::uint32_t backoff_initial_ms = 1000; ///< delay before the first retry
    std::uint32_t backoff_max_ms = 60000;    ///< cap of the exponential backoff
    std::uint32_t jitter_percent = 20;       ///< +/- this share of the delay, from the seed
    std::uint32_t stall_timeout_ms = 30000;  ///< no byte for this long: abort and retry
    std::uint32_t max_url_refreshes = 3;     ///< 403 (expired presigned URL) -> refetch the job
};

struct Profile {
    std::string_view name = "default";
    /// false: SUCCEEDED is reported before the reboot (the seed). true ("verified"): only after
    /// the new image booted and was confirmed; FAILED with the reason after a rollback.
    bool report_success_after_boot = false;
    UpdateFormat update_format = UpdateFormat::Seed;
    ShadowTransport shadow_transport = ShadowTransport::Https;
    std::string_view shadow_version_key = "nrf_cloud_app_fw_version";
    /// Unsubscribe notify-next while a job is in hand (the seed does).
    bool unsubscribe_notify_next_during_job = true;
    /// Subscribe <job>/update/accepted and /rejected (the seed does; AWS delivers them anyway).
    bool subscribe_update_replies = true;
    /// Request the upgrade as permanent instead of test (no revert possible).
    bool permanent_upgrade = false;
    /// Describe the job in hand this often during a download, to notice a cancellation.
    std::uint32_t job_check_interval_ms = 60000;
    /// No accepted/rejected reply for this long: publish the job update again.
    std::uint32_t update_response_timeout_ms = 30000;
    /// Re-send attempts of one job update after VersionMismatch or a lost reply.
    std::uint32_t max_update_retries = 5;
    /// The job document's "operation" (empty: accept any).
    std::string_view required_operation = "app_fw_update";
    DownloadPolicyConfig download;
};

/// The seed's flow, message for message.
constexpr Profile default_profile() {
    return Profile{};
}

/// SUCCEEDED only after the new image has booted and been confirmed.
constexpr Profile verified_profile() {
    Profile profile;
    profile.name = "verified";
    profile.report_success_after_boot = true;
    return profile;
}

} // namespace fota
