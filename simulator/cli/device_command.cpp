// fota-sim device: one simulated nRF9160 (or N of them) running the FOTA core against an AWS IoT
// endpoint or the local stack, until interrupted (or until every device runs a given version).
#include "cli/cli_options.hpp"
#include "cli/command_registry.hpp"
#include "cli/thing_names.hpp"

#if __has_include("fota/sim/device_runtime.hpp")
#include "fota/cloud/tls/tls_folder.hpp"
#include "fota/sim/device_runtime.hpp"
#include "fota/sim/process_stats.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace fota::sim;

struct DeviceCommandOptions {
    std::string thing;
    std::string endpoint = "127.0.0.1";
    std::string cert;
    std::string key;
    std::string ca;
    std::string cert_dir; ///< a TLS folder: things/<thing>.crt and .key per device, ca.crt
    bool tls = false;
    bool insecure = false;
    std::string flash;
    std::string image;
    std::string firmware_version = "1.0.0";
    std::size_t count = 0;
    std::string thing_prefix = "dev-";
    unsigned threads = 2;
    MqttImplementation mqtt_client = MqttImplementation::paho;
    std::string shadow_url;
    std::string shadow_transport; // https | mqtt | none; default: https with --shadow-url
    std::string profile = "default";
    std::uint32_t keep_alive = 60;
    std::uint64_t seed = 1;
    std::string log_level = "info";
    std::string until_version;
    std::uint32_t timeout_s = 0;
    std::uint32_t stagger_ms = 0;
    std::string record_dir; ///< record every device's core here (fota-sim replay)
};

// Host and port of --endpoint; the port defaults to 8883 with TLS and 1883 without.
bool parse_endpoint(const std::string& endpoint, bool tls, std::string& host, std::uint16_t& port) {
    const auto colon = endpoint.rfind(':');
    host = endpoint;
    port = tls ? 8883 : 1883;
    if (colon != std::string::npos && endpoint.find(']') == std::string::npos) {
        host = endpoint.substr(0, colon);
        const std::string digits = endpoint.substr(colon + 1);
        if (digits.empty() || digits.size() > 5 ||
            digits.find_first_not_of("0123456789") != std::string::npos) {
            return false;
        }
        const unsigned long value = std::stoul(digits);
        if (value == 0 || value > 65535) {
            return false;
        }
        port = static_cast<std::uint16_t>(value);
    }
    return !host.empty();
}

[[noreturn]] void usage_error(const std::string& message) {
    std::cerr << "fota-sim device: " << message << "\n";
    throw CLI::RuntimeError(2);
}

// --endpoint, parsed.
struct Endpoint {
    std::string host;
    std::uint16_t port = 0;
    bool tls = false;
};

// Checks the command line (a usage error for anything invalid); returns the endpoint.
Endpoint check_command_line(const DeviceCommandOptions& cli) {
    Endpoint endpoint;
    endpoint.tls = cli.tls || !cli.cert.empty() || !cli.cert_dir.empty();
    if (!parse_endpoint(cli.endpoint, endpoint.tls, endpoint.host, endpoint.port)) {
        usage_error("--endpoint must be HOST or HOST:PORT (port 1..65535), got '" + cli.endpoint +
                    "'");
    }
    if (cli.thing.empty() == (cli.count == 0)) {
        usage_error("give either --thing NAME (one device) or --count N (N devices)");
    }
    if (cli.cert.empty() != cli.key.empty()) {
        usage_error("--cert and --key go together");
    }
    if (!cli.cert_dir.empty() && !cli.cert.empty()) {
        usage_error("--cert-dir (a certificate per thing) and --cert exclude each other");
    }
    if (!cli.cert_dir.empty() && !std::filesystem::is_directory(cli.cert_dir)) {
        usage_error("--cert-dir: no such folder: " + cli.cert_dir);
    }
    if (!cli.image.empty() && cli.firmware_version != "1.0.0") {
        usage_error("--image and --firmware-version exclude each other");
    }
    for (const auto* file : {&cli.cert, &cli.key, &cli.ca, &cli.image}) {
        if (!file->empty() && !std::filesystem::is_regular_file(*file)) {
            usage_error("no such file: " + *file);
        }
    }
    return endpoint;
}

