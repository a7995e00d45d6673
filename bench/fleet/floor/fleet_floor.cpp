// fota-fleet-floor: the floor `fota-sim fleet` is measured against (issue 14, point 4; see
// README.md). N clients exchange exactly the MQTT messages of a seed-profile device's update
// and fetch the same image bytes with the same Range requests, through the same stack the fleet
// starts (the runner's embedded stack: Mosquitto with the plugin, the object server in this
// process), with the same arrival rate and one job for all created the same way once all are
// connected. Prints a JSON report: counts, per-client latencies, wall time and CPU.
#include "cloud_process.hpp"
#include "floor_client.hpp"
#include "http_fetcher.hpp"

#include "fota/profile.hpp"
#include "fota/sim/process_stats.hpp"
#include "fota/sim/stack.hpp"
#include "runner/src/firmware.hpp"
#include "scenario/steps/create_job_run.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

namespace fota::bench::floor {

namespace asio = boost::asio;
using json = nlohmann::json;
using std::chrono::milliseconds;

namespace {

struct FloorOptions {
    std::uint64_t count = 10;
    double rate = 0; ///< clients started per second (0: all at once), as fota-sim fleet --rate
    std::uint64_t image_size = 64 * 1024;
    std::uint64_t seed = 1;
    std::string thing_prefix = "floor-";
    std::chrono::seconds timeout{1800};
    std::string json_file;
    std::string work_dir;
    std::string
        fota_sim; ///< run the stack as `<fota_sim> cloud`, a child process (else in process)
    unsigned threads = 2; ///< client groups: an io_context thread and a libcurl thread each
    sim::StackOptions stack_options;
};

// The fleet's firmware and job, as simulator/fleet/src/fleet_run.cpp makes them: the runner's
// firmware (1.0.0 installed, 2.0.0 the update) and a create_job step for every client.
sim::Scenario floor_scenario(const FloorOptions& options) {
    sim::Scenario scenario;
    scenario.file = "floor";
    for (const auto& [id, version] :
         {std::pair{"initial", "1.0.0"}, std::pair{"update", "2.0.0"}}) {
        sim::Firmware firmware;
        firmware.id = id;
        firmware.version = version;
        firmware.size = options.image_size;
        scenario.firmware.push_back(firmware);
    }
    return scenario;
}

json latency_summary(std::vector<double> samples_ms) {
    if (samples_ms.empty()) {
        return json::object();
    }
    std::sort(samples_ms.begin(), samples_ms.end());
    const auto at = [&](double q) {
        const auto rank =
            static_cast<std::size_t>(std::ceil(q * static_cast<double>(samples_ms.size())));
        return samples_ms[std::max<std::size_t>(rank, 1) - 1];
    };
    return {{"count", samples_ms.size()},
            {"p50", at(0.50)},
            {"p90", at(0.90)},
            {"p99", at(0.99)},
            {"max", samples_ms.back()}};
}

double ms_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

class FloorRun {
public:
    explicit FloorRun(const FloorOptions& options) : options_(options) {}
    json run();

private:
    void prepare();
    void make_clients();
    void start_due_clients(double seconds);
    void create_job();
    std::map<std::string, std::uint64_t> read_executions();
    json report(const std::map<std::string, std::uint64_t>& executions, double process_wall_s);
    void add_phases(const ClientRecord& r,
                    std::map<std::string, std::vector<double>>& phases) const;

