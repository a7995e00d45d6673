// The certificates of a local TLS stack (cloud/tls): who signed what, the CN a broker reads, and
// the folder the stack keeps them in.
#include "fota/cloud/tls/certificates.hpp"
#include "fota/cloud/tls/tls_folder.hpp"

#include <catch2/catch.hpp>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

using namespace fota::cloud::tls;

std::string read(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

struct TempDir {
    TempDir() {
        char pattern[] = "/tmp/fota-tls-test-XXXXXX";
        REQUIRE(::mkdtemp(pattern) != nullptr);
        path = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
    std::string path;
};

} // namespace

TEST_CASE("a thing certificate carries the thing name as CN and is signed by its CA only") {
    const CertificateAuthority ca = CertificateAuthority::create("test CA");
    const CertificateAuthority other = CertificateAuthority::create("another CA");
    const Credentials thing = ca.issue_client("dev-A");

    CHECK(common_name_of_pem(thing.certificate_pem) == "dev-A");
    CHECK(common_name_of_pem(ca.credentials().certificate_pem) == "test CA");
    CHECK(is_signed_by(thing.certificate_pem, ca.credentials().certificate_pem));
    CHECK_FALSE(is_signed_by(thing.certificate_pem, other.credentials().certificate_pem));
    // A client certificate cannot sign others (CA:FALSE).
    CHECK_FALSE(is_signed_by(ca.issue_client("x").certificate_pem, thing.certificate_pem));
    CHECK_THROWS_AS(ca.issue_client(""), std::invalid_argument);
}

TEST_CASE("a server certificate names its hosts and is signed by the CA") {
    const CertificateAuthority ca = CertificateAuthority::create("test CA");
    const Credentials server = ca.issue_server({"localhost"}, {"127.0.0.1"});
    CHECK(common_name_of_pem(server.certificate_pem) == "localhost");
    CHECK(is_signed_by(server.certificate_pem, ca.credentials().certificate_pem));
    CHECK_THROWS(ca.issue_server({"localhost"}, {"not-an-address"}));
}

TEST_CASE("a CA loads from its PEM and refuses a key that is not its own") {
    const CertificateAuthority ca = CertificateAuthority::create("test CA");
    const CertificateAuthority loaded = CertificateAuthority::load(ca.credentials());
    CHECK(is_signed_by(loaded.issue_client("dev-B").certificate_pem,
                       ca.credentials().certificate_pem));
    const CertificateAuthority other = CertificateAuthority::create("another CA");
    CHECK_THROWS(CertificateAuthority::load(
        {ca.credentials().certificate_pem, other.credentials().private_key_pem}));
    CHECK_THROWS(CertificateAuthority::load({"not PEM", ca.credentials().private_key_pem}));
    CHECK_FALSE(common_name_of_pem("not PEM").has_value());
}

TEST_CASE("the TLS folder keeps its CA across opens and makes thing certificates on demand") {
    const TempDir dir;
    std::string first_ca;
    ThingCertificateFiles files;
    {
        TlsFolder folder(dir.path + "/tls");
        first_ca = read(folder.ca_file());
        CHECK(is_signed_by(read(folder.server_certificate_file()), first_ca));
        files = folder.thing("dev-A");
        CHECK(files.certificate == dir.path + "/tls/things/dev-A.crt");
        CHECK(common_name_of_pem(read(files.certificate)) == "dev-A");
        CHECK(is_signed_by(read(files.certificate), first_ca));
        struct stat key_stat {};
        REQUIRE(::stat(files.private_key.c_str(), &key_stat) == 0);
        CHECK((key_stat.st_mode & 0777) == 0600);
        CHECK_THROWS_AS(folder.thing("not/a/thing"), std::invalid_argument);
        CHECK_THROWS_AS(folder.thing(""), std::invalid_argument);
    }
    const std::string thing_certificate = read(files.certificate);
    TlsFolder again(dir.path + "/tls");
    CHECK(read(again.ca_file()) == first_ca);
    again.thing("dev-A");
    CHECK(read(files.certificate) == thing_certificate); // kept: still valid

    // A thing certificate from another CA (a folder whose CA was replaced) is made again.
    std::filesystem::remove(dir.path + "/tls/ca.crt");
    TlsFolder replaced(dir.path + "/tls");
    CHECK(read(replaced.ca_file()) != first_ca);
    replaced.thing("dev-A");
    CHECK(is_signed_by(read(files.certificate), read(replaced.ca_file())));
}

TEST_CASE("a TLS folder whose CA key is not the CA's says so") {
    const TempDir dir;
    { TlsFolder folder(dir.path); }
    const CertificateAuthority other = CertificateAuthority::create("another CA");
    std::ofstream(dir.path + "/ca.key") << other.credentials().private_key_pem;
    CHECK_THROWS_WITH(TlsFolder(dir.path), Catch::Contains("remove ca.crt and ca.key"));
}

TEST_CASE("a certificate's id is AWS's: the lowercase hex SHA-256 of its DER") {
    const auto ca = CertificateAuthority::create("test CA");
    const auto a = ca.issue_client("AWS IoT Certificate");
    const auto b = ca.issue_client("AWS IoT Certificate");
    const auto id = certificate_id_of_pem(a.certificate_pem);
    REQUIRE(id);
    CHECK(id->size() == 64);
    CHECK(id->find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(certificate_id_of_pem(a.certificate_pem) == id);
    CHECK(certificate_id_of_pem(b.certificate_pem) != id);
    CHECK_FALSE(certificate_id_of_pem("not a certificate"));
    // The same digest as OpenSSL's own command line computes: sha256 of the DER bytes.
    BIO* bio =
        BIO_new_mem_buf(a.certificate_pem.data(), static_cast<int>(a.certificate_pem.size()));
    X509* x509 = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    unsigned char* der = nullptr;
    const int size = i2d_X509(x509, &der);
    REQUIRE(size > 0);
    unsigned char digest[32];
    SHA256(der, static_cast<std::size_t>(size), digest);
    std::string hex;
    for (unsigned char byte : digest) {
        static constexpr char digits[] = "0123456789abcdef";
        hex += digits[byte >> 4];
        hex += digits[byte & 0xf];
    }
    CHECK(hex == *id);
    OPENSSL_free(der);
    X509_free(x509);
    BIO_free(bio);
    const auto public_key = public_key_pem_of_certificate(a.certificate_pem);
    REQUIRE(public_key);
    CHECK(public_key->rfind("-----BEGIN PUBLIC KEY-----", 0) == 0);
}
