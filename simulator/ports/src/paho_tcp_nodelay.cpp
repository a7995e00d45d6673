#include "fota/sim/paho_tcp_nodelay.hpp"

#include <MQTTAsync.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <charconv>
#include <cstring>
#include <mutex>
#include <string_view>

namespace fota::sim {

namespace {

// Sockets Paho is about to create (connects started whose socket it has not named yet). Paho
// traces (and formats every line) only while there are some.
std::mutex awaited_mutex;
std::uint64_t awaited = 0;

void set_trace_level(bool on) {
    // MINIMUM is the highest level that still names new sockets; at ERROR Paho formats nothing.
    MQTTAsync_setTraceLevel(on ? MQTTASYNC_TRACE_MINIMUM : MQTTASYNC_TRACE_ERROR);
}

// Runs on Paho's threads under Paho's log lock, for every trace line while a socket is awaited:
// a search in a short string, nothing more, except for the one line per new socket.
void on_paho_trace(enum MQTTASYNC_TRACE_LEVELS, char* message) {
    if (message == nullptr) {
        return;
    }
    constexpr std::string_view kMarker = "New socket ";
    const char* found = std::strstr(message, kMarker.data());
    if (found == nullptr) {
        return;
    }
    const char* digits = found + kMarker.size();
    int fd = -1;
    const auto [end, error] = std::from_chars(digits, digits + std::strlen(digits), fd);
    if (error != std::errc() || end == digits || fd < 0) {
        return;
    }
    const int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on); // fails only for a non-TCP fd
    const std::lock_guard lock(awaited_mutex);
    if (awaited > 0 && --awaited == 0) {
        set_trace_level(false);
    }
}

} // namespace

void await_new_paho_socket() {
    static std::once_flag once;
    std::call_once(once, [] { MQTTAsync_setTraceCallback(&on_paho_trace); });
    const std::lock_guard lock(awaited_mutex);
    if (awaited++ == 0) {
        set_trace_level(true);
    }
}

void stop_awaiting_paho_sockets() {
    const std::lock_guard lock(awaited_mutex);
    awaited = 0;
    set_trace_level(false);
}

} // namespace fota::sim