    const FloorOptions& options_;
    std::unique_ptr<CloudProcess> cloud_;
    std::unique_ptr<sim::Stack> stack_;
    sim::Scenario scenario_;
    sim::runner::FirmwareImages images_;
    std::map<std::string, sim::PublishedFirmware> published_;
    std::string job_id_;
    ClientSettings settings_;
    ClientEvents events_;
    /// Clients in groups (client i in group i % groups): one io_context, its thread and one
    /// HttpFetcher (a thread too) each, so the floor may use the cores as the fleet's workers do.
    struct Group {
        asio::io_context io;
        std::unique_ptr<HttpFetcher> http;
        std::vector<FloorClient*> clients;
        std::thread thread;
    };
    std::vector<std::unique_ptr<Group>> groups_;
    std::vector<std::unique_ptr<FloorClient>> clients_;
    std::size_t next_start_ = 0;
    std::optional<Clock::time_point> first_start_;
    std::optional<Clock::time_point> job_created_;
    std::atomic<std::uint64_t> connected_{0};
    std::atomic<std::uint64_t> ended_{0};
    double cpu_before_stop_ = 0;
    std::uint64_t http_connections_ = 0;
    std::string stopped_by_;
};

void FloorRun::prepare() {
    std::optional<sim::StackConfig> urls;
    if (options_.fota_sim.empty()) {
        stack_ = sim::make_stack(sim::StackConfig{}, options_.stack_options);
        stack_->start(options_.work_dir);
        urls = stack_->url_config();
    } else {
        cloud_ = std::make_unique<CloudProcess>(options_.fota_sim, options_.stack_options.plugin,
                                                options_.stack_options.broker_environment,
                                                options_.work_dir);
        urls = cloud_->config();
        stack_ = sim::make_stack(*urls, options_.stack_options);
        stack_->start(options_.work_dir + "/url-stack");
    }
    if (!urls) {
        throw std::runtime_error("the embedded stack gave no URLs");
    }
    const auto port_of = [](const std::string& url) {
        return static_cast<std::uint16_t>(std::stoul(url.substr(url.rfind(':') + 1)));
    };
    settings_.broker =
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_of(urls->mqtt_url));
    settings_.shadow_base_url = urls->control_url;
    settings_.fragment_size = fota::default_profile().download.fragment_size;
    scenario_ = floor_scenario(options_);
    images_ = sim::runner::prepare_firmware(scenario_, options_.seed, options_.work_dir);
    published_ = sim::runner::publish_firmware(scenario_, images_, *stack_);
    job_id_ = "floor-" + std::to_string(options_.seed) + "-" +
              std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 1000000);
}

void FloorRun::make_clients() {
    events_.connected = [this] { ++connected_; };
    events_.ended = [this] { ++ended_; };
    const unsigned group_count = std::max(1u, options_.threads);
    for (unsigned g = 0; g < group_count; ++g) {
        auto group = std::make_unique<Group>();
        group->http = std::make_unique<HttpFetcher>(options_.count / group_count + 1);
        groups_.push_back(std::move(group));
    }
    std::vector<json> things;
    for (std::uint64_t index = 0; index < options_.count; ++index) {
        const std::string thing = options_.thing_prefix + std::to_string(index);
        Group& group = *groups_[index % group_count];
        clients_.push_back(std::make_unique<FloorClient>(group.io, *group.http, settings_, events_,
                                                         thing, options_.seed * 1'000'003u + index,
                                                         group.clients.size()));
        group.clients.push_back(clients_.back().get());
        things.push_back({{"thingName", thing}});
    }
    stack_->call_many("create_thing", things);
}

void FloorRun::start_due_clients(double seconds) {
    std::size_t due = clients_.size();
    if (options_.rate > 0) {
        due = std::min(clients_.size(),
                       static_cast<std::size_t>(std::floor(seconds * options_.rate)) + 1);
    }
    for (; next_start_ < due; ++next_start_) {
        FloorClient* client = clients_[next_start_].get();
        asio::post(groups_[next_start_ % groups_.size()]->io, [client] { client->start(); });
    }
}

void FloorRun::create_job() {
    sim::CreateJobStep job;
    job.job_id = job_id_;
    job.firmware = "update";
    job.description = "fota-fleet-floor";
    std::vector<std::string> things;
    for (const auto& client : clients_) {
        things.push_back(client->thing());
    }
    const json body = sim::runner::steps::create_job_request(
        job, *scenario_.find_firmware("update"), published_.at("update"), things);
    stack_->call("create_job", {{"jobId", job_id_}, {"body", body}});
    job_created_ = Clock::now();
}

std::map<std::string, std::uint64_t> FloorRun::read_executions() {
    std::map<std::string, std::uint64_t> executions;
    const json reply = stack_->call("describe_job", {{"jobId", job_id_}}, true);
    const json& job = reply.contains("job") ? reply["job"] : reply;
    const json details = job.value("jobProcessDetails", json::object());
    for (const auto& [key, value] : details.items()) {
        if (key.rfind("numberOf", 0) == 0 && value.is_number_integer() && value.get<int>() > 0) {
            executions[key] = value.get<std::uint64_t>();
        }
    }
    return executions;
}

