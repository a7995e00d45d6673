// The virtual clock and event queue (scheduler.hpp).
#include "fota/sim/simulation/scheduler.hpp"

namespace fota::sim::simulation {

std::uint64_t Random::next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

std::uint64_t Random::below(std::uint64_t bound) {
    // Modulo bias is at most bound / 2^64: irrelevant for latencies and orderings.
    return bound == 0 ? 0 : next() % bound;
}

Scheduler::Scheduler(std::uint64_t seed) : random_(seed ^ 0x5ca1ab1eULL) {}

Scheduler::EventId Scheduler::at(TimePoint when, std::function<void()> action) {
    const EventId id = next_id_++;
    queue_.push(Event{when < now_ ? now_ : when, random_.next(), id, std::move(action)});
    live_.insert(id);
    return id;
}

bool Scheduler::cancel(EventId id) {
    if (live_.erase(id) == 0) {
        return false;
    }
    cancelled_.insert(id);
    return true;
}

void Scheduler::skip_cancelled() {
    while (!queue_.empty() && cancelled_.erase(queue_.top().id) > 0) {
        queue_.pop();
    }
}

bool Scheduler::run_one() {
    skip_cancelled();
    if (queue_.empty()) {
        return false;
    }
    // Moved out before the pop: the action may schedule (and so reorder the heap).
    Event event = std::move(const_cast<Event&>(queue_.top()));
    queue_.pop();
    live_.erase(event.id);
    now_ = event.when;
    ++events_run_;
    event.action();
    return true;
}

std::uint64_t Scheduler::run_until(TimePoint until) {
    std::uint64_t ran = 0;
    while (true) {
        skip_cancelled();
        if (queue_.empty() || queue_.top().when > until) {
            break;
        }
        run_one();
        ++ran;
    }
    if (until > now_) {
        now_ = until;
    }
    return ran;
}

} // namespace fota::sim::simulation
