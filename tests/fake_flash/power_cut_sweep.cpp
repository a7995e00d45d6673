#include "power_cut_sweep.hpp"

#include "flash_test_support.hpp"
#include "fota/flash/rng.hpp"
#include "fota/flash/text.hpp"

#include <map>
#include <optional>
#include <sstream>

namespace fota::flash::test {

namespace {

constexpr std::uint64_t kTornSeedBase = 0x5eed0000;

bool is_boot_sweep(const std::string& sweep) {
    return sweep == "upgrade-test" || sweep == "upgrade-permanent" || sweep == "revert";
}

struct Prepared {
    Setup setup;
    std::unique_ptr<Device> device;
    std::vector<std::uint8_t> snapshot;
    std::uint64_t violations_before = 0; ///< strict-rule violations before the current case
};

// ----- the store workload --------------------------------------------------------------------

struct StoreOperation {
    std::string key;
    bool remove = false;
    std::vector<std::uint8_t> value;
};

std::vector<StoreOperation> store_workload() {
    std::vector<StoreOperation> operations;
    for (std::uint32_t j = 0; j < 150; ++j) {
        StoreOperation operation;
        operation.key = "key" + std::to_string(j * 7 % 5);
        if (j % 11 == 10) {
            operation.remove = true;
        } else {
            operation.value.resize(1 + j * 13 % 150);
            SplitMix64 rng(j);
            for (auto& byte : operation.value) {
                byte = static_cast<std::uint8_t>(rng.next());
            }
        }
        operations.push_back(operation);
    }
    return operations;
}

using StoreMap = std::map<std::string, std::vector<std::uint8_t>>;

void apply(StoreMap& map, const StoreOperation& operation) {
    if (operation.remove) {
        map.erase(operation.key);
    } else {
        map[operation.key] = operation.value;
    }
}

Prepared prepare(const std::string& sweep, const std::string& setup_name) {
    Prepared prepared;
    prepared.setup = setup_named(setup_name);
    if (prepared.setup.name.empty()) {
        throw std::runtime_error("unknown setup '" + setup_name + "'");
    }
    prepared.device = make_device(prepared.setup, is_boot_sweep(sweep));
    Device& device = *prepared.device;
    if (sweep == "upgrade-test" || sweep == "revert") {
        if (device.request_upgrade(UpgradeMode::test) != FlashStatus::ok) {
            throw std::runtime_error("request_upgrade failed while preparing");
        }
    } else if (sweep == "upgrade-permanent") {
        if (device.request_upgrade(UpgradeMode::permanent) != FlashStatus::ok) {
            throw std::runtime_error("request_upgrade failed while preparing");
        }
    } else if (sweep != "store" && sweep != "download") {
        throw std::runtime_error("unknown sweep '" + sweep + "'");
    }
    if (sweep == "revert") {
        const BootResult upgraded = device.boot();
        if (!upgraded.booted || upgraded.confirmed) {
            throw std::runtime_error("the test upgrade before the revert failed: " +
                                     upgraded.error);
        }
    }
    if (sweep == "download") {
        // The secondary slot holds a leftover image, as after an earlier update.
        auto leftover = image_bytes(prepared.setup.old_image);
        leftover.resize((leftover.size() + 15) / 16 * 16, prepared.setup.geometry.erased_value);
        if (device.flash().write(device.boot_model().partition(Slot::secondary).offset, leftover) !=
                FlashStatus::ok ||
            !device.boot().booted) {
            throw std::runtime_error("cannot prepare the download sweep");
        }
    }
    if (sweep == "store") {
        if (!device.boot().booted) {
            throw std::runtime_error("the factory image did not boot");
        }
        // Start from a store that already holds values.
        RecordStore* store = device.store();
        const std::vector<std::uint8_t> value = {1, 2, 3};
        if (!store->save("key0", value) || !store->save("key3", value)) {
            throw std::runtime_error("cannot seed the store");
        }
    }
    prepared.snapshot = device.flash().snapshot();
    prepared.violations_before = device.flash().counters().violations;
    return prepared;
}

std::string describe(const BootResult& result) {
    std::ostringstream text;
    text << "booted=" << result.booted << " version=" << result.version.to_string()
         << " confirmed=" << result.confirmed << " swap=" << to_string(result.swap)
         << " resumed=" << result.resumed;
    if (!result.error.empty()) {
        text << " error='" << result.error << "'";
    }
    return text.str();
}

// Checks slot contents and trailers after the final boot of a boot sweep.
std::string check_boot_outcome(const std::string& sweep, Prepared& prepared,
                               const BootResult& result) {
    Device& device = *prepared.device;
    const auto old_image = image_bytes(prepared.setup.old_image);
    const auto new_image = image_bytes(prepared.setup.new_image);
    const bool reverted = sweep == "revert";
    const auto& running = reverted ? old_image : new_image;
    const auto& other = reverted ? new_image : old_image;
    const ImageVersion expected =
        reverted ? prepared.setup.old_image.version : prepared.setup.new_image.version;
    const bool expect_confirmed = sweep != "upgrade-test";
    std::string problems;
    auto expect = [&problems](bool ok, const std::string& what) {
        if (!ok) {
            problems += (problems.empty() ? "" : "; ") + what;
        }
    };
    expect(result.booted, "the final boot did not boot: " + describe(result));
    expect(result.version == expected,
           "runs " + result.version.to_string() + ", expected " + expected.to_string());
    expect(result.confirmed == expect_confirmed,
           std::string("confirmed=") + (result.confirmed ? "true" : "false"));
    expect(slot_bytes(device, Slot::primary, running.size()) == running,
           "the primary slot does not hold the expected image");
    expect(slot_bytes(device, Slot::secondary, other.size()) == other,
           "the secondary slot does not hold the other image");
    TrailerState primary;
    TrailerState secondary;
    expect(device.boot_model().read_trailer(Slot::primary, primary) == FlashStatus::ok &&
               device.boot_model().read_trailer(Slot::secondary, secondary) == FlashStatus::ok,
           "cannot read the trailers");
    expect(primary.magic_good && primary.copy_done && primary.image_ok == expect_confirmed,
           "primary trailer magic_good=" + std::to_string(primary.magic_good) + " copy_done=" +
               std::to_string(primary.copy_done) + " image_ok=" + std::to_string(primary.image_ok));
    expect(secondary.magic_erased && !secondary.image_ok && !secondary.copy_done,
           "secondary trailer not unset: magic_erased=" + std::to_string(secondary.magic_erased) +
               " image_ok=" + std::to_string(secondary.image_ok));
    expect(device.flash().counters().violations == prepared.violations_before,
           "strict flash rule violated: " + device.flash().last_violation());
    if (problems.empty() && sweep != "upgrade-test") {
        // A further reset changes nothing.
        const BootResult again = device.boot();
        expect(again.booted && again.version == expected && again.flash_operations == 0,
               "the next boot was not a no-op: " + describe(again));
    }
    return problems;
}

std::string run_boot_case(const SweepCase& sweep_case, Prepared& prepared) {
    Device& device = *prepared.device;
    for (std::size_t index = 0; index < sweep_case.plans.size(); ++index) {
        device.flash().arm(sweep_case.plans[index]);
        const BootResult cut = device.boot();
        if (cut.flash_status != FlashStatus::power_lost) {
            if (sweep_case.plans.size() == 1) {
                return "the cut did not happen: " + describe(cut);
            }
            break; // a multi-cut case ends when the boot finishes before its cut
        }
    }
    device.flash().disarm();
    const BootResult final_boot = device.boot();
    if (sweep_case.sweep == "upgrade-test" && final_boot.reverted() &&
        sweep_case.plans.size() == 1 && sweep_case.plans[0].power_cut->mode == CutMode::torn &&
        sweep_case.plans[0].power_cut->at_operation ==
            count_operations(sweep_case.sweep, sweep_case.setup)) {
        // The torn write was the last one, copy_done: any programmed bit means "swap done", so
        // this is a completed test swap followed by a reset before confirmation, which reverts.
        return check_boot_outcome("revert", prepared, final_boot);
    }
    return check_boot_outcome(sweep_case.sweep, prepared, final_boot);
}

std::string run_store_case(const SweepCase& sweep_case, Prepared& prepared) {
    Device& device = *prepared.device;
    const auto workload = store_workload();
    StoreMap acknowledged = {{"key0", {1, 2, 3}}, {"key3", {1, 2, 3}}};
    std::size_t next = 0;
    // Mounts again after a cut: every key must hold its acknowledged value, or the value of the
    // operation in flight (atomic). What the store holds then becomes the acknowledged state.
    auto check_mount = [&](const std::optional<std::size_t>& in_flight) -> std::string {
        const BootResult result = device.boot();
        if (!result.booted || device.store() == nullptr) {
            return "the device did not boot after the cut: " + describe(result);
        }
        RecordStore& store = *device.store();
        StoreMap with_in_flight = acknowledged;
        if (in_flight) {
            apply(with_in_flight, workload[*in_flight]);
        }
        auto expected = [](const StoreMap& map, const std::string& key) {
            auto found = map.find(key);
            return found == map.end() ? std::optional<std::vector<std::uint8_t>>()
                                      : std::optional(found->second);
        };
        std::string problems;
        StoreMap actual;
        for (const auto& key : store.keys()) {
            if (key.size() != 4 || key.substr(0, 3) != "key" || key[3] < '0' || key[3] > '4') {
                problems += "unexpected key '" + key + "'; ";
            }
        }
        for (int k = 0; k < 5; ++k) {
            const std::string key = "key" + std::to_string(k);
            const auto value = store.load(key);
            if (value) {
                actual[key] = *value;
            }
            if (value != expected(acknowledged, key) &&
                !(in_flight && value == expected(with_in_flight, key))) {
                problems += key + " holds neither its acknowledged nor its in-flight value; ";
            }
        }
        acknowledged = actual;
        return problems;
    };
    for (const FaultPlan& plan : sweep_case.plans) {
        device.flash().arm(plan);
        std::optional<std::size_t> in_flight;
        for (; next < workload.size(); ++next) {
            const StoreOperation& operation = workload[next];
            Status status = operation.remove ? device.store()->remove(operation.key)
                                             : device.store()->save(operation.key, operation.value);
            if (!status) {
                if (status.error().flash != FlashStatus::power_lost) {
                    return "operation " + std::to_string(next) +
                           " failed: " + status.error().message;
                }
                in_flight = next;
                break;
            }
            apply(acknowledged, operation);
        }
        if (!in_flight) {
            if (sweep_case.plans.size() == 1) {
                return "the cut did not happen";
            }
            break;
        }
        device.flash().disarm();
        if (std::string problems = check_mount(in_flight); !problems.empty()) {
            return "after the cut: " + problems;
        }
        // The application redoes the interrupted operation.
    }
    device.flash().disarm();
    for (; next < workload.size(); ++next) {
        const StoreOperation& operation = workload[next];
        Status status = operation.remove ? device.store()->remove(operation.key)
                                         : device.store()->save(operation.key, operation.value);
        if (!status) {
            return "operation " + std::to_string(next) +
                   " failed after the cuts: " + status.error().message;
        }
        apply(acknowledged, operation);
    }
    if (std::string problems = check_mount(std::nullopt); !problems.empty()) {
        return "at the end: " + problems;
    }
    if (device.flash().counters().violations != prepared.violations_before) {
        return "strict flash rule violated: " + device.flash().last_violation();
    }
    return "";
}

// The application's part of an update, as the NCS MCUboot DFU target does it.
FlashStatus download_and_request(Prepared& prepared) {
    if (FlashStatus status =
            download_to_secondary(*prepared.device, image_bytes(prepared.setup.new_image));
        status != FlashStatus::ok) {
        return status;
    }
    return prepared.device->request_upgrade(UpgradeMode::test);
}

std::string run_download_case(const SweepCase& sweep_case, Prepared& prepared,
                              std::uint64_t clean_operations) {
    Device& device = *prepared.device;
    const auto old_image = image_bytes(prepared.setup.old_image);
    for (const FaultPlan& plan : sweep_case.plans) {
        device.flash().arm(plan);
        const std::uint64_t at = plan.power_cut ? plan.power_cut->at_operation : 0;
        if (download_and_request(prepared) != FlashStatus::power_lost) {
            if (sweep_case.plans.size() == 1) {
                return "the cut did not happen";
            }
            break;
        }
        device.flash().disarm();
        const BootResult after_cut = device.boot();
        if (after_cut.swap == SwapType::test && at == clean_operations &&
            after_cut.version == prepared.setup.new_image.version) {
            // The cut tore the last write, the request's magic, yet it came out complete.
            continue;
        }
        if (!after_cut.booted || after_cut.swap != SwapType::none ||
            after_cut.version != prepared.setup.old_image.version ||
            slot_bytes(device, Slot::primary, old_image.size()) != old_image) {
            return "after a cut mid-download the old image must boot unchanged: " +
                   describe(after_cut);
        }
    }
    device.flash().disarm();
    if (FlashStatus status = download_and_request(prepared); status != FlashStatus::ok) {
        return std::string("the download after the cut failed: ") + to_string(status) + " " +
               device.flash().last_violation();
    }
    const BootResult result = device.boot();
    const auto new_image = image_bytes(prepared.setup.new_image);
    std::string problems;
    if (!result.booted || result.version != prepared.setup.new_image.version || result.confirmed) {
        problems += "the update did not boot as a test image: " + describe(result) + "; ";
    }
    if (slot_bytes(device, Slot::primary, new_image.size()) != new_image) {
        problems += "the primary slot does not hold the update; ";
    }
    if (device.flash().counters().violations != prepared.violations_before) {
        problems += "strict flash rule violated: " + device.flash().last_violation();
    }
    return problems;
}

} // namespace

std::string SweepCase::replay_line() const {
    std::string line = "sweep=" + sweep + " setup=" + setup + " plan=";
    for (std::size_t i = 0; i < plans.size(); ++i) {
        line += (i ? "|" : "") + plans[i].to_string();
    }
    return line;
}

Result<SweepCase> SweepCase::parse(std::string_view line) {
    SweepCase sweep_case;
    for (std::string_view item : split(line, ' ')) {
        if (item.substr(0, 6) == "sweep=") {
            sweep_case.sweep = std::string(item.substr(6));
        } else if (item.substr(0, 6) == "setup=") {
            sweep_case.setup = std::string(item.substr(6));
        } else if (item.substr(0, 5) == "plan=") {
            for (std::string_view text : split(item.substr(5), '|')) {
                auto plan = FaultPlan::parse(text);
                if (!plan) {
                    return plan.error();
                }
                sweep_case.plans.push_back(plan.value());
            }
        } else if (!item.empty()) {
            return fail("unknown replay item '" + std::string(item) + "'");
        }
    }
    if (sweep_case.sweep.empty() || sweep_case.setup.empty() || sweep_case.plans.empty()) {
        return fail("a replay line needs sweep=, setup= and plan=");
    }
    return sweep_case;
}

std::uint64_t count_operations(const std::string& sweep, const std::string& setup) {
    Prepared prepared = prepare(sweep, setup);
    Device& device = *prepared.device;
    device.flash().arm(FaultPlan{});
    if (is_boot_sweep(sweep)) {
        const BootResult result = device.boot();
        if (!result.booted) {
            throw std::runtime_error("the clean run failed: " + describe(result));
        }
    } else if (sweep == "download") {
        if (FlashStatus status = download_and_request(prepared); status != FlashStatus::ok) {
            throw std::runtime_error(std::string("the clean download failed: ") +
                                     to_string(status));
        }
    } else {
        for (const auto& operation : store_workload()) {
            Status status = operation.remove ? device.store()->remove(operation.key)
                                             : device.store()->save(operation.key, operation.value);
            if (!status) {
                throw std::runtime_error("the clean store run failed: " + status.error().message);
            }
        }
    }
    return device.flash().operations_since_arm();
}

std::string run_case(const SweepCase& sweep_case) {
    Prepared prepared = prepare(sweep_case.sweep, sweep_case.setup);
    if (is_boot_sweep(sweep_case.sweep)) {
        return run_boot_case(sweep_case, prepared);
    }
    if (sweep_case.sweep == "download") {
        return run_download_case(sweep_case, prepared,
                                 count_operations(sweep_case.sweep, sweep_case.setup));
    }
    return run_store_case(sweep_case, prepared);
}

namespace {

// One prepared device per sweep, restored before each case (preparing costs more than a case).
class CaseRunner {
public:
    CaseRunner(const std::string& sweep, const std::string& setup, std::uint64_t operations)
        : prepared_(prepare(sweep, setup)), operations_(operations) {}