json FloorRun::run() {
    const auto process_start = Clock::now();
    prepare();
    make_clients();
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    for (auto& group : groups_) {
        guards.push_back(asio::make_work_guard(group->io));
        group->thread = std::thread([&io = group->io] { io.run(); });
    }
    first_start_ = Clock::now();
    const auto deadline = *first_start_ + options_.timeout;
    auto last_keep_alive = Clock::now();
    auto last_progress = Clock::now();
    while (stopped_by_.empty()) {
        const auto now = Clock::now();
        start_due_clients(std::chrono::duration<double>(now - *first_start_).count());
        // The job once every client is connected (or failed), or half the time is gone.
        if (!job_created_ && next_start_ == clients_.size() &&
            (connected_ + ended_ >= clients_.size() ||
             now - *first_start_ > options_.timeout / 2)) {
            create_job();
        }
        if (now - last_progress > std::chrono::seconds(10)) {
            last_progress = now;
            std::cerr << "fota-fleet-floor: " << next_start_ << " started, " << connected_
                      << " connected, " << ended_ << " ended, job "
                      << (job_created_ ? "created" : "not yet") << "\n";
        }
        if (now - last_keep_alive > std::chrono::seconds(5)) {
            last_keep_alive = now;
            for (auto& group : groups_) {
                asio::post(group->io, [&group = *group, now] {
                    for (FloorClient* client : group.clients) {
                        client->keep_alive(now);
                    }
                });
            }
        }
        if (ended_ == clients_.size()) {
            stopped_by_ = "done";
        } else if (now > deadline) {
            stopped_by_ = "timeout";
        } else {
            std::this_thread::sleep_for(milliseconds(100));
        }
    }
    const auto executions = job_created_ ? read_executions() : decltype(read_executions()){};
    for (auto& group : groups_) {
        asio::post(group->io, [&group = *group] {
            for (FloorClient* client : group.clients) {
                client->close();
            }
        });
    }
    guards.clear();
    for (auto& group : groups_) {
        group->thread.join();
        http_connections_ += group->http->connections();
        group->http.reset();
    }
    cpu_before_stop_ = sim::process_cpu_seconds();
    stack_->stop();
    if (cloud_) {
        cloud_->stop();
    }
    return report(executions, ms_between(process_start, Clock::now()) / 1000);
}

void FloorRun::add_phases(const ClientRecord& r,
                          std::map<std::string, std::vector<double>>& phases) const {
    const auto add = [&](const char* phase, std::optional<Clock::time_point> from,
                         std::optional<Clock::time_point> to) {
        if (from && to) {
            phases[phase].push_back(ms_between(*from, *to));
        }
    };
    add("connect", r.started, r.connected);
    if (r.connected && job_created_) {
        add("job_received", std::max(*r.connected, *job_created_), r.job_taken);
        add("end_to_end", std::max(r.started, *job_created_), r.reconnected);
    }
    add("first_byte", r.job_taken, r.first_byte);
    add("download", r.first_byte, r.downloaded);
    add("apply", r.downloaded, r.succeeded);
    add("reboot_confirmed", r.succeeded, r.reconnected);
}

json FloorRun::report(const std::map<std::string, std::uint64_t>& executions,
                      double process_wall_s) {
    // The fleet's phases (simulator/fleet/include/fota/sim/fleet_metrics.hpp) where the floor
    // has them; the fleet's reboot and confirmed are one phase here (SUCCEEDED accepted to the
    // CONNACK after the reboot: the shadow report and the connect).
    std::map<std::string, std::vector<double>> phases;
    std::map<std::string, std::uint64_t> failures;
    std::uint64_t connected = 0, jobs = 0, succeeded = 0, confirmed = 0, finished = 0;
    std::uint64_t full_image = 0, download_bytes = 0, http_requests = 0, sent = 0, received = 0;
    std::optional<Clock::time_point> last_done;
    const std::uint64_t image_bytes = images_.bytes.at("update").size();
    for (const auto& client : clients_) {
        const ClientRecord& r = client->record();
        connected += r.connected ? 1 : 0;
        jobs += r.job_taken ? 1 : 0;
        succeeded += r.succeeded ? 1 : 0;
        confirmed += r.reconnected ? 1 : 0;
        finished += r.finished ? 1 : 0;
        full_image += r.download_bytes == image_bytes ? 1 : 0;
        download_bytes += r.download_bytes;
        http_requests += r.http_requests;
        sent += r.mqtt_sent;
        received += r.mqtt_received;
        if (!r.failure.empty()) {
            ++failures[r.failure.substr(0, 120)];
        }
        add_phases(r, phases);
        if (r.reconnected) {
            last_done = std::max(last_done.value_or(*r.reconnected), *r.reconnected);
        }
    }
    json latency_ms = json::object();
    for (auto& [phase, samples] : phases) {
        latency_ms[phase] = latency_summary(std::move(samples));
    }
    const double cpu_all = sim::process_cpu_seconds();
    const double cpu_children = sim::process_cpu_seconds(true);
    return {
        {"stopped_by", stopped_by_},
        {"config",
         {{"count", options_.count},
          {"rate", options_.rate},
          {"image_bytes", image_bytes},
          {"fragment_size", settings_.fragment_size},
          {"client_threads", groups_.size()},
          {"seed", options_.seed}}},
        {"clients",
         {{"count", clients_.size()},
          {"connected", connected},
          {"job_received", jobs},
          {"succeeded", succeeded},
          {"confirmed", confirmed},
          {"finished", finished},
          {"full_image", full_image},
          {"failures", failures}}},
        {"executions", executions},
        {"download_bytes", download_bytes},
        {"http_requests", http_requests},
        {"http_connections", http_connections_},
        {"mqtt_packets_sent", sent},
        {"mqtt_packets_received", received},
        {"wall_s", last_done ? ms_between(*first_start_, *last_done) / 1000 : 0.0},
        {"job_to_last_done_s",
         last_done && job_created_ ? ms_between(*job_created_, *last_done) / 1000 : 0.0},
        {"process_wall_s", process_wall_s},
        {"cpu_s",
         {{"floor", cpu_before_stop_},
          {"floor_at_exit", cpu_all},
          {"children", cpu_children},
          {"total", cpu_all + cpu_children}}},
        {"peak_rss_kib", sim::process_peak_rss_kib()},
        {"latency_ms", latency_ms},
    };
}

