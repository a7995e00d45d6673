// fota-sim cloud: the local AWS IoT stack on its own (for docker compose and for developers): a
// private Mosquitto (from PATH) with the fota plugin (Jobs, Shadow, control-plane REST API), and
// the S3-style object server in this process. Prints the endpoints; stops cleanly on Ctrl-C and
// SIGTERM. With --tls, MQTT is TLS only with a client certificate per thing (cloud/README.md).
#include "cli/command_registry.hpp"
#include "cli/thing_names.hpp"

#if __has_include("fota/cloud/object_server.hpp") && __has_include("fota/cloud/broker_process.hpp")
#include "fota/cloud/broker_process.hpp"
#include "fota/cloud/object_server.hpp"
#include "fota/cloud/tls/tls_folder.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace fota::sim {
namespace {

struct CloudOptions {
    std::string address = "127.0.0.1";
    std::uint16_t mqtt_port = 0;
    std::uint16_t control_port = 0;
    std::uint16_t object_port = 0;
    std::string data_dir;
    std::string plugin;
    std::string mosquitto = "mosquitto";
    std::string access_key_id;
    std::string secret_access_key;
    std::vector<std::string> buckets;
    std::vector<std::string> broker_environment;
    bool tls = false;
    std::string tls_dir;                 ///< empty: <data-dir>/tls, or a temporary folder
    std::vector<std::string> tls_things; ///< thing names whose certificates are made at start
    std::vector<std::string> tls_fleets; ///< PREFIX:COUNT, the names of fota-sim device --count
};

[[noreturn]] void fail(const std::string& message, int code = 1) {
    std::cerr << "fota-sim cloud: " << message << "\n";
    throw CLI::RuntimeError(code);
}

// The broker's options: the plugin, the ports, and the object server's endpoint and the
// credentials the plugin hands on.
cloud::BrokerOptions broker_options(const CloudOptions& options, const std::string& plugin,
                                    const std::string& object_endpoint,
                                    const std::optional<cloud::http::Credentials>& credentials,
                                    const cloud::tls::TlsFolder* tls) {
    cloud::BrokerOptions broker_options;
    broker_options.mosquitto = options.mosquitto;
    broker_options.plugin_path = plugin;
    broker_options.address = options.address;
    broker_options.mqtt_port = options.mqtt_port;
    broker_options.control_port = options.control_port;
    broker_options.work_dir = options.data_dir;
    broker_options.extra_environment = options.broker_environment;
    broker_options.plugin_options["object_endpoint"] = object_endpoint;
    if (tls != nullptr) {
        broker_options.tls = cloud::BrokerTls{tls->ca_file(), tls->server_certificate_file(),
                                              tls->server_key_file(), tls->ca_key_file(), true};
    }
    if (credentials) {
        broker_options.plugin_options["access_key_id"] = credentials->access_key_id;
        broker_options.plugin_options["secret_access_key"] = credentials->secret_access_key;
        broker_options.plugin_options["object_access_key_id"] = credentials->access_key_id;
        broker_options.plugin_options["object_secret_access_key"] = credentials->secret_access_key;
    }
    return broker_options;
}

// A key pair for --tls without --access-key-id: AWS's shapes (AKIA + 16, 40 characters of secret).
cloud::http::Credentials make_credentials() {
    static constexpr char upper[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    static constexpr char secret_chars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::random_device random; // the kernel's random source: these guard the stack's API
    std::string akid = "AKIA";
    std::string secret;
    for (int i = 0; i < 16; ++i) {
        akid += upper[random() % 32];
    }
    for (int i = 0; i < 40; ++i) {
        secret += secret_chars[random() % 64];
    }
    return {akid, secret, ""};
}

// The [default] key pair of an earlier start's DIR/credentials, so a kept TLS folder keeps its key.
std::optional<cloud::http::Credentials> read_credentials_file(const std::string& dir) {
    std::ifstream in(dir + "/credentials");
    std::string line;
    cloud::http::Credentials credentials;
    while (std::getline(in, line)) {
        const auto equals = line.find(" = ");
        if (equals == std::string::npos) {
            continue;
        }
        const std::string name = line.substr(0, equals);
        const std::string value = line.substr(equals + 3);
        if (name == "aws_access_key_id") {
            credentials.access_key_id = value;
        } else if (name == "aws_secret_access_key") {
            credentials.secret_access_key = value;
        }
    }
    if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
        return std::nullopt;
    }
    return credentials;
}

// DIR/credentials, the AWS shared-credentials format (AWS_SHARED_CREDENTIALS_FILE), mode 0600.
std::string write_credentials_file(const std::string& dir,
                                   const cloud::http::Credentials& credentials) {
    const std::string path = dir + "/credentials";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const std::string text = "[default]\naws_access_key_id = " + credentials.access_key_id +
                             "\naws_secret_access_key = " + credentials.secret_access_key + "\n";
    const bool written = fd >= 0 && ::fchmod(fd, 0600) == 0 &&
                         ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    if (fd >= 0) {
        ::close(fd);
    }
    if (!written) {
        fail("cannot write " + path);
    }
    return path;
}

// Serves until one of `signals` arrives or the broker dies on its own; returns the exit code.
// The caller keeps the signal set past the call, so a second Ctrl-C while the broker stops is
// still caught rather than fatal.
int serve(boost::asio::io_context& io, boost::asio::signal_set& signals,
          cloud::BrokerProcess& broker, cloud::ObjectServer& objects) {
    int exit_code = 0;
    boost::asio::steady_timer watchdog(io);
    auto shutdown = [&] {
        signals.cancel();
        watchdog.cancel();
        objects.stop();
    };
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
        if (ec) {
            return;
        }
        std::cout << "fota-sim cloud: " << (signal == SIGINT ? "SIGINT" : "SIGTERM")
                  << ", stopping\n"
                  << std::flush;
        shutdown();
    });
    // The broker is a child process: notice if it dies on its own.
    std::function<void()> watch = [&] {
        watchdog.expires_after(std::chrono::milliseconds(500));
        watchdog.async_wait([&](const boost::system::error_code& ec) {
            if (ec) {
                return;
            }
            if (!broker.check_alive()) {
                std::cerr << "fota-sim cloud: mosquitto exited unexpectedly; its log:\n"
                          << broker.log();
                exit_code = 1;
                shutdown();
                return;
            }
            watch();
        });
    };
    watch();
    io.run();
    return exit_code;
}