// The core's profile from --profile and --shadow-transport (a usage error if invalid).
fota::Profile profile_of(const DeviceCommandOptions& cli) {
    fota::Profile profile = fota::default_profile();
    if (cli.profile == "verified") {
        profile = fota::verified_profile();
    } else if (cli.profile != "default") {
        usage_error("--profile must be default or verified");
    }
    const std::string transport = cli.shadow_transport.empty()
                                      ? (cli.shadow_url.empty() ? "mqtt" : "https")
                                      : cli.shadow_transport;
    if (transport == "https") {
        if (cli.shadow_url.empty()) {
            usage_error("--shadow-transport https needs --shadow-url https://HOST[:PORT]");
        }
        profile.shadow_transport = fota::ShadowTransport::Https;
    } else if (transport == "mqtt") {
        profile.shadow_transport = fota::ShadowTransport::Mqtt;
    } else if (transport == "none") {
        profile.shadow_transport = fota::ShadowTransport::None;
    } else {
        usage_error("--shadow-transport must be https, mqtt or none");
    }
    return profile;
}

// What every device of the run shares.
DeviceOptions base_device_options(const DeviceCommandOptions& cli, const Endpoint& endpoint) {
    DeviceOptions base;
    base.mqtt_host = endpoint.host;
    base.mqtt_port = endpoint.port;
    base.mqtt_tls = endpoint.tls;
    base.ca_file = cli.ca;
    base.cert_file = cli.cert;
    base.key_file = cli.key;
    base.verify_tls = !cli.insecure;
    base.keep_alive_s = cli.keep_alive;
    base.shadow_base_url = cli.shadow_url;
    base.image_file = cli.image;
    base.firmware_version = cli.firmware_version;
    base.profile = profile_of(cli);
    return base;
}

// The thing's own certificate from a TLS folder (`fota-sim cloud --tls --tls-dir DIR`), and the
// folder's CA unless --ca names one; a usage error naming the file when it is missing.
void use_thing_certificate(const std::string& cert_dir, DeviceOptions& options) {
    const auto files = fota::cloud::tls::thing_certificate_files(cert_dir, options.thing_name);
    for (const auto* file : {&files.certificate, &files.private_key}) {
        if (!std::filesystem::is_regular_file(*file)) {
            usage_error("--cert-dir: no certificate for thing " + options.thing_name + " (" +
                        *file + "); start the cloud with --tls-thing " + options.thing_name +
                        " (or --tls-things PREFIX:COUNT) and --tls-dir " + cert_dir);
        }
    }
    options.cert_file = files.certificate;
    options.key_file = files.private_key;
    if (options.ca_file.empty()) {
        options.ca_file = cert_dir + "/ca.crt";
    }
}

// One DeviceOptions a device: its thing name, seed and flash file (in the --flash folder, created
// here, with --count).
std::vector<DeviceOptions> fleet_device_options(const DeviceCommandOptions& cli,
                                                const DeviceOptions& base) {
    const std::size_t count = cli.count == 0 ? 1 : cli.count;
    if (count > 1 && !cli.flash.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(cli.flash, ec);
        if (ec) {
            usage_error("--flash with --count names a folder; cannot create " + cli.flash);
        }
    }
    if (!cli.record_dir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(cli.record_dir, ec);
        if (ec) {
            usage_error("--record: cannot create the folder " + cli.record_dir);
        }
    }
    std::vector<DeviceOptions> devices;
    devices.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        DeviceOptions options = base;
        options.thing_name = cli.count == 0
                                 ? cli.thing
                                 : fota::sim::cli::fleet_thing_name(cli.thing_prefix, i, count);
        if (!cli.cert_dir.empty()) {
            use_thing_certificate(cli.cert_dir, options);
        }
        options.seed = cli.seed * 1'000'003u + i;
        options.mqtt_client = cli.mqtt_client;
        if (!cli.record_dir.empty()) {
            options.record_file =
                (std::filesystem::path(cli.record_dir) / (options.thing_name + ".jsonl")).string();
        }
        if (!cli.flash.empty()) {
            options.flash_file =
                count > 1
                    ? (std::filesystem::path(cli.flash) / (options.thing_name + ".flash")).string()
                    : cli.flash;
        }
        devices.push_back(std::move(options));
    }
    return devices;
}

// One round of status collection: every device answers on its own strand.
struct Census {
    std::mutex mutex;
    std::size_t answered = 0;
    std::size_t at_target = 0;
    std::size_t connected = 0;
    std::size_t failed = 0; ///< could not start (flash file, image): Off with an error
    std::map<std::string, std::size_t> by_phase;
    std::map<std::string, std::size_t> by_version;
};

// The devices of one run on one io_context, started (in batches with --stagger-ms) and watched
// by a census every few seconds until a signal, --until-version, --timeout, or no device starts.
class Fleet {
public:
    Fleet(const DeviceCommandOptions& cli, std::vector<DeviceOptions> options)
        : cli_(cli), count_(options.size()) {
        devices_.reserve(count_);
        for (auto& device : options) {
            devices_.push_back(std::make_unique<DeviceRuntime>(io_, std::move(device)));
        }
    }

