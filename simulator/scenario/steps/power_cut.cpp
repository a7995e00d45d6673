// Step power_cut: power is cut now, or when each device reaches a phase (optionally after a number
// of downloaded bytes), and returns after off_for.
#include "scenario/parse_context.hpp"

namespace fota::sim::steps {

std::optional<PowerCutStep> parse_power_cut(ParseContext& context, const YAML::Node& body,
                                            const std::string& here) {
    auto& r = context.reader();
    if (!r.expect_map(body, here, {"devices", "at_phase", "after_download_bytes", "off_for"})) {
        return std::nullopt;
    }
    PowerCutStep cut;
    bool ok = true;
    if (auto devices = context.devices_of(body, here)) {
        cut.devices = *devices;
    } else {
        ok = false;
    }
    if (body["at_phase"].IsDefined()) {
        cut.at_phase = context.phase(body["at_phase"], "'at_phase' in " + here);
        ok = ok && cut.at_phase.has_value();
    }
    if (body["after_download_bytes"].IsDefined()) {
        cut.after_download_bytes = r.size(body["after_download_bytes"],
                                          "'after_download_bytes' in " + here, 1, 16ULL << 20);
        ok = ok && cut.after_download_bytes.has_value();
        if (cut.at_phase && *cut.at_phase != DevicePhase::downloading) {
            r.error(body["after_download_bytes"],
                    "'after_download_bytes' in " + here +
                        " applies only with at_phase 'downloading' (or no at_phase)");
            ok = false;
        }
        if (!cut.at_phase) {
            cut.at_phase = DevicePhase::downloading;
        }
    }
    if (body["off_for"].IsDefined()) {
        auto value = r.duration(body["off_for"], "'off_for' in " + here,
                                std::chrono::milliseconds(0), context.scenario().deadline);
        ok = ok && value.has_value();
        cut.off_for = value.value_or(std::chrono::milliseconds(0));
    }
    return ok ? std::optional(cut) : std::nullopt;
}

} // namespace fota::sim::steps
