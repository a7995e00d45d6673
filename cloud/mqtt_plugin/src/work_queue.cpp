#include "fota/cloud/work_queue.hpp"

namespace fota::cloud {

bool WorkQueue::post(Task task) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) {
        return false;
    }
    tasks_.push_back(std::move(task));
    return true;
}

void WorkQueue::run_pending(CloudCore& core, std::int64_t now) {
    std::deque<Task> batch;
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        batch.swap(tasks_);
    }
    for (auto& task : batch) {
        try {
            task(core, now);
        } catch (...) { // NOLINT(bugprone-empty-catch): a raw post()ed task owns its errors
        }
    }
}

void WorkQueue::close() {
    std::deque<Task> dropped;
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        closed_ = true;
        dropped.swap(tasks_);
    }
    // `dropped` dies here, outside the lock: the promises it holds become broken_promise.
}

std::size_t WorkQueue::size() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return tasks_.size();
}

} // namespace fota::cloud
