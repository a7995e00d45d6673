// Fault plans: what goes wrong with the flash, as data. Every plan prints as one line that
// parses back to the same plan, so a failing run can be replayed from its log.
//
// Line grammar (items separated by ';', "none" for the empty plan):
//   cut@N:before            power is cut just before flash operation N (1-based, counted from when
//                           the plan was armed; operations are writes and page erases)
//   cut@N:torn:seed=S       power is cut in the middle of operation N: a write leaves a prefix of
//                           its write units done and the unit in flight with some of its bits
//                           programmed; an erase leaves the page neither erased nor intact; the
//                           choices come from SplitMix64(S)
//   fail-write@N            write operation N fails (returns write_failed, flash unchanged)
//   fail-erase@N            erase operation N fails (returns erase_failed, page unchanged)
//   fail-write@A+L          every write touching [A, A+L) fails (a bad region); same for fail-erase
//   flips=R:seed=S          every bit read flips with probability R (0 <= R <= 1)
//   wear-limit=C            a page that was erased C times fails every later erase (worn_out)
#pragma once

#include "fota/flash/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fota::flash {

enum class CutMode : std::uint8_t { before, torn };

struct PowerCut {
    std::uint64_t at_operation = 1; ///< 1-based index of the operation the cut hits
    CutMode mode = CutMode::before;
    std::uint64_t seed = 0; ///< only used by CutMode::torn
    bool operator==(const PowerCut&) const = default;
};

enum class FlashOperation : std::uint8_t { write, erase };

/// One failing operation, either by index (at_operation != 0) or by region (length != 0).
struct OperationFailure {
    FlashOperation operation = FlashOperation::write;
    std::uint64_t at_operation = 0;
    std::uint32_t region_start = 0;
    std::uint32_t region_length = 0;
    bool operator==(const OperationFailure&) const = default;
};

struct ReadBitFlips {
    double rate = 0.0; ///< probability that one bit read is flipped
    std::uint64_t seed = 0;
    bool operator==(const ReadBitFlips&) const = default;
};

struct FaultPlan {
    std::optional<PowerCut> power_cut;
    std::vector<OperationFailure> failures;
    std::optional<ReadBitFlips> read_flips;
    std::optional<std::uint32_t> erase_cycle_limit;

    bool empty() const {
        return !power_cut && failures.empty() && !read_flips && !erase_cycle_limit;
    }
    bool operator==(const FaultPlan&) const = default;

    /// The one-line form; parse(to_string()) returns an equal plan.
    std::string to_string() const;

    /// Parses the one-line form. Errors name the item and say what would be valid; never throws.
    static Result<FaultPlan> parse(std::string_view line);

    /// Shorthands used by sweeps.
    static FaultPlan cut_before(std::uint64_t operation);
    static FaultPlan cut_torn(std::uint64_t operation, std::uint64_t seed);
};

} // namespace fota::flash
