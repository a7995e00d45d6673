#pragma once
// Parsing of Device Shadow topics: $aws/things/T/shadow[/name/N]/{get,update,delete}[/...].

#include <optional>
#include <string_view>

namespace fota::cloud {

enum class ShadowOperation {
    get,
    update,
    del,
    reply, ///< .../accepted, .../rejected, update/delta, update/documents (AWS publishes these)
    other, ///< under .../shadow but not an operation
};

struct ShadowTopic {
    std::string_view thing_name;  ///< not validated
    std::string_view shadow_name; ///< empty for the classic shadow; not validated
    ShadowOperation operation = ShadowOperation::other;
};

/// Returns nullopt if `topic` is not under "$aws/things/<T>/shadow".
[[nodiscard]] std::optional<ShadowTopic> parse_shadow_topic(std::string_view topic);

} // namespace fota::cloud
