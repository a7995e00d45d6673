#include "fota/flash/nor_flash.hpp"

#include "fota/flash/text.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fota::flash {

const char* to_string(FlashStatus status) {
    switch (status) {
    case FlashStatus::ok:
        return "ok";
    case FlashStatus::out_of_range:
        return "out_of_range";
    case FlashStatus::misaligned:
        return "misaligned";
    case FlashStatus::not_erased:
        return "not_erased";
    case FlashStatus::power_lost:
        return "power_lost";
    case FlashStatus::write_failed:
        return "write_failed";
    case FlashStatus::erase_failed:
        return "erase_failed";
    case FlashStatus::worn_out:
        return "worn_out";
    case FlashStatus::backing_failed:
        return "backing_failed";
    }
    return "unknown";
}

namespace {

bool is_power_of_two(std::uint32_t value) {
    return value != 0 && (value & (value - 1)) == 0;
}

bool overlaps(std::uint64_t a_start, std::uint64_t a_length, std::uint64_t b_start,
              std::uint64_t b_length) {
    return a_start < b_start + b_length && b_start < a_start + a_length;
}

std::uint64_t load_word(const std::uint8_t* at) {
    std::uint64_t word = 0;
    std::memcpy(&word, at, sizeof word);
    return word;
}

// The index of the first byte of `bytes` that is not `value`, or length; word-wise.
std::size_t first_other(const std::uint8_t* bytes, std::size_t length, std::uint8_t value) {
    const std::uint64_t pattern = 0x0101010101010101ULL * value;
    std::size_t i = 0;
    while (i + 8 <= length && load_word(bytes + i) == pattern) {
        i += 8;
    }
    while (i < length && bytes[i] == value) {
        ++i;
    }
    return i;
}

// Programs like NOR: cells erased to 0xFF only lose bits (AND), cells erased to 0x00 only gain
// bits (OR). Word-wise: the download writes a whole image through here.
void combine(std::uint8_t* cells, const std::uint8_t* data, std::size_t length,
             std::uint8_t erased) {
    std::size_t i = 0;
    for (; i + 8 <= length; i += 8) {
        const std::uint64_t cell = load_word(cells + i);
        const std::uint64_t word = load_word(data + i);
        const std::uint64_t result = erased == 0xFF ? (cell & word) : (cell | word);
        std::memcpy(cells + i, &result, sizeof result);
    }
    for (; i < length; ++i) {
        cells[i] = erased == 0xFF ? static_cast<std::uint8_t>(cells[i] & data[i])
                                  : static_cast<std::uint8_t>(cells[i] | data[i]);
    }
}

} // namespace

Status Geometry::validate() const {
    if (!(write_unit == 1 || write_unit == 2 || write_unit == 4 || write_unit == 8 ||
          write_unit == 16)) {
        return fail("flash write unit " + std::to_string(write_unit) +
                    " is not supported: use 1, 2, 4, 8 or 16");
    }
    if (!is_power_of_two(page_size) || page_size < 256 || page_size < write_unit) {
        return fail("flash page size " + std::to_string(page_size) +
                    " must be a power of two >= 256 and >= the write unit");
    }
    if (size == 0 || size % page_size != 0) {
        return fail("flash size " + std::to_string(size) + " must be a non-zero multiple of the " +
                    "page size " + std::to_string(page_size));
    }
    if (erased_value != 0xFF && erased_value != 0x00) {
        return fail("erased value " + hex(erased_value) + " must be 0xff or 0x00");
    }
    return success();
}

std::string Geometry::to_string() const {
    return "size=" + format_size(size) + ",page=" + format_size(page_size) +
           ",write=" + std::to_string(write_unit) + ",erased=" + hex(erased_value);
}

Result<Geometry> Geometry::parse(std::string_view text) {
    Geometry geometry;
    if (text.empty()) {
        return geometry;
    }
    for (std::string_view item : split(text, ',')) {
        const std::size_t equals = item.find('=');
        if (equals == std::string_view::npos) {
            return fail("geometry item '" + std::string(item) +
                        "' is not key=value (keys: size, page, write, erased)");
        }
        const std::string_view key = item.substr(0, equals);
        if (key != "size" && key != "page" && key != "write" && key != "erased") {
            return fail("unknown geometry key '" + std::string(key) +
                        "' (keys: size, page, write, erased)");
        }
        auto value = parse_size(item.substr(equals + 1));
        if (!value) {
            return fail("geometry item '" + std::string(item) + "': " + value.error().message);
        }
        if (key == "size") {
            geometry.size = value.value();
        } else if (key == "page") {
            geometry.page_size = value.value();
        } else if (key == "write") {
            geometry.write_unit = value.value();
        } else {
            if (value.value() > 0xFF) {
                return fail("geometry item '" + std::string(item) + "': erased is one byte");
            }
            geometry.erased_value = static_cast<std::uint8_t>(value.value());
        }
    }
    if (auto valid = geometry.validate(); !valid) {
        return valid.error();
    }
    return geometry;
}

