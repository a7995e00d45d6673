// Delta debugging of a failing scenario (fota/sim/shrink.hpp).
#include "fota/sim/shrink.hpp"

#include "scenario/scenario_parser.hpp"
#include "scenario/units.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace fota::sim {

std::string failure_name(const std::string& result_name) {
    static const std::regex line(R"( \(line [0-9]+\))");
    return std::regex_replace(result_name, line, "");
}

std::set<std::string> failure_values(const std::string& observed) {
    static const std::regex thing(R"(^[^ ;]+( \([^)]*\))?: )");
    std::set<std::string> values;
    std::size_t start = 0;
    while (start <= observed.size()) {
        const auto end = std::min(observed.find("; ", start), observed.size());
        const std::string part = observed.substr(start, end - start);
        if (part.rfind("... (", 0) != 0 && !part.empty()) {
            values.insert(
                std::regex_replace(part, thing, "", std::regex_constants::format_first_only));
        }
        start = end + 2;
    }
    return values;
}

namespace {

std::string emit(const YAML::Node& root) {
    YAML::Emitter out;
    out << root;
    return std::string(out.c_str()) + "\n";
}

std::size_t device_count(const YAML::Node& root) {
    std::size_t n = 0;
    for (const auto& group : root["devices"]) {
        n += group["count"] ? group["count"].as<std::size_t>(1) : 1;
    }
    return n;
}

std::uint64_t image_bytes(const YAML::Node& root) {
    std::uint64_t n = 0;
    for (const auto& entry : root["firmware"]) {
        if (entry.second["size"]) {
            n += parse_size(entry.second["size"].as<std::string>("0")).value_or(0);
        }
    }
    return n;
}

std::size_t length(const YAML::Node& node) {
    return node && node.IsSequence() ? node.size() : 0;
}

/// The shrinking itself: a candidate is a whole scenario; `fails` runs it.
class Shrinker {
public:
    Shrinker(std::string path, const ShrinkOptions& options, const ShrinkProgress& progress)
        : path_(std::move(path)), options_(options), progress_(progress) {
        runner_ = options.runner;
        runner_.stack.reset();
        runner_.seed.reset();
        runner_.flash_cut.reset();
        runner_.update_invariants = false;
    }

    /// Makes the file self-contained and finds what its run fails on; false with error set when
    /// it does not fail.
    bool start(YAML::Node root, ShrinkResult& result) {
        const ParseResult parsed = parse_scenario_file(path_);
        if (!parsed.ok()) {
            result.error = parsed.errors.front().to_string();
            return false;
        }
        const Scenario& original = *parsed.scenario;
        root["stack"] = "sim";
        root["seed"] = options_.runner.seed.value_or(original.seed);
        if (options_.cut) {
            const FlashCut& cut = *options_.cut;
            YAML::Node fault;
            fault["kind"] = "power_cut";
            fault["devices"] = cut_device(original, cut.thing);
            fault["at_op"] = cut.operation - 1;
            fault["torn"] = cut.torn;
            fault["off_for"] = format_duration(cut.off_for);
            YAML::Node step;
            step["flash_fault"] = fault;
            YAML::Node steps(YAML::NodeType::Sequence);
            steps.push_back(step);
            for (const auto& s : root["steps"]) {
                steps.push_back(s);
            }
            root["steps"] = steps;
        }
        if (options_.cut || options_.invariants) {
            root["invariants"] = true;
        }
        const std::optional<ScenarioReport> report = run(root);
        if (!report) {
            result.error = "the scenario made self-contained (stack sim, its seed, the cut as its "
                           "first step) does not parse: " +
                           last_parse_error_;
            return false;
        }
        if (report->outcome != Outcome::failed) {
            result.error = std::string("the run does not fail (") + to_string(report->outcome) +
                           (report->error.empty() ? "" : ": " + report->error) +
                           "): nothing to shrink";
            return false;
        }
        for (const ExpectationResult& r : report->expectations) {
            const bool invariant = r.name.rfind("invariant: ", 0) == 0;
            if (!r.passed && r.evaluated &&
                (target_.empty() || (invariant && !target_invariant_))) {
                target_ = failure_name(r.name);
                target_values_ = failure_values(r.observed);
                target_invariant_ = invariant;
            }
        }
        root_ = root;
        return !target_.empty();
    }

    const std::string& target() const { return target_; }
    YAML::Node& root() { return root_; }
    std::size_t runs() const { return runs_; }

    /// Runs every pass until none removes anything (or the run budget is spent).
    void shrink() {
        bool changed = true;
        while (changed && !spent()) {
            changed = false;
            changed = shrink_sequence("steps") || changed;
            changed = shrink_sequence("expect") || changed;
            changed = shrink_sequence("devices") || changed;
            changed = shrink_counts() || changed;
            changed = shrink_firmware() || changed;
            changed = shrink_sizes() || changed;
        }
    }

private:
    bool spent() const {
        return runs_ >= options_.max_runs ||
               (options_.runner.interrupted != nullptr && options_.runner.interrupted->load());
    }

