// fota-sim replay: feeds a recording (fota-sim run/device --record DIR: DIR/<thing>.jsonl) to a
// fresh core, one per recorded boot, and compares its port calls with the recorded ones. Prints
// "identical" (exit 0) or the first output that differs (exit 1); a file that cannot be read as a
// recording gives file:line and what is wrong (exit 2).
#include "cli/command_registry.hpp"

#if __has_include("fota/record/replay.hpp")
#include "fota/record/reader.hpp"
#include "fota/record/replay.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace fota::sim {
namespace {

struct ReplayCommandOptions {
    std::vector<std::string> paths;
    bool full = false;  ///< print long calls whole
    bool trace = false; ///< print every boot, input and compared output
};

// The files to replay: each FILE, and every *.jsonl of each folder in name order.
std::vector<std::string> recordings(const std::vector<std::string>& paths) {
    std::vector<std::string> files;
    for (const std::string& path : paths) {
        std::error_code ec;
        if (!std::filesystem::is_directory(path, ec)) {
            files.push_back(path);
            continue;
        }
        std::vector<std::string> found;
        for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
            if (entry.path().extension() == ".jsonl") {
                found.push_back(entry.path().string());
            }
        }
        std::sort(found.begin(), found.end());
        if (found.empty()) {
            files.push_back(path); // reported as unreadable below
        }
        files.insert(files.end(), found.begin(), found.end());
    }
    return files;
}

// 0 identical, 1 a difference, 2 not a recording.
int replay_file(const std::string& file, bool name_it, const ReplayCommandOptions& cli) {
    const std::string prefix = name_it ? file + ": " : std::string();
    const record::ReadResult read = record::read_recording_file(file);
    if (!read.recording) {
        std::cerr << "fota-sim replay: " << file;
        if (read.error.line > 0) {
            std::cerr << ":" << read.error.line;
        }
        std::cerr << ": " << read.error.message << "\n";
        return 2;
    }
    record::ReplayTrace trace;
    if (cli.trace) {
        trace = [&prefix](std::string_view line) { std::cout << prefix << line << "\n"; };
    }
    const record::ReplayResult result = record::replay(*read.recording, trace);
    std::cout << prefix << record::describe(result, cli.full) << "\n";
    return result.identical ? 0 : 1;
}

int replay_files(const ReplayCommandOptions& cli) {
    const std::vector<std::string> files = recordings(cli.paths);
    int code = 0;
    for (const std::string& file : files) {
        code = std::max(code, replay_file(file, files.size() > 1, cli));
    }
    return code;
}

void add_replay_command(CLI::App& app) {
    auto cli = std::make_shared<ReplayCommandOptions>();
    CLI::App* command = app.add_subcommand(
        "replay",
        "Replay a device's recording (fota-sim run/device --record DIR writes DIR/<thing>.jsonl): "
        "a fresh core per recorded boot, with the recorded configuration and seed, is fed the "
        "recorded inputs while its ports hand back the recorded results; each port call is "
        "compared with the recorded one. Prints 'identical' (exit 0) or the first output that "
        "differs, 'output N: expected ... got ...' (exit 1); a file that is not a readable "
        "recording gives FILE:LINE: what is wrong (exit 2)");
    command
        ->add_option("recordings", cli->paths,
                     "Recording files (.jsonl), or folders: every *.jsonl in them")
        ->type_name("FILE|DIR")
        ->required();
    command->add_flag("--full", cli->full,
                      "Print the differing calls whole (by default a call longer than 160 "
                      "characters, e.g. a state record in hex, is shown around its first "
                      "difference)");
    command->add_flag("--trace", cli->trace,
                      "Print every boot, input and compared output as the replay goes (the "
                      "line of the file, the output's number, the call)");
    command->callback([cli] {
        const int code = replay_files(*cli);
        if (code != 0) {
            throw CLI::RuntimeError(code);
        }
    });
}

} // namespace

FOTA_REGISTER_COMMAND("replay", add_replay_command);

} // namespace fota::sim

#endif
