// The virtual clock and event queue of the deterministic simulation (stack `sim`, issue 12): one
// thread, no wall clock. Everything that happens (a message arriving, a timer firing, a chunk of
// an HTTP body) is an event at a virtual time; running the queue advances the clock from event to
// event, so an hour of protocol takes as long as its events take to compute.
//
// Determinism: events run in (time, order key, sequence) order. The order key of each event is
// drawn from the scheduler's seeded generator when it is scheduled, so events due at the same
// virtual time run in an order that depends on the seed alone (a different seed explores a
// different interleaving), and the sequence number breaks the last ties. Given the same seed and
// the same calls, a run is the same run, event for event.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <queue>
#include <unordered_set>
#include <vector>

namespace fota::sim::simulation {

/// Virtual time since the start of the simulation.
using Duration = std::chrono::microseconds;
using TimePoint = Duration;

/// A small seeded generator (SplitMix64): fast, and the same numbers on every platform, unlike
/// the standard library's distributions.
class Random {
public:
    explicit Random(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next();
    /// A number in [0, bound); 0 when bound is 0.
    std::uint64_t below(std::uint64_t bound);

private:
    std::uint64_t state_;
};

class Scheduler {
public:
    using EventId = std::uint64_t;

    explicit Scheduler(std::uint64_t seed);

    [[nodiscard]] TimePoint now() const { return now_; }

    /// Runs `action` at virtual time `when` (now, if `when` is in the past). Returns an id for
    /// cancel().
    EventId at(TimePoint when, std::function<void()> action);
    /// Runs `action` after `delay` of virtual time.
    EventId after(Duration delay, std::function<void()> action) {
        return at(now_ + delay, std::move(action));
    }
    /// Forgets a pending event; false when it already ran or was cancelled.
    bool cancel(EventId id);

    /// Runs the next pending event (advancing the clock to its time); false when none is pending.
    bool run_one();
    /// Runs every event due at or before `until`, then sets the clock to `until`. Returns how
    /// many events ran. Events scheduled by events run too, when due in time.
    std::uint64_t run_until(TimePoint until);

    [[nodiscard]] std::size_t pending() const { return queue_.size() - cancelled_.size(); }
    /// Events run since construction.
    [[nodiscard]] std::uint64_t events_run() const { return events_run_; }
    /// The seeded generator every simulated component draws from (latency, jitter).
    Random& random() { return random_; }

private:
    struct Event {
        TimePoint when;
        std::uint64_t order_key;
        EventId id;
        std::function<void()> action;
    };
    struct Later {
        bool operator()(const Event& a, const Event& b) const {
            if (a.when != b.when) {
                return a.when > b.when;
            }
            if (a.order_key != b.order_key) {
                return a.order_key > b.order_key;
            }
            return a.id > b.id;
        }
    };
    /// Drops cancelled events from the top of the queue.
    void skip_cancelled();

    TimePoint now_{0};
    Random random_;
    EventId next_id_ = 1;
    std::uint64_t events_run_ = 0;
    std::priority_queue<Event, std::vector<Event>, Later> queue_;
    std::unordered_set<EventId> cancelled_;
    std::unordered_set<EventId> live_;
};

} // namespace fota::sim::simulation
