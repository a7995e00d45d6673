// SHA-256 (FIPS 180-4), incremental, no heap. Used to verify the downloaded image against the
// job document's "sha256" by reading the slot back through the Flash port.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace fota {

class Sha256 {
public:
    using Digest = std::array<std::uint8_t, 32>;

    Sha256() { reset(); }
    void reset();
    void update(std::span<const std::uint8_t> data);
    /// The digest of everything fed since reset(); the object must be reset() before reuse.
    Digest finish();

private:
    void compress(const std::uint8_t* block);

    std::array<std::uint32_t, 8> state_{};
    std::array<std::uint8_t, 64> block_{};
    std::size_t block_length_ = 0;
    std::uint64_t total_length_ = 0;
};

} // namespace fota
