// Result<T>: a value or an error message a user can act on. Host code, so std::string is fine.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace fota::flash {

/// Outcome of one flash operation. Everything except `ok` leaves the flash as the doc of the
/// operation says (a power cut may leave a torn write or an interrupted erase behind).
enum class FlashStatus : std::uint8_t {
    ok,
    out_of_range,   ///< address or length outside the flash or the partition
    misaligned,     ///< strict mode: offset or length not a multiple of the write unit / page
    not_erased,     ///< strict mode: a write over bytes that are not erased
    power_lost,     ///< a fault plan cut the power; every operation fails until power_on()
    write_failed,   ///< a fault plan made this write fail; the flash is unchanged
    erase_failed,   ///< a fault plan made this erase fail; the page is unchanged
    worn_out,       ///< the page reached its erase-cycle limit; the page is unchanged
    backing_failed, ///< the backing file could not be written
};

/// Short stable name of a status, e.g. "power_lost".
const char* to_string(FlashStatus status);

/// What went wrong, for a person: what, where, and what would be valid.
struct Error {
    std::string message;
    FlashStatus flash = FlashStatus::ok; ///< set when a flash operation caused the error
};

/// A value of T or an Error. Never throws; value() on an error is a programming error (asserts
/// in debug builds through std::get).
template <class T>
class Result {
public:
    Result(T value) : state_(std::move(value)) {}
    Result(Error error) : state_(std::move(error)) {}

    bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(state_); }
    const T& value() const& { return std::get<0>(state_); }
    T&& value() && { return std::get<0>(std::move(state_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const Error& error() const { return std::get<1>(state_); }

private:
    std::variant<T, Error> state_;
};

/// Result of an operation that yields nothing but success.
struct Done {};
using Status = Result<Done>;

inline Status success() {
    return Done{};
}
inline Error fail(std::string message, FlashStatus flash = FlashStatus::ok) {
    return Error{std::move(message), flash};
}

} // namespace fota::flash
