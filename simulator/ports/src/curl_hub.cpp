// CurlHub's libcurl callbacks, and what a transfer and the hub do at their ends (curl_hub.hpp).
#include "curl_hub.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>

namespace fota::sim::curl {

HttpFailure classify(CURLcode code) {
    switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
        return HttpFailure::Timeout;
    case CURLE_COULDNT_CONNECT:
        return HttpFailure::ConnectFailed;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return HttpFailure::NameResolution;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CRL_BADFILE:
        return HttpFailure::Tls;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
        return HttpFailure::ConnectionReset;
    default:
        return HttpFailure::Other;
    }
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
        text.remove_prefix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
        text.remove_suffix(1);
    }
    return text;
}

size_t CurlHub::header_callback(char* data, size_t size, size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    const std::string_view line(data, size * count);
    if (line.rfind("HTTP/", 0) == 0) {
        const auto space = line.find(' ');
        int status = 0;
        if (space != std::string_view::npos) {
            status = std::atoi(std::string(line.substr(space + 1, 3)).c_str());
        }
        // Interim 1xx responses are not the response.
        if (status >= 200) {
            transfer->push(StatusEvent{status});
        }
    } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
        transfer->push(HeaderEvent{std::string(trim(line.substr(0, colon))),
                                   std::string(trim(line.substr(colon + 1)))});
    }
    return size * count;
}

size_t CurlHub::write_callback(char* data, size_t size, size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(data);
    transfer->push(BodyEvent{std::vector<std::uint8_t>(bytes, bytes + size * count)});
    transfer->stats->body_bytes += size * count;
    return size * count;
}

curl_socket_t CurlHub::open_socket_callback(void* user, curlsocktype, curl_sockaddr* address) {
    auto* stats = static_cast<SharedStats*>(user);
    const int fd = ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
    if (fd >= 0) {
        ++stats->connections_opened;
    }
    return fd < 0 ? CURL_SOCKET_BAD : fd;
}

int CurlHub::close_socket_callback(void* user, curl_socket_t fd) {
    auto* self = static_cast<CurlHub*>(user);
    auto found = self->sockets_.find(fd);
    if (found != self->sockets_.end()) {
        // Deregister from the reactor (aborting waits) before the descriptor number is
        // closed and perhaps reused by the next socket.
        found->second->descriptor.release();
        self->sockets_.erase(found);
    }
    return ::close(fd);
}

Transfer::~Transfer() {
    if (in_multi && pool && pool->hub) {
        pool->hub->leave(*this);
    }
    release_easy();
}

void CurlHub::notify(Transfer& transfer) {
    if (!transfer.client_strand) {
        return;
    }
    boost::asio::post(*transfer.client_strand, [client = transfer.client] {
        if (auto self = client.lock()) {
            self->dispatch_events();
        }
    });
}

} // namespace fota::sim::curl
