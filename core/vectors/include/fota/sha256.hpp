// SHA-256 (FIPS 180-4), incremental, no heap: the software hash behind the fake device's
// Flash::sha256 (the vectors on the host and on QEMU) and the tests' job documents. Not part of
// the core: on the nRF9160 the Flash port hashes with the CC310 (issue 17).
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
