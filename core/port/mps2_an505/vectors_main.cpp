// Runs the core's portable test vectors on the emulated Cortex-M33; the exit status is the verdict.
#include "semihosting.hpp"

#include <fota/vectors.hpp>

// Called by reset_handler (startup.cpp); named so because ISO C++ forbids calling main.
extern "C" int run_test_program();

namespace {

void print_line(const char* line) {
    fota::port::semihosting_write(line);
    fota::port::semihosting_write("\n");
}

} // namespace

extern "C" int run_test_program() {
    const fota::vectors::Report report = fota::vectors::run_all(print_line);
    // A run that executed nothing proves nothing.
    if (report.passed + report.failed == 0) {
        print_line("FAIL no portable test vector ran");
        return 1;
    }
    char summary[64] = "vectors: ";
    char* out = summary + 9;
    const auto append_number = [&out](int value) {
        char digits[12];
        int count = 0;
        do {
            digits[count++] = static_cast<char>('0' + value % 10);
            value /= 10;
        } while (value > 0);
        while (count > 0) {
            *out++ = digits[--count];
        }
    };
    append_number(report.passed);
    for (const char* text = " passed, "; *text != '\0'; ++text) {
        *out++ = *text;
    }
    append_number(report.failed);
    for (const char* text = " failed"; *text != '\0'; ++text) {
        *out++ = *text;
    }
    *out = '\0';
    print_line(summary);
    return report.failed == 0 ? 0 : 1;
}
