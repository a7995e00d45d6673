// Runs the real AWS CLI (the path CMake found, FOTA_AWS_CLI) against our local servers, with
// dummy credentials and a private HOME/config so nothing on the machine leaks in.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace fota::test {

struct CommandResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

class AwsCli {
public:
    /// Creates a temporary HOME with an AWS config (region us-east-1) and credentials from
    /// access_key_id/secret. Throws std::runtime_error if FOTA_AWS_CLI is not an executable.
    AwsCli(std::string access_key_id, std::string secret_access_key);
    ~AwsCli();
    AwsCli(const AwsCli&) = delete;
    AwsCli& operator=(const AwsCli&) = delete;

    /// Runs `aws <args...>` (no shell), waiting at most timeout_seconds (then it is killed and
    /// exit_code is -1). stdout and stderr are captured.
    CommandResult run(const std::vector<std::string>& args, int timeout_seconds = 120) const;

    /// Sets (or, with nullopt, removes) an environment variable of the CLI's runs, e.g.
    /// AWS_CA_BUNDLE.
    void set_environment(const std::string& name, const std::optional<std::string>& value);

    /// The temporary directory (for input and output files).
    const std::string& dir() const { return dir_; }
    /// The CLI's path.
    static std::string path();
    /// "aws-cli/2.9.19 ..." (the first line of `aws --version`).
    std::string version() const;
    /// True for AWS CLI v2 (blob arguments need --cli-binary-format raw-in-base64-out).
    bool is_v2() const;

private:
    std::string dir_;
    std::vector<std::string> env_;
};

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& data);

} // namespace fota::test