int run_command(int argc, char** argv) {
    FloorOptions options;
    CLI::App app{"The floor of fota-sim fleet: the same MQTT messages and Range requests by "
                 "minimal clients (bench/fleet/floor/README.md)"};
    app.add_option("--count", options.count, "Clients")->capture_default_str();
    app.add_option("--rate", options.rate, "Clients started per second (0: all at once)")
        ->capture_default_str();
    app.add_option("--image-size", options.image_size, "Bytes of the firmware image")
        ->capture_default_str();
    app.add_option("--seed", options.seed, "Seed of the images and client tokens")
        ->capture_default_str();
    app.add_option("--thing-prefix", options.thing_prefix, "Things are PREFIX<index>")
        ->capture_default_str();
    std::uint64_t timeout_s = 1800;
    app.add_option("--timeout", timeout_s, "Seconds before the run gives up")
        ->capture_default_str();
    app.add_option("--json", options.json_file, "Write the report here (else stdout)");
    app.add_option("--work-dir", options.work_dir, "The stack's folder (made when empty)");
    app.add_option("--threads", options.stack_options.threads,
                   "Threads of the stack's io_context (the object server)")
        ->capture_default_str();
    app.add_option("--client-threads", options.threads,
                   "Client groups, each an io_context thread (MQTT) and a libcurl thread")
        ->capture_default_str();
    app.add_option("--plugin", options.stack_options.plugin,
                   "libfota_mosquitto_plugin.so (else FOTA_MOSQUITTO_PLUGIN or fota-sim's search)");
    app.add_option("--fota-sim", options.fota_sim,
                   "Run the stack as `FOTA_SIM cloud`, a process of its own (else in process)");
    app.add_option("--broker-env", options.stack_options.broker_environment,
                   "NAME=value for Mosquitto (a sanitizer's preload)");
    CLI11_PARSE(app, argc, argv);
    options.timeout = std::chrono::seconds(timeout_s);
    if (options.count == 0) {
        std::cerr << "fota-fleet-floor: --count must be at least 1\n";
        return 2;
    }
    const bool own_work_dir = options.work_dir.empty();
    if (own_work_dir) {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "fota-fleet-floor-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) {
            std::cerr << "fota-fleet-floor: cannot make a work folder (give --work-dir)\n";
            return 2;
        }
        options.work_dir = pattern;
    }
    std::filesystem::create_directories(options.work_dir);
    // Descriptors: one MQTT socket and one HTTP connection a client here, one a client in
    // Mosquitto (which inherits the limit), plus the object server's side.
    sim::raise_open_file_limit(4 * options.count + 1024);
    json report;
    try {
        FloorRun run(options);
        report = run.run();
    } catch (const std::exception& e) {
        std::cerr << "fota-fleet-floor: " << e.what() << "\n";
        return 2;
    }
    if (own_work_dir) {
        std::error_code ignored;
        std::filesystem::remove_all(options.work_dir, ignored);
    }
    const std::string text = report.dump(2);
    if (options.json_file.empty()) {
        std::cout << text << "\n";
    } else {
        std::ofstream(options.json_file) << text << "\n";
    }
    const json& clients = report["clients"];
    return clients["finished"] == options.count ? 0 : 1;
}

} // namespace

} // namespace fota::bench::floor

int main(int argc, char** argv) {
    return fota::bench::floor::run_command(argc, argv);
}
