// `fota-sim cloud` as a child process: the local stack (Mosquitto with the plugin, the control
// plane, the object server) outside the floor's process, so the floor's descriptors are its
// clients' alone (10,000 clients hold 10,000 MQTT sockets and, while downloading, as many HTTP
// connections; with the object server in process each of those is two descriptors, past the
// 20,000 a process may have here).
#pragma once

#include "fota/sim/stack.hpp"

#include <sys/types.h>

#include <string>
#include <vector>

namespace fota::bench::floor {

class CloudProcess {
public:
    /// Starts `fota_sim cloud` on free ports with its state and log in work_dir; returns once
    /// it printed its endpoints. Throws std::runtime_error with the log when it did not start.
    CloudProcess(const std::string& fota_sim, const std::string& plugin,
                 const std::vector<std::string>& broker_environment, const std::string& work_dir);
    ~CloudProcess(); ///< stop()
    CloudProcess(const CloudProcess&) = delete;
    CloudProcess& operator=(const CloudProcess&) = delete;

    /// The stack as the runner's url stack reaches it.
    const sim::StackConfig& config() const { return config_; }
    /// SIGTERM and wait (so its CPU and its broker's count as this process's children's).
    void stop();

private:
    pid_t pid_ = -1;
    std::string log_file_;
    sim::StackConfig config_;
};

} // namespace fota::bench::floor
