#include "fota/cloud/broker_process.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace fota::cloud {

namespace {

bool can_connect(const std::string& address, std::uint16_t port) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    boost::system::error_code ec;
    socket.connect({boost::asio::ip::make_address(address, ec), port}, ec);
    return !ec;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// mosquitto.conf: the listener (TLS when asked), the plugin and its options.
void write_config(const BrokerOptions& options, const std::string& work_dir,
                  std::uint16_t mqtt_port, const std::string& port_file) {
    std::ofstream config(work_dir + "/mosquitto.conf", std::ios::trunc);
    // set_tcp_nodelay: Mosquitto writes a reply's packets separately (PUBACK, then the reply's
    // PUBLISH); with Nagle on, the second waits for the client's delayed ACK (about 40 ms).
    config << "listener " << mqtt_port << " " << options.address << "\n"
           << "set_tcp_nodelay true\n";
    if (options.tls) {
        config << "cafile " << options.tls->ca_file << "\n"
               << "certfile " << options.tls->certificate_file << "\n"
               << "keyfile " << options.tls->key_file << "\n"
               << "require_certificate true\n"
               << "tls_version tlsv1.2\n";
    }
    config << "allow_anonymous true\n"
           << "persistence false\n"
           << "user root\n"
           << "log_dest stderr\n"
           << "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
           << "plugin " << options.plugin_path << "\n"
           << "plugin_opt_database "
           << (options.database.empty() ? work_dir + "/cloud.db" : options.database) << "\n"
           << "plugin_opt_control_address " << options.address << "\n"
           << "plugin_opt_control_port " << options.control_port << "\n"
           << "plugin_opt_control_port_file " << port_file << "\n";
    for (const auto& [name, value] : options.plugin_options) {
        config << "plugin_opt_" << name << " " << value << "\n";
    }
    config << "plugin_opt_mqtt_endpoint " << options.address << ":" << mqtt_port << "\n";
    if (options.tls) {
        config << "plugin_opt_thing_certificates true\n";
        if (!options.tls->ca_key_file.empty()) {
            config << "plugin_opt_ca_certificate " << options.tls->ca_file << "\n"
                   << "plugin_opt_ca_key " << options.tls->ca_key_file << "\n";
        }
        if (options.tls->https) {
            config << "plugin_opt_https_certificate " << options.tls->certificate_file << "\n"
                   << "plugin_opt_https_key " << options.tls->key_file << "\n"
                   << "plugin_opt_https_client_ca " << options.tls->ca_file << "\n";
        }
    }
    if (!config) {
        throw std::runtime_error("cannot write " + work_dir + "/mosquitto.conf");
    }
}

} // namespace

std::uint16_t pick_free_port(const std::string& address) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acceptor(io);
    const boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address(address), 0);
    acceptor.open(endpoint.protocol());
    acceptor.bind(endpoint);
    return acceptor.local_endpoint().port();
}

BrokerProcess::BrokerProcess(BrokerOptions options) : options_(std::move(options)) {}

BrokerProcess::~BrokerProcess() {
    stop();
    if (temporary_dir_) {
        std::error_code ignored;
        std::filesystem::remove_all(work_dir_, ignored);
    }
}

std::string BrokerProcess::mqtt_uri() const {
    return (options_.tls ? "ssl://" : "tcp://") + options_.address + ":" +
           std::to_string(mqtt_port_);
}

std::string BrokerProcess::control_endpoint() const {
    return (options_.tls && options_.tls->https ? "https://" : "http://") + options_.address + ":" +
           std::to_string(control_port_);
}

std::string BrokerProcess::log() const {
    return read_text(work_dir_ + "/mosquitto.log");
}

