#include "fota/flash/partitions.hpp"

#include "fota/flash/text.hpp"

namespace fota::flash {

Result<PartitionTable> PartitionTable::parse(std::string_view layout, const Geometry& geometry) {
    PartitionTable table;
    if (layout.empty()) {
        return fail("empty partition layout: expected e.g. '" + std::string(kNrf9160Layout) + "'");
    }
    std::uint64_t next_offset = 0;
    for (std::string_view entry : split(layout, ',')) {
        const std::string where = "partition entry '" + std::string(entry) + "'";
        const std::size_t equals = entry.find('=');
        if (equals == std::string_view::npos) {
            return fail(where + " is not name=SIZE or name@OFFSET=SIZE");
        }
        std::string_view name = entry.substr(0, equals);
        std::uint64_t offset = next_offset;
        if (const std::size_t at = name.find('@'); at != std::string_view::npos) {
            auto parsed = parse_size(name.substr(at + 1));
            if (!parsed) {
                return fail(where + ": " + parsed.error().message);
            }
            offset = parsed.value();
            name = name.substr(0, at);
        }
        if (name.empty() || name.size() > 64) {
            return fail(where + ": the name must have 1 to 64 characters");
        }
        for (char c : name) {
            const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '_' || c == '-';
            if (!ok) {
                return fail(where + ": names use letters, digits, '_' and '-' only");
            }
        }
        auto size = parse_size(entry.substr(equals + 1));
        if (!size) {
            return fail(where + ": " + size.error().message);
        }
        if (size.value() == 0) {
            return fail(where + ": the size must not be 0");
        }
        if (offset % geometry.page_size != 0 || size.value() % geometry.page_size != 0) {
            return fail(where + ": offset " + hex(offset) + " and size " + hex(size.value()) +
                        " must be multiples of the page size " + hex(geometry.page_size));
        }
        if (offset + size.value() > geometry.size) {
            return fail(where + ": ends at " + hex(offset + size.value()) +
                        ", past the end of the flash (" + hex(geometry.size) + ")");
        }
        for (const auto& other : table.partitions_) {
            if (other.name == name) {
                return fail(where + ": the name '" + std::string(name) + "' is used twice");
            }
            if (offset < other.end() && other.offset < offset + size.value()) {
                return fail(where + ": overlaps '" + other.name + "' (" + hex(other.offset) + ".." +
                            hex(other.end()) + ")");
            }
        }
        table.partitions_.push_back(
            Partition{std::string(name), static_cast<std::uint32_t>(offset), size.value()});
        next_offset = offset + size.value();
    }
    return table;
}

const Partition* PartitionTable::find(std::string_view name) const {
    for (const auto& partition : partitions_) {
        if (partition.name == name) {
            return &partition;
        }
    }
    return nullptr;
}

std::string PartitionTable::to_string() const {
    std::string text;
    for (const auto& partition : partitions_) {
        if (!text.empty()) {
            text += ',';
        }
        text += partition.name + "@" + hex(partition.offset) + "=" + format_size(partition.size);
    }
    return text;
}

} // namespace fota::flash
