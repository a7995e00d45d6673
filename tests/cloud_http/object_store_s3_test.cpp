// The object store's S3 handling without I/O (ObjectStore::handle): multipart uploads and their
// errors, CreateBucket's configuration, and the pagination of ListObjects V1 and V2. Bad input
// must get S3's error, never a crash, and must leave the store as it was.
#include "fota/cloud/http/crypto.hpp"
#include "fota/cloud/http/uri.hpp"
#include "fota/cloud/object_store.hpp"

#include <boost/beast/http/verb.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

using fota::cloud::ObjectRequest;
using fota::cloud::ObjectStore;
using fota::cloud::ObjectStoreConfig;
using fota::cloud::ResponsePlan;
namespace bhttp = boost::beast::http;
namespace http = fota::cloud::http;

namespace {

struct Answer {
    unsigned status = 0;
    std::string body;
    ResponsePlan plan;

    std::string header(const std::string& name) const {
        for (const auto& [n, v] : plan.headers) {
            if (n == name) {
                return v;
            }
        }
        return {};
    }
    /// The text of every <tag> element, in order.
    std::vector<std::string> all(const std::string& tag) const {
        std::vector<std::string> found;
        const std::string open = "<" + tag + ">";
        const std::string close = "</" + tag + ">";
        for (auto at = body.find(open); at != std::string::npos; at = body.find(open, at + 1)) {
            const auto start = at + open.size();
            found.push_back(body.substr(start, body.find(close, start) - start));
        }
        return found;
    }
    std::string first(const std::string& tag) const {
        const auto found = all(tag);
        return found.empty() ? std::string() : found.front();
    }
    std::string code() const { return first("Code"); }
};

Answer send(ObjectStore& store, bhttp::verb method, const std::string& target,
            const std::string& body = {},
            std::vector<std::pair<std::string, std::string>> headers = {}) {
    ObjectRequest req{method, target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) {
        req.set(name, value);
    }
    req.body() = body;
    req.prepare_payload();
    Answer a;
    a.plan = store.handle(req);
    a.status = a.plan.status;
    if (a.plan.body) {
        a.body = a.plan.body->substr(a.plan.offset, a.plan.length);
    }
    return a;
}

std::unique_ptr<ObjectStore> make_store(std::uint64_t min_part_size = 4,
                                        std::string region = "us-east-1") {
    ObjectStoreConfig config;
    config.min_part_size = min_part_size;
    config.region = std::move(region);
    auto store = std::make_unique<ObjectStore>(config);
    store->create_bucket("fw");
    return store;
}

std::string start_upload(ObjectStore& store, const std::string& key) {
    const auto a = send(store, bhttp::verb::post, "/fw/" + key + "?uploads");
    REQUIRE(a.status == 200);
    REQUIRE(a.first("Key") == key);
    REQUIRE_FALSE(a.first("UploadId").empty());
    return a.first("UploadId");
}

std::string put_part(ObjectStore& store, const std::string& key, const std::string& id, int number,
                     const std::string& data) {
    const auto a =
        send(store, bhttp::verb::put,
             "/fw/" + key + "?partNumber=" + std::to_string(number) + "&uploadId=" + id, data);
    REQUIRE(a.status == 200);
    return a.header("ETag");
}

std::string completion(const std::vector<std::pair<int, std::string>>& parts) {
    std::string xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
    for (const auto& [number, etag] : parts) {
        xml += "<Part><ETag>" + etag + "</ETag><PartNumber>" + std::to_string(number) +
               "</PartNumber></Part>";
    }
    return xml + "</CompleteMultipartUpload>";
}

std::string raw_md5(const std::string& data) {
    const std::string hex = http::md5_hex(data);
    std::string out;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    return out;
}

} // namespace

