// The bounded JSON reader: any input parses or fails cleanly; every member found decodes within
// bounds, and a decoded string re-encoded by the writer parses back to the same text.
#include "fota/json_reader.hpp"
#include "fota/json_writer.hpp"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace fota;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    JsonValue root;
    if (json_parse(text, root) != JsonStatus::Ok) {
        return 0;
    }
    // A valid document's raw text is a sub-view of the input and parses again on its own.
    JsonValue again;
    if (json_parse(root.raw(), again) != JsonStatus::Ok || again.type != root.type) {
        std::abort();
    }
    for (const char* key : {"a", "execution", "jobId", "", "\xc3\xa9"}) {
        JsonValue member;
        if (json_find(root, key, member) != JsonStatus::Ok) {
            continue;
        }
        std::array<char, 64> small{};
        std::array<char, 4096> large{};
        std::size_t length = 0;
        const JsonStatus status = json_get_string(member, large, length);
        if (status == JsonStatus::Ok) {
            if (length >= large.size() || large[length] != '\0') {
                std::abort();
            }
            // Round trip through the writer.
            std::array<char, 4096 * 6 + 8> encoded{};
            TextBuilder out(encoded);
            JsonWriter(out).string(std::string_view(large.data(), length));
            if (out.ok()) {
                JsonValue reparsed;
                std::array<char, 4096> back{};
                std::size_t back_length = 0;
                if (json_parse(out.view(), reparsed) != JsonStatus::Ok ||
                    json_get_string(reparsed, back, back_length) != JsonStatus::Ok ||
                    std::string_view(back.data(), back_length) !=
                        std::string_view(large.data(), length)) {
                    std::abort();
                }
            }
            if (json_get_string(member, small, length) == JsonStatus::Ok && length >= 64) {
                std::abort();
            }
        }
        std::uint64_t number = 0;
        (void)json_get_uint(member, UINT32_MAX, number);
        if (json_get_uint(member, 1000, number) == JsonStatus::Ok && number > 1000) {
            std::abort();
        }
        bool flag = false;
        (void)json_get_bool(member, flag);
        (void)json_string_equals(member, "app_fw_update");
    }
    return 0;
}
