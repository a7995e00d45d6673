// The virtual clock: order of events, ties broken by the seed alone, cancellation.
#include "fota/sim/simulation/scheduler.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using fota::sim::simulation::Duration;
using fota::sim::simulation::Random;
using fota::sim::simulation::Scheduler;
using std::chrono::milliseconds;

namespace {

/// The order in which ten events due at the same time run, with a scheduler of this seed.
std::string tie_order(std::uint64_t seed) {
    Scheduler s(seed);
    std::string order;
    for (char c = 'a'; c < 'k'; ++c) {
        s.at(milliseconds(5), [&order, c] { order += c; });
    }
    while (s.run_one()) {
    }
    return order;
}

} // namespace

TEST_CASE("Random is SplitMix64: the same numbers everywhere", "[simulation]") {
    Random r(0);
    CHECK(r.next() == 0xe220a8397b1dcdafULL);
    CHECK(r.next() == 0x6e789e6aa1b965f4ULL);
    CHECK(Random(7).below(0) == 0);
    Random bounded(3);
    for (int i = 0; i < 1000; ++i) {
        CHECK(bounded.below(10) < 10);
    }
}

TEST_CASE("events run in time order and move the clock", "[simulation]") {
    Scheduler s(1);
    std::vector<std::string> seen;
    s.at(milliseconds(30), [&] { seen.push_back("30:" + std::to_string(s.now().count())); });
    s.at(milliseconds(10), [&] {
        seen.push_back("10");
        // An event scheduled by an event, due before a later one, runs before it.
        s.after(milliseconds(5), [&] { seen.push_back("15"); });
    });
    CHECK(s.pending() == 2);
    CHECK(s.run_until(milliseconds(20)) == 2);
    CHECK(s.now() == milliseconds(20));
    CHECK(seen == std::vector<std::string>{"10", "15"});
    CHECK(s.run_until(milliseconds(100)) == 1);
    CHECK(seen.back() == "30:30000");
    CHECK(s.now() == milliseconds(100));
    CHECK_FALSE(s.run_one());
    CHECK(s.events_run() == 3);
}

TEST_CASE("an event due in the past runs now, not back in time", "[simulation]") {
    Scheduler s(1);
    s.run_until(milliseconds(50));
    Duration when{-1};
    s.at(milliseconds(10), [&] { when = s.now(); });
    REQUIRE(s.run_one());
    CHECK(when == milliseconds(50));
}

TEST_CASE("simultaneous events: the seed alone decides their order", "[simulation]") {
    CHECK(tie_order(42) == tie_order(42));
    CHECK(tie_order(43) == tie_order(43));
    // Over a few seeds, more than one order appears (10! orders; all equal would mean the seed
    // is not used).
    std::vector<std::string> orders;
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
        orders.push_back(tie_order(seed));
    }
    std::sort(orders.begin(), orders.end());
    CHECK(std::unique(orders.begin(), orders.end()) - orders.begin() > 1);
    // Every event ran exactly once whatever the order.
    std::string sorted = tie_order(9);
    std::sort(sorted.begin(), sorted.end());
    CHECK(sorted == "abcdefghij");
}

TEST_CASE("a cancelled event does not run", "[simulation]") {
    Scheduler s(1);
    int ran = 0;
    const auto id = s.after(milliseconds(1), [&] { ++ran; });
    s.after(milliseconds(2), [&] { ran += 10; });
    CHECK(s.cancel(id));
    CHECK_FALSE(s.cancel(id));
    CHECK(s.pending() == 1);
    s.run_until(milliseconds(10));
    CHECK(ran == 10);
    CHECK_FALSE(s.cancel(12345));
}