    std::string run(const SweepCase& sweep_case) {
        Device& device = *prepared_.device;
        device.flash().disarm();
        device.flash().power_on();
        if (!device.flash().restore(prepared_.snapshot)) {
            return "cannot restore the snapshot";
        }
        prepared_.violations_before = device.flash().counters().violations;
        if (is_boot_sweep(sweep_case.sweep)) {
            return run_boot_case(sweep_case, prepared_);
        }
        if (!device.boot().booted) {
            return "the prepared device did not boot";
        }
        if (sweep_case.sweep == "download") {
            return run_download_case(sweep_case, prepared_, operations_);
        }
        return run_store_case(sweep_case, prepared_);
    }

private:
    Prepared prepared_;
    std::uint64_t operations_;
};

void record(SweepReport& report, std::uint64_t at, const SweepCase& sweep_case,
            const std::string& problem) {
    ++report.cases;
    if (problem.empty()) {
        return;
    }
    ++report.failures;
    if (report.failure_lines.size() < 20) {
        report.failure_lines.push_back("FAIL at op " + std::to_string(at) + " of " +
                                       std::to_string(report.operations) + ": " +
                                       sweep_case.replay_line() + " -- " + problem);
    }
}

} // namespace

SweepReport exhaustive_sweep(const std::string& sweep, const std::string& setup) {
    SweepReport report;
    report.operations = count_operations(sweep, setup);
    CaseRunner runner(sweep, setup, report.operations);
    for (std::uint64_t at = 1; at <= report.operations; ++at) {
        for (const FaultPlan& plan :
             {FaultPlan::cut_before(at), FaultPlan::cut_torn(at, kTornSeedBase + at)}) {
            const SweepCase sweep_case{sweep, setup, {plan}};
            record(report, at, sweep_case, runner.run(sweep_case));
        }
    }
    return report;
}

SweepReport random_sweep(const std::string& sweep, const std::string& setup, std::uint64_t seed,
                         std::uint64_t count) {
    SweepReport report;
    report.operations = count_operations(sweep, setup);
    CaseRunner runner(sweep, setup, report.operations);
    SplitMix64 rng(seed);
    for (std::uint64_t i = 0; i < count; ++i) {
        SweepCase sweep_case{sweep, setup, {}};
        const std::uint64_t cuts = 1 + rng.below(5);
        for (std::uint64_t c = 0; c < cuts; ++c) {
            const std::uint64_t at = 1 + rng.below(report.operations);
            sweep_case.plans.push_back(rng.below(2) == 0 ? FaultPlan::cut_before(at)
                                                         : FaultPlan::cut_torn(at, rng.next()));
        }
        record(report, sweep_case.plans.front().power_cut->at_operation, sweep_case,
               runner.run(sweep_case));
    }
    return report;
}

} // namespace fota::flash::test