TEST_CASE("object store: a multipart upload joins the listed parts; ETag is md5-of-md5s-N") {
    auto store = make_store();
    const std::string id = start_upload(*store, "dir/app.bin");
    // Parts may arrive in any order and be replaced.
    const auto e2 = put_part(*store, "dir/app.bin", id, 2, "BBBBB");
    put_part(*store, "dir/app.bin", id, 1, "old!");
    const auto e1 = put_part(*store, "dir/app.bin", id, 1, "AAAA");
    const auto e3 = put_part(*store, "dir/app.bin", id, 3, "C");
    CHECK(e1 == "\"" + http::md5_hex("AAAA") + "\"");

    const auto parts = send(*store, bhttp::verb::get, "/fw/dir/app.bin?uploadId=" + id);
    CHECK(parts.status == 200);
    CHECK(parts.all("PartNumber") == std::vector<std::string>{"1", "2", "3"});
    CHECK(parts.all("Size") == std::vector<std::string>{"4", "5", "1"});

    const auto done = send(*store, bhttp::verb::post, "/fw/dir/app.bin?uploadId=" + id,
                           completion({{1, e1}, {2, e2}, {3, e3}}));
    REQUIRE(done.status == 200);
    const std::string etag =
        "\"" + http::md5_hex(raw_md5("AAAA") + raw_md5("BBBBB") + raw_md5("C")) + "-3\"";
    CHECK(done.first("ETag") == "&quot;" + etag.substr(1, etag.size() - 2) + "&quot;");
    CHECK(done.first("Key") == "dir/app.bin");
    CHECK(store->get_object("fw", "dir/app.bin") == "AAAABBBBBC");
    const auto head = send(*store, bhttp::verb::head, "/fw/dir/app.bin");
    CHECK(head.header("ETag") == etag);

    // The upload is gone once completed.
    const auto again =
        send(*store, bhttp::verb::post, "/fw/dir/app.bin?uploadId=" + id, completion({{1, e1}}));
    CHECK(again.status == 404);
    CHECK(again.code() == "NoSuchUpload");
}

TEST_CASE("object store: a subset of parts, ETags unquoted or escaped, a small last part") {
    auto store = make_store();
    const std::string id = start_upload(*store, "k");
    const auto e1 = put_part(*store, "k", id, 1, "AAAA");
    put_part(*store, "k", id, 2, "skipped");
    const auto e5 = put_part(*store, "k", id, 5, "z");
    const auto done =
        send(*store, bhttp::verb::post, "/fw/k?uploadId=" + id,
             completion({{1, e1.substr(1, 32)}, {5, "&quot;" + e5.substr(1, 32) + "&quot;"}}));
    CHECK(done.status == 200);
    CHECK(store->get_object("fw", "k") == "AAAAz");
}

TEST_CASE("object store: bad CompleteMultipartUpload documents are MalformedXML") {
    auto store = make_store();
    const std::string id = start_upload(*store, "k");
    const auto e1 = put_part(*store, "k", id, 1, "AAAA");
    const std::string deep = std::string(5000, '<') + "a>";
    std::string nested;
    for (int i = 0; i < 2000; ++i) {
        nested += "<Part>";
    }
    const std::vector<std::string> bad = {
        "",
        "not xml",
        "<CompleteMultipartUpload>",
        "<CompleteMultipartUpload></CompleteMultipartUpload>",
        "<Other><Part><ETag>" + e1 + "</ETag><PartNumber>1</PartNumber></Part></Other>",
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></"
        "CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><ETag>x</ETag></Part></CompleteMultipartUpload>",
        completion({{0, e1}}),
        completion({{10001, e1}}),
        "<CompleteMultipartUpload><Part><ETag>x</ETag><PartNumber>1x</PartNumber></Part>"
        "</CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Bogus/></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><ETag>&bad;</ETag><PartNumber>1</PartNumber></Part>"
        "</CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><ETag>&#xZ;</ETag><PartNumber>1</PartNumber></Part>"
        "</CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><ETag>a & b</ETag><PartNumber>1</PartNumber></Part>"
        "</CompleteMultipartUpload>",
        completion({{1, e1}}) + "<Second/>",
        deep,
        "<CompleteMultipartUpload>" + nested,
    };
    for (const auto& body : bad) {
        INFO("body: " << body.substr(0, 200));
        const auto a = send(*store, bhttp::verb::post, "/fw/k?uploadId=" + id, body);
        CHECK(a.status == 400);
        CHECK(a.code() == "MalformedXML");
    }
    CHECK_FALSE(store->get_object("fw", "k").has_value());
    // The upload survives its bad completions.
    CHECK(send(*store, bhttp::verb::post, "/fw/k?uploadId=" + id, completion({{1, e1}})).status ==
          200);
}

TEST_CASE("object store: parts out of order, unknown, with a wrong ETag, or too small") {
    auto store = make_store(/*min_part_size=*/4);
    const std::string id = start_upload(*store, "k");
    const auto e1 = put_part(*store, "k", id, 1, "AAAA");
    const auto e2 = put_part(*store, "k", id, 2, "BB");
    const auto e3 = put_part(*store, "k", id, 3, "CCCC");
    struct Case {
        std::vector<std::pair<int, std::string>> parts;
        std::string code;
    };
    const std::vector<Case> cases = {
        {{{2, e2}, {1, e1}}, "InvalidPartOrder"},
        {{{1, e1}, {1, e1}}, "InvalidPartOrder"},
        {{{1, e1}, {4, e1}}, "InvalidPart"},
        {{{1, e1}, {2, e1}}, "InvalidPart"},
        {{{1, "\"00000000000000000000000000000000\""}}, "InvalidPart"},
        {{{1, e1}, {2, e2}, {3, e3}}, "EntityTooSmall"},
    };
    for (const auto& c : cases) {
        INFO("expected " << c.code);
        const auto a = send(*store, bhttp::verb::post, "/fw/k?uploadId=" + id, completion(c.parts));
        CHECK(a.status == 400);
        CHECK(a.code() == c.code);
    }
    CHECK_FALSE(store->get_object("fw", "k").has_value());
    CHECK(send(*store, bhttp::verb::post, "/fw/k?uploadId=" + id, completion({{1, e1}, {3, e3}}))
              .status == 200);
}

