#include "broker_fixture.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>

extern char** environ; // NOLINT(readability-redundant-declaration)

namespace fota::cloud::conformance {
namespace {

int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    socklen_t length = sizeof(address);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    ::close(fd);
    return ntohs(address.sin_port);
}

bool can_connect(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return false;
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    ::close(fd);
    return ok;
}

} // namespace

Broker::Broker() {
    char pattern[] = "/tmp/fota-broker-XXXXXX";
    const char* made = ::mkdtemp(pattern);
    REQUIRE(made != nullptr);
    folder_ = made;
    port_ = free_port();
    std::ofstream config(folder_ + "/mosquitto.conf");
    config << "listener " << port_ << " 127.0.0.1\n"
           << "set_tcp_nodelay true\n" // as the product's broker (broker_process.cpp)
           << "allow_anonymous true\n"
           << "persistence false\n"
           << "user root\n"
           << "log_dest stderr\n"
           << "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
           << "plugin " << FOTA_PLUGIN_PATH << "\n"
           << "plugin_opt_database " << folder_ << "/cloud.db\n"
           << "plugin_opt_control_topic true\n";
}

Broker::~Broker() {
    stop();
    std::error_code ignored;
    std::filesystem::remove_all(folder_, ignored);
}

void Broker::start() {
    REQUIRE(pid_ < 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string log_path = folder_ + "/mosquitto.log";
    posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);

    std::vector<std::string> environment;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        environment.emplace_back(*entry);
    }
#ifdef FOTA_PLUGIN_PRELOAD
    // The plugin is built with ASan/UBSan: the uninstrumented broker must load the runtime first.
    environment.emplace_back(std::string("LD_PRELOAD=") + FOTA_PLUGIN_PRELOAD);
    environment.emplace_back("ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=1");
#endif
    std::vector<char*> envp;
    for (auto& entry : environment) {
        envp.push_back(entry.data());
    }
    envp.push_back(nullptr);
    const std::string config_path = folder_ + "/mosquitto.conf";
    std::string program = FOTA_MOSQUITTO_EXECUTABLE;
    std::string flag = "-c";
    std::string config_arg = config_path;
    char* argv[] = {program.data(), flag.data(), config_arg.data(), nullptr};
    const int rc = ::posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv, envp.data());
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE(rc == 0);

    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (!can_connect(port_)) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            FAIL("mosquitto exited during start-up; its log:\n" << log());
        }
        if (std::chrono::steady_clock::now() > deadline) {
            FAIL("mosquitto did not listen on port " << port_ << " within 15 s; log:\n" << log());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20)); // polling a state, not a wait
    }
}

void Broker::stop() {
    if (pid_ < 0) {
        return;
    }
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) != pid_) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
    // The broker must stop cleanly (a crash in the plugin shows here).
    CHECK(WIFEXITED(status));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        WARN("mosquitto exit status " << status << "; log:\n" << log());
    }
}

std::string Broker::log() const {
    std::ifstream file(folder_ + "/mosquitto.log");
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

// ---- Client -------------------------------------------------------------------------------------

Client::Client(const std::string& uri, const std::string& client_id, bool clean_session)
    : client_id_(client_id), client_(uri, client_id) {
    client_.set_message_callback([this](mqtt::const_message_ptr message) {
        const std::lock_guard<std::mutex> lock(mutex_);
        inbox_.push_back({message->get_topic(), message->to_string(), message->is_retained()});
        changed_.notify_all();
    });
    auto options = mqtt::connect_options_builder()
                       .clean_session(clean_session)
                       .mqtt_version(MQTTVERSION_3_1_1)
                       .keep_alive_interval(std::chrono::seconds(30))
                       .finalize();
    REQUIRE_NOTHROW(client_.connect(options)->wait_for(std::chrono::seconds(10)));
    REQUIRE(client_.is_connected());
}

Client::~Client() {
    try {
        if (client_.is_connected()) {
            client_.disconnect()->wait_for(std::chrono::seconds(5));
        }
    } catch (...) { // NOLINT(bugprone-empty-catch): best effort in a destructor
    }
}

void Client::subscribe(const std::string& filter, int qos) {
    auto token = client_.subscribe(filter, qos);
    REQUIRE(token->wait_for(std::chrono::seconds(10)));
}

void Client::publish(const std::string& topic, const std::string& payload, int qos, bool retain) {
    auto token = client_.publish(topic, payload.data(), payload.size(), qos, retain);
    REQUIRE(token->wait_for(std::chrono::seconds(10)));
}

void Client::disconnect() {
    client_.disconnect()->wait_for(std::chrono::seconds(10));
}

Received Client::wait_for(const std::string& topic,
                          const std::function<bool(const Received&)>& accept,
                          std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        for (auto it = inbox_.begin(); it != inbox_.end(); ++it) {
            if (it->topic == topic && (!accept || accept(*it))) {
                Received found = *it;
                inbox_.erase(it);
                return found;
            }
        }
        if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
            std::string seen;
            for (const auto& r : inbox_) {
                seen += "  " + r.topic + " " + r.payload + "\n";
            }
            FAIL(client_id_ << ": nothing on " << topic << " within " << timeout.count()
                            << " ms; received:\n"
                            << seen);
        }
    }
}

json Client::wait_json(const std::string& topic, const std::function<bool(const json&)>& accept) {
    const Received r = wait_for(topic, [&](const Received& candidate) {
        const json value = json::parse(candidate.payload, nullptr, false);
        return !value.is_discarded() && (!accept || accept(value));
    });
    return json::parse(r.payload);
}

std::vector<Received> Client::received() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return inbox_;
}

std::size_t Client::count(const std::string& topic) {
    const std::lock_guard<std::mutex> lock(mutex_);
    std::size_t n = 0;
    for (const auto& r : inbox_) {
        n += r.topic == topic ? 1 : 0;
    }
    return n;
}

json Client::control(const std::string& op, const json& args) {
    const std::string id = client_id_ + "-" + std::to_string(++control_counter_);
    publish("$fota/control", json{{"op", op}, {"id", id}, {"args", args}}.dump());
    return wait_json("$fota/control/reply/" + client_id_,
                     [&](const json& reply) { return reply.value("id", "") == id; });
}

} // namespace fota::cloud::conformance
