// Expectation shadow_version, checked: observed once per poll until it holds or its time is up
// (parsed and described in shadow_version.cpp).
#include "runner/src/run_context.hpp"

#include <fota/profile.hpp>

namespace fota::sim::runner::expectations {

using json = nlohmann::json;

namespace {

/// The key under state.reported the group's profile reports the running version with.
std::string shadow_version_key(ProfileName profile) {
    return std::string(profile == ProfileName::verified
                           ? fota::verified_profile().shadow_version_key
                           : fota::default_profile().shadow_version_key);
}

} // namespace

void check_shadow_version(const RunContext& run, const Expectation& e, Check& check, Tally& tally) {
    check.expected = "shadow reports " + e.version;
    const auto selected = run.select(e.devices);
    std::vector<json> args;
    for (const Device* d : selected) {
        args.push_back({{"thingName", d->thing}});
    }
    const auto shadows = run.stack().call_many("get_thing_shadow", args, true);
    for (std::size_t i = 0; i < selected.size(); ++i) {
        const Device* d = selected[i];
        const json& shadow = shadows[i];
        std::string value = "no shadow";
        const std::string key = shadow_version_key(d->group->profile);
        if (shadow.contains("state") && shadow["state"].contains("reported") &&
            shadow["state"]["reported"].contains(key)) {
            const json& v = shadow["state"]["reported"][key];
            value = v.is_string() ? v.get<std::string>() : v.dump();
        }
        tally.add(d->thing, same_version(value, e.version), value);
    }
}

} // namespace fota::sim::runner::expectations