// The thing names of --tls-thing and --tls-things (a usage error for a malformed PREFIX:COUNT).
std::vector<std::string> tls_thing_names(const CloudOptions& options) {
    std::vector<std::string> names = options.tls_things;
    for (const std::string& fleet : options.tls_fleets) {
        const auto colon = fleet.rfind(':');
        const std::string digits = colon == std::string::npos ? "" : fleet.substr(colon + 1);
        if (digits.empty() || digits.size() > 6 ||
            digits.find_first_not_of("0123456789") != std::string::npos ||
            std::stoul(digits) == 0) {
            fail("--tls-things must be PREFIX:COUNT (COUNT 1..999999), got '" + fleet + "'", 2);
        }
        const std::size_t count = std::stoul(digits);
        for (std::size_t i = 0; i < count; ++i) {
            names.push_back(cli::fleet_thing_name(fleet.substr(0, colon), i, count));
        }
    }
    return names;
}

// The TLS folder of --tls: the CA (kept), the server certificate and the things' certificates.
std::unique_ptr<cloud::tls::TlsFolder> open_tls_folder(const CloudOptions& options,
                                                       std::string& temporary_dir) {
    const std::vector<std::string> things = tls_thing_names(options);
    std::string dir = options.tls_dir;
    if (dir.empty() && !options.data_dir.empty()) {
        dir = options.data_dir + "/tls";
    }
    if (dir.empty()) {
        char pattern[] = "/tmp/fota-cloud-tls-XXXXXX";
        if (::mkdtemp(pattern) == nullptr) {
            fail("cannot create a temporary folder in /tmp");
        }
        dir = temporary_dir = pattern;
    }
    try {
        std::vector<std::string> names = {"localhost"};
        std::vector<std::string> addresses = {"127.0.0.1"};
        if (options.address != "127.0.0.1" && options.address != "0.0.0.0") {
            addresses.push_back(options.address);
        }
        auto folder = std::make_unique<cloud::tls::TlsFolder>(dir, names, addresses);
        for (const std::string& thing : things) {
            folder->thing(thing);
        }
        return folder;
    } catch (const std::exception& e) {
        std::error_code ignored;
        if (!temporary_dir.empty()) {
            std::filesystem::remove_all(temporary_dir, ignored);
        }
        fail(std::string("--tls: ") + e.what(), 2);
    }
}

