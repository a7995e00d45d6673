#include "fota/cloud/http/sigv4.hpp"

#include "fota/cloud/http/crypto.hpp"
#include "fota/cloud/http/uri.hpp"

#include <algorithm>
#include <cctype>

namespace fota::cloud::http {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

// Trims and collapses runs of whitespace to one space, as botocore's ' '.join(value.split()).
std::string normalize_header_value(std::string_view v) {
    std::string out;
    bool pending_space = false;
    for (unsigned char c : v) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f') {
            pending_space = !out.empty();
            continue;
        }
        if (pending_space) {
            out.push_back(' ');
            pending_space = false;
        }
        out.push_back(static_cast<char>(c));
    }
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> parts;
    while (true) {
        const auto pos = s.find(sep);
        parts.emplace_back(s.substr(0, pos));
        if (pos == std::string_view::npos) {
            break;
        }
        s.remove_prefix(pos + 1);
    }
    return parts;
}

bool is_hex_sha256(std::string_view s) {
    return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

// Constant-time comparison, so a signature check leaks no prefix length.
bool equal_secret(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        diff = static_cast<unsigned char>(diff | (a[i] ^ b[i]));
    }
    return diff == 0;
}

// "AKID/20130524/us-east-1/s3/aws4_request" -> key id and scope. The key id itself may not
// contain '/', so the last four parts are the scope.
bool parse_credential(std::string_view credential, std::string& access_key_id,
                      CredentialScope& scope) {
    const auto parts = split(credential, '/');
    if (parts.size() != 5 || parts[0].empty() || parts[1].size() != 8 || parts[2].empty() ||
        parts[3].empty() || parts[4] != "aws4_request") {
        return false;
    }
    access_key_id = parts[0];
    scope = {parts[1], parts[2], parts[3]};
    return true;
}

bool valid_signed_headers(const std::vector<std::string>& names) {
    if (names.empty()) {
        return false;
    }
    for (const auto& n : names) {
        if (n.empty() || n != lower(n)) {
            return false;
        }
    }
    return std::is_sorted(names.begin(), names.end()) &&
           std::find(names.begin(), names.end(), "host") != names.end();
}

std::string join(const std::vector<std::string>& parts, char sep) {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i != 0) {
            out.push_back(sep);
        }
        out += parts[i];
    }
    return out;
}

SigV4Verdict fail(SigV4Verdict v, SigV4Status status, std::string message) {
    v.status = status;
    v.message = std::move(message);
    return v;
}

} // namespace

std::string CredentialScope::to_string() const {
    return date + "/" + region + "/" + service + "/aws4_request";
}

std::optional<std::string> SigV4Request::header(std::string_view name) const {
    for (const auto& h : headers) {
        if (iequals(h.name, name)) {
            return h.value;
        }
    }
    return std::nullopt;
}

std::string canonical_uri(std::string_view raw_path, bool s3) {
    if (raw_path.empty()) {
        return "/";
    }
    return s3 ? std::string(raw_path) : aws_uri_encode(raw_path, false);
}

std::optional<std::string> canonical_query(std::string_view raw_query, bool drop_signature) {
    auto params = parse_query(raw_query);
    if (!params) {
        return std::nullopt;
    }
    std::vector<std::pair<std::string, std::string>> encoded;
    encoded.reserve(params->size());
    for (const auto& p : *params) {
        if (drop_signature && p.name == "X-Amz-Signature") {
            continue;
        }
        encoded.emplace_back(aws_uri_encode(p.name, true), aws_uri_encode(p.value, true));
    }
    std::sort(encoded.begin(), encoded.end());
    std::string out;
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        if (i != 0) {
            out.push_back('&');
        }
        out += encoded[i].first;
        out.push_back('=');
        out += encoded[i].second;
    }
    return out;
}

std::string canonical_headers(const std::vector<HttpHeader>& headers,
                              const std::vector<std::string>& signed_names) {
    std::string out;
    for (const auto& name : signed_names) {
        std::vector<std::string> values;
        for (const auto& h : headers) {
            if (iequals(h.name, name)) {
                values.push_back(normalize_header_value(h.value));
            }
        }
        out += name;
        out.push_back(':');
        out += join(values, ',');
        out.push_back('\n');
    }
    return out;
}

