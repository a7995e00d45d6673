#include "cli/command_registry.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace fota::sim {
namespace {

std::vector<std::pair<std::string, CommandAdder>>& registry() {
    // A function-local static: registrations from other translation units may run before any
    // namespace-scope object here is constructed.
    static std::vector<std::pair<std::string, CommandAdder>> commands;
    return commands;
}

} // namespace

bool register_command(const char* name, CommandAdder add) {
    registry().emplace_back(name, add);
    return true;
}

void add_registered_commands(CLI::App& app) {
    auto commands = registry();
    std::sort(commands.begin(), commands.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [name, add] : commands) {
        add(app);
    }
}

} // namespace fota::sim
