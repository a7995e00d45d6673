// PageStore: flash pages stored once per distinct content and shared by every RAM-backed
// NorFlash that holds them (content-addressed, reference-counted, immutable; a NorFlash copies
// a shared page before it changes it).
//
// Why: every simulated device holds the same images, so 10,000 devices of 1 MiB each hold a few
// hundred distinct pages between them. One store serves the whole process (process()), so that
// every simulation, stack and test in it shares; a test that counts pages makes its own store.
//
// Thread safety: intern() and release() take a mutex, because devices of the embedded stack
// run on several Asio threads. A page's bytes never change while it is stored, so reading them
// needs no lock; a NorFlash itself is used from one thread (its device's strand) at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <unordered_map>

namespace fota::flash {

class PageStore {
public:
    /// One stored page: bytes that never change while any reference is held.
    class Page {
    public:
        std::span<const std::uint8_t> bytes() const { return {data_.get(), size_}; }

    private:
        friend class PageStore;
        std::unique_ptr<std::uint8_t[]> data_;
        std::uint32_t size_ = 0;
        std::uint64_t hash_ = 0;
        std::uint64_t references_ = 0;
    };

    struct Stats {
        std::size_t pages = 0;        ///< distinct pages stored
        std::size_t bytes = 0;        ///< their bytes
        std::uint64_t references = 0; ///< references held on them
        std::uint64_t interns = 0;    ///< intern() calls so far
        std::uint64_t hits = 0;       ///< of which found an identical page
    };

    PageStore() = default;
    ~PageStore();
    PageStore(const PageStore&) = delete;
    PageStore& operator=(const PageStore&) = delete;

    /// The store RAM and file flashes use unless given one: one per process, alive while any
    /// flash holds it.
    static std::shared_ptr<PageStore> process();

    /// The page holding `bytes`, with one more reference: the stored one if its bytes are
    /// identical (compared in full, not only by hash), else a new copy. Never nullptr.
    const Page* intern(std::span<const std::uint8_t> bytes);

    /// Drops one reference taken by intern(); the page is freed with its last. nullptr is a
    /// no-op.
    void release(const Page* page);

    Stats stats() const;

    /// The 64-bit hash pages are filed under (fast, not cryptographic; word-wise, 4 lanes).
    static std::uint64_t hash(std::span<const std::uint8_t> bytes);

private:
    mutable std::mutex mutex_;
    std::unordered_multimap<std::uint64_t, std::unique_ptr<Page>> by_hash_;
    std::size_t bytes_ = 0;
    std::uint64_t references_ = 0;
    std::uint64_t interns_ = 0;
    std::uint64_t hits_ = 0;
};

} // namespace fota::flash
