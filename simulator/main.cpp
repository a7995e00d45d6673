// fota-sim: an nRF9160 FOTA device simulator and integration-test harness for AWS IoT Jobs, the
// Device Shadow and S3. The subcommands live in cli/ and register themselves.
#include "cli/command_registry.hpp"

#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

int main(int argc, char** argv) {
    CLI::App app{"fota-sim: nRF9160 firmware-over-the-air simulator and test harness for AWS IoT "
                 "Jobs, the Device Shadow and S3"};
    app.name("fota-sim");
    app.set_version_flag("--version", std::string("fota-sim ") + FOTA_SIM_VERSION);
    app.require_subcommand(0, 1);
    app.footer("Run 'fota-sim <command> --help' for a command's options.");
    fota::sim::add_registered_commands(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        // CLI11 gives a bad flag its own codes (105 for a value that does not validate, ...);
        // fota-sim's are 0, 1 (a check failed) and 2 (it could not be run), as the README says.
        const int code = app.exit(error);
        return code == 0 || code == 1 ? code : 2;
    }
    if (app.get_subcommands().empty()) {
        // No command: say what there is, and fail, so a script that forgot the command notices.
        std::cout << app.help();
        return 2;
    }
    return 0;
}
