// Expectation slot: a flash slot of each device holds a firmware's image, or is erased.
#include "scenario/expectations/expectation_kinds.hpp"
#include "scenario/parse_context.hpp"

namespace fota::sim::expectations {

std::optional<Expectation> parse_slot(ParseContext& context, const YAML::Node& body,
                                      const std::string& here) {
    bool ok = true;
    auto e =
        context.expectation(body, here, {"devices", "slot", "contains"}, {"slot", "contains"}, ok);
    if (!e) {
        return std::nullopt;
    }
    context.expectation_devices(body, here, *e, ok);
    auto& r = context.reader();
    if (body.IsMap() && body["slot"].IsDefined()) {
        if (auto value = r.choice(body["slot"], "'slot' in " + here, {"primary", "secondary"})) {
            e->slot = *value == "primary" ? Slot::primary : Slot::secondary;
        } else {
            ok = false;
        }
    }
    if (body.IsMap() && body["contains"].IsDefined()) {
        auto text = r.string(body["contains"], "'contains' in " + here);
        if (text && *text == "erased") {
            e->slot_erased = true;
        } else if (text) {
            auto id = context.firmware_ref(body["contains"], "'contains' in " + here +
                                                                 " (a firmware id or 'erased')");
            ok = ok && id.has_value();
            e->slot_firmware = id.value_or("");
        } else {
            ok = false;
        }
    }
    return ok ? e : std::nullopt;
}

std::string describe_slot(const Expectation& e) {
    return ": " + std::string(e.slot == Slot::primary ? "primary" : "secondary") + " slot of " +
           devices_text(e.devices) + " holds " +
           (e.slot_erased ? std::string("nothing (erased)") : "firmware " + e.slot_firmware);
}

} // namespace fota::sim::expectations
