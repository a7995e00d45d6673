#include "aws_cli_runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#ifndef FOTA_AWS_CLI
#define FOTA_AWS_CLI ""
#endif

namespace fota::test {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_file(const std::string& path, const std::string& data) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << data;
}

std::string AwsCli::path() {
    return FOTA_AWS_CLI;
}

AwsCli::AwsCli(std::string access_key_id, std::string secret_access_key) {
    const std::string cli = path();
    if (cli.empty() || cli.find("NOTFOUND") != std::string::npos ||
        ::access(cli.c_str(), X_OK) != 0) {
        throw std::runtime_error("the AWS CLI was not found (CMake variable FOTA_AWS_CLI = '" +
                                 cli + "'); install Debian's awscli (scripts/setup)");
    }
    char templ[] = "/tmp/fota-aws-cli-XXXXXX";
    if (::mkdtemp(templ) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    dir_ = templ;
    write_file(dir_ + "/config", "[default]\nregion = us-east-1\noutput = json\n");
    write_file(dir_ + "/credentials", "");
    env_ = {"HOME=" + dir_,
            "PATH=/usr/bin:/bin",
            "LANG=C.UTF-8",
            "AWS_CONFIG_FILE=" + dir_ + "/config",
            "AWS_SHARED_CREDENTIALS_FILE=" + dir_ + "/credentials",
            "AWS_ACCESS_KEY_ID=" + access_key_id,
            "AWS_SECRET_ACCESS_KEY=" + secret_access_key,
            "AWS_DEFAULT_REGION=us-east-1",
            "AWS_REGION=us-east-1",
            "AWS_EC2_METADATA_DISABLED=true",
            "AWS_PAGER=",
            "AWS_MAX_ATTEMPTS=1",
            "AWS_RETRY_MODE=standard"};
}

void AwsCli::set_environment(const std::string& name, const std::optional<std::string>& value) {
    const std::string prefix = name + "=";
    std::erase_if(env_, [&](const std::string& entry) { return entry.rfind(prefix, 0) == 0; });
    if (value) {
        env_.push_back(prefix + *value);
    }
}

AwsCli::~AwsCli() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

CommandResult AwsCli::run(const std::vector<std::string>& args, int timeout_seconds) const {
    const std::string out_path = dir_ + "/.stdout";
    const std::string err_path = dir_ + "/.stderr";
    std::vector<std::string> argv_storage{path()};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_storage) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    std::vector<std::string> env_storage = env_;
    std::vector<char*> envp;
    for (auto& e : env_storage) {
        envp.push_back(e.data());
    }
    envp.push_back(nullptr);

    const pid_t pid = ::fork();
    if (pid < 0) {
        throw std::runtime_error("fork failed");
    }
    if (pid == 0) {
        const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int in = ::open("/dev/null", O_RDONLY);
        ::dup2(out, 1);
        ::dup2(err, 2);
        ::dup2(in, 0);
        if (::chdir(dir_.c_str()) != 0) {
            ::_exit(126);
        }
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }
    CommandResult result;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
    int status = 0;
    while (true) {
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) {
            result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            break;
        }
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            result.exit_code = -1;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    result.out = read_file(out_path);
    result.err = read_file(err_path);
    if (result.exit_code == -1) {
        result.err += "\n[killed after " + std::to_string(timeout_seconds) + " s]";
    }
    return result;
}

std::string AwsCli::version() const {
    const auto r = run({"--version"}, 60);
    return r.out.empty() ? r.err : r.out;
}

bool AwsCli::is_v2() const {
    return version().rfind("aws-cli/2", 0) == 0;
}

} // namespace fota::test