// What a user (and docker compose, and the tests) reads: the endpoints, and with --tls the CA
// and the credentials file.
void print_endpoints(const cloud::BrokerProcess& broker, const cloud::ObjectServer& objects,
                     const cloud::tls::TlsFolder* tls, const std::string& credentials_file,
                     const std::string& access_key_id) {
    std::cout << "fota-sim cloud is running\n"
              << "  mqtt           " << broker.mqtt_uri() << "\n"
              << "  control-plane  " << broker.control_endpoint()
              << "   (aws iot / aws iot-data --endpoint-url)\n"
              << "  object-server  " << objects.endpoint()
              << "   (aws s3 --endpoint-url; faults and counters under /_fota/)\n"
              << "  state          " << broker.work_dir() << "\n";
    if (tls != nullptr) {
        std::cout << "  tls            " << tls->dir()
                  << "   (MQTT needs a client certificate; client id = its CN, or a thing "
                     "attached to it)\n"
                  << "    ca           " << tls->ca_file() << "\n"
                  << "    things       " << tls->things_dir()
                  << "/<thing>.crt, .key   (fota-sim device --cert-dir " << tls->dir() << ")\n"
                  << "  credentials    " << credentials_file
                  << "   (AWS_SHARED_CREDENTIALS_FILE; AWS_CA_BUNDLE=" << tls->ca_file()
                  << "; every request SigV4-signed)\n"
                  << "  access-key-id  " << access_key_id << "\n";
    }
    std::cout << "Stop with Ctrl-C or SIGTERM.\n" << std::flush;
}

void run_cloud(const CloudOptions& options) {
    if (!options.tls &&
        (!options.tls_dir.empty() || !options.tls_things.empty() || !options.tls_fleets.empty())) {
        fail("--tls-dir, --tls-thing and --tls-things need --tls", 2);
    }
    if (options.access_key_id.empty() != options.secret_access_key.empty()) {
        fail("--access-key-id and --secret-access-key go together", 2);
    }
    const std::string plugin = cloud::find_mosquitto_plugin(options.plugin);
    if (plugin.empty()) {
        fail("the fota Mosquitto plugin (libfota_mosquitto_plugin.so) was not found; pass --plugin "
             "PATH or set FOTA_MOSQUITTO_PLUGIN",
             2);
    }
    std::optional<cloud::http::Credentials> credentials;
    if (!options.access_key_id.empty()) {
        credentials =
            cloud::http::Credentials{options.access_key_id, options.secret_access_key, ""};
    }

    std::string temporary_tls_dir;
    std::unique_ptr<cloud::tls::TlsFolder> tls;
    if (options.tls) {
        tls = open_tls_folder(options, temporary_tls_dir);
    }
    struct RemoveOnExit {
        std::string dir;
        ~RemoveOnExit() {
            std::error_code ignored;
            if (!dir.empty()) {
                std::filesystem::remove_all(dir, ignored);
            }
        }
    } remove_tls_dir{temporary_tls_dir};
    // Under --tls, as on AWS, every request is signed: with the given key, else the folder's from
    // an earlier start, else one made now.
    std::string credentials_file;
    if (tls) {
        if (!credentials) {
            credentials = read_credentials_file(tls->dir());
        }
        if (!credentials) {
            credentials = make_credentials();
        }
        credentials_file = write_credentials_file(tls->dir(), *credentials);
    }

    boost::asio::io_context io;
    cloud::ObjectServerConfig object_config;
    object_config.address = options.address;
    object_config.port = options.object_port;
    object_config.credentials = credentials;
    if (tls) {
        try {
            object_config.tls = cloud::http::make_server_tls_context(tls->server_certificate_file(),
                                                                     tls->server_key_file());
        } catch (const std::exception& e) {
            fail(std::string("--tls: ") + e.what());
        }
    }
    cloud::ObjectServer objects(io, object_config);
    try {
        objects.start();
    } catch (const std::exception& e) {
        fail("object server: cannot listen on " + options.address + ":" +
             std::to_string(options.object_port) + ": " + e.what());
    }
    for (const auto& bucket : options.buckets) {
        objects.create_bucket(bucket);
    }

    cloud::BrokerProcess broker(
        broker_options(options, plugin, objects.endpoint(), credentials, tls.get()));
    try {
        broker.start();
    } catch (const std::exception& e) {
        fail(std::string("mosquitto: ") + e.what());
    }

    print_endpoints(broker, objects, tls.get(), credentials_file,
                    credentials ? credentials->access_key_id : "");

    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    int exit_code = serve(io, signals, broker, objects);
    if (!broker.stop() && exit_code == 0) {
        std::cerr << "fota-sim cloud: mosquitto did not stop cleanly; its log:\n" << broker.log();
        exit_code = 1;
    }
    if (exit_code != 0) {
        throw CLI::RuntimeError(exit_code);
    }
    std::cout << "fota-sim cloud: stopped\n";
}