    std::optional<ScenarioReport> run(const YAML::Node& candidate) {
        const std::string text = emit(candidate);
        const ParseResult parsed =
            parse_scenario(text, path_, std::filesystem::path(path_).parent_path().string());
        if (!parsed.ok()) {
            last_parse_error_ = parsed.errors.front().to_string();
            return std::nullopt;
        }
        ++runs_;
        return run_scenario(*parsed.scenario, runner_);
    }

    /// Whether candidate still fails on the target.
    bool fails(const YAML::Node& candidate) {
        if (spent()) {
            return false;
        }
        const std::optional<ScenarioReport> report = run(candidate);
        if (!report || report->outcome != Outcome::failed) {
            return false;
        }
        return std::any_of(report->expectations.begin(), report->expectations.end(),
                           [this](const ExpectationResult& r) {
                               return !r.passed && r.evaluated && failure_name(r.name) == target_ &&
                                      failure_values(r.observed) == target_values_;
                           });
    }

    /// root_ with key's sequence replaced by items.
    YAML::Node with_items(const std::string& key, const std::vector<YAML::Node>& items) const {
        YAML::Node candidate = YAML::Clone(root_);
        YAML::Node sequence(YAML::NodeType::Sequence);
        for (const auto& item : items) {
            sequence.push_back(YAML::Clone(item));
        }
        candidate[key] = sequence;
        return candidate;
    }

    // ddmin over the items of a sequence: remove chunks, then single items, while it fails.
    bool shrink_sequence(const std::string& key) {
        std::vector<YAML::Node> items;
        for (const auto& item : root_[key]) {
            items.push_back(item);
        }
        const std::size_t before = items.size();
        std::size_t chunks = 2;
        while (items.size() >= 1 && !spent()) {
            const std::size_t size = (items.size() + chunks - 1) / chunks;
            bool removed = false;
            for (std::size_t start = 0; start < items.size(); start += size) {
                std::vector<YAML::Node> rest(items.begin(), items.begin() + start);
                rest.insert(rest.end(), items.begin() + std::min(items.size(), start + size),
                            items.end());
                const YAML::Node candidate = with_items(key, rest);
                if (fails(candidate)) {
                    items = rest;
                    root_ = candidate;
                    chunks = std::max<std::size_t>(chunks - 1, 2);
                    removed = true;
                    break;
                }
            }
            if (!removed) {
                if (chunks >= items.size()) {
                    break;
                }
                chunks = std::min(items.size(), chunks * 2);
            }
        }
        report(key, before, items.size());
        return items.size() < before;
    }

    // Every scalar of node equal to one of the group's thing names (prefix + index < count):
    // calls visit(scalar node, index).
    static void visit_things(YAML::Node node, const std::string& prefix, std::size_t count,
                             const std::function<void(YAML::Node, std::size_t)>& visit) {
        if (node.IsScalar()) {
            const std::string text = node.Scalar();
            if (text.size() > prefix.size() && text.compare(0, prefix.size(), prefix) == 0 &&
                text.size() - prefix.size() <= 6 &&
                text.find_first_not_of("0123456789", prefix.size()) == std::string::npos) {
                const std::size_t index = std::stoul(text.substr(prefix.size()));
                if (index < count) {
                    visit(node, index);
                }
            }
        } else if (node.IsSequence()) {
            for (auto item : node) {
                visit_things(item, prefix, count, visit);
            }
        } else if (node.IsMap()) {
            for (auto entry : node) {
                visit_things(entry.second, prefix, count, visit);
            }
        }
    }

    // The group's devices named anywhere (steps, expectations) renumbered from 0 and the count
    // cut to them: a failure on fleet-37 of 100 becomes one on fleet-0 of 1.
    bool renumber(std::size_t g, std::size_t& count) {
        YAML::Node candidate = YAML::Clone(root_);
        const std::string prefix = candidate["devices"][g]["thing_prefix"].as<std::string>("");
        std::map<std::size_t, std::size_t> named;
        for (const char* key : {"steps", "expect"}) {
            visit_things(candidate[key], prefix, count,
                         [&named](YAML::Node, std::size_t index) { named.emplace(index, 0); });
        }
        std::size_t next = 0;
        for (auto& [index, renumbered] : named) {
            renumbered = next++;
        }
        const std::size_t wanted = std::max<std::size_t>(named.size(), 1);
        if (wanted >= count) {
            return false;
        }
        for (const char* key : {"steps", "expect"}) {
            visit_things(candidate[key], prefix, count, [&](YAML::Node node, std::size_t index) {
                node = prefix + std::to_string(named.at(index));
            });
        }
        candidate["devices"][g]["count"] = wanted;
        if (!fails(candidate)) {
            return false;
        }
        root_ = candidate;
        count = wanted;
        return true;
    }

