#include "fota/flash/fault_plan.hpp"

#include "fota/flash/text.hpp"

#include <charconv>
#include <cmath>

namespace fota::flash {

namespace {

const char* operation_name(FlashOperation operation) {
    return operation == FlashOperation::write ? "fail-write" : "fail-erase";
}

std::string format_rate(double rate) {
    char buffer[64];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, rate);
    if (ec != std::errc()) {
        return "0";
    }
    return std::string(buffer, end);
}

Error item_error(std::string_view item, const std::string& why) {
    return fail("fault plan item '" + std::string(item) + "': " + why +
                " (valid: cut@N:before, cut@N:torn:seed=S, fail-write@N, fail-erase@N, "
                "fail-write@A+L, fail-erase@A+L, flips=R:seed=S, wear-limit=C, none)");
}

Result<std::uint64_t> parse_seed(std::string_view item, std::string_view text) {
    if (text.substr(0, 5) != "seed=") {
        return item_error(item, "expected seed=S");
    }
    auto seed = parse_u64(text.substr(5));
    if (!seed) {
        return item_error(item, seed.error().message);
    }
    return seed.value();
}

Status parse_cut(std::string_view item, FaultPlan& plan) {
    if (plan.power_cut) {
        return item_error(item, "a plan has at most one power cut");
    }
    const auto parts = split(item.substr(4), ':');
    auto index = parse_u64(parts[0]);
    if (!index || index.value() == 0) {
        return item_error(item, "the operation index must be a number >= 1");
    }
    PowerCut cut;
    cut.at_operation = index.value();
    if (parts.size() == 1 || (parts.size() == 2 && parts[1] == "before")) {
        cut.mode = CutMode::before;
    } else if (parts.size() == 3 && parts[1] == "torn") {
        auto seed = parse_seed(item, parts[2]);
        if (!seed) {
            return seed.error();
        }
        cut.mode = CutMode::torn;
        cut.seed = seed.value();
    } else {
        return item_error(item, "expected ':before' or ':torn:seed=S' after the index");
    }
    plan.power_cut = cut;
    return success();
}

Status parse_failure(std::string_view item, FlashOperation operation, FaultPlan& plan) {
    const std::string_view where = item.substr(item.find('@') + 1);
    OperationFailure failure;
    failure.operation = operation;
    const std::size_t plus = where.find('+');
    if (plus == std::string_view::npos) {
        auto index = parse_u64(where);
        if (!index || index.value() == 0) {
            return item_error(item, "the operation index must be a number >= 1");
        }
        failure.at_operation = index.value();
    } else {
        auto start = parse_size(where.substr(0, plus));
        auto length = parse_size(where.substr(plus + 1));
        if (!start || !length || length.value() == 0) {
            return item_error(item, "a region is START+LENGTH with LENGTH > 0");
        }
        failure.region_start = start.value();
        failure.region_length = length.value();
    }
    plan.failures.push_back(failure);
    return success();
}

Status parse_flips(std::string_view item, FaultPlan& plan) {
    if (plan.read_flips) {
        return item_error(item, "a plan has at most one flips item");
    }
    const auto parts = split(item.substr(6), ':');
    if (parts.size() != 2) {
        return item_error(item, "expected flips=RATE:seed=S");
    }
    double rate = -1.0;
    auto [end, ec] = std::from_chars(parts[0].data(), parts[0].data() + parts[0].size(), rate);
    if (ec != std::errc() || end != parts[0].data() + parts[0].size() || !std::isfinite(rate) ||
        rate < 0.0 || rate > 1.0) {
        return item_error(item, "the rate must be a number between 0 and 1");
    }
    auto seed = parse_seed(item, parts[1]);
    if (!seed) {
        return seed.error();
    }
    plan.read_flips = ReadBitFlips{rate, seed.value()};
    return success();
}

} // namespace

std::string FaultPlan::to_string() const {
    std::string line;
    auto add = [&line](const std::string& item) {
        if (!line.empty()) {
            line += ';';
        }
        line += item;
    };
    if (power_cut) {
        if (power_cut->mode == CutMode::before) {
            add("cut@" + std::to_string(power_cut->at_operation) + ":before");
        } else {
            add("cut@" + std::to_string(power_cut->at_operation) +
                ":torn:seed=" + std::to_string(power_cut->seed));
        }
    }
    for (const auto& failure : failures) {
        if (failure.region_length != 0) {
            add(std::string(operation_name(failure.operation)) + "@" + hex(failure.region_start) +
                "+" + hex(failure.region_length));
        } else {
            add(std::string(operation_name(failure.operation)) + "@" +
                std::to_string(failure.at_operation));
        }
    }
    if (read_flips) {
        add("flips=" + format_rate(read_flips->rate) + ":seed=" + std::to_string(read_flips->seed));
    }
    if (erase_cycle_limit) {
        add("wear-limit=" + std::to_string(*erase_cycle_limit));
    }
    return line.empty() ? "none" : line;
}

Result<FaultPlan> FaultPlan::parse(std::string_view line) {
    FaultPlan plan;
    if (line == "none") {
        return plan;
    }
    if (line.empty()) {
        return fail("empty fault plan: write 'none' for no faults");
    }
    for (std::string_view item : split(line, ';')) {
        Status parsed = success();
        if (item.substr(0, 4) == "cut@") {
            parsed = parse_cut(item, plan);
        } else if (item.substr(0, 11) == "fail-write@") {
            parsed = parse_failure(item, FlashOperation::write, plan);
        } else if (item.substr(0, 11) == "fail-erase@") {
            parsed = parse_failure(item, FlashOperation::erase, plan);
        } else if (item.substr(0, 6) == "flips=") {
            parsed = parse_flips(item, plan);
        } else if (item.substr(0, 11) == "wear-limit=") {
            if (plan.erase_cycle_limit) {
                return item_error(item, "a plan has at most one wear-limit");
            }
            auto limit = parse_u64(item.substr(11));
            if (!limit || limit.value() > UINT32_MAX) {
                return item_error(item, "the limit must be a number of erase cycles");
            }
            plan.erase_cycle_limit = static_cast<std::uint32_t>(limit.value());
        } else {
            parsed = item_error(item, "unknown item");
        }
        if (!parsed) {
            return parsed.error();
        }
    }
    return plan;
}

FaultPlan FaultPlan::cut_before(std::uint64_t operation) {
    FaultPlan plan;
    plan.power_cut = PowerCut{operation, CutMode::before, 0};
    return plan;
}

FaultPlan FaultPlan::cut_torn(std::uint64_t operation, std::uint64_t seed) {
    FaultPlan plan;
    plan.power_cut = PowerCut{operation, CutMode::torn, seed};
    return plan;
}

} // namespace fota::flash