TEST_CASE("object store: missing or unknown upload ids and bad part numbers") {
    auto store = make_store();
    const std::string id = start_upload(*store, "k");
    const auto e1 = put_part(*store, "k", id, 1, "AAAA");

    auto a = send(*store, bhttp::verb::post, "/fw/k", completion({{1, e1}}));
    CHECK(a.status == 405);
    CHECK(a.code() == "MethodNotAllowed");
    a = send(*store, bhttp::verb::post, "/fw/k?uploadId=", completion({{1, e1}}));
    CHECK(a.code() == "NoSuchUpload");
    a = send(*store, bhttp::verb::post, "/fw/k?uploadId=nope", completion({{1, e1}}));
    CHECK(a.status == 404);
    CHECK(a.code() == "NoSuchUpload");
    CHECK(a.first("UploadId") == "nope");
    a = send(*store, bhttp::verb::post, "/fw/other?uploadId=" + id, completion({{1, e1}}));
    CHECK(a.code() == "NoSuchUpload"); // an upload id belongs to its bucket and key
    a = send(*store, bhttp::verb::put, "/fw/k?partNumber=1&uploadId=nope", "x");
    CHECK(a.code() == "NoSuchUpload");
    a = send(*store, bhttp::verb::get, "/fw/k?uploadId=nope");
    CHECK(a.code() == "NoSuchUpload");
    a = send(*store, bhttp::verb::post, "/nobucket/k?uploads");
    CHECK(a.code() == "NoSuchBucket");

    for (const std::string number : {"0", "10001", "x", "", "-1", "99999999999999999999"}) {
        a = send(*store, bhttp::verb::put, "/fw/k?partNumber=" + number + "&uploadId=" + id, "x");
        CHECK(a.status == 400);
        CHECK(a.code() == "InvalidArgument");
    }
    a = send(*store, bhttp::verb::put, "/fw/k?uploadId=" + id, "x");
    CHECK(a.code() == "InvalidArgument");
    a = send(*store, bhttp::verb::put, "/fw/k?partNumber=2&uploadId=" + id, "x",
             {{"Content-MD5", "AAAAAAAAAAAAAAAAAAAAAA=="}});
    CHECK(a.code() == "BadDigest");
    CHECK(send(*store, bhttp::verb::get, "/fw/k?uploadId=" + id).all("PartNumber").size() == 1);
}

TEST_CASE("object store: AbortMultipartUpload, and DeleteBucket drops unfinished uploads") {
    auto store = make_store();
    const std::string id = start_upload(*store, "k");
    put_part(*store, "k", id, 1, "AAAA");
    CHECK(send(*store, bhttp::verb::delete_, "/fw/k?uploadId=" + id).status == 204);
    auto a = send(*store, bhttp::verb::delete_, "/fw/k?uploadId=" + id);
    CHECK(a.status == 404);
    CHECK(a.code() == "NoSuchUpload");
    CHECK(send(*store, bhttp::verb::get, "/fw/k?uploadId=" + id).code() == "NoSuchUpload");

    const std::string pending = start_upload(*store, "p");
    const auto e1 = put_part(*store, "p", pending, 1, "AAAA");
    CHECK(send(*store, bhttp::verb::delete_, "/fw").status == 204);
    store->create_bucket("fw");
    a = send(*store, bhttp::verb::post, "/fw/p?uploadId=" + pending, completion({{1, e1}}));
    CHECK(a.code() == "NoSuchUpload");
}