    // Runs until the fleet stops; returns the exit code.
    int run() {
        started_ = std::chrono::steady_clock::now();
        const DeviceOptions& first = devices_.front()->options();
        spdlog::info("starting {} device(s) against {}:{} ({}) on {} thread(s)", count_,
                     first.mqtt_host, first.mqtt_port, first.mqtt_tls ? "TLS" : "TCP",
                     cli_.threads);
        boost::asio::post(io_, [this] { start_some(); });
        signals_.async_wait([this](boost::system::error_code ec, int signal) {
            if (!ec) {
                spdlog::info("signal {}: stopping", signal);
                stop_all(0);
            }
        });
        take_census();

        std::vector<std::thread> workers;
        for (unsigned i = 1; i < cli_.threads; ++i) {
            workers.emplace_back([this] { io_.run(); });
        }
        io_.run();
        for (auto& worker : workers) {
            worker.join();
        }
        devices_.clear();
        return exit_code_;
    }

private:
    // Staggered starts spread the connection burst (AWS allows 500 connects per second).
    void start_some() {
        const std::size_t batch = cli_.stagger_ms == 0 ? count_ : 10;
        for (std::size_t i = 0; i < batch && next_start_ < count_; ++i) {
            devices_[next_start_++]->start();
        }
        if (next_start_ < count_) {
            stagger_.expires_after(std::chrono::milliseconds(cli_.stagger_ms));
            stagger_.async_wait([this](boost::system::error_code ec) {
                if (!ec) {
                    start_some();
                }
            });
        }
    }

    void stop_all(int code) {
        if (stopping_.exchange(true)) {
            return;
        }
        exit_code_ = code;
        stagger_.cancel();
        auto remaining = std::make_shared<std::atomic<std::size_t>>(devices_.size());
        for (auto& device : devices_) {
            DeviceRuntime* raw = device.get();
            device->post([this, raw, remaining] {
                raw->stop();
                if (--*remaining == 0) {
                    io_.stop();
                }
            });
        }
    }

    // Every few seconds: a census of the fleet (progress, and the --until-version check).
    void take_census() {
        census_timer_.expires_after(std::chrono::seconds(count_ > 1 ? 5 : 2));
        census_timer_.async_wait([this](boost::system::error_code ec) {
            if (ec || stopping_) {
                return;
            }
            auto census = std::make_shared<Census>();
            for (auto& device : devices_) {
                DeviceRuntime* raw = device.get();
                device->post([this, raw, census] {
                    const DeviceStatus status = raw->status();
                    const std::lock_guard lock(census->mutex);
                    count(*census, status);
                    if (census->answered == devices_.size() && report(*census)) {
                        boost::asio::post(io_, [this] { take_census(); });
                    }
                });
            }
        });
    }

    void count(Census& census, const DeviceStatus& status) const {
        ++census.answered;
        ++census
              .by_phase[status.phase.empty() ? std::string(to_string(status.state)) : status.phase];
        ++census.by_version[status.running_version];
        census.connected += status.mqtt_connected ? 1 : 0;
        if (status.state == DeviceState::Off && !status.last_error.empty()) {
            ++census.failed;
        }
        if (!cli_.until_version.empty() && status.state == DeviceState::Running &&
            status.confirmed && status.phase == "idle" &&
            (status.running_version == cli_.until_version ||
             status.running_version == "v" + cli_.until_version)) {
            ++census.at_target;
        }
    }

    // Logs a complete census; false when it ends the run.
    bool report(const Census& census) {
        std::string versions;
        for (const auto& [version, n] : census.by_version) {
            versions += " " + version + "=" + std::to_string(n);
        }
        std::string phases;
        for (const auto& [phase, n] : census.by_phase) {
            phases += " " + phase + "=" + std::to_string(n);
        }
        spdlog::info("fleet: {} connected; versions:{}; phases:{}", census.connected, versions,
                     phases);
        if (census.failed == devices_.size()) {
            spdlog::error("no device could start (see the errors above)");
            stop_all(1);
            return false;
        }
        if (!cli_.until_version.empty() && census.at_target == devices_.size()) {
            const double wall =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
            spdlog::info("all {} device(s) run {} (confirmed) after {:.1f} s; cpu "
                         "{:.1f} s; peak RSS {} KiB; {} threads",
                         devices_.size(), cli_.until_version, wall, process_cpu_seconds(),
                         process_peak_rss_kib(), process_thread_count());
            stop_all(0);
            return false;
        }
        if (cli_.timeout_s != 0 &&
            std::chrono::steady_clock::now() - started_ > std::chrono::seconds(cli_.timeout_s)) {
            spdlog::error("timeout after {} s", cli_.timeout_s);
            stop_all(1);
            return false;
        }
        return true;
    }

