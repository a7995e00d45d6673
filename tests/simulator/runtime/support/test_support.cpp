#include "support/test_support.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#ifndef FOTA_MOSQUITTO_EXECUTABLE
#error "FOTA_MOSQUITTO_EXECUTABLE must name the mosquitto binary"
#endif

extern char** environ;

namespace fota::sim::test {

namespace fs = std::filesystem;
using boost::asio::ip::tcp;

TempDir::TempDir() {
    std::string pattern = (fs::temp_directory_path() / "fota-runtime-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed for " + pattern);
    }
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
}

std::uint16_t free_tcp_port() {
    boost::asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    return acceptor.local_endpoint().port();
}

bool wait_for_listener(std::uint16_t port, std::chrono::milliseconds deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    boost::asio::io_context io;
    while (std::chrono::steady_clock::now() < until) {
        tcp::socket socket(io);
        boost::system::error_code ec;
        socket.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port), ec);
        if (!ec) {
            return true;
        }
        // Polling a process we do not control; not a pass/fail decision by time.
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

bool run_until(boost::asio::io_context& io, const std::function<bool()>& predicate,
               std::chrono::milliseconds deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (!predicate()) {
        if (std::chrono::steady_clock::now() >= until) {
            return predicate();
        }
        if (io.stopped()) {
            io.restart();
        }
        io.run_for(std::chrono::milliseconds(10));
    }
    return true;
}

namespace {

void run_command(const std::string& command) {
    const std::string quiet = command + " >/dev/null 2>&1";
    if (std::system(quiet.c_str()) != 0) {
        throw std::runtime_error("command failed: " + command);
    }
}

std::string q(const fs::path& path) {
    return "'" + path.string() + "'";
}

void make_ca(const fs::path& dir, const std::string& name) {
    run_command("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
                "-subj '/CN=" +
                name + "' -keyout " + q(dir / (name + ".key")) + " -out " +
                q(dir / (name + ".crt")));
}

void make_leaf(const fs::path& dir, const std::string& ca, const std::string& name,
               const std::string& cn, const std::string& extensions) {
    const fs::path ext = dir / (name + ".ext");
    std::ofstream(ext) << extensions;
    run_command("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=" + cn +
                "' -keyout " + q(dir / (name + ".key")) + " -out " + q(dir / (name + ".csr")));
    run_command("openssl x509 -req -days 2 -in " + q(dir / (name + ".csr")) + " -CA " +
                q(dir / (ca + ".crt")) + " -CAkey " + q(dir / (ca + ".key")) +
                " -CAcreateserial -extfile " + q(ext) + " -out " + q(dir / (name + ".crt")));
}

} // namespace

TestPki make_test_pki(const fs::path& dir, const std::string& client_cn) {
    make_ca(dir, "ca");
    make_ca(dir, "rogue-ca");
    make_leaf(dir, "ca", "server", "localhost",
              "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    make_leaf(dir, "ca", "client", client_cn, "extendedKeyUsage=clientAuth\n");
    make_leaf(dir, "rogue-ca", "rogue", client_cn, "extendedKeyUsage=clientAuth\n");
    return TestPki{dir / "ca.crt",     dir / "server.crt", dir / "server.key", dir / "client.crt",
                   dir / "client.key", dir / "rogue.crt",  dir / "rogue.key"};
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const fs::path& log_file,
                           const fs::path& working_dir) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    if (!working_dir.empty()) {
        posix_spawn_file_actions_addchdir_np(&actions, working_dir.c_str());
    }
    std::vector<std::string> copy = argv;
    std::vector<char*> args;
    for (auto& arg : copy) {
        args.push_back(arg.data());
    }
    args.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, copy.front().c_str(), &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        throw std::runtime_error("cannot start " + copy.front());
    }
    pid_ = pid;
}

ChildProcess::~ChildProcess() {
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
}

TlsFileServer::TlsFileServer(const fs::path& root, const TestPki& pki,
                             bool require_client_certificate)
    : port_(free_tcp_port()) {
    std::vector<std::string> argv{"/usr/bin/openssl",
                                  "s_server",
                                  "-quiet",
                                  "-accept",
                                  std::to_string(port_),
                                  "-cert",
                                  pki.server_cert.string(),
                                  "-key",
                                  pki.server_key.string(),
                                  "-WWW"};
    if (require_client_certificate) {
        argv.insert(argv.end(),
                    {"-Verify", "1", "-CAfile", pki.ca_cert.string(), "-verify_return_error"});
    }
    process_ = std::make_unique<ChildProcess>(argv, root / "s_server.log", root);
    if (!wait_for_listener(port_, std::chrono::seconds(10))) {
        throw std::runtime_error("openssl s_server did not listen on " + std::to_string(port_));
    }
}

MosquittoProcess::MosquittoProcess(const fs::path& work_dir, const Tls* tls,
                                   std::string extra_config, std::uint16_t port)
    : config_(work_dir / "mosquitto.conf"), log_(work_dir / "mosquitto.log"),
      port_(port != 0 ? port : free_tcp_port()) {
    std::ofstream config(config_);
    config << "per_listener_settings false\n"
           << "persistence false\n"
           << "allow_anonymous true\n"
           << "log_type all\n"
           << "user root\n"
           << "set_tcp_nodelay true\n" // as the product's broker (broker_process.cpp)
           << "listener " << port_ << " 127.0.0.1\n";
    if (tls != nullptr) {
        config << "cafile " << tls->ca_cert.string() << "\n"
               << "certfile " << tls->server_cert.string() << "\n"
               << "keyfile " << tls->server_key.string() << "\n"
               << "require_certificate " << (tls->require_client_certificate ? "true" : "false")
               << "\n";
    }
    config << extra_config << "\n";
    config.close();
    launch();
}

MosquittoProcess::~MosquittoProcess() {
    stop();
}

void MosquittoProcess::launch() {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::string program = FOTA_MOSQUITTO_EXECUTABLE;
    std::string flag = "-c";
    std::string config = config_.string();
    std::vector<char*> argv{program.data(), flag.data(), config.data(), nullptr};
    // Under the sanitizers the plugin is instrumented but the broker is not: preload the
    // runtime into the broker.
    std::vector<std::string> environment;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        environment.emplace_back(*entry);
    }
#ifdef FOTA_BROKER_PRELOAD
    environment.emplace_back(std::string("LD_PRELOAD=") + FOTA_BROKER_PRELOAD);
    environment.emplace_back("ASAN_OPTIONS=detect_leaks=0");
#endif
    std::vector<char*> envp;
    for (auto& entry : environment) {
        envp.push_back(entry.data());
    }
    envp.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        throw std::runtime_error("cannot start " + program);
    }
    pid_ = pid;
    if (!wait_for_listener(port_, std::chrono::seconds(10))) {
        const std::string output = log();
        stop();
        throw std::runtime_error("mosquitto did not listen on port " + std::to_string(port_) +
                                 "; log:\n" + output);
    }
}

void MosquittoProcess::stop() {
    if (pid_ <= 0) {
        return;
    }
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
}

void MosquittoProcess::restart() {
    stop();
    launch();
}

std::string MosquittoProcess::log() const {
    std::ifstream in(log_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace fota::sim::test