TEST_CASE("object store: CreateBucket checks its location constraint") {
    auto east = make_store();
    CHECK(send(*east, bhttp::verb::put, "/firmware").status == 200);
    CHECK(send(*east, bhttp::verb::put, "/firmware").status == 200); // us-east-1: owned is fine
    auto a = send(*east, bhttp::verb::put, "/newer", "<CreateBucketConfiguration");
    CHECK(a.code() == "MalformedXML");
    a = send(*east, bhttp::verb::put, "/newer",
             "<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint>"
             "</CreateBucketConfiguration>");
    CHECK(a.code() == "InvalidLocationConstraint");
    CHECK(send(*east, bhttp::verb::head, "/newer").status == 404);

    auto west = make_store(4, "eu-west-1");
    a = send(*west, bhttp::verb::put, "/bucket-two");
    CHECK(a.status == 400);
    CHECK(a.code() == "IllegalLocationConstraintException");
    const std::string config = "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/"
                               "2006-03-01/\"><LocationConstraint>eu-west-1</LocationConstraint>"
                               "</CreateBucketConfiguration>";
    CHECK(send(*west, bhttp::verb::put, "/bucket-two", config).status == 200);
    a = send(*west, bhttp::verb::put, "/bucket-two", config);
    CHECK(a.status == 409);
    CHECK(a.code() == "BucketAlreadyOwnedByYou");
}

TEST_CASE("object store: ListObjectsV2 pages by max-keys and continuation tokens") {
    auto store = make_store();
    for (const char* key : {"a", "b", "c/1", "c/2", "c/3", "d", "e f"}) {
        store->put_object("fw", key, "x");
    }
    std::vector<std::string> keys;
    std::string token;
    for (int page = 0; page < 4; ++page) {
        const auto a = send(*store, bhttp::verb::get,
                            "/fw?list-type=2&max-keys=3" +
                                (token.empty() ? "" : "&continuation-token=" + token));
        REQUIRE(a.status == 200);
        for (const auto& k : a.all("Key")) {
            keys.push_back(k);
        }
        if (a.first("IsTruncated") == "false") {
            CHECK(a.first("NextContinuationToken").empty());
            CHECK(page == 2);
            break;
        }
        CHECK(a.first("KeyCount") == "3");
        token = http::aws_uri_encode(a.first("NextContinuationToken"), true);
    }
    CHECK(keys == std::vector<std::string>{"a", "b", "c/1", "c/2", "c/3", "d", "e f"});

    // With a delimiter a common prefix counts as one entry and never repeats across pages.
    std::vector<std::string> entries;
    token.clear();
    for (int page = 0; page < 5; ++page) {
        const auto a = send(*store, bhttp::verb::get,
                            "/fw?list-type=2&delimiter=%2F&max-keys=2" +
                                (token.empty() ? "" : "&continuation-token=" + token));
        for (const auto& k : a.all("Key")) {
            entries.push_back(k);
        }
        for (const auto& p : a.all("Prefix")) {
            if (!p.empty()) {
                entries.push_back(p);
            }
        }
        if (a.first("IsTruncated") == "false") {
            break;
        }
        token = http::aws_uri_encode(a.first("NextContinuationToken"), true);
    }
    std::sort(entries.begin(), entries.end());
    CHECK(entries == std::vector<std::string>{"a", "b", "c/", "d", "e f"});

    auto a = send(*store, bhttp::verb::get, "/fw?list-type=2&start-after=c%2F2&encoding-type=url");
    CHECK(a.all("Key") == std::vector<std::string>{"c/3", "d", "e%20f"});
    CHECK(a.first("StartAfter") == "c/2");
    a = send(*store, bhttp::verb::get, "/fw?list-type=2&max-keys=5000");
    CHECK(a.first("MaxKeys") == "1000");
    CHECK(a.all("Key").size() == 7);
}

TEST_CASE("object store: listing parameters that are wrong get InvalidArgument") {
    auto store = make_store();
    store->put_object("fw", "a", "x");
    for (const std::string query :
         {"list-type=2&max-keys=-1", "list-type=2&max-keys=x", "list-type=2&max-keys=",
          "list-type=2&encoding-type=base64", "list-type=2&continuation-token=%21%21",
          "list-type=2&continuation-token=", "list-type=2&continuation-token=eA%3D%3D"}) {
        INFO(query);
        const auto a = send(*store, bhttp::verb::get, "/fw?" + query);
        CHECK(a.status == 400);
        CHECK(a.code() == "InvalidArgument");
    }
}

TEST_CASE("object store: ListObjects V1 pages by marker") {
    auto store = make_store();
    for (const char* key : {"a", "b/1", "b/2", "c"}) {
        store->put_object("fw", key, "x");
    }
    auto a = send(*store, bhttp::verb::get, "/fw?max-keys=2&delimiter=%2F");
    CHECK(a.first("IsTruncated") == "true");
    CHECK(a.first("NextMarker") == "b/");
    a = send(*store, bhttp::verb::get, "/fw?max-keys=2&delimiter=%2F&marker=b%2F");
    CHECK(a.all("Key") == std::vector<std::string>{"c"});
    CHECK(a.first("IsTruncated") == "false");
    a = send(*store, bhttp::verb::get, "/fw?max-keys=2&marker=b%2F1");
    CHECK(a.all("Key") == std::vector<std::string>{"b/2", "c"});
}
