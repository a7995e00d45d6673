// The device under the agent, faked once for every test of the core: a NOR-strict secondary slot
// (Flash), a small MCUboot-like boot model (Boot) and a one-record store (Store). The portable
// vectors' script harness (script.hpp) and the host unit tests' fake world (tests/core) both
// derive from it and add their own MQTT, HTTP, timers and log. No heap: the slot is the caller's
// buffer, the record a member.
#pragma once

#include "fota/ports.hpp"
#include "fota/state_record.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace fota::script {

/// Output categories of port calls; the script harness checks the ones a script names.
enum Check : std::uint32_t {
    kMqtt = 1,
    kHttp = 2,
    kFlash = 4,
    kBoot = 8,
    kTimers = 16,
    kStore = 32,
};

class FakeDevice : public Flash, public Boot, public Store {
public:
    /// slot: the secondary slot's bytes (the caller's; filled with the erased value here), at
    /// least geometry.slot_size long. running: the image version at the first power-on;
    /// new_image: the version a requested upgrade swaps in.
    FakeDevice(std::span<std::uint8_t> slot, const FlashGeometry& geometry, ImageVersion running,
               ImageVersion new_image);
    FakeDevice(const FakeDevice&) = delete;
    FakeDevice& operator=(const FakeDevice&) = delete;

    /// The boot loader at a reset: reverts an unconfirmed test image, else swaps in a requested
    /// upgrade (unless refuse_next_image); sets reverted for BootInfo.
    void run_boot_loader();

    std::span<std::uint8_t> slot() { return slot_; }
    std::span<const std::uint8_t> slot() const { return slot_; }
    std::span<const std::uint8_t> record() const { return {record_.data(), record_length_}; }

    // The boot model's state, public for assertions and fault knobs.
    ImageVersion running;
    ImageVersion previous;  ///< what a revert goes back to
    ImageVersion new_image; ///< what a requested upgrade swaps in
    bool confirmed = true;
    bool reverted = false;
    bool testing = false; ///< an unconfirmed test image runs: revert at the next reset
    bool upgrade_pending = false;
    bool upgrade_permanent = false;
    bool refuse_next_image = false; ///< the boot loader refuses the next image (no swap)
    bool fail_next_write = false;   ///< the next flash write fails
    std::uint32_t flash_writes = 0;
    int reboots = 0; ///< Boot::reboot calls

    // Flash
    FlashGeometry geometry() const override;
    PortStatus erase(std::uint32_t offset, std::uint32_t length) override;
    PortStatus write(std::uint32_t offset, std::span<const std::uint8_t> data) override;
    PortStatus sha256(std::uint32_t length, Digest& digest) override;
    // Boot
    BootInfo boot_info() const override;
    PortStatus request_upgrade(bool permanent) override;
    PortStatus confirm() override;
    void reboot() override;
    // Store
    PortStatus load(std::span<std::uint8_t> out, std::size_t& length) override;
    PortStatus save(std::span<const std::uint8_t> record) override;

protected:
    ~FakeDevice() = default;
    /// Every port call of this device as one line ("flash.erase 0 4096"), for checking or logging.
    virtual void port_called(Check category, std::string_view call, std::string_view detail) = 0;
    /// An illegal operation (unaligned, out of the slot, a write over unerased flash): real
    /// flash would corrupt data silently, so a test must fail.
    virtual void violation(std::string_view what) = 0;

private:
    std::span<std::uint8_t> slot_;
    FlashGeometry geometry_;
    std::array<std::uint8_t, kStateRecordCapacity> record_{};
    std::size_t record_length_ = 0;
};

} // namespace fota::script
