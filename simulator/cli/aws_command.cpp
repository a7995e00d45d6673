// fota-sim aws cleanup --run ID: removes what a `stack: aws` run left in the account (after a
// kill -9, a lost network, or a cleanup that failed): its things (found by their fota-sim-run
// attribute), their certificates and shadows, the jobs on them that carry the run's tag, its
// policy, and with --bucket its objects. Nothing without the run's mark is touched.
// Exit code: 0 all removed, 1 something is left (listed), 2 bad usage or settings.
#include "cli/command_registry.hpp"

#if __has_include("runner/src/stack/aws_account.hpp")
#include "runner/src/stack/aws_account.hpp"

#include "fota/sim/stack.hpp"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <string>

namespace fota::sim {
namespace {

struct CleanupOptions {
    std::string run_id;
    std::string bucket;
    std::string region;
    std::string profile;
};

int run_cleanup(const CleanupOptions& cli) {
    StackConfig config;
    config.kind = StackKind::aws;
    config.bucket = cli.bucket;
    config.region = cli.region;
    config.profile = cli.profile;
    try {
        stacks::AwsAccount account(
            stacks::resolve_aws_settings(config, stacks::process_environment()));
        (void)account.data_url();
        const auto left = stacks::cleanup_aws_run(account, cli.run_id, [](const std::string& line) {
            std::cout << line << "\n" << std::flush;
        });
        if (left.empty()) {
            std::cout << "run " << cli.run_id << ": nothing left\n";
            return 0;
        }
        std::cerr << "run " << cli.run_id << ": could not remove:\n";
        for (const std::string& problem : left) {
            std::cerr << "  " << problem << "\n";
        }
        return 1;
    } catch (const StackConfigError& e) {
        std::cerr << "fota-sim aws cleanup: " << e.what() << "\n";
        return 2;
    } catch (const StackError& e) {
        std::cerr << "fota-sim aws cleanup: " << e.what() << "\n";
        return 1;
    }
}

void add_aws_command(CLI::App& app) {
    CLI::App* command = app.add_subcommand("aws", "Work with what stack aws makes in an account");
    command->require_subcommand(1);
    auto cli = std::make_shared<CleanupOptions>();
    CLI::App* cleanup = command->add_subcommand(
        "cleanup", "Remove what a stack-aws run left behind: its things, certificates, shadows, "
                   "tagged jobs and policy, and with --bucket its objects (credentials, region "
                   "and endpoints as the AWS CLI finds them)");
    cleanup
        ->add_option("--run", cli->run_id,
                     "The run id (fsim-...; the run's report and log name it)")
        ->required()
        ->check(CLI::Validator(
            [](std::string& value) {
                return value.rfind("fsim-", 0) == 0 && value.size() <= 64 &&
                               value.find_first_not_of("abcdefghijklmnopqrstuvwxyz"
                                                       "0123456789-") == std::string::npos
                           ? std::string()
                           : std::string("must be a run id such as fsim-20261206-231500-1a2b");
            },
            "ID"));
    cleanup->add_option("--bucket", cli->bucket, "The run's S3 bucket (its objects are removed)");
    cleanup->add_option("--region", cli->region, "The region (default: AWS_REGION, the profile's)");
    cleanup->add_option("--profile", cli->profile, "The AWS CLI profile (default: AWS_PROFILE)");
    cleanup->callback([cli] {
        const int code = run_cleanup(*cli);
        if (code != 0) {
            throw CLI::RuntimeError(code);
        }
    });
}

} // namespace

FOTA_REGISTER_COMMAND("aws", add_aws_command);

} // namespace fota::sim

#endif