    // Each group's count: the devices the file names renumbered from 0, else 1, else halved,
    // while it fails.
    bool shrink_counts() {
        bool changed = false;
        for (std::size_t g = 0; g < length(root_["devices"]) && !spent(); ++g) {
            std::size_t count =
                root_["devices"][g]["count"] ? root_["devices"][g]["count"].as<std::size_t>(1) : 1;
            const std::size_t before = count;
            renumber(g, count);
            while (count > 1 && !spent()) {
                bool smaller = false;
                for (const std::size_t next : {std::size_t{1}, count / 2}) {
                    if (next >= count) {
                        continue;
                    }
                    YAML::Node candidate = YAML::Clone(root_);
                    candidate["devices"][g]["count"] = next;
                    if (fails(candidate)) {
                        root_ = candidate;
                        count = next;
                        smaller = true;
                        break;
                    }
                }
                if (!smaller) {
                    break;
                }
            }
            if (count < before) {
                report("devices of group " + std::to_string(g + 1), before, count);
                changed = true;
            }
        }
        return changed;
    }

    // Firmware entries nothing refers to any more (a candidate that still parses without one).
    bool shrink_firmware() {
        bool changed = false;
        std::vector<std::string> ids;
        for (const auto& entry : root_["firmware"]) {
            ids.push_back(entry.first.as<std::string>());
        }
        for (const std::string& id : ids) {
            YAML::Node candidate = YAML::Clone(root_);
            candidate["firmware"].remove(id);
            if (candidate["firmware"].size() == 0) {
                continue;
            }
            if (fails(candidate)) {
                root_ = candidate;
                progress_line("firmware " + id + " removed");
                changed = true;
            }
        }
        return changed;
    }

    // Each generated image's size, halved (to 4 KiB at least) while it fails.
    bool shrink_sizes() {
        bool changed = false;
        std::vector<std::string> ids;
        for (const auto& entry : root_["firmware"]) {
            ids.push_back(entry.first.as<std::string>());
        }
        for (const std::string& id : ids) {
            if (!root_["firmware"][id]["size"]) {
                continue;
            }
            std::uint64_t size =
                parse_size(root_["firmware"][id]["size"].as<std::string>("0")).value_or(0);
            const std::uint64_t before = size;
            while (size / 2 >= 4096 && !spent()) {
                YAML::Node candidate = YAML::Clone(root_);
                candidate["firmware"][id]["size"] = format_size(size / 2);
                if (!fails(candidate)) {
                    break;
                }
                root_ = candidate;
                size /= 2;
            }
            if (size < before) {
                progress_line("firmware " + id + ": " + format_size(before) + " -> " +
                              format_size(size));
                changed = true;
            }
        }
        return changed;
    }

    void report(const std::string& what, std::size_t before, std::size_t after) {
        if (after < before) {
            progress_line(what + ": " + std::to_string(before) + " -> " + std::to_string(after));
        }
    }
    void progress_line(const std::string& line) {
        if (progress_) {
            progress_(line + " (" + std::to_string(runs_) + " runs)");
        }
    }

    std::string path_;
    const ShrinkOptions& options_;
    const ShrinkProgress& progress_;
    RunnerOptions runner_;
    YAML::Node root_;
    std::string target_;
    std::set<std::string> target_values_; ///< what the failing devices showed, without names
    bool target_invariant_ = false;
    std::size_t runs_ = 0;
    std::string last_parse_error_;
};

} // namespace

ShrinkResult shrink_scenario(const std::string& path, const ShrinkOptions& options,
                             const ShrinkProgress& progress) {
    ShrinkResult result;
    YAML::Node root;
    try {
        root = YAML::LoadFile(path);
    } catch (const YAML::Exception& e) {
        result.error = path + ": " + e.what();
        return result;
    }
    if (!root.IsMap()) {
        result.error = path + ": not a scenario (a YAML map)";
        return result;
    }
    Shrinker shrinker(path, options, progress);
    if (!shrinker.start(root, result)) {
        result.runs = shrinker.runs();
        return result;
    }
    result.reproduced = true;
    result.target = shrinker.target();
    const YAML::Node& start = shrinker.root();
    result.devices_before = device_count(start);
    result.steps_before = length(start["steps"]);
    result.expectations_before = length(start["expect"]);
    result.image_bytes_before = image_bytes(start);
    if (progress) {
        progress("failing on: " + result.target);
    }
    shrinker.shrink();
    const YAML::Node& end = shrinker.root();
    result.devices_after = device_count(end);
    result.steps_after = length(end["steps"]);
    result.expectations_after = length(end["expect"]);
    result.image_bytes_after = image_bytes(end);
    result.runs = shrinker.runs();
    result.yaml = emit(end);
    return result;
}

} // namespace fota::sim
