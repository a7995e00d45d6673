// HTTPS for the stack's servers (control plane, object server): one OpenSSL context per server,
// TLS 1.2 or newer, the certificate chain and key read from PEM files (the TLS folder's
// server.crt/server.key, cloud/tls). Without a context the servers speak plain HTTP.
#pragma once

#include <memory>
#include <string>

namespace boost::asio::ssl {
class context;
} // namespace boost::asio::ssl

namespace fota::cloud::http {

using TlsContext = std::shared_ptr<boost::asio::ssl::context>;

/// A server context (TLS 1.2+) with certificate_file (PEM chain) and key_file (PEM key). With
/// client_ca_file, a client may present a certificate (not required), which must chain to that
/// CA (a wrong one fails the handshake). Throws std::runtime_error naming the file when one
/// cannot be read or the key is not the certificate's.
TlsContext make_server_tls_context(const std::string& certificate_file, const std::string& key_file,
                                   const std::string& client_ca_file = {});

} // namespace fota::cloud::http
