#include "fota/cloud/http/tls_server.hpp"

#include <boost/asio/ssl/context.hpp>

#include <openssl/ssl.h>

#include <stdexcept>

namespace fota::cloud::http {

TlsContext make_server_tls_context(const std::string& certificate_file, const std::string& key_file,
                                   const std::string& client_ca_file) {
    namespace ssl = boost::asio::ssl;
    auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
    context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    if (SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION) != 1) {
        throw std::runtime_error("OpenSSL refused the minimum protocol version TLS 1.2");
    }
    boost::system::error_code ec;
    context->use_certificate_chain_file(certificate_file, ec);
    if (ec) {
        throw std::runtime_error("cannot use the TLS certificate " + certificate_file + ": " +
                                 ec.message());
    }
    context->use_private_key_file(key_file, ssl::context::pem, ec);
    if (ec) {
        throw std::runtime_error("cannot use the TLS key " + key_file + ": " + ec.message());
    }
    if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
        throw std::runtime_error("the TLS key " + key_file + " is not the key of " +
                                 certificate_file);
    }
    if (!client_ca_file.empty()) {
        context->load_verify_file(client_ca_file, ec);
        if (ec) {
            throw std::runtime_error("cannot use the client CA " + client_ca_file + ": " +
                                     ec.message());
        }
        context->set_verify_mode(ssl::verify_peer);
    }
    return context;
}

} // namespace fota::cloud::http
