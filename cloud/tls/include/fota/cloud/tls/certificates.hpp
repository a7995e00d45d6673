#pragma once
// X.509 certificates for a local stack that speaks TLS like AWS IoT (EC P-256 keys, SHA-256
// signatures, PEM text): a self-signed CA, a server certificate for the stack's names and
// addresses, and client certificates whose subject CN is a thing name, as AWS IoT's
// CreateKeysAndCertificate hands a device its credentials. Made with OpenSSL; never written
// anywhere by these functions (TlsFolder does that).

#include <optional>
#include <string>
#include <vector>

struct x509_st; // OpenSSL's X509

namespace fota::cloud::tls {

/// A certificate and its private key, PEM.
struct Credentials {
    std::string certificate_pem;
    std::string private_key_pem;
};

/// A CA that signs the stack's certificates. Copyable (the PEM text is the state).
class CertificateAuthority {
public:
    /// A new self-signed CA (EC P-256, CN common_name, valid from an hour ago for 10 years).
    /// Throws std::runtime_error when OpenSSL fails.
    static CertificateAuthority create(const std::string& common_name);
    /// The CA of credentials (from an earlier create); throws std::runtime_error when the PEM
    /// does not parse or the key is not the certificate's.
    static CertificateAuthority load(const Credentials& credentials);

    [[nodiscard]] const Credentials& credentials() const { return credentials_; }

    /// A server certificate (extendedKeyUsage serverAuth) for dns_names and ip_addresses
    /// (subjectAltName; CN is the first DNS name), signed by this CA. Throws std::runtime_error
    /// on an invalid address or when OpenSSL fails.
    [[nodiscard]] Credentials issue_server(const std::vector<std::string>& dns_names,
                                           const std::vector<std::string>& ip_addresses) const;
    /// A client certificate (extendedKeyUsage clientAuth) with subject CN common_name, signed by
    /// this CA. Throws std::invalid_argument for an empty name, std::runtime_error when OpenSSL
    /// fails.
    [[nodiscard]] Credentials issue_client(const std::string& common_name) const;

private:
    explicit CertificateAuthority(Credentials credentials) : credentials_(std::move(credentials)) {}
    Credentials credentials_;
};

/// The subject's common name (CN) of certificate; nullopt when it has none, has more than one,
/// or holds a NUL byte (a CN that would compare equal to a shorter name). Never throws.
[[nodiscard]] std::optional<std::string> common_name(const x509_st& certificate);

/// The subject CN of the first certificate in pem; nullopt when there is none (see above).
[[nodiscard]] std::optional<std::string> common_name_of_pem(const std::string& pem);

/// AWS IoT's certificate id: the lowercase hex SHA-256 of the certificate's DER (64 characters);
/// nullopt when OpenSSL cannot encode it. Never throws.
[[nodiscard]] std::optional<std::string> certificate_id(const x509_st& certificate);

/// certificate_id of the first certificate in pem; nullopt when there is none.
[[nodiscard]] std::optional<std::string> certificate_id_of_pem(const std::string& pem);

/// The public key (PEM "PUBLIC KEY") of the first certificate in pem; nullopt when there is none.
[[nodiscard]] std::optional<std::string> public_key_pem_of_certificate(const std::string& pem);

/// True when certificate_pem is signed by ca_pem (and within its validity). Never throws.
[[nodiscard]] bool is_signed_by(const std::string& certificate_pem, const std::string& ca_pem);

} // namespace fota::cloud::tls
