#pragma once
// Hands work from other threads (the control-plane HTTP server) to the broker thread, where the
// services live. The plugin drains the queue on every MOSQ_EVT_TICK (about ten times a second in
// Mosquitto 2.0.11), so a call waits at most ~100 ms for its turn.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "fota/cloud/cloud_core.hpp"

namespace fota::cloud {

class WorkQueue {
public:
    /// A unit of work: runs on the broker thread with the core and the current time.
    using Task = std::function<void(CloudCore& core, std::int64_t now)>;

    /// Thread-safe. Queues `task`; returns false (and drops it) once close() was called.
    bool post(Task task);

    /// Thread-safe. Runs `fn(core, now)` on the broker thread and returns its result through
    /// a future. If the queue is closed the future holds std::runtime_error("cloud stopped").
    template <typename F>
    auto call(F fn) -> std::future<std::invoke_result_t<F, CloudCore&, std::int64_t>> {
        using R = std::invoke_result_t<F, CloudCore&, std::int64_t>;
        auto promise = std::make_shared<std::promise<R>>();
        auto future = promise->get_future();
        const bool queued = post([promise, fn = std::move(fn)](CloudCore& core, std::int64_t now) {
            try {
                if constexpr (std::is_void_v<R>) {
                    fn(core, now);
                    promise->set_value();
                } else {
                    promise->set_value(fn(core, now));
                }
            } catch (...) {
                promise->set_exception(std::current_exception());
            }
        });
        if (!queued) {
            promise->set_exception(std::make_exception_ptr(std::runtime_error("cloud stopped")));
        }
        return future;
    }

    /// Thread-safe. The entry point for the control plane: runs `fn` on the broker thread,
    /// publishes the MQTT messages the result carries (notify, shadow documents...), and returns
    /// the result. Example:
    ///   auto r = queue.control([&](CloudCore& c, std::int64_t now) {
    ///       return c.jobs().create_job(job_id, body, now); }).get();
    std::future<ControlResult> control(std::function<ControlResult(CloudCore&, std::int64_t)> fn) {
        return call([fn = std::move(fn)](CloudCore& core, std::int64_t now) {
            ControlResult result = fn(core, now);
            core.publish(result.messages, now);
            return result;
        });
    }

    /// Broker thread only: runs every queued task, in order.
    void run_pending(CloudCore& core, std::int64_t now);

    /// Thread-safe. Refuses new work; tasks still queued are dropped (their futures report
    /// std::future_error broken_promise).
    void close();

    [[nodiscard]] std::size_t size() const;

private:
    mutable std::mutex mutex_;
    std::deque<Task> tasks_;
    bool closed_ = false;
};

} // namespace fota::cloud
