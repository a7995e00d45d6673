// Prometheus metrics of a fleet report (fleet_prometheus.hpp) and the endpoint that serves them
// (metrics_server.hpp). The strict parse of a real scrape is scrape_metrics.py's.
#include "fleet_report_samples.hpp"
#include "fota/sim/fleet_prometheus.hpp"
#include "fota/sim/metrics_server.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <sstream>
#include <thread>

using namespace fota::sim::fleet;
namespace net = boost::asio;
namespace bhttp = boost::beast::http;

namespace {

bool has_line(const std::string& text, const std::string& line) {
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) {
        if (l == line) {
            return true;
        }
    }
    return false;
}

bhttp::response<bhttp::string_body> request(std::uint16_t port, bhttp::verb method,
                                            const std::string& target) {
    net::io_context io;
    net::ip::tcp::socket socket(io);
    socket.connect({net::ip::make_address("127.0.0.1"), port});
    bhttp::request<bhttp::string_body> req(method, target, 11);
    req.set(bhttp::field::host, "127.0.0.1");
    req.keep_alive(false);
    bhttp::write(socket, req);
    boost::beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> response;
    bhttp::read(socket, buffer, response);
    return response;
}

} // namespace

TEST_CASE("devices, milestones, errors and bytes are the report's") {
    const FleetReport report = test::sample_report("full");
    const std::string text = prometheus_text(report);
    const FleetMetrics& m = report.metrics;
    CHECK(has_line(text, "# TYPE fota_fleet_devices gauge"));
    CHECK(has_line(text, "fota_fleet_devices{state=\"total\"} 1200"));
    CHECK(has_line(text, "fota_fleet_devices{state=\"succeeded\"} " + std::to_string(m.succeeded)));
    CHECK(has_line(text, "fota_fleet_devices{state=\"failed\"} " + std::to_string(m.failed)));
    CHECK(has_line(text, "fota_fleet_milestone_devices_total{milestone=\"done\"} " +
                             std::to_string(m.timeline.total(Milestone::done))));
    CHECK(has_line(text, "fota_fleet_errors_total{class=\"failed:image_invalid\"} " +
                             std::to_string(m.errors.at("failed:image_invalid"))));
    CHECK(has_line(text, "fota_fleet_download_bytes_total " + std::to_string(m.download_bytes)));
    CHECK(has_line(text, "fota_fleet_limit_passed{limit=\"p99:end_to_end\"} 0"));
    CHECK(has_line(text, "fota_fleet_shard_peak_rss_bytes{shard=\"1\"} " +
                             std::to_string(report.shards[1].peak_rss_kib * 1024)));
    CHECK(text.back() == '\n');
}

TEST_CASE("a phase's histogram: cumulative buckets within one fine bucket, +Inf is the count") {
    FleetReport report;
    for (std::uint64_t ms : {3, 10, 49, 50, 51, 999, 1000, 1001, 4000, 7'200'000}) {
        report.metrics.phases[static_cast<std::size_t>(Phase::download)].record(ms);
    }
    const std::string text = prometheus_text(report);
    const std::string bucket = "fota_fleet_phase_latency_seconds_bucket{phase=\"download\",le=";
    CHECK(has_line(text, bucket + "\"0.005\"} 1"));
    CHECK(has_line(text, bucket + "\"0.01\"} 2"));
    // 50 ms shares its fine bucket with 51 (50..51): one bucket short, never over.
    CHECK(has_line(text, bucket + "\"0.05\"} 3"));
    CHECK(has_line(text, bucket + "\"0.1\"} 5"));
    CHECK(has_line(text, bucket + "\"1\"} 5")); // 992..1023 holds 999, 1000 and 1001
    CHECK(has_line(text, bucket + "\"5\"} 9"));
    CHECK(has_line(text, bucket + "\"3600\"} 9"));
    CHECK(has_line(text, bucket + "\"+Inf\"} 10"));
    CHECK(has_line(text, "fota_fleet_phase_latency_seconds_count{phase=\"download\"} 10"));
    CHECK(has_line(text, "fota_fleet_phase_latency_seconds_sum{phase=\"download\"} 7207.163"));
    // Phases without samples are there with zeros, so that a dashboard's series never vanish.
    CHECK(has_line(text, "fota_fleet_phase_latency_seconds_bucket{phase=\"apply\",le=\"+Inf\"} 0"));
    CHECK(has_line(text, "fota_fleet_phase_latency_seconds_sum{phase=\"apply\"} 0"));
}

