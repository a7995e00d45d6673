#include "semihosting.hpp"

#include <cstdint>

namespace fota::port {
namespace {

constexpr std::uint32_t sys_write0 = 0x04;
constexpr std::uint32_t sys_exit = 0x18;
// Reasons for SYS_EXIT on AArch32: QEMU exits 0 for ApplicationExit and 1 for anything else.
constexpr std::uint32_t adp_stopped_application_exit = 0x20026;
constexpr std::uint32_t adp_stopped_run_time_error = 0x20023;

std::uint32_t semihosting_call(std::uint32_t operation, const void* argument) {
    register std::uint32_t r0 asm("r0") = operation;
    register const void* r1 asm("r1") = argument;
    asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

} // namespace

void semihosting_write(const char* text) {
    semihosting_call(sys_write0, text);
}

void semihosting_exit(bool passed) {
    const std::uint32_t reason = passed ? adp_stopped_application_exit : adp_stopped_run_time_error;
    semihosting_call(sys_exit, reinterpret_cast<const void*>(static_cast<std::uintptr_t>(reason)));
    for (;;) {
    }
}

} // namespace fota::port
