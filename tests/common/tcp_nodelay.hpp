// What tests of Nagle's algorithm read: TCP_NODELAY of this process's own sockets, found by the
// peer they are connected to (a client's sockets to a server's port, or a server's side of a
// client's connection by the client's port).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace fota::test {

/// TCP_NODELAY of each of this process's IPv4 sockets whose peer's port is peer_port.
inline std::vector<bool> nodelay_of_sockets_with_peer(std::uint16_t peer_port) {
    std::vector<bool> found;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
        int fd = -1;
        try {
            fd = std::stoi(entry.path().filename().string());
        } catch (const std::exception&) {
            continue;
        }
        struct stat info {};
        sockaddr_in peer{};
        socklen_t peer_size = sizeof peer;
        if (::fstat(fd, &info) != 0 || !S_ISSOCK(info.st_mode) ||
            ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_size) != 0 ||
            peer.sin_family != AF_INET || ntohs(peer.sin_port) != peer_port) {
            continue;
        }
        int nodelay = 0;
        socklen_t size = sizeof nodelay;
        if (::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &size) == 0) {
            found.push_back(nodelay != 0);
        }
    }
    return found;
}

} // namespace fota::test
