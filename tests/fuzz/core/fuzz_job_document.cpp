// The job execution envelope and document: never crashes, and its results keep their promises
// (a Job has a valid ID and an http(s) URL within kMaxUrlLength; failures carry a reason).
#include "fota/job_document.hpp"
#include "fota/jobs_topics.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace fota;
    static StandaloneJobDocument doc; // 2.3 KiB: keep it off the fuzzer's stack
    JobDocumentOptions options;
    options.max_image_size = 1024 * 1024;
    const JobParseResult result = parse_job_execution(
        std::string_view(reinterpret_cast<const char*>(data), size), options, doc);
    switch (result) {
    case JobParseResult::Job: {
        const std::string_view url = doc.url_view();
        if (!is_valid_job_id(doc.job_id_view(), false) || !doc.has_version_number ||
            url.size() > kMaxUrlLength || url.size() != std::strlen(doc.url.data()) ||
            !(url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0) ||
            (doc.has_size && (doc.size == 0 || doc.size > options.max_image_size)) ||
            url.find_first_of(" #\r\n") != std::string_view::npos) {
            std::abort();
        }
        break;
    }
    case JobParseResult::InvalidDocument:
        if (!is_valid_job_id(doc.job_id_view(), false) || doc.reason_view().empty()) {
            std::abort();
        }
        break;
    case JobParseResult::InvalidEnvelope:
        if (doc.reason_view().empty() || doc.job_id_length != 0) {
            std::abort();
        }
        break;
    case JobParseResult::NoJob:
        break;
    }
    return 0;
}
