// Step log_note: a line in the run's log (a throwaway kind: issue 11's demonstration).
#include "scenario/parse_context.hpp"

namespace fota::sim::steps {

std::optional<LogNoteStep> parse_log_note(ParseContext& context, const YAML::Node& body,
                                          const std::string& here) {
    auto& r = context.reader();
    if (!r.expect_map(body, here, {"text"}, {"text"})) {
        return std::nullopt;
    }
    auto text = r.string(body["text"], "'text' in " + here);
    if (!text) {
        return std::nullopt;
    }
    return LogNoteStep{*text};
}

} // namespace fota::sim::steps