std::string canonical_request(std::string_view method, std::string_view canonical_uri_text,
                              std::string_view canonical_query_text,
                              std::string_view canonical_headers_text,
                              std::string_view signed_headers, std::string_view payload_hash) {
    std::string out;
    out.reserve(method.size() + canonical_uri_text.size() + canonical_query_text.size() +
                canonical_headers_text.size() + signed_headers.size() + payload_hash.size() + 8);
    out.append(method).push_back('\n');
    out.append(canonical_uri_text).push_back('\n');
    out.append(canonical_query_text).push_back('\n');
    out.append(canonical_headers_text).push_back('\n');
    out.append(signed_headers).push_back('\n');
    out.append(payload_hash);
    return out;
}

std::string string_to_sign(std::string_view amz_date, const CredentialScope& scope,
                           std::string_view canonical_request_text) {
    std::string out(sigv4_algorithm);
    out.push_back('\n');
    out.append(amz_date).push_back('\n');
    out.append(scope.to_string()).push_back('\n');
    out.append(sha256_hex(canonical_request_text));
    return out;
}

std::string signing_key(std::string_view secret_access_key, const CredentialScope& scope) {
    const std::string k_date = hmac_sha256("AWS4" + std::string(secret_access_key), scope.date);
    const std::string k_region = hmac_sha256(k_date, scope.region);
    const std::string k_service = hmac_sha256(k_region, scope.service);
    return hmac_sha256(k_service, "aws4_request");
}

std::string sigv4_signature(std::string_view secret_access_key, const CredentialScope& scope,
                            std::string_view string_to_sign_text) {
    return to_hex(hmac_sha256(signing_key(secret_access_key, scope), string_to_sign_text));
}

