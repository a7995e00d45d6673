// Paho C 1.3.12 (Debian 12's libpaho-mqtt3as) runs one receive thread for every client of a
// process. It polls a saved copy of the clients' sockets for up to 1 s and refreshes that copy
// only when the poll returns; a connecting socket is therefore seen only after one poll returns,
// and its CONNECT goes out only after a second one does: about 2 s per connect once any other
// client is connected and quiet. A poll returns early when any socket in the copy has data, so
// while a connect is pending the waker makes one: an extra Paho client of the process, connected
// to a loopback listener of ours, receives a 2-byte PINGRESP every kWakeInterval. Paho takes an
// unasked-for PINGRESP as proof of life (it only clears its ping flag), and the listener reads
// nothing, so it parses nothing. Devices never see it; the broker never knows of it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace fota::sim {

class PahoConnectWaker {
public:
    /// How often the waker's client receives a PINGRESP while a connect is pending.
    static constexpr std::chrono::milliseconds kWakeInterval{20};

    /// One pending connect: the waker wakes Paho's receive thread from take() until release().
    /// Thread-safe (Paho's callbacks release it on Paho's thread); the destructor releases.
    class Hold {
    public:
        Hold() = default;
        ~Hold();
        Hold(const Hold&) = delete;
        Hold& operator=(const Hold&) = delete;

        /// Counts a pending connect (starts the waker on first use, unless disabled) and awaits
        /// its socket (TCP_NODELAY, paho_tcp_nodelay.hpp); nothing when already taken.
        void take();
        /// Idempotent.
        void release();

    private:
        std::atomic<bool> held_{false};
    };

    struct Stats {
        std::uint64_t wakes = 0;   ///< PINGRESPs written to the waker's client
        std::uint64_t pending = 0; ///< connects pending now (holds taken, not released)
        bool linked = false;       ///< the waker's own client is connected
        bool waking = false;       ///< the waker is writing PINGRESPs (a connect is pending)
    };

    /// On by default. Off: nothing wakes Paho, so connects pay its polls again (the baseline of
    /// the test); new sockets still get TCP_NODELAY.
    static void set_enabled(bool enabled);
    static Stats stats();
};

} // namespace fota::sim
