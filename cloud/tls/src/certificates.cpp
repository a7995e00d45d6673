#include "fota/cloud/tls/certificates.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>
#include <utility>

namespace fota::cloud::tls {
namespace {

template <auto Free>
struct Deleter {
    template <typename T>
    void operator()(T* p) const {
        Free(p);
    }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX_free>>;

constexpr long validity_seconds = 10L * 365 * 24 * 3600;

[[noreturn]] void fail(const std::string& what) {
    const unsigned long code = ERR_get_error();
    std::string message = "OpenSSL: " + what;
    if (code != 0) {
        char text[256];
        ERR_error_string_n(code, text, sizeof(text));
        message += ": " + std::string(text);
    }
    ERR_clear_error();
    throw std::runtime_error(message);
}

KeyPtr make_key() {
    KeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    if (!key) {
        fail("cannot make an EC P-256 key");
    }
    return key;
}

std::string to_pem(const X509& certificate) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), &certificate) != 1) {
        fail("cannot write a certificate as PEM");
    }
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

std::string to_pem(EVP_PKEY& key) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio ||
        PEM_write_bio_PrivateKey(bio.get(), &key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        fail("cannot write a private key as PEM");
    }
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

CertPtr certificate_from_pem(const std::string& pem) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    CertPtr certificate(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    ERR_clear_error();
    return certificate;
}

KeyPtr key_from_pem(const std::string& pem) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    KeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    ERR_clear_error();
    return key;
}

void add_extension(X509& certificate, X509& issuer, int nid, const std::string& value) {
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, &issuer, &certificate, nullptr, nullptr, 0);
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
    if (extension == nullptr) {
        fail("cannot make the extension " + std::string(OBJ_nid2sn(nid)) + " = " + value);
    }
    const int added = X509_add_ext(&certificate, extension, -1);
    X509_EXTENSION_free(extension);
    if (added != 1) {
        fail("cannot add the extension " + std::string(OBJ_nid2sn(nid)));
    }
}

// A certificate for key with subject CN common_name, serial random, valid from an hour ago
// (clocks differ) for validity_seconds. The issuer and signature are the caller's.
CertPtr new_certificate(EVP_PKEY& key, const std::string& common_name) {
    CertPtr certificate(X509_new());
    if (!certificate || X509_set_version(certificate.get(), 2) != 1) {
        fail("cannot make a certificate");
    }
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof(serial)) != 1) {
        fail("cannot draw a serial number");
    }
    serial[0] &= 0x7f; // a positive INTEGER
    BIGNUM* number = BN_bin2bn(serial, sizeof(serial), nullptr);
    const bool serial_set =
        number != nullptr &&
        BN_to_ASN1_INTEGER(number, X509_get_serialNumber(certificate.get())) != nullptr;
    BN_free(number);
    if (!serial_set || X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -3600) == nullptr ||
        X509_gmtime_adj(X509_getm_notAfter(certificate.get()), validity_seconds) == nullptr ||
        X509_set_pubkey(certificate.get(), &key) != 1) {
        fail("cannot fill in a certificate");
    }
    X509_NAME* name = X509_get_subject_name(certificate.get());
    if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>("fota-sim"), -1, -1,
                                   0) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                   -1, 0) != 1) {
        fail("cannot set the subject CN " + common_name);
    }
    return certificate;
}

void sign(X509& certificate, EVP_PKEY& issuer_key) {
    if (X509_sign(&certificate, &issuer_key, EVP_sha256()) == 0) {
        fail("cannot sign a certificate");
    }
}

} // namespace

