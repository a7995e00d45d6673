// Test scaffolding for the runtime tests: temporary folders, free ports, a real Mosquitto started
// and stopped by the test, a test PKI made with the openssl command, and waiting for a condition
// with a deadline while an io_context runs.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace fota::sim::test {

/// A fresh folder under /tmp, removed with its contents on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, read back, released).
std::uint16_t free_tcp_port();

/// True once a TCP connection to 127.0.0.1:port succeeds within the deadline.
bool wait_for_listener(std::uint16_t port, std::chrono::milliseconds deadline);

/// Runs io until predicate() is true or the deadline passes; returns predicate().
bool run_until(boost::asio::io_context& io, const std::function<bool()>& predicate,
               std::chrono::milliseconds deadline = std::chrono::seconds(20));

/// Files of a test PKI: a CA, a server certificate for "localhost"/127.0.0.1 signed by it, a
/// client certificate signed by it, and a client certificate signed by another (rogue) CA.
struct TestPki {
    std::filesystem::path ca_cert;
    std::filesystem::path server_cert;
    std::filesystem::path server_key;
    std::filesystem::path client_cert;
    std::filesystem::path client_key;
    std::filesystem::path rogue_cert;
    std::filesystem::path rogue_key;
};

/// Makes the PKI in dir with the openssl command (client CN = client_cn). Throws on failure.
TestPki make_test_pki(const std::filesystem::path& dir, const std::string& client_cn);

/// A process started by a test (argv[0] is a path), output to log_file, stopped (SIGTERM, wait)
/// on destruction.
class ChildProcess {
public:
    ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& log_file,
                 const std::filesystem::path& working_dir = {});
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

private:
    int pid_ = -1;
};

/// `openssl s_server -WWW` serving the files of `root` over HTTPS on a free port (HTTP/1.0), with
/// the given server certificate; require_client_certificate makes it demand one signed by ca.
class TlsFileServer {
public:
    TlsFileServer(const std::filesystem::path& root, const TestPki& pki,
                  bool require_client_certificate);
    std::uint16_t port() const { return port_; }

private:
    std::uint16_t port_ = 0;
    std::unique_ptr<ChildProcess> process_;
};

/// A real mosquitto broker on a free port of 127.0.0.1, stopped on destruction.
class MosquittoProcess {
public:
    struct Tls {
        std::filesystem::path ca_cert;
        std::filesystem::path server_cert;
        std::filesystem::path server_key;
        bool require_client_certificate = true;
    };
    /// Starts the broker; extra_config is appended to the listener's configuration (for
    /// example a plugin line). Throws if it does not accept connections within 10 s.
    explicit MosquittoProcess(const std::filesystem::path& work_dir, const Tls* tls = nullptr,
                              std::string extra_config = {}, std::uint16_t port = 0);
    ~MosquittoProcess();
    MosquittoProcess(const MosquittoProcess&) = delete;
    MosquittoProcess& operator=(const MosquittoProcess&) = delete;

    std::uint16_t port() const { return port_; }
    /// Stop the broker (SIGTERM, wait). Idempotent.
    void stop();
    /// Start it again on the same port with the same configuration.
    void restart();
    /// The broker's log so far (for failure messages).
    std::string log() const;

private:
    void launch();
    std::filesystem::path config_;
    std::filesystem::path log_;
    std::uint16_t port_ = 0;
    int pid_ = -1;
};

} // namespace fota::sim::test