NorFlash::NorFlash(const Geometry& geometry, WriteRule rule, std::shared_ptr<PageStore> store)
    : geometry_(geometry), rule_(rule), store_(store ? std::move(store) : PageStore::process()),
      shared_(geometry.page_count(), nullptr) {
    counters_.erases_per_page.assign(geometry.page_count(), 0);
}

NorFlash::~NorFlash() {
    for (const PageStore::Page* page : shared_) {
        store_->release(page);
    }
    if (fd_ >= 0) {
        ::close(fd_);
    }
    if (wear_fd_ >= 0) {
        ::close(wear_fd_);
    }
}

Result<std::unique_ptr<NorFlash>> NorFlash::create_ram(const Geometry& geometry, WriteRule rule,
                                                       std::shared_ptr<PageStore> store) {
    if (auto valid = geometry.validate(); !valid) {
        return valid.error();
    }
    return std::unique_ptr<NorFlash>(new NorFlash(geometry, rule, std::move(store)));
}

Result<std::unique_ptr<NorFlash>> NorFlash::open_file(const std::string& path,
                                                      const Geometry& geometry, WriteRule rule) {
    if (auto valid = geometry.validate(); !valid) {
        return valid.error();
    }
    std::unique_ptr<NorFlash> flash(new NorFlash(geometry, rule, nullptr));
    flash->erased_page_.assign(geometry.page_size, geometry.erased_value);
    flash->fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (flash->fd_ < 0) {
        return fail("cannot open flash file '" + path + "': " + std::strerror(errno));
    }
    struct stat info {};
    if (::fstat(flash->fd_, &info) != 0) {
        return fail("cannot stat flash file '" + path + "': " + std::strerror(errno));
    }
    if (info.st_size == 0) {
        if (flash->persist(0, geometry.size) != FlashStatus::ok) {
            return fail("cannot initialise flash file '" + path + "': " + std::strerror(errno));
        }
    } else if (static_cast<std::uint64_t>(info.st_size) != geometry.size) {
        return fail("flash file '" + path + "' has " + std::to_string(info.st_size) +
                    " bytes but the geometry needs " + std::to_string(geometry.size));
    } else {
        std::vector<std::uint8_t> cells(geometry.size);
        if (::pread(flash->fd_, cells.data(), geometry.size, 0) !=
            static_cast<ssize_t>(geometry.size)) {
            return fail("cannot read flash file '" + path + "'");
        }
        flash->load(cells);
    }
    const std::string wear_path = path + ".wear";
    flash->wear_fd_ = ::open(wear_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (flash->wear_fd_ < 0) {
        return fail("cannot open wear file '" + wear_path + "': " + std::strerror(errno));
    }
    const std::uint32_t pages = geometry.page_count();
    std::vector<std::uint8_t> wear(static_cast<std::size_t>(pages) * 4, 0);
    const ssize_t got = ::pread(flash->wear_fd_, wear.data(), wear.size(), 0);
    if (got != 0 && got != static_cast<ssize_t>(wear.size())) {
        return fail("wear file '" + wear_path + "' does not match the geometry (" +
                    std::to_string(pages) + " pages)");
    }
    for (std::uint32_t page = 0; page < pages; ++page) {
        const std::uint8_t* at = wear.data() + std::size_t{page} * 4;
        flash->counters_.erases_per_page[page] =
            static_cast<std::uint32_t>(at[0]) | static_cast<std::uint32_t>(at[1]) << 8 |
            static_cast<std::uint32_t>(at[2]) << 16 | static_cast<std::uint32_t>(at[3]) << 24;
        if (got == 0 && flash->persist_wear(page) != FlashStatus::ok) {
            return fail("cannot initialise wear file '" + wear_path + "'");
        }
    }
    return flash;
}

FlashStatus NorFlash::violation(FlashStatus status, std::string message) {
    ++counters_.violations;
    last_violation_ = std::move(message);
    return status;
}

FlashStatus NorFlash::read(std::uint32_t address, std::span<std::uint8_t> out) {
    if (!powered_) {
        return FlashStatus::power_lost;
    }
    if (static_cast<std::uint64_t>(address) + out.size() > geometry_.size) {
        return FlashStatus::out_of_range;
    }
    ++counters_.read_ops;
    counters_.bytes_read += out.size();
    copy_out(address, out);
    if (plan_.read_flips && plan_.read_flips->rate > 0.0) {
        const double rate = plan_.read_flips->rate;
        const std::uint64_t bits = static_cast<std::uint64_t>(out.size()) * 8;
        for (std::uint64_t bit = 0; bit < bits;) {
            // Geometric gap to the next flipped bit, so sparse flips cost O(flips).
            std::uint64_t gap = 0;
            if (rate < 1.0) {
                const double u = 1.0 - flip_rng_->unit(); // (0, 1]
                const double sample = std::floor(std::log(u) / std::log1p(-rate));
                gap =
                    sample >= static_cast<double>(bits) ? bits : static_cast<std::uint64_t>(sample);
            }
            bit += gap;
            if (bit >= bits) {
                break;
            }
            out[bit / 8] = static_cast<std::uint8_t>(out[bit / 8] ^ (1u << (bit % 8)));
            ++counters_.bits_flipped;
            ++bit;
        }
    }
    return FlashStatus::ok;
}

FlashStatus NorFlash::begin_operation(FlashOperation operation, std::uint32_t address,
                                      std::uint32_t length, bool& torn) {
    torn = false;
    ++counters_.operations;
    ++since_arm_;
    if (plan_.power_cut && plan_.power_cut->at_operation == since_arm_) {
        ++counters_.power_cuts;
        const PowerCut cut = *plan_.power_cut;
        plan_.power_cut.reset(); // a cut fires once
        torn_seed_ = cut.seed;
        if (cut.mode == CutMode::before) {
            powered_ = false;
            return FlashStatus::power_lost;
        }
        torn = true;
        return FlashStatus::ok;
    }
    for (const auto& failure : plan_.failures) {
        if (failure.operation != operation) {
            continue;
        }
        const bool by_index = failure.at_operation != 0 && failure.at_operation == since_arm_;
        const bool by_region =
            failure.region_length != 0 &&
            overlaps(address, length, failure.region_start, failure.region_length);
        if (by_index || by_region) {
            return operation == FlashOperation::write ? FlashStatus::write_failed
                                                      : FlashStatus::erase_failed;
        }
    }
    return FlashStatus::ok;
}

void NorFlash::program(std::uint32_t address, std::span<const std::uint8_t> data) {
    const std::uint32_t page_size = geometry_.page_size;
    for (std::size_t done = 0; done < data.size();) {
        const std::uint32_t at = address + static_cast<std::uint32_t>(done);
        const std::uint32_t page = at / page_size;
        const std::uint32_t offset = at % page_size;
        const std::size_t length = std::min<std::size_t>(page_size - offset, data.size() - done);
        const std::span<const std::uint8_t> piece = data.subspan(done, length);
        if (length == page_size && page_bytes(page) == nullptr) {
            // A whole erased page programmed: its bytes are the data, share them at once.
            if (first_other(piece.data(), length, geometry_.erased_value) != length) {
                shared_[page] = store_->intern(piece);
            }
        } else {
            combine(own_page(page) + offset, piece.data(), length, geometry_.erased_value);
            if (offset + length == page_size) {
                share_page(page); // written to its end: likely complete, so share it
            }
        }
        done += length;
    }
}

NorFlash::OwnPage* NorFlash::find_own(std::uint32_t page) {
    for (OwnPage& own : own_) {
        if (own.page == page) {
            return &own;
        }
    }
    return nullptr;
}

const NorFlash::OwnPage* NorFlash::find_own(std::uint32_t page) const {
    for (const OwnPage& own : own_) {
        if (own.page == page) {
            return &own;
        }
    }
    return nullptr;
}

void NorFlash::remove_own(OwnPage& own) {
    if (&own != &own_.back()) {
        own = std::move(own_.back());
    }
    own_.pop_back();
}

const std::uint8_t* NorFlash::page_bytes(std::uint32_t page) const {
    if (const PageStore::Page* shared = shared_[page]) {
        return shared->bytes().data();
    }
    const OwnPage* own = find_own(page);
    return own ? own->bytes.get() : nullptr;
}

std::uint8_t* NorFlash::own_page(std::uint32_t page) {
    if (OwnPage* own = find_own(page)) {
        return own->bytes.get();
    }
    auto bytes = std::make_unique_for_overwrite<std::uint8_t[]>(geometry_.page_size);
    if (const PageStore::Page* shared = shared_[page]) {
        std::memcpy(bytes.get(), shared->bytes().data(), geometry_.page_size);
        store_->release(shared);
        shared_[page] = nullptr;
    } else {
        std::memset(bytes.get(), geometry_.erased_value, geometry_.page_size);
    }
    return own_.emplace_back(OwnPage{page, std::move(bytes)}).bytes.get();
}

void NorFlash::share_page(std::uint32_t page) {
    OwnPage* own = find_own(page);
    if (own == nullptr) {
        return;
    }
    const std::span<const std::uint8_t> bytes(own->bytes.get(), geometry_.page_size);
    if (first_other(bytes.data(), bytes.size(), geometry_.erased_value) != bytes.size()) {
        shared_[page] = store_->intern(bytes);
    }
    remove_own(*own);
}

void NorFlash::drop_page(std::uint32_t page) {
    store_->release(shared_[page]);
    shared_[page] = nullptr;
    if (OwnPage* own = find_own(page)) {
        remove_own(*own);
    }
}

void NorFlash::share_own_pages() {
    while (!own_.empty()) {
        share_page(own_.back().page);
    }
}

NorFlash::PageUse NorFlash::page_use() const {
    PageUse use;
    use.own = static_cast<std::uint32_t>(own_.size());
    for (const PageStore::Page* shared : shared_) {
        use.shared += shared != nullptr ? 1 : 0;
    }
    use.erased = geometry_.page_count() - use.shared - use.own;
    return use;
}

void NorFlash::load(std::span<const std::uint8_t> contents) {
    const std::uint32_t page_size = geometry_.page_size;
    for (std::uint32_t page = 0; page < shared_.size(); ++page) {
        drop_page(page);
        const auto bytes = contents.subspan(std::size_t{page} * page_size, page_size);
        if (first_other(bytes.data(), page_size, geometry_.erased_value) != page_size) {
            shared_[page] = store_->intern(bytes);
        }
    }
}

void NorFlash::copy_out(std::uint32_t address, std::span<std::uint8_t> out) const {
    const std::uint32_t page_size = geometry_.page_size;
    for (std::size_t done = 0; done < out.size();) {
        const std::uint32_t at = address + static_cast<std::uint32_t>(done);
        const std::uint32_t offset = at % page_size;
        const std::size_t length = std::min<std::size_t>(page_size - offset, out.size() - done);
        if (const std::uint8_t* bytes = page_bytes(at / page_size)) {
            std::memcpy(out.data() + done, bytes + offset, length);
        } else {
            std::memset(out.data() + done, geometry_.erased_value, length);
        }
        done += length;
    }
}

std::optional<std::uint32_t> NorFlash::first_unerased(std::uint32_t address,
                                                      std::uint32_t length) const {
    const std::uint32_t page_size = geometry_.page_size;
    for (std::uint32_t done = 0; done < length;) {
        const std::uint32_t at = address + done;
        const std::uint32_t offset = at % page_size;
        const std::uint32_t piece = std::min(page_size - offset, length - done);
        if (const std::uint8_t* bytes = page_bytes(at / page_size)) {
            const std::size_t found = first_other(bytes + offset, piece, geometry_.erased_value);
            if (found != piece) {
                return at + static_cast<std::uint32_t>(found);
            }
        }
        done += piece;
    }
    return std::nullopt;
}

FlashStatus NorFlash::peek(std::uint32_t address, std::span<std::uint8_t> out) const {
    if (static_cast<std::uint64_t>(address) + out.size() > geometry_.size) {
        return FlashStatus::out_of_range;
    }
    copy_out(address, out);
    return FlashStatus::ok;
}

std::vector<std::uint8_t> NorFlash::snapshot() const {
    std::vector<std::uint8_t> cells(geometry_.size);
    copy_out(0, cells);
    return cells;
}

void NorFlash::torn_program(std::uint32_t address, std::span<const std::uint8_t> data) {
    SplitMix64 rng(torn_seed_ ^ (since_arm_ * 0x9e3779b97f4a7c15ULL));
    const std::size_t unit = geometry_.write_unit;
    const std::size_t units = (data.size() + unit - 1) / unit;
    const std::size_t done_units = static_cast<std::size_t>(rng.below(units));
    const std::size_t done_bytes = std::min(data.size(), done_units * unit);
    program(address, data.first(done_bytes));
    // The unit in flight: each bit that was to change did so or not, at random.
    const std::size_t flight_end = std::min(data.size(), done_bytes + unit);
    for (std::size_t i = done_bytes; i < flight_end; ++i) {
        std::uint8_t& cell = this->cell(address + static_cast<std::uint32_t>(i));
        const auto mask = static_cast<std::uint8_t>(rng.next());
        if (geometry_.erased_value == 0xFF) {
            const auto clearing = static_cast<std::uint8_t>(cell & ~data[i]);
            cell = static_cast<std::uint8_t>(cell & ~(clearing & mask));
        } else {
            const auto setting = static_cast<std::uint8_t>(~cell & data[i]);
            cell = static_cast<std::uint8_t>(cell | (setting & mask));
        }
    }
}

void NorFlash::torn_erase(std::uint32_t page) {
    if (page_bytes(page) == nullptr) {
        return; // an erased page stays erased whatever the erase did
    }
    SplitMix64 rng(torn_seed_ ^ (since_arm_ * 0x9e3779b97f4a7c15ULL));
    std::uint8_t* cells = own_page(page);
    const std::uint8_t erased = geometry_.erased_value;
    bool was_erased = true;
    bool now_erased = true;
    bool changed = false;
    std::uint32_t first_unerased = 0;
    for (std::uint32_t i = 0; i < geometry_.page_size; ++i) {
        std::uint8_t& cell = cells[i];
        if (cell != erased) {
            if (was_erased) {
                first_unerased = i;
            }
            was_erased = false;
        }
        const std::uint8_t before = cell;
        const auto mask = static_cast<std::uint8_t>(rng.next());
        cell = erased == 0xFF ? static_cast<std::uint8_t>(cell | mask)
                              : static_cast<std::uint8_t>(cell & mask);
        changed = changed || cell != before;
        now_erased = now_erased && cell == erased;
    }
    if (was_erased) {
        return; // an erased page stays erased whatever the erase did
    }
    if (now_erased) {
        // Neither erased nor intact: keep one byte that had not finished erasing.
        cells[first_unerased] = static_cast<std::uint8_t>(erased ^ 0x01);
    }
    if (!changed) {
        cells[first_unerased] = erased;
    }
}

FlashStatus NorFlash::write(std::uint32_t address, std::span<const std::uint8_t> data) {
    if (!powered_) {
        return FlashStatus::power_lost;
    }
    if (static_cast<std::uint64_t>(address) + data.size() > geometry_.size) {
        return violation(FlashStatus::out_of_range, "write of " + std::to_string(data.size()) +
                                                        " bytes at " + hex(address) +
                                                        " is outside the flash");
    }
    if (rule_ == WriteRule::strict) {
        if (address % geometry_.write_unit != 0 || data.size() % geometry_.write_unit != 0) {
            return violation(FlashStatus::misaligned, "write of " + std::to_string(data.size()) +
                                                          " bytes at " + hex(address) +
                                                          " is not aligned to the write unit " +
                                                          std::to_string(geometry_.write_unit));
        }
        if (const auto at = first_unerased(address, static_cast<std::uint32_t>(data.size()))) {
            std::uint8_t value = 0;
            copy_out(*at, std::span<std::uint8_t>(&value, 1));
            return violation(FlashStatus::not_erased, "write at " + hex(address) + " over byte " +
                                                          hex(*at) + " that is not erased (" +
                                                          hex(value) + ")");
        }
    }
    bool torn = false;
    const auto length = static_cast<std::uint32_t>(data.size());
    if (FlashStatus status = begin_operation(FlashOperation::write, address, length, torn);
        status != FlashStatus::ok) {
        return status;
    }
    ++counters_.write_ops;
    if (torn) {
        torn_program(address, data);
        powered_ = false;
        (void)persist(address, length);
        return FlashStatus::power_lost;
    }
    counters_.bytes_written += data.size();
    program(address, data);
    return persist(address, length);
}

FlashStatus NorFlash::erase(std::uint32_t address, std::uint32_t length) {
    if (!powered_) {
        return FlashStatus::power_lost;
    }
    if (static_cast<std::uint64_t>(address) + length > geometry_.size) {
        return violation(FlashStatus::out_of_range, "erase of " + std::to_string(length) +
                                                        " bytes at " + hex(address) +
                                                        " is outside the flash");
    }
    if (address % geometry_.page_size != 0 || length % geometry_.page_size != 0) {
        return violation(FlashStatus::misaligned, "erase of " + std::to_string(length) +
                                                      " bytes at " + hex(address) +
                                                      " is not page aligned (page " +
                                                      std::to_string(geometry_.page_size) + ")");
    }
    for (std::uint32_t at = address; at < address + length; at += geometry_.page_size) {
        const std::uint32_t page = at / geometry_.page_size;
        bool torn = false;
        if (FlashStatus status =
                begin_operation(FlashOperation::erase, at, geometry_.page_size, torn);
            status != FlashStatus::ok) {
            return status;
        }
        ++counters_.erase_ops;
        if (plan_.erase_cycle_limit &&
            counters_.erases_per_page[page] >= *plan_.erase_cycle_limit) {
            if (torn) {
                powered_ = false;
                return FlashStatus::power_lost;
            }
            return FlashStatus::worn_out;
        }
        ++counters_.erases_per_page[page];
        if (torn) {
            torn_erase(page);
            powered_ = false;
            (void)persist(at, geometry_.page_size);
            (void)persist_wear(page);
            return FlashStatus::power_lost;
        }
        drop_page(page);
        if (FlashStatus status = persist(at, geometry_.page_size); status != FlashStatus::ok) {
            return status;
        }
        if (FlashStatus status = persist_wear(page); status != FlashStatus::ok) {
            return status;
        }
    }
    return FlashStatus::ok;
}

void NorFlash::arm(const FaultPlan& plan) {
    plan_ = plan;
    since_arm_ = 0;
    if (plan_.read_flips) {
        flip_rng_.emplace(plan_.read_flips->seed);
    } else {
        flip_rng_.reset();
    }
}

void NorFlash::disarm() {
    arm(FaultPlan{});
}

void NorFlash::power_on() {
    powered_ = true;
}

Status NorFlash::restore(std::span<const std::uint8_t> contents) {
    if (contents.size() != geometry_.size) {
        return fail("snapshot has " + std::to_string(contents.size()) + " bytes, flash has " +
                    std::to_string(geometry_.size));
    }
    load(contents);
    if (persist(0, geometry_.size) != FlashStatus::ok) {
        return fail("cannot write the restored contents to the backing file",
                    FlashStatus::backing_failed);
    }
    return success();
}

FlashStatus NorFlash::persist(std::uint32_t address, std::uint32_t length) {
    if (fd_ < 0) {
        return FlashStatus::ok;
    }
    const std::uint32_t page_size = geometry_.page_size;
    std::uint32_t done = 0;
    while (done < length) {
        const std::uint32_t at = address + done;
        const std::uint32_t offset = at % page_size;
        const std::uint32_t piece = std::min(page_size - offset, length - done);
        const std::uint8_t* bytes = page_bytes(at / page_size);
        if (bytes == nullptr) {
            bytes = erased_page_.data();
        }
        const ssize_t wrote = ::pwrite(fd_, bytes + offset, piece, static_cast<off_t>(at));
        if (wrote <= 0) {
            if (wrote < 0 && errno == EINTR) {
                continue;
            }
            return FlashStatus::backing_failed;
        }
        done += static_cast<std::uint32_t>(wrote);
    }
    return FlashStatus::ok;
}

FlashStatus NorFlash::persist_wear(std::uint32_t page) {
    if (wear_fd_ < 0) {
        return FlashStatus::ok;
    }
    const std::uint32_t count = counters_.erases_per_page[page];
    const std::uint8_t bytes[4] = {
        static_cast<std::uint8_t>(count), static_cast<std::uint8_t>(count >> 8),
        static_cast<std::uint8_t>(count >> 16), static_cast<std::uint8_t>(count >> 24)};
    if (::pwrite(wear_fd_, bytes, 4, static_cast<off_t>(page) * 4) != 4) {
        return FlashStatus::backing_failed;
    }
    return FlashStatus::ok;
}

} // namespace fota::flash
