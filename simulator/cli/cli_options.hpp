// What several subcommands share: durations as scenario files write them and FIRST..LAST ranges
// read from their flags, and Ctrl-C that stops a long run but still writes its report.
#pragma once

#include "fota/sim/asio_device_host.hpp"
#include "scenario/units.hpp"

#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <string>

namespace fota::sim {

/// An option callback that reads a duration ("500ms", "2m") into out, or fails the flag.
inline std::function<void(const std::string&)>
duration_flag(const std::string& flag, std::optional<std::chrono::milliseconds>& out) {
    return [flag, &out](const std::string& value) {
        out = parse_duration(value);
        if (!out) {
            throw CLI::ValidationError(flag,
                                       "'" + value + "' must be " + std::string(kDurationForms));
        }
    };
}

/// --mqtt-client paho|asio: the devices' MQTT client on a real-time stack, into out (whose value
/// is the default shown).
inline CLI::Option* add_mqtt_client_option(CLI::App* command, MqttImplementation& out) {
    return command
        ->add_option_function<std::string>(
            "--mqtt-client",
            [&out](const std::string& value) {
                out = mqtt_implementation_from(value).value_or(MqttImplementation::paho);
            },
            "The devices' MQTT client: paho (Paho MQTT C++, with its own threads) or asio "
            "(fota-sim's MQTT 3.1.1 session on the devices' own threads, the lighter one for many "
            "devices); the sim stack has its own")
        ->check(CLI::IsMember({"paho", "asio"}))
        ->default_str(std::string(to_string(out)));
}

/// "A..B" with lowest <= A <= B, each at most 19 digits; false otherwise.
inline bool parse_range(const std::string& text, std::uint64_t lowest, std::uint64_t& first,
                        std::uint64_t& last) {
    const auto dots = text.find("..");
    const auto number = [](const std::string& part, std::uint64_t& out) {
        if (part.empty() || part.size() > 19 ||
            part.find_first_not_of("0123456789") != std::string::npos) {
            return false;
        }
        out = std::stoull(part);
        return true;
    };
    return dots != std::string::npos && number(text.substr(0, dots), first) &&
           number(text.substr(dots + 2), last) && first >= lowest && first <= last;
}

/// Writes a report file with `write`; false, and "<command>: cannot write the <what> to <path>"
/// on stderr, when it cannot.
inline bool write_output_file(const std::string& command, const std::string& path,
                              const std::string& what,
                              const std::function<void(std::ostream&)>& write) {
    std::ofstream out(path, std::ios::binary);
    if (out) {
        write(out);
        out.close();
    }
    if (!out) {
        std::cerr << command << ": cannot write the " << what << " to " << path << "\n";
        return false;
    }
    return true;
}

/// While one lives, Ctrl-C and SIGTERM set flag() instead of ending the process (the run in hand
/// ends in error "interrupted" and the report is still written); the handlers from before come
/// back when it ends.
class InterruptScope {
public:
    InterruptScope() {
        flag() = false;
        struct sigaction action {};
        action.sa_handler = &on_signal;
        sigemptyset(&action.sa_mask);
        sigaction(SIGINT, &action, &old_int_);
        sigaction(SIGTERM, &action, &old_term_);
    }
    ~InterruptScope() {
        sigaction(SIGINT, &old_int_, nullptr);
        sigaction(SIGTERM, &old_term_, nullptr);
    }
    InterruptScope(const InterruptScope&) = delete;
    InterruptScope& operator=(const InterruptScope&) = delete;

    static std::atomic<bool>& flag() {
        static std::atomic<bool> interrupted{false};
        return interrupted;
    }

private:
    static void on_signal(int /*signal*/) { flag() = true; }

    struct sigaction old_int_ {};
    struct sigaction old_term_ {};
};

} // namespace fota::sim
