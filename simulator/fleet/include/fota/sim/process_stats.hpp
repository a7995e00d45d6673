// What this process has cost so far (getrusage, /proc/self/task), for the fleet's reports and
// `fota-sim device`'s summary.
#pragma once

#include <sys/resource.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <system_error>

namespace fota::sim {

/// Peak resident set size of this process, KiB.
inline std::uint64_t process_peak_rss_kib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<std::uint64_t>(usage.ru_maxrss);
}

/// User plus system CPU time of this process, seconds (and of its waited-for children with
/// children = true).
inline double process_cpu_seconds(bool children = false) {
    rusage usage{};
    getrusage(children ? RUSAGE_CHILDREN : RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

/// Raises this process's limit of open files (inherited by the processes it starts) to at least
/// `wanted` when it can: the soft limit up to the hard one, and the hard one too where the
/// process may (root). Each device holds about four descriptors (MQTT, HTTP, and libcurl's
/// wake-up socket pair), so a fleet meets the usual 1,024 or 20,000 early. Returns the limit now.
inline std::uint64_t raise_open_file_limit(std::uint64_t wanted) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        return 0;
    }
    if (limit.rlim_cur >= wanted) {
        return limit.rlim_cur;
    }
    if (limit.rlim_max < wanted) {
        rlimit raised = {static_cast<rlim_t>(wanted), static_cast<rlim_t>(wanted)};
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
            return wanted;
        }
    }
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
    return limit.rlim_cur;
}

/// Threads of this process now.
inline std::size_t process_thread_count() {
    std::size_t threads = 0;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator("/proc/self/task", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
        ++threads;
    }
    return threads;
}

} // namespace fota::sim
