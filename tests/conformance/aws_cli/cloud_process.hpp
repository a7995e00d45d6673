// `fota-sim cloud` as a child process for the conformance tests: started with the built plugin and
// Mosquitto, its printed endpoints parsed ("name value" lines), stopped by a signal.
#pragma once

#include "aws_cli_runner.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace fota::test {

/// fota-sim cloud as a child process, its output in a file.
class CloudProcess {
public:
    /// Starts it with `extra_args` after the defaults (plugin, mosquitto, --bucket firmware).
    explicit CloudProcess(const std::vector<std::string>& extra_args = {}) {
        char pattern[] = "/tmp/fota-sim-cloud-test-XXXXXX";
        REQUIRE(::mkdtemp(pattern) != nullptr);
        dir_ = pattern;
        const std::string out = dir_ + "/out.txt";
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                         0644);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        std::vector<std::string> args{FOTA_SIM_EXECUTABLE, "cloud",       "--plugin",
                                      FOTA_PLUGIN_PATH,    "--mosquitto", FOTA_MOSQUITTO_EXECUTABLE,
                                      "--bucket",          "firmware"};
        args.insert(args.end(), extra_args.begin(), extra_args.end());
#ifdef FOTA_PLUGIN_PRELOAD
        // The sanitized plugin runs inside the uninstrumented broker: only it gets the runtime.
        args.insert(args.end(), {"--broker-env", std::string("LD_PRELOAD=") + FOTA_PLUGIN_PRELOAD,
                                 "--broker-env", "ASAN_OPTIONS=detect_leaks=0:halt_on_error=1"});
#endif
        std::vector<char*> argv;
        for (auto& a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        std::vector<std::string> env;
        for (char** e = environ; *e != nullptr; ++e) {
            env.emplace_back(*e);
        }
        std::vector<char*> envp;
        for (auto& e : env) {
            envp.push_back(e.data());
        }
        envp.push_back(nullptr);
        REQUIRE(::posix_spawn(&pid_, args[0].c_str(), &actions, nullptr, argv.data(),
                              envp.data()) == 0);
        posix_spawn_file_actions_destroy(&actions);

        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (output().find("Stop with Ctrl-C") == std::string::npos) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                FAIL("fota-sim cloud exited during start-up:\n" << output());
            }
            if (std::chrono::steady_clock::now() > deadline) {
                FAIL("fota-sim cloud did not print its endpoints within 30 s:\n" << output());
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20)); // polling a state
        }
        std::istringstream lines(output());
        std::string name;
        std::string value;
        std::string line;
        while (std::getline(lines, line)) {
            std::istringstream words(line);
            if (words >> name >> value) {
                endpoints_[name] = value;
            }
        }
    }

    ~CloudProcess() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }

    std::string endpoint(const std::string& name) const {
        const auto it = endpoints_.find(name);
        return it == endpoints_.end() ? "" : it->second;
    }
    std::string output() const {
        return fota::test::read_file(dir_ + "/out.txt");
    }

    /// Sends `signal` and waits (deadline 30 s) for the exit; returns the exit status or -1.
    int stop_with(int signal) {
        ::kill(pid_, signal);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        int status = 0;
        while (::waitpid(pid_, &status, WNOHANG) != pid_) {
            if (std::chrono::steady_clock::now() > deadline) {
                return -1;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

private:
    std::string dir_;
    pid_t pid_ = -1;
    std::map<std::string, std::string> endpoints_;
};

} // namespace fota::test
