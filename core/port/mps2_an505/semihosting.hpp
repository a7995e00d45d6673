// Arm semihosting calls for the QEMU test runner: print a line on the host and exit with a verdict.
#pragma once

namespace fota::port {

/// Writes a NUL-terminated string to the host's stdout (SYS_WRITE0).
void semihosting_write(const char* text);

/// Ends the emulation: exit status 0 when passed, 1 otherwise (SYS_EXIT). Never returns.
[[noreturn]] void semihosting_exit(bool passed);

} // namespace fota::port
