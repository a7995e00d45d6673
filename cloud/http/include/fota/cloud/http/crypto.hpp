// Hashes and MACs the AWS protocols need (SigV4, S3 ETags), on OpenSSL's EVP interface.
#pragma once

#include <string>
#include <string_view>

namespace fota::cloud::http {

/// Lower-case hex of bytes. Never fails.
std::string to_hex(std::string_view bytes);

/// Raw 32-byte SHA-256 digest of data.
std::string sha256(std::string_view data);

/// Lower-case hex SHA-256 of data (64 characters), as SigV4's HashedPayload wants it.
std::string sha256_hex(std::string_view data);

/// Raw 32-byte HMAC-SHA256 of data under key.
std::string hmac_sha256(std::string_view key, std::string_view data);

/// Lower-case hex MD5 of data (S3's ETag for a single-part object).
std::string md5_hex(std::string_view data);

/// Standard base64 (with padding) of bytes, as in Content-MD5.
std::string base64_encode(std::string_view bytes);

} // namespace fota::cloud::http
