// Every compile-time limit of the FOTA core in one place. Input beyond a limit is an error with a
// reason, never a silent truncation.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fota {

/// Largest job-document MQTT payload the agent parses (the envelope from notify-next or
/// $next/get/accepted). 8 KiB holds presigned S3 URLs with session tokens; NCS uses 1350.
inline constexpr std::size_t kMaxJobPayloadSize = std::size_t{8} * 1024;
/// AWS thing name: 1..128 characters of [a-zA-Z0-9:_-].
inline constexpr std::size_t kMaxThingNameLength = 128;
/// AWS job ID: 1..64 characters of [a-zA-Z0-9_-].
inline constexpr std::size_t kMaxJobIdLength = 64;
/// A Jobs or Shadow topic built or parsed by the core:
/// "$aws/things/" + thing + "/jobs/" + job + "/update/accepted".
inline constexpr std::size_t kMaxTopicLength = 12 + kMaxThingNameLength + 6 + kMaxJobIdLength + 16;
/// A download URL (scheme, host, port, path and query); presigned URLs with a session token
/// reach about 1.5 KiB.
inline constexpr std::size_t kMaxUrlLength = 2048;
/// The host part of a URL (DNS names are at most 253 characters).
inline constexpr std::size_t kMaxHostLength = 253;
/// "operation" and "fwversion" strings of the job document.
inline constexpr std::size_t kMaxOperationLength = 32;
inline constexpr std::size_t kMaxVersionStringLength = 32;
/// A failure reason sent in statusDetails (AWS allows 1024 characters per value).
inline constexpr std::size_t kMaxReasonLength = 120;
/// clientToken sent with every Jobs request (AWS: at most 64 bytes).
inline constexpr std::size_t kClientTokenLength = 8;
/// Largest job update payload the agent builds.
inline constexpr std::size_t kMaxUpdatePayloadSize = 512;
/// Largest shadow report payload.
inline constexpr std::size_t kMaxShadowPayloadSize = 256;
/// Shadow state key of the firmware version ("nrf_cloud_app_fw_version" by default).
inline constexpr std::size_t kMaxVersionKeyLength = 48;
/// Base URL of the shadow HTTPS data plane ("https://<endpoint>[:port]").
inline constexpr std::size_t kMaxShadowBaseUrlLength = 256;
/// Nesting depth of JSON documents the reader accepts.
inline constexpr std::size_t kJsonMaxDepth = 16;
/// Flash write buffer: data is handed to the Flash port in aligned blocks of at most this size.
inline constexpr std::size_t kFlashWriteBufferSize = 512;
/// Largest HTTP fragment (Range request) the download policy asks for.
inline constexpr std::uint32_t kMaxFragmentSize = 64 * 1024;
/// Largest image the core downloads (bounded again by the Flash port's slot size).
inline constexpr std::uint32_t kMaxImageSize = 16u * 1024u * 1024u;
/// The persisted state record (see state_record.hpp) never exceeds this many bytes.
inline constexpr std::size_t kStateRecordCapacity = 2560;

} // namespace fota
