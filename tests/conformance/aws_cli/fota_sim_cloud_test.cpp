// `fota-sim cloud` as a user runs it: it prints its endpoints, serves MQTT, the control plane and
// the object server, a job document's presigned-URL placeholder becomes a URL that downloads
// from its object server, and it stops cleanly on SIGTERM and on SIGINT.
#include "aws_cli_runner.hpp"
#include "http_client.hpp"

#include <catch2/catch.hpp>
#include <mqtt/client.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

extern char** environ;

using nlohmann::json;

namespace {

/// fota-sim cloud as a child process, its output in a file.
class CloudProcess {
public:
    CloudProcess() {
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

} // namespace

TEST_CASE("fota-sim cloud: endpoints, a presigned download end to end, SIGTERM") {
    CloudProcess cloud;
    const std::string objects = cloud.endpoint("object-server");
    const std::string control = cloud.endpoint("control-plane");
    const std::string mqtt_uri = cloud.endpoint("mqtt");
    INFO(cloud.output());
    REQUIRE(objects.rfind("http://127.0.0.1:", 0) == 0);
    REQUIRE(control.rfind("http://127.0.0.1:", 0) == 0);
    REQUIRE(mqtt_uri.rfind("tcp://127.0.0.1:", 0) == 0);

    using fota::test::http_request;
    CHECK(http_request("GET", objects + "/_fota/health").status == 200);
    const std::string image(50000, 'F');
    REQUIRE(http_request("PUT", objects + "/_fota/objects/firmware/app.bin", {}, image).status ==
            200);
    REQUIRE(http_request("POST", control + "/things/dev1", {}, "{}").status == 200);

    mqtt::client device(mqtt_uri, "dev1");
    device.connect(mqtt::connect_options_builder().clean_session(true).finalize());
    device.subscribe("$aws/things/dev1/jobs/notify-next", 1);

    const json document{
        {"operation", "app_fw_update"},
        {"fwversion", "2.0.0"},
        {"location",
         {{"url",
           "${aws:iot:s3-presigned-url:https://s3.us-east-1.amazonaws.com/firmware/app.bin}"}}}};
    const json create{
        {"targets", {"arn:aws:iot:us-east-1:123456789012:thing/dev1"}},
        {"document", document.dump()},
        {"presignedUrlConfig",
         {{"roleArn", "arn:aws:iam::123456789012:role/fota-download"}, {"expiresInSec", 600}}}};
    const auto created = http_request("PUT", control + "/jobs/fw-1",
                                      {"Content-Type: application/json"}, create.dump());
    INFO(created.body);
    REQUIRE(created.status == 200);

    mqtt::const_message_ptr message;
    REQUIRE(device.try_consume_message_for(&message, std::chrono::seconds(10)));
    const json next = json::parse(message->to_string());
    const std::string url = next["execution"]["jobDocument"]["location"]["url"];
    INFO(url);
    CHECK(url.rfind(objects + "/firmware/app.bin?", 0) == 0);
    CHECK(url.find("X-Amz-Expires=600") != std::string::npos);
    const auto download = http_request("GET", url, {"Range: bytes=0-4095"});
    CHECK(download.status == 206);
    CHECK(download.body == image.substr(0, 4096));
    device.disconnect();

    CHECK(cloud.stop_with(SIGTERM) == 0);
    CHECK(cloud.output().find("fota-sim cloud: stopped") != std::string::npos);
}

TEST_CASE("fota-sim cloud: Ctrl-C (SIGINT) stops it cleanly") {
    CloudProcess cloud;
    CHECK(fota::test::http_request("GET", cloud.endpoint("control-plane") + "/things").status ==
          200);
    CHECK(cloud.stop_with(SIGINT) == 0);
    CHECK(cloud.output().find("SIGINT, stopping") != std::string::npos);
}