TEST_CASE("label values are escaped and invalid UTF-8 is replaced") {
    FleetReport report;
    report.run_id = "a\"b\\c\nd";
    report.stack =
        std::string("ok \xF0\x9F\x98\x80 overlong \xC0\xAF surrogate \xED\xA0\x80 cut \xE2\x82");
    const std::string text = prometheus_text(report);
    const std::string replacement = "\xEF\xBF\xBD";
    CHECK(
        has_line(text, "fota_fleet_run_info{run_id=\"a\\\"b\\\\c\\nd\",stack=\"ok \xF0\x9F\x98\x80 "
                       "overlong " +
                           replacement + replacement + " surrogate " + replacement + replacement +
                           replacement + " cut " + replacement + replacement + "\"} 1"));
}

TEST_CASE("the server answers GET /metrics with the source's text, 404 elsewhere") {
    std::atomic<int> scrapes{0};
    MetricsServer server({}, [&] {
        ++scrapes;
        return std::string("# HELP x y\n# TYPE x gauge\nx 1\n");
    });
    REQUIRE(server.port() != 0);
    CHECK(server.url() == "http://127.0.0.1:" + std::to_string(server.port()) + "/metrics");
    const auto ok = request(server.port(), bhttp::verb::get, "/metrics");
    CHECK(ok.result_int() == 200);
    CHECK(ok[bhttp::field::content_type] == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(ok.body() == "# HELP x y\n# TYPE x gauge\nx 1\n");
    CHECK(request(server.port(), bhttp::verb::get, "/metrics?x=1").result_int() == 200);
    CHECK(scrapes == 2);
    CHECK(request(server.port(), bhttp::verb::get, "/").result_int() == 404);
    CHECK(request(server.port(), bhttp::verb::get, "/metricsx").result_int() == 404);
    const auto post = request(server.port(), bhttp::verb::post, "/metrics");
    CHECK(post.result_int() == 405);
    CHECK(post[bhttp::field::allow] == "GET, HEAD");
    CHECK(scrapes == 2);

    const std::uint16_t port = server.port();
    server.stop();
    server.stop();
    CHECK_THROWS(request(port, bhttp::verb::get, "/metrics")); // nothing listens any more
}

TEST_CASE("one kept-alive connection serves scrape after scrape; HEAD has no body") {
    std::atomic<int> scrapes{0};
    MetricsServer server({}, [&] { return "x " + std::to_string(++scrapes) + "\n"; });
    net::io_context io;
    net::ip::tcp::socket socket(io);
    socket.connect({net::ip::make_address("127.0.0.1"), server.port()});
    boost::beast::flat_buffer buffer;
    for (const auto& [method, body] :
         {std::pair{bhttp::verb::get, "x 1\n"}, std::pair{bhttp::verb::head, ""},
          std::pair{bhttp::verb::get, "x 3\n"}}) {
        bhttp::request<bhttp::string_body> req(method, "/metrics", 11);
        req.set(bhttp::field::host, "127.0.0.1");
        bhttp::write(socket, req);
        bhttp::response_parser<bhttp::string_body> parser;
        parser.skip(method == bhttp::verb::head);
        bhttp::read(socket, buffer, parser);
        CHECK(parser.get().result_int() == 200);
        CHECK(parser.get().keep_alive());
        CHECK(parser.get().body() == body);
    }
    CHECK(scrapes == 3);
}

TEST_CASE("a source that throws answers 500 with its message") {
    MetricsServer server({}, []() -> std::string { throw std::runtime_error("snapshot busy"); });
    const auto response = request(server.port(), bhttp::verb::get, "/metrics");
    CHECK(response.result_int() == 500);
    CHECK(response.body().find("snapshot busy") != std::string::npos);
}

TEST_CASE("a port that is taken, or an address that is not one, is an error naming both") {
    MetricsServer first({}, [] { return std::string(); });
    const std::string where = "127.0.0.1:" + std::to_string(first.port());
    try {
        MetricsServer second({"127.0.0.1", first.port()}, [] { return std::string(); });
        FAIL("a second server listened on " + where);
    } catch (const std::system_error& error) {
        CHECK(std::string(error.what()).find("cannot listen on " + where) != std::string::npos);
    }
    try {
        MetricsServer bad({"not-an-address", 9100}, [] { return std::string(); });
        FAIL("listened on not-an-address");
    } catch (const std::system_error& error) {
        CHECK(std::string(error.what()) ==
              "metrics server: cannot listen on not-an-address:9100: 'not-an-address' is not an "
              "IP address: Invalid argument");
    }
}

TEST_CASE("the server runs on an io_context the caller runs") {
    net::io_context io;
    MetricsServer server(io, {}, [] { return std::string("x 1\n"); });
    std::thread runner([&io] { io.run(); });
    const auto response = request(server.port(), bhttp::verb::get, "/metrics");
    server.stop();
    runner.join(); // returns: stop() left the io_context no work
    CHECK(response.body() == "x 1\n");
}