CertificateAuthority CertificateAuthority::create(const std::string& common_name) {
    KeyPtr key = make_key();
    CertPtr certificate = new_certificate(*key, common_name);
    if (X509_set_issuer_name(certificate.get(), X509_get_subject_name(certificate.get())) != 1) {
        fail("cannot set the CA's issuer");
    }
    add_extension(*certificate, *certificate, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(*certificate, *certificate, NID_key_usage, "critical,keyCertSign,cRLSign");
    add_extension(*certificate, *certificate, NID_subject_key_identifier, "hash");
    sign(*certificate, *key);
    return CertificateAuthority(Credentials{to_pem(*certificate), to_pem(*key)});
}

CertificateAuthority CertificateAuthority::load(const Credentials& credentials) {
    CertPtr certificate = certificate_from_pem(credentials.certificate_pem);
    KeyPtr key = key_from_pem(credentials.private_key_pem);
    if (!certificate || !key) {
        throw std::runtime_error(!certificate ? "the CA certificate is not PEM"
                                              : "the CA key is not a PEM private key");
    }
    if (X509_check_private_key(certificate.get(), key.get()) != 1) {
        ERR_clear_error();
        throw std::runtime_error("the CA key does not belong to the CA certificate");
    }
    return CertificateAuthority(credentials);
}

namespace {

// A certificate for a new key, signed by the CA in authority, with the extensions of `usage`
// (serverAuth or clientAuth) and subject_alt_names (empty: none).
Credentials issue(const Credentials& authority, const std::string& common_name,
                  const std::string& usage, const std::string& subject_alt_names) {
    CertPtr ca = certificate_from_pem(authority.certificate_pem);
    KeyPtr ca_key = key_from_pem(authority.private_key_pem);
    if (!ca || !ca_key) {
        throw std::runtime_error("the CA's PEM does not parse");
    }
    KeyPtr key = make_key();
    CertPtr certificate = new_certificate(*key, common_name);
    if (X509_set_issuer_name(certificate.get(), X509_get_subject_name(ca.get())) != 1) {
        fail("cannot set the issuer");
    }
    add_extension(*certificate, *ca, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(*certificate, *ca, NID_key_usage, "critical,digitalSignature");
    add_extension(*certificate, *ca, NID_ext_key_usage, usage);
    add_extension(*certificate, *ca, NID_authority_key_identifier, "keyid");
    if (!subject_alt_names.empty()) {
        add_extension(*certificate, *ca, NID_subject_alt_name, subject_alt_names);
    }
    sign(*certificate, *ca_key);
    return Credentials{to_pem(*certificate), to_pem(*key)};
}

} // namespace

Credentials CertificateAuthority::issue_server(const std::vector<std::string>& dns_names,
                                               const std::vector<std::string>& ip_addresses) const {
    std::string names;
    for (const std::string& name : dns_names) {
        names += (names.empty() ? "DNS:" : ",DNS:") + name;
    }
    for (const std::string& address : ip_addresses) {
        names += (names.empty() ? "IP:" : ",IP:") + address;
    }
    const std::string common_name =
        !dns_names.empty() ? dns_names.front()
                           : (!ip_addresses.empty() ? ip_addresses.front() : "fota-sim server");
    return issue(credentials_, common_name, "serverAuth", names);
}

Credentials CertificateAuthority::issue_client(const std::string& common_name) const {
    if (common_name.empty()) {
        throw std::invalid_argument("a client certificate needs a common name (the thing name)");
    }
    return issue(credentials_, common_name, "clientAuth", "");
}

std::optional<std::string> common_name(const x509_st& certificate) {
    const X509_NAME* name = X509_get_subject_name(&certificate);
    if (name == nullptr) {
        return std::nullopt;
    }
    const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (index < 0 || X509_NAME_get_index_by_NID(name, NID_commonName, index) >= 0) {
        return std::nullopt; // none, or two (which one would a policy mean?)
    }
    const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    if (value == nullptr) {
        return std::nullopt;
    }
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, value);
    if (length < 0) {
        ERR_clear_error();
        return std::nullopt;
    }
    std::string text(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
    OPENSSL_free(utf8);
    if (text.find('\0') != std::string::npos) {
        return std::nullopt;
    }
    return text;
}

std::optional<std::string> common_name_of_pem(const std::string& pem) {
    CertPtr certificate = certificate_from_pem(pem);
    if (!certificate) {
        return std::nullopt;
    }
    return common_name(*certificate);
}

bool is_signed_by(const std::string& certificate_pem, const std::string& ca_pem) {
    CertPtr certificate = certificate_from_pem(certificate_pem);
    CertPtr ca = certificate_from_pem(ca_pem);
    StorePtr store(X509_STORE_new());
    StoreCtxPtr context(X509_STORE_CTX_new());
    if (!certificate || !ca || !store || !context ||
        X509_STORE_add_cert(store.get(), ca.get()) != 1 ||
        X509_STORE_CTX_init(context.get(), store.get(), certificate.get(), nullptr) != 1) {
        ERR_clear_error();
        return false;
    }
    const bool verified = X509_verify_cert(context.get()) == 1;
    ERR_clear_error();
    return verified;
}

} // namespace fota::cloud::tls

namespace fota::cloud::tls {

std::optional<std::string> certificate_id(const x509_st& certificate) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (X509_digest(&certificate, EVP_sha256(), digest, &size) != 1) {
        ERR_clear_error();
        return std::nullopt;
    }
    static constexpr char hex[] = "0123456789abcdef";
    std::string id;
    for (unsigned int i = 0; i < size; ++i) {
        id += hex[digest[i] >> 4];
        id += hex[digest[i] & 0xf];
    }
    return id;
}

std::optional<std::string> certificate_id_of_pem(const std::string& pem) {
    CertPtr certificate = certificate_from_pem(pem);
    if (!certificate) {
        return std::nullopt;
    }
    return certificate_id(*certificate);
}

std::optional<std::string> public_key_pem_of_certificate(const std::string& pem) {
    CertPtr certificate = certificate_from_pem(pem);
    EVP_PKEY* key = certificate ? X509_get0_pubkey(certificate.get()) : nullptr;
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (key == nullptr || !bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) {
        ERR_clear_error();
        return std::nullopt;
    }
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

} // namespace fota::cloud::tls
