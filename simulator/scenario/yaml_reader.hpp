// Typed reading of YAML nodes with errors that say where (line:column), what was expected and
// what would be valid. Scalars are resolved as YAML 1.1 does (the rules PyYAML, and therefore the
// JSON Schema check in tests, applies): `yes`, `2.0` and `~` are not strings unless quoted.
#pragma once

#include "scenario/scenario.hpp"
#include "scenario/scenario_parser.hpp"

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fota::sim::detail {

/// What a scalar resolves to.
enum class ScalarType { null, boolean, integer, floating, string, unsupported_tag };

/// Resolves a node's scalar type (a non-scalar node gives null).
ScalarType classify(const YAML::Node& node);

/// A short description of a node for "got ..." in messages: "the string 'abc'", "a list", ...
std::string describe_node(const YAML::Node& node);

/// The closest of candidates to word (edit distance at most 2), or empty.
std::string closest(std::string_view word, const std::vector<std::string_view>& candidates);

/// "a, b, c".
std::string join(const std::vector<std::string_view>& items, std::string_view separator = ", ");

SourceMark mark_of(const YAML::Node& node);

/// Collects errors and reads typed values. `what` arguments name the value for messages, e.g.
/// "'timeout' in step 'wait_for'".
class YamlReader {
public:
    YamlReader(std::string file, std::vector<Diagnostic>& errors)
        : file_(std::move(file)), errors_(errors) {}

    void error(const YAML::Node& at, std::string message);
    void error(SourceMark at, std::string message);

    /// Counts one more node visit; false (with one error) once the visit budget is spent, which
    /// bounds the work on inputs whose aliases repeat large subtrees.
    bool visit(const YAML::Node& node);
    bool exhausted() const { return exhausted_; }

    /// Checks that node is a map whose keys are unique strings among keys, and that every key in
    /// required is present. A null node counts as an empty map. Returns false (after reporting)
    /// when node is not a map; unknown or missing keys are reported but return true.
    bool expect_map(const YAML::Node& node, const std::string& what,
                    const std::vector<std::string_view>& keys,
                    const std::vector<std::string_view>& required = {});

    /// A map with exactly one key, naming a kind among kinds (steps, conditions, expectations).
    /// Returns the kind and its value, or nullopt after reporting.
    std::optional<std::pair<std::string, YAML::Node>>
    single_key(const YAML::Node& node, const std::string& what,
               const std::vector<std::string_view>& kinds);

    std::optional<std::string> string(const YAML::Node& node, const std::string& what);
    std::optional<bool> boolean(const YAML::Node& node, const std::string& what);
    std::optional<std::uint64_t> integer(const YAML::Node& node, const std::string& what,
                                         std::uint64_t min, std::uint64_t max);
    std::optional<double> number(const YAML::Node& node, const std::string& what, double min,
                                 double max);
    std::optional<std::chrono::milliseconds> duration(const YAML::Node& node,
                                                      const std::string& what,
                                                      std::chrono::milliseconds min,
                                                      std::chrono::milliseconds max);
    std::optional<std::uint64_t> size(const YAML::Node& node, const std::string& what,
                                      std::uint64_t min, std::uint64_t max);
    /// One of choices (exact spelling).
    std::optional<std::string> choice(const YAML::Node& node, const std::string& what,
                                      const std::vector<std::string_view>& choices);
    /// Converts a YAML subtree to JSON (maps with string keys, lists, scalars resolved as above).
    std::optional<nlohmann::json> json(const YAML::Node& node, const std::string& what,
                                       int depth = 0);

    const std::string& file() const { return file_; }

private:
    std::string file_;
    std::vector<Diagnostic>& errors_;
    std::size_t visits_ = 0;
    std::size_t json_values_ = 0; // in the free-form JSON being converted
    bool exhausted_ = false;
};

/// Maximum node visits per file: far above any real scenario (a 1 MiB file has fewer nodes).
inline constexpr std::size_t kMaxNodeVisits = 50'000;
/// Maximum nesting of free-form JSON (job documents) and of conditions.
inline constexpr int kMaxJsonDepth = 32;
/// Maximum values in one free-form JSON value (a job document is at most 32768 characters).
inline constexpr std::size_t kMaxJsonValues = 10'000;
inline constexpr std::size_t kMaxErrors = 50;

} // namespace fota::sim::detail
