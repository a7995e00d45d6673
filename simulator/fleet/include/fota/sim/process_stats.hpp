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
