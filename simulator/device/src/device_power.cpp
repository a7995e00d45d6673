// Boot and power of a simulated device: opening the flash (and installing the initial image on
// the first power-on), running the boot model (test swap, confirm or revert; powered on again
// after a cut mid-swap), building the core's session from what the flash and the store hold,
// reboots, power cuts and the power's return.
#include "device_runtime_impl.hpp"

#include <fota/flash/mcuboot_image.hpp>
#include <fota/image_version.hpp>
#include <fota/json_writer.hpp>

#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

namespace fota::sim {

namespace {

std::string version_text(const fota::ImageVersion& version) {
    std::array<char, 48> buffer{};
    TextBuilder text(buffer);
    append_image_version(text, version);
    return std::string(text.view());
}

// A fleet's devices all install the same image file: read and check it once per process, not
// once per device (at 10,000 devices that was seconds). Keyed by path, size and modification
// time, so a file rewritten between runs is read again; never more than a few entries.
std::shared_ptr<const std::vector<std::uint8_t>> read_image_file(const std::string& path,
                                                                 std::string& error) {
    using Key = std::tuple<std::string, std::uintmax_t, std::filesystem::file_time_type>;
    static std::mutex mutex;
    static std::map<Key, std::shared_ptr<const std::vector<std::uint8_t>>> cache;
    std::error_code code;
    const std::uintmax_t size = std::filesystem::file_size(path, code);
    const auto written =
        code ? std::filesystem::file_time_type{} : std::filesystem::last_write_time(path, code);
    if (code) {
        error = "cannot read the image file " + path + ": " + code.message();
        return nullptr;
    }
    const Key key{path, size, written};
    {
        const std::lock_guard<std::mutex> lock(mutex);
        if (const auto found = cache.find(key); found != cache.end()) {
            return found->second;
        }
    }
    std::ifstream in(path, std::ios::binary);
    auto image = std::make_shared<std::vector<std::uint8_t>>(size);
    if (!in ||
        !in.read(reinterpret_cast<char*>(image->data()), static_cast<std::streamsize>(size))) {
        error = "cannot read the image file " + path;
        return nullptr;
    }
    if (const auto parsed = flash::parse_image(*image); !parsed) {
        error = "the image file " + path + " is not an MCUboot image: " + parsed.error().message;
        return nullptr;
    }
    const std::lock_guard<std::mutex> lock(mutex);
    if (cache.size() >= 8) {
        cache.clear();
    }
    cache.emplace(key, image);
    return image;
}

} // namespace

void DeviceRuntime::Impl::reboot(bool clean) {
    if (state_ != DeviceState::Running) {
        return;
    }
    logger_->info("[{}] rebooting{}", options_.thing_name, clean ? "" : " (no clean shutdown)");
    emit("rebooting", clean ? "" : "no clean shutdown");
    state_ = DeviceState::Rebooting;
    shut_down(clean);
    boot();
}

void DeviceRuntime::Impl::cut_power(std::chrono::milliseconds off_for) {
    if (power_off_ || (state_ != DeviceState::Running && state_ != DeviceState::Rebooting)) {
        return;
    }
    if (session_) {
        session_->lose_power();
    }
    ++power_cuts_;
    power_off_ = true;
    state_ = DeviceState::Rebooting;
    logger_->warn("[{}] power cut (off for {} ms)", options_.thing_name, off_for.count());
    emit("power_cut", "");
    std::weak_ptr<Impl> weak = weak_from_this();
    host_->post([weak, off_for] {
        if (auto self = weak.lock()) {
            self->shut_down(false);
            self->power_on_after(off_for);
        }
    });
}

void DeviceRuntime::Impl::power_on_after(std::chrono::milliseconds off_for) {
    if (off_for.count() <= 0) {
        power_off_ = false;
        boot();
        return;
    }
    std::weak_ptr<Impl> weak = weak_from_this();
    power_timer_->start(off_for, [weak] {
        if (auto self = weak.lock(); self && self->power_off_) {
            self->power_off_ = false;
            self->boot();
        }
    });
}

bool DeviceRuntime::Impl::open_flash() {
    flash::DeviceConfig config;
    config.file = options_.flash_file;
    if (!options_.flash_geometry.empty()) {
        auto geometry = flash::Geometry::parse(options_.flash_geometry);
        if (!geometry) {
            fail("flash geometry '" + options_.flash_geometry + "': " + geometry.error().message);
            return false;
        }
        config.geometry = geometry.value();
    }
    if (!options_.flash_layout.empty()) {
        config.layout = options_.flash_layout;
    }
    auto opened = flash::Device::open(config);
    if (!opened) {
        fail("cannot open the flash: " + opened.error().message);
        return false;
    }
    device_ = std::move(opened.value());
    return true;
}

void DeviceRuntime::Impl::fail(const std::string& message) {
    last_error_ = message;
    logger_->error("[{}] {}", options_.thing_name, message);
}

bool DeviceRuntime::Impl::install_initial_image() {
    std::vector<std::uint8_t> image;
    if (!options_.image_file.empty()) {
        std::string error;
        const auto file = read_image_file(options_.image_file, error);
        if (!file) {
            fail(error);
            return false;
        }
        image = *file;
    } else {
        const auto version = flash::ImageVersion::parse(options_.firmware_version);
        if (!version) {
            fail("bad firmware version '" + options_.firmware_version +
                 "': " + version.error().message);
            return false;
        }
        flash::TestImageOptions test;
        test.version = version.value();
        test.total_size = options_.image_size;
        test.seed = options_.seed;
        auto built = flash::make_test_image(test);
        if (!built) {
            fail("cannot build the initial image: " + built.error().message);
            return false;
        }
        image = std::move(built.value());
    }
    const flash::Partition* primary = device_->partitions().find(flash::kPrimaryPartition);
    if (primary == nullptr || image.size() > primary->size) {
        fail("the initial image does not fit the primary slot");
        return false;
    }
    flash::NorFlash& nor = device_->flash();
    const std::uint32_t page = nor.geometry().page_size;
    const auto padded = static_cast<std::uint32_t>((image.size() + page - 1) / page * page);
    image.resize(padded, nor.geometry().erased_value);
    if (nor.erase(primary->offset, padded) != flash::FlashStatus::ok ||
        nor.write(primary->offset, image) != flash::FlashStatus::ok) {
        fail("cannot write the initial image: " + nor.last_violation());
        return false;
    }
    logger_->info("[{}] installed the initial image ({} bytes) in the primary slot",
                  options_.thing_name, image.size());
    return true;
}

void DeviceRuntime::Impl::begin_counting() {
    operations_before_ = device_->flash().counters().operations;
    if (options_.first_power_on_faults.empty()) {
        return;
    }
    const std::string error =
        arm_flash_faults(options_.first_power_on_faults, options_.first_power_on_off_for);
    if (!error.empty()) {
        fail(error);
    }
}

void DeviceRuntime::Impl::boot() {
    ++boots_;
    if (boots_ == 1 && !options_.flash_file.empty()) {
        begin_counting(); // a flash file that may boot as it is (kept from an earlier run)
    }
    std::optional<flash::BootResult> result = run_boot_loader();
    if (!result) {
        return;
    }
    if (!result->booted && boots_ == 1 && !installed_) { // the first power-on
        installed_ = true;
        if (!install_initial_image()) {
            state_ = DeviceState::Off;
            return;
        }
        begin_counting(); // again: the count starts once the image is in place
        result = device_->boot();
    }
    if (!result->booted) {
        state_ = DeviceState::Bricked;
        fail("boot failed: " + result->error);
        emit("boot_failed", result->error);
        notify_boot();
        return;
    }
    run_image(*result);
}

std::optional<flash::BootResult> DeviceRuntime::Impl::run_boot_loader() {
    // A cut armed for the swap: the flash is armed to cut before one of the boot loader's
    // first operations (a swap of a 200 KiB image takes hundreds; a boot without a swap
    // writes nothing, and then the cut waits for the next boot).
    bool swap_cut_armed = false;
    std::chrono::milliseconds swap_off_for{0};
    if (swap_cut_) {
        swap_off_for = swap_cut_->off_for;
        device_->flash().arm(flash::FaultPlan::cut_before(2 + swap_cut_->seed % 60));
        swap_cut_armed = true;
    }
    bool swap_announced = false;
    // A power cut may hit the boot itself (a swap in progress): power on and boot again,
    // as the hardware would, a bounded number of times.
    flash::BootResult result;
    for (int attempt = 0; attempt < 8; ++attempt) {
        result = device_->boot();
        if (result.booted || result.flash_status != flash::FlashStatus::power_lost) {
            break;
        }
        ++power_cuts_;
        logger_->warn("[{}] power cut during boot: {}", options_.thing_name, result.error);
        if (!swap_announced) {
            swap_announced = true;
            emit("swapping", result.error);
        }
        emit("power_cut", result.error);
        if (recorder_) {
            recorder_->note("power_cut", result.error); // in the boot loader, between boots
        }
        if (swap_cut_armed) {
            swap_cut_armed = false;
            swap_cut_.reset();
            if (swap_off_for.count() > 0) {
                // The power stays off for a while; the next power-on resumes the swap.
                state_ = DeviceState::Rebooting;
                power_off_ = true;
                power_on_after(swap_off_for);
                return std::nullopt;
            }
        }
    }
    if (swap_cut_armed) {
        device_->flash().disarm();
        if (result.swap != flash::SwapType::none) {
            swap_cut_.reset(); // the swap was shorter than the chosen operation
        }
    }
    if (!swap_announced && result.swap != flash::SwapType::none) {
        emit("swapping", flash::to_string(result.swap));
    }
    return result;
}

void DeviceRuntime::Impl::run_image(const flash::BootResult& result) {
    last_status_.running_version = version_text(core_version(result.version));
    last_status_.confirmed = result.confirmed;
    last_status_.reverted_last_boot = result.reverted();
    reverts_ += result.reverted() ? 1 : 0;
    images_rejected_ += result.secondary_rejected ? 1 : 0;
    logger_->info("[{}] boot {}: running {} ({}){}{}", options_.thing_name, boots_,
                  last_status_.running_version, result.confirmed ? "confirmed" : "unconfirmed",
                  result.swap != flash::SwapType::none
                      ? std::string(", swap ") + flash::to_string(result.swap)
                      : std::string(),
                  result.secondary_rejected ? ", secondary rejected: " + result.rejection
                                            : std::string());
    state_ = DeviceState::Running;
    emit("boot", last_status_.running_version);
    session_ = std::make_shared<BootSession>(host_, options_, *device_, result, boots_,
                                             session_host(), logger_);
    session_->set_offline_until(offline_until_);
    session_->run();
    if (stalled_) {
        session_->set_stalled(true);
    }
    notify_boot();
}

// What a boot's session asks of the device: reboots and flash power cuts come back as work posted
// to the host; a download-byte cut or stall happens at once.
BootSession::Host DeviceRuntime::Impl::session_host() {
    BootSession::Host host;
    std::weak_ptr<Impl> weak = weak_from_this();
    host.request_reboot = [weak, this](bool clean) {
        host_->post([weak, clean] {
            if (auto self = weak.lock()) {
                self->reboot(clean);
            }
        });
    };
    host.power_lost = [weak, this] {
        host_->post([weak] {
            if (auto self = weak.lock()) {
                self->cut_power(self->flash_off_for_);
            }
        });
    };
    host.download_cut = [this] { cut_power(download_cut_off_for_); };
    host.download_stall = [this] { stall_http_for(download_stall_for_); };
    host.event = [this](std::string_view name, std::string_view detail) { emit(name, detail); };
    host.recorder = recorder_.get();
    return host;
}

void DeviceRuntime::Impl::notify_boot() {
    if (boot_handler_) {
        boot_handler_(status());
    }
}

} // namespace fota::sim
