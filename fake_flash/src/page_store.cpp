#include "fota/flash/page_store.hpp"

#include <cstring>

namespace fota::flash {

namespace {

constexpr std::uint64_t kMultiplier = 0x9e3779b97f4a7c15ULL;

std::uint64_t load_word(const std::uint8_t* at) {
    std::uint64_t word = 0;
    std::memcpy(&word, at, sizeof word);
    return word;
}

std::uint64_t mix(std::uint64_t value) {
    value ^= value >> 33;
    value *= 0xff51afd7ed558ccdULL;
    value ^= value >> 33;
    value *= 0xc4ceb9fe1a85ec53ULL;
    value ^= value >> 33;
    return value;
}

} // namespace

PageStore::~PageStore() = default;

std::shared_ptr<PageStore> PageStore::process() {
    static const std::shared_ptr<PageStore> store = std::make_shared<PageStore>();
    return store;
}

std::uint64_t PageStore::hash(std::span<const std::uint8_t> bytes) {
    // Four independent lanes so that the multiplies overlap: a 4 KiB page in well under 1 us.
    std::uint64_t lanes[4] = {kMultiplier, kMultiplier * 3, kMultiplier * 5, kMultiplier * 7};
    const std::uint8_t* at = bytes.data();
    std::size_t left = bytes.size();
    for (; left >= 32; left -= 32, at += 32) {
        for (int lane = 0; lane < 4; ++lane) {
            lanes[lane] = (lanes[lane] ^ load_word(at + 8 * lane)) * kMultiplier;
            lanes[lane] ^= lanes[lane] >> 29;
        }
    }
    for (; left >= 8; left -= 8, at += 8) {
        lanes[0] = (lanes[0] ^ load_word(at)) * kMultiplier;
        lanes[0] ^= lanes[0] >> 29;
    }
    std::uint64_t tail = 0; // the last 0 to 7 bytes
    std::memcpy(&tail, at, left);
    std::uint64_t result = mix(bytes.size() ^ tail);
    for (const std::uint64_t lane : lanes) {
        result = mix(result ^ lane);
    }
    return result;
}

const PageStore::Page* PageStore::intern(std::span<const std::uint8_t> bytes) {
    const std::uint64_t key = hash(bytes);
    const std::lock_guard<std::mutex> lock(mutex_);
    ++interns_;
    ++references_;
    const auto [first, last] = by_hash_.equal_range(key);
    for (auto it = first; it != last; ++it) {
        Page& page = *it->second;
        if (page.size_ == bytes.size() &&
            std::memcmp(page.data_.get(), bytes.data(), page.size_) == 0) {
            ++page.references_;
            ++hits_;
            return &page;
        }
    }
    auto page = std::make_unique<Page>();
    page->data_ = std::make_unique_for_overwrite<std::uint8_t[]>(bytes.size());
    std::memcpy(page->data_.get(), bytes.data(), bytes.size());
    page->size_ = static_cast<std::uint32_t>(bytes.size());
    page->hash_ = key;
    page->references_ = 1;
    bytes_ += bytes.size();
    return by_hash_.emplace(key, std::move(page))->second.get();
}

void PageStore::release(const Page* page) {
    if (page == nullptr) {
        return;
    }
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto [first, last] = by_hash_.equal_range(page->hash_);
    for (auto it = first; it != last; ++it) {
        if (it->second.get() != page) {
            continue;
        }
        --references_;
        if (--it->second->references_ == 0) {
            bytes_ -= it->second->size_;
            by_hash_.erase(it);
        }
        return;
    }
}

PageStore::Stats PageStore::stats() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return Stats{by_hash_.size(), bytes_, references_, interns_, hits_};
}

} // namespace fota::flash
