// Subcommands of fota-sim register themselves, so each lives in its own file and main.cpp never
// changes when one is added.
#pragma once

#include <CLI/CLI.hpp>

namespace fota::sim {

/// Adds one subcommand (with its options and callback) to the application. A callback that fails
/// throws CLI::RuntimeError(exit_code) after printing what was wrong.
using CommandAdder = void (*)(CLI::App& app);

/// Records a subcommand; called at static-initialisation time by FOTA_REGISTER_COMMAND.
/// Returns true so that it can initialise a static.
bool register_command(const char* name, CommandAdder add);

/// Adds every registered subcommand to app, in name order (stable --help output).
void add_registered_commands(CLI::App& app);

} // namespace fota::sim

/// In a cli/<name>_command.cpp: FOTA_REGISTER_COMMAND("name", add_name_command);
#define FOTA_REGISTER_COMMAND(name, adder)                                                         \
    [[maybe_unused]] static const bool fota_registered_command_##adder =                           \
        ::fota::sim::register_command(name, adder)