void add_cloud_command(CLI::App& app) {
    auto options = std::make_shared<CloudOptions>();
    CLI::App* command = app.add_subcommand(
        "cloud", "Run the local AWS IoT stack: Mosquitto with the Jobs/Shadow plugin and its "
                 "control-plane REST API, and the S3-style object server");
    command->add_option("--address", options->address, "Listen address of every server")
        ->capture_default_str();
    command->add_option("--mqtt-port", options->mqtt_port, "MQTT port (0: a free port)")
        ->capture_default_str();
    command
        ->add_option("--control-port", options->control_port,
                     "Control-plane REST port (0: a free port)")
        ->capture_default_str();
    command
        ->add_option("--object-port", options->object_port, "Object server port (0: a free port)")
        ->capture_default_str();
    command->add_option("--data-dir", options->data_dir,
                        "Keep the broker's config, log and SQLite state here (default: a "
                        "temporary folder removed on exit)");
    command->add_option("--plugin", options->plugin,
                        "Path of libfota_mosquitto_plugin.so (default: $FOTA_MOSQUITTO_PLUGIN, "
                        "then next to fota-sim)");
    command
        ->add_option("--mosquitto", options->mosquitto, "The broker executable (path or PATH name)")
        ->capture_default_str();
    command->add_option("--access-key-id", options->access_key_id,
                        "Require SigV4 signatures with this key (control plane and S3)");
    command->add_option("--secret-access-key", options->secret_access_key,
                        "The secret of --access-key-id");
    command->add_option("--bucket", options->buckets, "Create this bucket at start (repeatable)");
    command->add_option("--broker-env", options->broker_environment,
                        "NAME=value added to the broker's environment (repeatable; e.g. "
                        "LD_PRELOAD for a sanitized plugin)");
    command->add_flag("--tls", options->tls,
                      "Like AWS IoT: MQTT over TLS only (a client certificate signed by the "
                      "stack's CA; the client id must be its CN or a thing attached to it), the "
                      "control plane and the object server over HTTPS, every request SigV4-signed "
                      "(without --access-key-id: the key pair of <tls-dir>/credentials, made and "
                      "written there at the first start)");
    command
        ->add_option("--tls-dir", options->tls_dir,
                     "Keep the CA, the server's and the things' certificates here (default: "
                     "<data-dir>/tls, else a temporary folder removed on exit)")
        ->type_name("DIR");
    command
        ->add_option("--tls-thing", options->tls_things,
                     "Make this thing's client certificate at start (repeatable)")
        ->type_name("NAME");
    command
        ->add_option("--tls-things", options->tls_fleets,
                     "Make the certificates of fota-sim device --thing-prefix PREFIX --count "
                     "COUNT (repeatable)")
        ->type_name("PREFIX:COUNT");
    command->callback([options] { run_cloud(*options); });
}

} // namespace

FOTA_REGISTER_COMMAND("cloud", add_cloud_command);

} // namespace fota::sim

#endif
