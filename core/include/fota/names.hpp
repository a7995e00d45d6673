// The names of the core's codes, for the platforms: log events (fota::Event) for the Log ports and
// phases (fota::Phase) for status and logs; used by the host's device runtime, the test harnesses
// and a firmware that prints names rather than codes. The core itself never includes this header,
// so the names are not in its code (issue 17).
#pragma once

#include "fota/ports.hpp"
#include "fota/state_record.hpp"

#include <array>
#include <string_view>

namespace fota {

/// Indexed by Event.
inline constexpr std::array<std::string_view, kEventCount> kEventNames = {
    "boot",
    "invalid_config",
    "state_discarded",
    "update_booted",
    "upgrade_not_applied",
    "update_failed",
    "rollback_after_success",
    "shadow_report_skipped",
    "shadow_reported",
    "shadow_retry",
    "shadow_report_failed",
    "mqtt_connected",
    "mqtt_disconnected",
    "image_confirmed",
    "confirm_failed",
    "message_ignored",
    "next_job_query_rejected",
    "stale_update_reply",
    "job_message_unusable",
    "duplicate_job_ignored",
    "no_pending_job",
    "abandoned_job_ignored",
    "job_taken",
    "job_document_invalid",
    "job_abandoned",
    "job_failed",
    "describe_rejected",
    "describe_reply_unusable",
    "url_refreshed",
    "unexpected_update_reply",
    "update_reply_unreadable",
    "update_already_applied",
    "version_resync",
    "update_resend",
    "download_started",
    "job_succeeded",
    "job_failed_reported",
    "request_upgrade_failed",
    "rebooting",
    "download_resume",
    "download_retry",
    "download_restart",
    "url_refresh",
    "flash_erase_failed",
    "flash_write_failed",
    "download_complete",
    "state_save_failed",
    "message_not_built",
    "publish_failed",
};

/// The stable name of event ("job_taken"); "unknown" for a code past the table.
constexpr std::string_view event_name(Event event) {
    const auto index = static_cast<std::size_t>(event);
    return index < kEventNames.size() ? kEventNames[index] : std::string_view("unknown");
}

/// The name of phase ("downloading"); "unknown" for a code past the last phase.
constexpr std::string_view phase_text(Phase phase) {
    constexpr std::array<std::string_view, 8> kNames = {"idle",       "starting",   "downloading",
                                                        "applying",   "succeeding", "rebooting",
                                                        "confirming", "failing"};
    const auto index = static_cast<std::size_t>(phase);
    return index < kNames.size() ? kNames[index] : std::string_view("unknown");
}

} // namespace fota
