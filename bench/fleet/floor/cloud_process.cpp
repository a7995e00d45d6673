// `fota-sim cloud` as a child process (cloud_process.hpp).
#include "cloud_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace fota::bench::floor {

namespace {

std::string read_text(const std::string& file) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace

CloudProcess::CloudProcess(const std::string& fota_sim, const std::string& plugin,
                           const std::vector<std::string>& broker_environment,
                           const std::string& work_dir)
    : log_file_(work_dir + "/cloud.log") {
    std::vector<std::string> args = {
        fota_sim,        "cloud", "--mqtt-port", "0",        "--control-port", "0",
        "--object-port", "0",     "--bucket",    "firmware", "--data-dir",     work_dir + "/cloud"};
    if (!plugin.empty()) {
        args.insert(args.end(), {"--plugin", plugin});
    }
    for (const std::string& env : broker_environment) {
        args.insert(args.end(), {"--broker-env", env});
    }
    std::vector<char*> argv;
    for (std::string& arg : args) {
        argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    const int log = open(log_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    pid_ = fork();
    if (pid_ < 0) {
        throw std::runtime_error("cannot start fota-sim cloud (fork failed)");
    }
    if (pid_ == 0) {
        dup2(log, STDOUT_FILENO);
        dup2(log, STDERR_FILENO);
        execv(args[0].c_str(), argv.data());
        _exit(127);
    }
    close(log);
    const std::regex endpoint(R"((mqtt|control-plane|object-server) +(\S+://127\.0\.0\.1:\d+))");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        const std::string text = read_text(log_file_);
        if (text.find("Stop with Ctrl-C") != std::string::npos) {
            for (std::sregex_iterator it(text.begin(), text.end(), endpoint), end; it != end;
                 ++it) {
                const std::string name = (*it)[1];
                (name == "mqtt"            ? config_.mqtt_url
                 : name == "control-plane" ? config_.control_url
                                           : config_.object_url) = (*it)[2];
            }
            config_.kind = sim::StackKind::url;
            config_.bucket = "firmware";
            return;
        }
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    stop();
    throw std::runtime_error("fota-sim cloud did not start:\n" + read_text(log_file_));
}

CloudProcess::~CloudProcess() {
    stop();
}

void CloudProcess::stop() {
    if (pid_ <= 0) {
        return;
    }
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
}

} // namespace fota::bench::floor
