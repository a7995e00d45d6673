// Fuzzes the control plane's REST layer: "METHOD target\n body" -> router -> the real services on
// an in-memory store -> the HTTP answer (identity calls included; without a CA,
// CreateKeysAndCertificate is refused). Bad input must give an AWS error, never a crash.
#include "fota/cloud/control_plane.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static std::unique_ptr<fota::cloud::CloudCore> core;
    static int runs = 0;
    if (!core || ++runs % 2000 == 0) {
        core = std::make_unique<fota::cloud::CloudCore>(fota::cloud::CloudConfig{});
    }
    const std::string input(reinterpret_cast<const char*>(data), size);
    const auto space = input.find(' ');
    const auto newline = input.find('\n');
    if (space == std::string::npos || newline == std::string::npos || newline < space) {
        return 0;
    }
    const std::string method = input.substr(0, space);
    const std::string target = input.substr(space + 1, newline - space - 1);
    const std::string body = input.substr(newline + 1);
    // The body doubles as the x-amzn-principal header (Attach/DetachThingPrincipal).
    for (const char* service : {"", "iot", "iotdata"}) {
        auto route = fota::cloud::route_control_request(method, target, body, service, body);
        if (route.error) {
            (void)fota::cloud::control_response(*route.error);
            continue;
        }
        const auto result = route.call(*core, 1700000000);
        (void)fota::cloud::control_response(result);
    }
    return 0;
}
