// Reset and fault handling for the Cortex-M33 of QEMU mps2-an505: sets up RAM, runs static
// constructors, calls run_test_program, and turns its result (or any fault) into the emulator's
// exit status.
#include "semihosting.hpp"

#include <cstdint>
#include <cstring>

extern "C" {
extern std::uint32_t __data_load[], __data_start[], __data_end[];
extern std::uint32_t __bss_start[], __bss_end[];
extern void (*__init_array_start[])();
extern void (*__init_array_end[])();

int run_test_program();
[[noreturn]] void reset_handler();
[[noreturn]] void fault_handler();

// Called by the C library on abort() or exit(), and by the compiler for a pure virtual call.
[[noreturn]] void _exit(int status) {
    fota::port::semihosting_exit(status == 0);
}
[[noreturn]] void __cxa_pure_virtual() {
    fota::port::semihosting_write("FAIL pure virtual function called\n");
    fota::port::semihosting_exit(false);
}
}

void reset_handler() {
    const auto data_bytes = static_cast<std::size_t>(reinterpret_cast<char*>(__data_end) -
                                                     reinterpret_cast<char*>(__data_start));
    std::memcpy(__data_start, __data_load, data_bytes);
    const auto bss_bytes = static_cast<std::size_t>(reinterpret_cast<char*>(__bss_end) -
                                                    reinterpret_cast<char*>(__bss_start));
    std::memset(__bss_start, 0, bss_bytes);
    for (auto constructor = __init_array_start; constructor != __init_array_end; ++constructor) {
        (*constructor)();
    }
    fota::port::semihosting_exit(run_test_program() == 0);
}

void fault_handler() {
    fota::port::semihosting_write("FAIL hard fault (or other exception) on the Cortex-M33\n");
    fota::port::semihosting_exit(false);
}