void sign_request(SigV4Request& req, const Credentials& credentials, std::string_view region,
                  std::string_view service, TimePoint now) {
    const bool s3 = service == "s3";
    const std::string amz_date = format_amz_date(now);
    const CredentialScope scope{amz_date.substr(0, 8), std::string(region), std::string(service)};
    const std::string payload_hash = sha256_hex(req.body);
    auto set = [&](std::string name, std::string value) {
        for (auto& h : req.headers) {
            if (iequals(h.name, name)) {
                h.value = std::move(value);
                return;
            }
        }
        req.headers.push_back({std::move(name), std::move(value)});
    };
    set("x-amz-date", amz_date);
    if (s3) {
        set("x-amz-content-sha256", payload_hash);
    }
    if (!credentials.session_token.empty()) {
        set("x-amz-security-token", credentials.session_token);
    }
    std::vector<std::string> names;
    for (const auto& h : req.headers) {
        if (!iequals(h.name, "authorization")) {
            names.push_back(lower(h.name));
        }
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    const std::string signed_headers = join(names, ';');
    const auto parts = split_target(req.target);
    const std::string creq = canonical_request(
        req.method, canonical_uri(parts.path, s3), canonical_query(parts.query, false).value_or(""),
        canonical_headers(req.headers, names), signed_headers, payload_hash);
    const std::string signature = sigv4_signature(credentials.secret_access_key, scope,
                                                  string_to_sign(amz_date, scope, creq));
    set("Authorization", std::string(sigv4_algorithm) + " Credential=" + credentials.access_key_id +
                             "/" + scope.to_string() + ", SignedHeaders=" + signed_headers +
                             ", Signature=" + signature);
}

std::string presign_url(const PresignRequest& request, const Credentials& credentials) {
    const std::string amz_date = format_amz_date(request.now);
    const CredentialScope scope{amz_date.substr(0, 8), request.region, request.service};
    std::string query = "X-Amz-Algorithm=" + std::string(sigv4_algorithm) + "&X-Amz-Credential=" +
                        aws_uri_encode(credentials.access_key_id + "/" + scope.to_string(), true) +
                        "&X-Amz-Date=" + amz_date +
                        "&X-Amz-Expires=" + std::to_string(request.expires.count()) +
                        "&X-Amz-SignedHeaders=host";
    if (!credentials.session_token.empty()) {
        query += "&X-Amz-Security-Token=" + aws_uri_encode(credentials.session_token, true);
    }
    const std::string creq =
        canonical_request(request.method, canonical_uri(request.path, request.service == "s3"),
                          canonical_query(query, false).value_or(""), "host:" + request.host + "\n",
                          "host", unsigned_payload);
    const std::string signature = sigv4_signature(credentials.secret_access_key, scope,
                                                  string_to_sign(amz_date, scope, creq));
    return request.scheme + "://" + request.host + request.path + "?" + query +
           "&X-Amz-Signature=" + signature;
}

namespace {

// The signing fields of a request, from its Authorization header or its presigned query.
struct SignedFields {
    std::string algorithm;
    std::string credential;
    std::string amz_date;
    std::string signed_headers_text;
    std::string signature;
};

// "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..." (and X-Amz-Date).
std::optional<SigV4Verdict> read_authorization(const SigV4Request& req,
                                               std::string_view authorization, SignedFields& f,
                                               const SigV4Verdict& v) {
    const std::string_view auth = trim(authorization);
    const auto space = auth.find(' ');
    f.algorithm = std::string(auth.substr(0, space));
    if (f.algorithm != sigv4_algorithm) {
        return fail(v, SigV4Status::unsupported_algorithm,
                    "Unsupported Authorization Type: only AWS4-HMAC-SHA256 is supported.");
    }
    if (space == std::string_view::npos) {
        return fail(v, SigV4Status::malformed, "The Authorization header is malformed.");
    }
    for (const auto& component : split(auth.substr(space + 1), ',')) {
        const std::string_view c = trim(component);
        const auto eq = c.find('=');
        if (eq == std::string_view::npos) {
            return fail(v, SigV4Status::malformed,
                        "The Authorization header is malformed: component '" + std::string(c) +
                            "' has no '='.");
        }
        const std::string_view key = c.substr(0, eq);
        const std::string value(c.substr(eq + 1));
        if (key == "Credential") {
            f.credential = value;
        } else if (key == "SignedHeaders") {
            f.signed_headers_text = value;
        } else if (key == "Signature") {
            f.signature = value;
        }
    }
    f.amz_date = req.header("x-amz-date").value_or("");
    return std::nullopt;
}

// X-Amz-Algorithm, -Credential, -Date, -SignedHeaders, -Signature and -Expires (into v).
std::optional<SigV4Verdict> read_presigned(const std::vector<QueryParam>& params, SignedFields& f,
                                           SigV4Verdict& v) {
    f.algorithm = find_param(params, "X-Amz-Algorithm").value_or("");
    if (f.algorithm != sigv4_algorithm) {
        return fail(v, SigV4Status::unsupported_algorithm,
                    "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\".");
    }
    f.credential = find_param(params, "X-Amz-Credential").value_or("");
    f.amz_date = find_param(params, "X-Amz-Date").value_or("");
    f.signed_headers_text = find_param(params, "X-Amz-SignedHeaders").value_or("");
    f.signature = find_param(params, "X-Amz-Signature").value_or("");
    const std::string expires = find_param(params, "X-Amz-Expires").value_or("");
    if (expires.empty() || expires.size() > 7 ||
        !std::all_of(expires.begin(), expires.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return fail(v, SigV4Status::malformed,
                    "X-Amz-Expires must be a number of seconds (1 to 604800).");
    }
    v.expires_seconds = std::stoll(expires);
    if (v.expires_seconds < 1 || v.expires_seconds > 604800) {
        return fail(v, SigV4Status::malformed,
                    "X-Amz-Expires must be between 1 and 604800 seconds.");
    }
    return std::nullopt;
}

// The fields' form (credential scope, date, signed headers, signature) and the request's time
// (expiry of a presigned URL, clock skew of a header-signed request).
std::optional<SigV4Verdict> check_fields(const SignedFields& f,
                                         const std::vector<std::string>& signed_names,
                                         TimePoint now, const VerifyOptions& options,
                                         SigV4Verdict& v) {
    if (!parse_credential(f.credential, v.access_key_id, v.scope)) {
        return fail(v, SigV4Status::malformed,
                    "The credential '" + f.credential +
                        "' is not of the form <key>/<yyyymmdd>/<region>/<service>/aws4_request.");
    }
    const auto signed_at = parse_amz_date(f.amz_date);
    if (!signed_at) {
        return fail(v, SigV4Status::malformed,
                    "X-Amz-Date '" + f.amz_date + "' is not of the form YYYYMMDDTHHMMSSZ.");
    }
    v.signed_at = *signed_at;
    if (f.amz_date.substr(0, 8) != v.scope.date) {
        return fail(v, SigV4Status::malformed,
                    "The credential date " + v.scope.date + " does not match X-Amz-Date " +
                        f.amz_date + ".");
    }
    if (!valid_signed_headers(signed_names)) {
        return fail(v, SigV4Status::malformed,
                    "SignedHeaders '" + f.signed_headers_text +
                        "' must be lower-case, sorted, separated by ';' and include host.");
    }
    if (f.signature.empty()) {
        return fail(v, SigV4Status::malformed, "The signature is missing.");
    }
    if (v.presigned) {
        if (now > v.signed_at + std::chrono::seconds(v.expires_seconds)) {
            return fail(v, SigV4Status::expired, "Request has expired");
        }
        if (v.signed_at > now + options.max_skew) {
            return fail(v, SigV4Status::not_yet_valid, "Request is not valid yet");
        }
    } else if (v.signed_at > now + options.max_skew || v.signed_at + options.max_skew < now) {
        return fail(v, SigV4Status::clock_skew,
                    "The difference between the request time and the current time is too large.");
    }
    return std::nullopt;
}

} // namespace

SigV4Verdict verify_sigv4(const SigV4Request& req, const SecretLookup& lookup, TimePoint now,
                          const VerifyOptions& options) {
    SigV4Verdict v;
    const auto parts = split_target(req.target);
    const auto params = parse_query(parts.query);
    if (!params) {
        return fail(v, SigV4Status::malformed, "The query string has a malformed %-escape.");
    }
    SignedFields f;
    std::optional<SigV4Verdict> failed;
    if (const auto authorization = req.header("authorization")) {
        failed = read_authorization(req, *authorization, f, v);
    } else if (find_param(*params, "X-Amz-Algorithm") || find_param(*params, "X-Amz-Signature") ||
               find_param(*params, "X-Amz-Credential")) {
        v.presigned = true;
        failed = read_presigned(*params, f, v);
    } else {
        return fail(v, SigV4Status::anonymous, "The request is not signed.");
    }
    const std::vector<std::string> signed_names = split(f.signed_headers_text, ';');
    if (!failed) {
        failed = check_fields(f, signed_names, now, options, v);
    }
    if (failed) {
        return *failed;
    }

    const bool s3 = v.scope.service == "s3";
    std::string payload_hash;
    const auto content_sha = req.header("x-amz-content-sha256");
    if (v.presigned) {
        payload_hash = content_sha.value_or(std::string(unsigned_payload));
    } else if (s3 && content_sha) {
        payload_hash = *content_sha;
    } else {
        payload_hash = sha256_hex(req.body);
    }
    if (content_sha && is_hex_sha256(*content_sha) && *content_sha != sha256_hex(req.body)) {
        return fail(v, SigV4Status::payload_hash_mismatch,
                    "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    if (!options.check_signature) {
        v.status = SigV4Status::ok;
        return v;
    }

    const auto secret = lookup ? lookup(v.access_key_id) : std::nullopt;
    if (!secret) {
        return fail(v, SigV4Status::unknown_access_key,
                    "The AWS Access Key Id you provided does not exist in our records.");
    }
    const auto cquery = canonical_query(parts.query, v.presigned);
    if (!cquery) {
        return fail(v, SigV4Status::malformed, "The query string has a malformed %-escape.");
    }
    v.canonical_request = canonical_request(req.method, canonical_uri(parts.path, s3), *cquery,
                                            canonical_headers(req.headers, signed_names),
                                            f.signed_headers_text, payload_hash);
    v.string_to_sign = string_to_sign(f.amz_date, v.scope, v.canonical_request);
    const std::string expected = sigv4_signature(*secret, v.scope, v.string_to_sign);
    if (!equal_secret(expected, f.signature)) {
        return fail(v, SigV4Status::signature_mismatch,
                    "The request signature we calculated does not match the signature you "
                    "provided. Check your key and signing method.");
    }
    v.status = SigV4Status::ok;
    return v;
}

} // namespace fota::cloud::http
