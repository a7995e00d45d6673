// TLS contexts and per-connection settings of the Asio MQTT session (mqtt_tls_context.hpp).
#include "mqtt_tls_context.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <map>
#include <mutex>

namespace fota::sim {

namespace ssl = boost::asio::ssl;

namespace {

std::string openssl_error() {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) {
        return "unknown OpenSSL error";
    }
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

std::mutex contexts_mutex;
std::map<std::string, std::weak_ptr<ssl::context>> contexts;

} // namespace

std::shared_ptr<ssl::context> mqtt_tls_context(const MqttTls& tls, std::string& error) {
    const std::string key = (tls.verify_server ? "verify:" : "no-verify:") + tls.ca_file;
    const std::lock_guard lock(contexts_mutex);
    if (auto existing = contexts[key].lock()) {
        return existing;
    }
    auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
    context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1);
    // An idle connection gives its read and write buffers back (about 34 KiB each).
    SSL_CTX_set_mode(context->native_handle(), SSL_MODE_RELEASE_BUFFERS);
    boost::system::error_code ec;
    if (!tls.ca_file.empty()) {
        context->load_verify_file(tls.ca_file, ec);
    } else {
        context->set_default_verify_paths(ec);
    }
    if (ec) {
        error = "CA file '" + tls.ca_file + "': " + ec.message();
        return nullptr;
    }
    context->set_verify_mode(tls.verify_server ? ssl::verify_peer : ssl::verify_none);
    contexts[key] = context;
    return context;
}

bool prepare_mqtt_tls_stream(TlsStream& stream, const MqttTls& tls, const std::string& host,
                             std::string& error) {
    SSL* ssl_handle = stream.native_handle();
    if (!tls.cert_file.empty() &&
        SSL_use_certificate_chain_file(ssl_handle, tls.cert_file.c_str()) != 1) {
        error = "client certificate '" + tls.cert_file + "': " + openssl_error();
        return false;
    }
    if (!tls.key_file.empty() &&
        SSL_use_PrivateKey_file(ssl_handle, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
        error = "client key '" + tls.key_file + "': " + openssl_error();
        return false;
    }
    boost::system::error_code not_address;
    boost::asio::ip::make_address(host, not_address);
    if (not_address && SSL_set_tlsext_host_name(ssl_handle, host.c_str()) != 1) {
        error = "server name '" + host + "': " + openssl_error();
        return false;
    }
    if (tls.verify_server) {
        stream.set_verify_callback(ssl::host_name_verification(host));
    }
    return true;
}

} // namespace fota::sim
