// The fleet metrics model (simulator/fleet/fleet_metrics.hpp): histogram buckets and quantiles,
// a device's phases from its events in both profiles, and the exact merge shards rely on.
#include "fota/sim/fleet_metrics.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace fota::sim::fleet;

TEST_CASE("histogram buckets cover every value once, at most 1/16 wide above 32 ms") {
    std::uint64_t expected_low = 0;
    for (std::size_t bucket = 0; bucket < 32 + 16 * 30; ++bucket) {
        const std::uint64_t low = Histogram::bucket_low(bucket);
        const std::uint64_t high = Histogram::bucket_high(bucket);
        REQUIRE(low == expected_low); // contiguous: no gap, no overlap
        REQUIRE(Histogram::bucket_of(low) == bucket);
        REQUIRE(Histogram::bucket_of(high) == bucket);
        if (low >= 32) {
            REQUIRE((high - low + 1) * 16 <= low);
        } else {
            REQUIRE(high == low);
        }
        expected_low = high + 1;
    }
}

TEST_CASE("histogram quantiles, count, sum, min and max") {
    Histogram h;
    CHECK(h.quantile(0.5) == 0);
    for (std::uint64_t v = 1; v <= 100; ++v) {
        h.record(v * 10); // 10 .. 1000 ms
    }
    CHECK(h.count() == 100);
    CHECK(h.sum() == 50'500);
    CHECK(h.min() == 10);
    CHECK(h.max() == 1000);
    // The true p50 is 500 and p99 990: the answers are bucket edges at most 1/16 above.
    CHECK(h.quantile(0.5) >= 500);
    CHECK(h.quantile(0.5) <= 500 + 500 / 16);
    CHECK(h.quantile(0.99) >= 990);
    CHECK(h.quantile(0.99) <= 1000);
    CHECK(h.quantile(1.0) == 1000);
    CHECK(h.count_at_most(9) == 0);
    CHECK(h.count_at_most(1000) == 99); // 1000's bucket is 992..1023: one bucket short
    CHECK(h.count_at_most(1023) == 100);
}

TEST_CASE("merged histograms equal one histogram of all samples") {
    std::mt19937_64 random(7);
    Histogram all;
    Histogram a;
    Histogram b;
    for (int i = 0; i < 5000; ++i) {
        const std::uint64_t v = random() % 200'000;
        all.record(v);
        (i % 3 == 0 ? a : b).record(v);
    }
    Histogram merged = a;
    merged.merge(b);
    CHECK(merged == all);
    CHECK(merged.quantile(0.9) == all.quantile(0.9));
}

TEST_CASE("a histogram reads back from its JSON; bad JSON is refused with the reason") {
    Histogram h;
    for (std::uint64_t v : {0, 5, 31, 32, 33, 1000, 123456}) {
        h.record(v);
    }
    std::string error;
    const auto back = Histogram::from_json(h.to_json(), error);
    REQUIRE(back);
    CHECK(*back == h);

    auto bad = h.to_json();
    bad["count"] = 3;
    CHECK_FALSE(Histogram::from_json(bad, error));
    CHECK(error.find("buckets hold 7") != std::string::npos);
    bad = h.to_json();
    REQUIRE(bad["buckets"][3][0] == 32);
    bad["buckets"][3][0] = 33; // not a bucket's lowest value (32..33 is one bucket)
    CHECK_FALSE(Histogram::from_json(bad, error));
    CHECK(error == "bucket 33 is not a bucket's lowest value");
    CHECK_FALSE(Histogram::from_json(nlohmann::json::array(), error));
}

TEST_CASE("a device's phases from its events (verified profile: SUCCEEDED after the boot)") {
    DeviceClock device;
    device.set_job_created(2'000);
    device.powered_on(1'000);
    CHECK(device.on_event("mqtt_connected", "clean", 1'500) ==
          std::vector<Milestone>{Milestone::connected});
    device.on_event("download_first_byte", "", 1'600); // not a job's download
    CHECK(device.on_event("job_taken", "j1", 2'300) == std::vector<Milestone>{Milestone::job});
    device.on_event("download_first_byte", "", 2'400);
    device.on_event("download_retry", "", 2'500);
    device.on_event("download_first_byte", "", 2'600); // the retry's: the phase keeps the first
    device.on_event("download_complete", "bytes 65536", 4'400);
    device.on_event("rebooting", "", 4'500);
    device.on_event("boot", "2.0.0", 4'800);
    device.on_event("mqtt_connected", "clean", 5'000);
    device.on_event("image_confirmed", "j1", 5'100);
    CHECK_FALSE(device.done());
    CHECK(device.on_event("job_succeeded", "j1", 5'200) == std::vector<Milestone>{Milestone::done});
    CHECK(device.done());

    const auto phases = device.phases();
    const std::vector<std::pair<Phase, std::uint64_t>> expected = {
        {Phase::connect, 500},   {Phase::job_received, 300}, {Phase::first_byte, 100},
        {Phase::download, 2000}, {Phase::apply, 100},        {Phase::reboot, 300},
        {Phase::confirmed, 300}, {Phase::end_to_end, 3200}};
    CHECK(phases == expected);
}

TEST_CASE("the seed profile's reboot after the download means SUCCEEDED was accepted") {
    DeviceClock device;
    device.set_success_before_reboot(true);
    device.powered_on(0 + 1);
    device.on_event("mqtt_connected", "clean", 10);
    device.on_event("job_taken", "j1", 20);
    device.on_event("download_first_byte", "", 30);
    device.on_event("download_complete", "", 40);
    device.on_event("rebooting", "", 50);
    device.on_event("boot", "2.0.0", 60);
    CHECK(device.on_event("image_confirmed", "j1", 70) == std::vector<Milestone>{Milestone::done});
}

TEST_CASE("a failed job counts as failed, never done, with its reason as an error class") {
    DeviceClock device;
    device.powered_on(1);
    device.on_event("mqtt_connected", "", 2);
    device.on_event("job_taken", "j1", 3);
    CHECK(error_class("job_failed", "download_failed 404") == "failed:download_failed");
    CHECK(error_class("download_retry", "") == "download_retry");
    CHECK(error_class("job_taken", "") == "");
    CHECK(device.on_event("job_failed_reported", "j1", 4) ==
          std::vector<Milestone>{Milestone::failed});
    CHECK(device.failed());
    CHECK_FALSE(device.done());
    FleetMetrics metrics;
    metrics.add_device(device);
    CHECK(metrics.failed == 1);
    CHECK(metrics.succeeded == 0);
    CHECK(metrics.phase(Phase::end_to_end).count() == 0);
}

TEST_CASE("fleet metrics merge exactly and read back from JSON") {
    FleetMetrics a;
    FleetMetrics b;
    FleetMetrics all;
    for (int i = 0; i < 50; ++i) {
        DeviceClock device;
        device.powered_on(1'700'000'000'000 + i * 100);
        device.on_event("mqtt_connected", "", 1'700'000'000'500 + i * 170);
        FleetMetrics& shard = i % 2 == 0 ? a : b;
        shard.add_device(device);
        shard.timeline.add(Milestone::connected, 1'700'000'000 + i / 10);
        shard.errors["download_retry"] += static_cast<std::uint64_t>(i % 3);
        shard.download_bytes += 100;
        all.add_device(device);
        all.timeline.add(Milestone::connected, 1'700'000'000 + i / 10);
        all.errors["download_retry"] += static_cast<std::uint64_t>(i % 3);
        all.download_bytes += 100;
    }
    FleetMetrics merged = a;
    merged.merge(b);
    CHECK(merged == all);
    CHECK(merged.timeline.cumulative(Milestone::connected, 1'700'000'002) == 30);
    CHECK(merged.timeline.total(Milestone::connected) == 50);

    std::string error;
    const auto back = FleetMetrics::from_json(merged.to_json(), error);
    REQUIRE(back);
    CHECK(*back == merged);

    auto bad = merged.to_json();
    bad["phases"]["warp"] = bad["phases"]["connect"];
    CHECK_FALSE(FleetMetrics::from_json(bad, error));
    CHECK(error == "unknown phase 'warp'");
    bad = merged.to_json();
    bad["timeline"]["milestones"]["connected"][0] = -1;
    CHECK_FALSE(FleetMetrics::from_json(bad, error));
    CHECK(error.find("non-negative") != std::string::npos);
}
