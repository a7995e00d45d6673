// The store's state: buckets, objects, fault rules and counters, behind one mutex.
#pragma once

#include "fota/cloud/object_server.hpp" // ObjectServer::State, the handler's name for it
#include "fota/cloud/object_store.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace fota::cloud {

struct StoredObject {
    std::shared_ptr<const std::string> data;
    std::string etag; ///< quoted MD5 hex, as S3 sends it
    http::TimePoint last_modified{};
    std::string content_type;
};

struct StoredBucket {
    http::TimePoint created{};
    std::map<std::string, StoredObject> objects;
};

/// One uploaded part of a multipart upload.
struct UploadedPart {
    std::string data;
    std::string etag; ///< quoted MD5 hex of data
    http::TimePoint last_modified{};
};

/// A multipart upload between CreateMultipartUpload and its Complete or Abort.
struct MultipartUpload {
    std::string bucket;
    std::string key;
    std::string content_type;
    http::TimePoint initiated{};
    std::map<int, UploadedPart> parts; ///< by part number
};

struct ObjectStore::State {
    explicit State(ObjectStoreConfig c) : config(std::move(c)) {}

    ObjectStoreConfig config;
    mutable std::mutex mutex;
    std::map<std::string, StoredBucket> buckets;
    std::vector<ObjectFault> faults;
    std::map<std::string, ObjectCounters> counters;
    std::map<std::string, MultipartUpload> uploads; ///< by upload id
    std::uint64_t next_request_id = 1;
    std::uint64_t next_upload_id = 1;

    // Callers hold `mutex`.
    StoredObject make_object(std::string data, std::string content_type) const;
    /// The first rule of `kind` matching bucket/key with uses left; consumes one use. A rule
    /// with from_byte matches only a request whose range starts there or later (`range_first`).
    std::optional<ObjectFault> take_fault(ObjectFault::Kind kind, const std::string& bucket,
                                          const std::string& key,
                                          std::optional<std::uint64_t> range_first = {});
    ObjectCounters& counters_for(const std::string& bucket, const std::string& key) {
        return counters[bucket + "/" + key];
    }
    /// A presigned GET URL of bucket/key on config.endpoint, signed with the configured
    /// credentials (or placeholder_credentials()). Reads only the config.
    std::string presign_url(const std::string& bucket, const std::string& key,
                            std::chrono::seconds expires) const;
};

/// The sum of `all` counters.
ObjectCounters sum_counters(const std::map<std::string, ObjectCounters>& all);

} // namespace fota::cloud
