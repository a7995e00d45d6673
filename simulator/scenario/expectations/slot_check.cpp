// Expectation slot, checked: observed once per poll until it holds or its time is up
// (parsed and described in slot.cpp).
#include "runner/src/run_context.hpp"

#include <algorithm>

namespace fota::sim::runner::expectations {

namespace {

std::string read_slot(const Device& d, Slot slot, std::size_t length) {
    const std::uint64_t offset =
        slot == Slot::primary ? d.flash.primary_offset : d.flash.secondary_offset;
    return d.device->read_flash(offset, length);
}

} // namespace

void check_slot(const RunContext& run, const Expectation& e, Check& check, Tally& tally) {
    const char* slot_name = e.slot == Slot::primary ? "primary" : "secondary";
    check.expected = std::string(slot_name) + " slot holds " +
                     (e.slot_erased ? std::string("nothing (erased)") : e.slot_firmware);
    for (const Device* d : run.select(e.devices)) {
        std::string value;
        bool ok = false;
        if (e.slot_erased) {
            const std::string bytes = read_slot(*d, e.slot, d->flash.slot_size);
            const unsigned char erased = d->flash.erased_value;
            ok = !bytes.empty() && std::all_of(bytes.begin(), bytes.end(), [erased](char c) {
                return static_cast<unsigned char>(c) == erased;
            });
            value = ok ? "erased" : "not erased";
        } else {
            const std::string& image = run.images().bytes.at(e.slot_firmware);
            ok = read_slot(*d, e.slot, image.size()) == image;
            value = ok ? e.slot_firmware : "not " + e.slot_firmware;
            for (const auto& [id, other] : run.images().bytes) {
                if (!ok && read_slot(*d, e.slot, other.size()) == other) {
                    value = id;
                }
            }
        }
        tally.add(d->thing, ok, value);
    }
}

} // namespace fota::sim::runner::expectations
