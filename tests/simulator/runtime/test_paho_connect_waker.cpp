// The Paho connect waker (paho_connect_waker.hpp): it wakes Paho's receive thread only while a
// connect is pending, and with it a connect no longer waits for Paho's 1 s polls. Speed is judged
// as a ratio against a baseline measured in the same test (the waker off), never against a time.
#include "fota/sim/paho_connect_waker.hpp"
#include "fota/sim/paho_mqtt_client.hpp"
#include "support/test_support.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/post.hpp>

#include <chrono>
#include <iostream>
#include <string>
#include <thread>

using namespace fota::sim;
using fota::sim::test::MosquittoProcess;
using fota::sim::test::run_until;
using fota::sim::test::TempDir;

namespace {

bool wait_for(const std::function<bool()>& condition,
              std::chrono::milliseconds deadline = std::chrono::seconds(20)) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (!condition()) {
        if (std::chrono::steady_clock::now() >= until) {
            return condition();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

std::string describe(const PahoConnectWaker::Stats& stats) {
    return "wakes=" + std::to_string(stats.wakes) + " pending=" + std::to_string(stats.pending) +
           " linked=" + std::to_string(stats.linked) + " waking=" + std::to_string(stats.waking);
}

// The waker linked to its client and idle: later connects are measured without its own start.
void ready_waker() {
    PahoConnectWaker::set_enabled(true);
    PahoConnectWaker::Hold hold;
    hold.take();
    INFO(describe(PahoConnectWaker::stats()));
    REQUIRE(wait_for([] { return PahoConnectWaker::stats().linked; }));
}

MqttOptions options_for(std::uint16_t port, const std::string& client_id) {
    MqttOptions options;
    options.host = "127.0.0.1";
    options.port = port;
    options.client_id = client_id;
    options.keep_alive_s = 60;
    return options;
}

// One client connected and left connected; returns how long it took.
std::chrono::milliseconds connect_one(boost::asio::io_context& io, std::uint16_t port,
                                      const std::string& client_id,
                                      std::vector<std::unique_ptr<MqttClient>>& keep) {
    auto strand = boost::asio::make_strand(io);
    bool connected = false;
    MqttHandlers handlers;
    handlers.on_connected = [&connected](bool) { connected = true; };
    keep.push_back(
        std::make_unique<PahoMqttClient>(strand, options_for(port, client_id), handlers));
    MqttClient& client = *keep.back();
    const auto started = std::chrono::steady_clock::now();
    boost::asio::post(strand, [&client] { client.start(); });
    INFO(client_id << " did not connect; " << describe(PahoConnectWaker::stats()));
    REQUIRE(run_until(io, [&] { return connected; }));
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 started);
}

} // namespace

TEST_CASE("The waker wakes Paho only while a connect is pending", "[mqtt][paho]") {
    ready_waker();
    {
        PahoConnectWaker::Hold hold;
        hold.take();
        hold.take(); // a second take of one hold counts once
        CHECK(PahoConnectWaker::stats().pending == 1);
        const auto before = PahoConnectWaker::stats().wakes;
        INFO(describe(PahoConnectWaker::stats()));
        REQUIRE(wait_for([&] { return PahoConnectWaker::stats().wakes >= before + 3; }));
        hold.release();
        hold.release(); // idempotent
        CHECK(PahoConnectWaker::stats().pending == 0);
    }
    INFO(describe(PahoConnectWaker::stats()));
    REQUIRE(wait_for([] { return !PahoConnectWaker::stats().waking; }));

    // Off: a hold still counts, but nothing wakes.
    PahoConnectWaker::set_enabled(false);
    {
        PahoConnectWaker::Hold hold;
        hold.take();
        CHECK(PahoConnectWaker::stats().pending == 1);
        const auto before = PahoConnectWaker::stats().wakes;
        std::this_thread::sleep_for(PahoConnectWaker::kWakeInterval * 5);
        CHECK(PahoConnectWaker::stats().wakes == before);
        CHECK_FALSE(PahoConnectWaker::stats().waking);
    }
    PahoConnectWaker::set_enabled(true);
}

TEST_CASE("With the waker, connects no longer wait for Paho's 1 s socket polls", "[mqtt][paho]") {
    TempDir dir;
    MosquittoProcess broker(dir.path());
    boost::asio::io_context io;
    std::vector<std::unique_ptr<MqttClient>> clients;
    ready_waker();
    // A quiet connected client: Paho's receive thread now polls for a whole second at a time.
    connect_one(io, broker.port(), "resident", clients);

    constexpr int kConnects = 3;
    std::chrono::milliseconds baseline{0};
    PahoConnectWaker::set_enabled(false);
    for (int i = 0; i < kConnects; ++i) {
        baseline += connect_one(io, broker.port(), "baseline-" + std::to_string(i), clients);
    }
    PahoConnectWaker::set_enabled(true);
    const auto wakes_before = PahoConnectWaker::stats().wakes;
    std::chrono::milliseconds woken{0};
    for (int i = 0; i < kConnects; ++i) {
        woken += connect_one(io, broker.port(), "woken-" + std::to_string(i), clients);
    }
    const auto wakes = PahoConnectWaker::stats().wakes - wakes_before;
    std::cout << kConnects << " connects after the first: " << baseline.count()
              << " ms without the waker, " << woken.count() << " ms with it (" << wakes
              << " wakes)\n";
    INFO("without the waker " << baseline.count() << " ms, with it " << woken.count() << " ms, "
                              << wakes << " wakes");
    // About 1.5 s against tens of ms per connect on an idle machine; a generous margin for a
    // loaded one. Without the waker's wakes the connects cannot have been woken.
    CHECK(wakes >= 1);
    CHECK(woken * 4 < baseline);

    for (auto& client : clients) {
        client->stop();
    }
    clients.clear();
    io.restart();
    io.poll();
}