void BrokerProcess::start() {
    if (pid_ > 0) {
        return;
    }
    if (options_.plugin_path.empty() || !std::filesystem::exists(options_.plugin_path)) {
        throw std::runtime_error("the fota Mosquitto plugin was not found at '" +
                                 options_.plugin_path + "'");
    }
    if (work_dir_.empty()) {
        if (options_.work_dir.empty()) {
            char pattern[] = "/tmp/fota-cloud-XXXXXX";
            if (::mkdtemp(pattern) == nullptr) {
                throw std::runtime_error("cannot create a temporary folder in /tmp");
            }
            work_dir_ = pattern;
            temporary_dir_ = true;
        } else {
            work_dir_ = options_.work_dir;
            std::filesystem::create_directories(work_dir_);
        }
    }
    constexpr int kAttempts = 5;
    for (int attempt = 1;; ++attempt) {
        mqtt_port_ = options_.mqtt_port != 0 ? options_.mqtt_port
                     : options_.pick_port    ? options_.pick_port(options_.address)
                                             : pick_free_port(options_.address);
        if (launch()) {
            return;
        }
        if (attempt == kAttempts) {
            throw std::runtime_error("mosquitto found each of " + std::to_string(kAttempts) +
                                     " free ports taken when it listened; its log:\n" + log());
        }
    }
}

// One try at start(): true when the broker is ready; false when it exited because its listener's
// port was taken (start() tries another); throws for anything else.
bool BrokerProcess::launch() {
    const std::string port_file = work_dir_ + "/control.port";
    std::filesystem::remove(port_file);
    write_config(options_, work_dir_, mqtt_port_, port_file);
    const std::size_t log_before = log().size();

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string log_path = work_dir_ + "/mosquitto.log";
    posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<std::string> environment;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        environment.emplace_back(*entry);
    }
    for (const auto& e : options_.extra_environment) {
        environment.push_back(e);
    }
    std::vector<char*> envp;
    for (auto& e : environment) {
        envp.push_back(e.data());
    }
    envp.push_back(nullptr);
    std::string program = options_.mosquitto;
    std::string flag = "-c";
    std::string config_path = work_dir_ + "/mosquitto.conf";
    char* argv[] = {program.data(), flag.data(), config_path.data(), nullptr};
    const int rc = ::posix_spawnp(&pid_, program.c_str(), &actions, nullptr, argv, envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        pid_ = -1;
        throw std::runtime_error("cannot start '" + program + "': " + std::strerror(rc));
    }

    const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
    while (true) {
        const std::string reported = read_text(port_file);
        // Ready: the plugin has reported its port, Mosquitto says it runs (it opens its
        // listeners after loading the plugin; a connection alone could reach whoever else holds
        // the port) and the port answers.
        if (!reported.empty() && reported.back() == '\n' &&
            log().find(" running", log_before) != std::string::npos &&
            can_connect(options_.address, mqtt_port_)) {
            control_port_ = static_cast<std::uint16_t>(std::stoi(reported));
            return true;
        }
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            const std::string text = log();
            if (options_.mqtt_port == 0 &&
                text.find("Address already in use", log_before) != std::string::npos) {
                return false;
            }
            throw std::runtime_error("mosquitto exited during start-up; its log:\n" + text);
        }
        if (std::chrono::steady_clock::now() > deadline) {
            stop();
            throw std::runtime_error("mosquitto was not ready within " +
                                     std::to_string(options_.start_timeout.count()) +
                                     " s; its log:\n" + log());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20)); // polling a state
    }
}

bool BrokerProcess::check_alive() {
    if (pid_ <= 0) {
        return false;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
    }
    return true;
}

bool BrokerProcess::stop() {
    if (pid_ <= 0) {
        return true;
    }
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) != pid_) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
            pid_ = -1;
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string find_mosquitto_plugin(const std::string& given) {
    if (!given.empty()) {
        return given;
    }
    if (const char* env = std::getenv("FOTA_MOSQUITTO_PLUGIN"); env != nullptr && *env != '\0') {
        return env;
    }
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const auto dir = exe.parent_path();
        for (const auto& candidate : {dir / "../cloud/mqtt_plugin/libfota_mosquitto_plugin.so",
                                      dir / "../../cloud/mqtt_plugin/libfota_mosquitto_plugin.so",
                                      dir / "libfota_mosquitto_plugin.so",
                                      dir / "../lib/fota/libfota_mosquitto_plugin.so"}) {
            if (std::filesystem::exists(candidate, ec)) {
                return std::filesystem::weakly_canonical(candidate, ec).string();
            }
        }
    }
    return {};
}

} // namespace fota::cloud
