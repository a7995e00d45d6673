#pragma once
// The folder where a local TLS stack keeps its certificates (PEM):
//   ca.crt, ca.key            the CA (kept across starts: the devices' certificates stay valid)
//   server.crt, server.key    the MQTT listener's certificate (localhost, 127.0.0.1), made anew
//                             at every open
//   things/<thing>.crt, .key  a thing's client certificate (CN = thing name), made when first
//                             asked for
// Private keys are written with mode 0600.

#include "fota/cloud/tls/certificates.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace fota::cloud::tls {

/// The files of one thing's credentials.
struct ThingCertificateFiles {
    std::string certificate;
    std::string private_key;
};

class TlsFolder {
public:
    /// Opens dir (created if missing): loads its CA, or makes one when ca.crt or ca.key is
    /// missing, and makes the server certificate for server_names (DNS) and server_addresses
    /// (IP). Throws std::runtime_error saying which file could not be read or written.
    TlsFolder(std::string dir, std::vector<std::string> server_names = {"localhost"},
              std::vector<std::string> server_addresses = {"127.0.0.1"});

    /// A running stack's folder as its users see it: loads the CA (throws std::runtime_error
    /// when ca.crt or ca.key is missing or broken) and writes nothing but things' certificates.
    static std::unique_ptr<TlsFolder> open_existing(const std::string& dir);

    [[nodiscard]] const std::string& dir() const { return dir_; }
    [[nodiscard]] std::string ca_file() const;
    [[nodiscard]] std::string ca_key_file() const; ///< for signers of new client certificates
    [[nodiscard]] std::string server_certificate_file() const;
    [[nodiscard]] std::string server_key_file() const;
    [[nodiscard]] std::string things_dir() const;
    [[nodiscard]] const CertificateAuthority& authority() const { return authority_; }

    /// thing's certificate files, made (CN = thing) when missing. thing must be a valid thing
    /// name ([a-zA-Z0-9:_-], 1..128 characters; std::invalid_argument otherwise). Thread-safe.
    ThingCertificateFiles thing(const std::string& thing);

private:
    TlsFolder(std::string dir, CertificateAuthority authority)
        : dir_(std::move(dir)), authority_(std::move(authority)) {}

    std::string dir_;
    CertificateAuthority authority_;
    std::mutex mutex_;
};

/// Where TlsFolder keeps thing's files under dir (whether they exist or not).
ThingCertificateFiles thing_certificate_files(const std::string& dir, const std::string& thing);

} // namespace fota::cloud::tls