    const DeviceCommandOptions& cli_;
    const std::size_t count_;
    boost::asio::io_context io_;
    std::vector<std::unique_ptr<DeviceRuntime>> devices_;
    std::chrono::steady_clock::time_point started_;
    boost::asio::steady_timer stagger_{io_};
    std::size_t next_start_ = 0;
    boost::asio::signal_set signals_{io_, SIGINT, SIGTERM};
    boost::asio::steady_timer census_timer_{io_};
    std::atomic<int> exit_code_{0};
    std::atomic<bool> stopping_{false};
};

int run_devices(const DeviceCommandOptions& cli) {
    spdlog::set_level(spdlog::level::from_str(cli.log_level));
    const Endpoint endpoint = check_command_line(cli);
    const DeviceOptions base = base_device_options(cli, endpoint);
    raise_open_file_limit(5 * std::max<std::size_t>(cli.count, 1) + 1024);
    Fleet fleet(cli, fleet_device_options(cli, base));
    return fleet.run();
}

void add_device_command(CLI::App& app) {
    auto cli = std::make_shared<DeviceCommandOptions>();
    CLI::App* command = app.add_subcommand(
        "device", "Run simulated nRF9160 device(s) with the FOTA core until interrupted");
    command->add_option("--thing", cli->thing, "Thing name (also the MQTT client id)");
    command
        ->add_option("--endpoint", cli->endpoint,
                     "MQTT broker HOST[:PORT] (AWS IoT endpoint or the local stack); port "
                     "8883 with TLS, 1883 without")
        ->capture_default_str();
    command->add_option("--cert", cli->cert, "PEM client certificate (turns TLS on)");
    command->add_option("--key", cli->key, "PEM private key of --cert");
    command->add_option("--ca", cli->ca, "PEM CA of the broker and of https servers");
    command
        ->add_option("--cert-dir", cli->cert_dir,
                     "A TLS folder of fota-sim cloud --tls: each device connects with "
                     "DIR/things/<thing>.crt and .key, trusting DIR/ca.crt (turns TLS on)")
        ->type_name("DIR");
    command->add_flag("--tls", cli->tls, "TLS without a client certificate");
    command->add_flag("--insecure", cli->insecure, "Do not verify server certificates");
    command->add_option("--flash", cli->flash,
                        "Flash backing file kept across runs (a folder with --count)");
    auto* image =
        command->add_option("--image", cli->image, "MCUboot image installed on a blank flash");
    command
        ->add_option("--firmware-version", cli->firmware_version,
                     "Version of the test image installed on a blank flash")
        ->capture_default_str()
        ->excludes(image);
    command->add_option("--count", cli->count, "Run N devices in this process")
        ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
    command->add_option("--thing-prefix", cli->thing_prefix, "Thing name prefix with --count")
        ->capture_default_str();
    command->add_option("--threads", cli->threads, "Threads running the event loop")
        ->check(CLI::Range(1u, 64u))
        ->capture_default_str();
    add_mqtt_client_option(command, cli->mqtt_client);
    command->add_option("--shadow-url", cli->shadow_url,
                        "Shadow data plane base URL (https://ENDPOINT:8443 on AWS)");
    command->add_option("--shadow-transport", cli->shadow_transport,
                        "How the boot-time version reaches the shadow: https, mqtt or none "
                        "(default: https with --shadow-url, else mqtt)");
    command->add_option("--profile", cli->profile, "Core profile: default or verified")
        ->capture_default_str();
    command->add_option("--keep-alive", cli->keep_alive, "MQTT keep-alive seconds (30..1200)")
        ->check(CLI::Range(30u, 1200u))
        ->capture_default_str();
    command->add_option("--seed", cli->seed, "Seed of jitter and client tokens")
        ->capture_default_str();
    command->add_option("--log-level", cli->log_level, "trace, debug, info, warn, error, off")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
        ->capture_default_str();
    command->add_option("--until-version", cli->until_version,
                        "Exit 0 once every device runs this version, confirmed and idle");
    command->add_option("--timeout", cli->timeout_s, "Exit 1 after this many seconds (0: never)");
    command
        ->add_option("--record", cli->record_dir,
                     "Record every device's core (inputs, port calls and their results) to "
                     "DIR/<thing>.jsonl, for fota-sim replay")
        ->type_name("DIR");
    command->add_option("--stagger-ms", cli->stagger_ms,
                        "Start devices 10 at a time, this many ms apart (0: all at once)");
    command->callback([cli] {
        const int code = run_devices(*cli);
        if (code != 0) {
            throw CLI::RuntimeError(code);
        }
    });
}

} // namespace

FOTA_REGISTER_COMMAND("device", add_device_command);

#endif // device runtime available
