// The core's portable test vectors: the agent driven by scripted inputs with expected outputs.
// No Catch2, no heap, no host headers: the same vectors run on the host (CTest) and on the
// emulated Cortex-M33 (QEMU mps2-an505).
#pragma once

namespace fota::vectors {

struct Report {
    int passed;
    int failed;
};

/// Runs every portable vector; print_line is called with one NUL-terminated line per
/// vector ("PASS name" / "FAIL name: reason"). Never allocates.
Report run_all(void (*print_line)(const char* line));

} // namespace fota::vectors
