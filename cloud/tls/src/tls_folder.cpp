#include "fota/cloud/tls/tls_folder.hpp"

#include "fota/cloud/identifiers.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fota::cloud::tls {
namespace {

namespace fs = std::filesystem;

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot read " + path);
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Written to a temporary name and renamed, so a reader never sees half a file; a private key is
// readable by its owner only.
void write_file(const std::string& path, const std::string& text, bool secret) {
    const std::string partial = path + ".partial";
    {
        std::ofstream out(partial, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out.flush()) {
            throw std::runtime_error("cannot write " + partial);
        }
    }
    if (secret && ::chmod(partial.c_str(), S_IRUSR | S_IWUSR) != 0) {
        throw std::runtime_error("cannot make " + partial + " private");
    }
    std::error_code ec;
    fs::rename(partial, path, ec);
    if (ec) {
        throw std::runtime_error("cannot write " + path + ": " + ec.message());
    }
}

void write_credentials(const std::string& certificate_file, const std::string& key_file,
                       const Credentials& credentials) {
    write_file(key_file, credentials.private_key_pem, true);
    write_file(certificate_file, credentials.certificate_pem, false);
}

void create_dirs(const std::string& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        throw std::runtime_error("cannot create the folder " + dir + ": " + ec.message());
    }
}

// The CA kept in dir, or a new one written there.
CertificateAuthority open_authority(const std::string& dir) {
    const std::string certificate = dir + "/ca.crt";
    const std::string key = dir + "/ca.key";
    if (fs::exists(certificate) && fs::exists(key)) {
        try {
            return CertificateAuthority::load({read_file(certificate), read_file(key)});
        } catch (const std::runtime_error& e) {
            throw std::runtime_error(dir + ": " + e.what() +
                                     " (remove ca.crt and ca.key to make a new CA)");
        }
    }
    CertificateAuthority authority = CertificateAuthority::create("fota-sim local CA");
    write_credentials(certificate, key, authority.credentials());
    return authority;
}

} // namespace

ThingCertificateFiles thing_certificate_files(const std::string& dir, const std::string& thing) {
    return {dir + "/things/" + thing + ".crt", dir + "/things/" + thing + ".key"};
}

TlsFolder::TlsFolder(std::string dir, std::vector<std::string> server_names,
                     std::vector<std::string> server_addresses)
    : dir_((create_dirs(dir), std::move(dir))), authority_(open_authority(dir_)) {
    create_dirs(things_dir());
    write_credentials(server_certificate_file(), server_key_file(),
                      authority_.issue_server(server_names, server_addresses));
}

std::unique_ptr<TlsFolder> TlsFolder::open_existing(const std::string& dir) {
    for (const char* name : {"/ca.crt", "/ca.key"}) {
        if (!fs::exists(dir + name)) {
            throw std::runtime_error(dir + " has no " + std::string(name + 1) +
                                     " (not the TLS folder of a running stack?)");
        }
    }
    create_dirs(dir + "/things");
    return std::unique_ptr<TlsFolder>(new TlsFolder(dir, open_authority(dir)));
}

std::string TlsFolder::ca_key_file() const {
    return dir_ + "/ca.key";
}

std::string TlsFolder::ca_file() const {
    return dir_ + "/ca.crt";
}

std::string TlsFolder::server_certificate_file() const {
    return dir_ + "/server.crt";
}

std::string TlsFolder::server_key_file() const {
    return dir_ + "/server.key";
}

std::string TlsFolder::things_dir() const {
    return dir_ + "/things";
}

ThingCertificateFiles TlsFolder::thing(const std::string& thing) {
    if (!is_valid_thing_name(thing)) {
        throw std::invalid_argument("'" + thing +
                                    "' is not a thing name ([a-zA-Z0-9:_-], 1..128 characters)");
    }
    ThingCertificateFiles files = thing_certificate_files(dir_, thing);
    const std::lock_guard lock(mutex_);
    // A certificate from an earlier CA in this folder would be refused: make it again.
    if (fs::exists(files.certificate) && fs::exists(files.private_key) &&
        is_signed_by(read_file(files.certificate), authority_.credentials().certificate_pem)) {
        return files;
    }
    write_credentials(files.certificate, files.private_key, authority_.issue_client(thing));
    return files;
}

} // namespace fota::cloud::tls
