// The same AWS CLI commands against our object server and against s3rver, compared: bucket
// creation and removal (BucketNotEmpty), a 20 MiB multipart cp and the copy down, the paginated
// listing with a delimiter. Where both answer alike, our server behaves as an S3 written
// elsewhere does; where s3rver departs from what AWS documents (the ETag of a multipart object),
// the test says so and checks ours against AWS's word.
#include "aws_cli_runner.hpp"

#include "fota/cloud/http/crypto.hpp"
#include "fota/cloud/object_server.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

using fota::test::AwsCli;
using fota::test::CommandResult;

namespace {

/// Our object server on a free port, checking signatures made with s3rver's credentials.
struct OurServer {
    OurServer() {
        fota::cloud::ObjectServerConfig config;
        config.credentials = fota::cloud::http::Credentials{"S3RVER", "S3RVER", ""};
        server = std::make_unique<fota::cloud::ObjectServer>(io, std::move(config));
        server->start();
        thread = std::thread([this] { io.run(); });
    }
    ~OurServer() {
        server->stop();
        guard.reset();
        io.stop();
        thread.join();
    }
    boost::asio::io_context io;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{
        io.get_executor()};
    std::unique_ptr<fota::cloud::ObjectServer> server;
    std::thread thread;
};

struct Peers {
    std::string s3rver_endpoint() const {
        const char* value = std::getenv("FOTA_S3RVER_ENDPOINT");
        if (value == nullptr) {
            FAIL("FOTA_S3RVER_ENDPOINT is not set: run through run_s3rver_test.sh");
        }
        return value;
    }
    /// Runs `aws args...` against both; [0] ours, [1] s3rver.
    std::vector<CommandResult> both(const std::vector<std::string>& args) {
        std::vector<CommandResult> results;
        for (const std::string& endpoint : {ours.server->endpoint(), s3rver_endpoint()}) {
            auto full = args;
            full.insert(full.end(), {"--endpoint-url", endpoint});
            results.push_back(cli.run(full));
        }
        return results;
    }
    OurServer ours;
    AwsCli cli{"S3RVER", "S3RVER"};
};

std::string noise(std::size_t n, std::uint32_t seed) {
    std::string s(n, '\0');
    for (auto& byte : s) {
        seed = seed * 1664525u + 1013904223u;
        byte = static_cast<char>(seed >> 24);
    }
    return s;
}

#define REQUIRE_BOTH_OK(results)                                                                   \
    do {                                                                                           \
        const auto& rs_ = (results);                                                               \
        for (std::size_t i_ = 0; i_ < rs_.size(); ++i_) {                                          \
            INFO((i_ == 0 ? "ours" : "s3rver") << ": exit " << rs_[i_].exit_code << "\nstdout: "   \
                                               << rs_[i_].out << "\nstderr: " << rs_[i_].err);     \
            REQUIRE(rs_[i_].exit_code == 0);                                                       \
        }                                                                                          \
    } while (false)

} // namespace

TEST_CASE("ours and s3rver alike: mb, a 20 MiB multipart cp and its ETag, rb") {
    Peers peers;
    const std::string image = noise(20 * 1024 * 1024, 7);
    const std::string file = peers.cli.dir() + "/big.bin";
    fota::test::write_file(file, image);

    REQUIRE_BOTH_OK(peers.both({"s3", "mb", "s3://diff-bucket"}));
    REQUIRE_BOTH_OK(peers.both({"s3", "cp", file, "s3://diff-bucket/big.bin"}));
    const auto heads =
        peers.both({"s3api", "head-object", "--bucket", "diff-bucket", "--key", "big.bin"});
    REQUIRE_BOTH_OK(heads);
    const auto ours = nlohmann::json::parse(heads[0].out);
    const auto theirs = nlohmann::json::parse(heads[1].out);
    CHECK(ours["ContentLength"] == theirs["ContentLength"]);
    // AWS: a multipart object's ETag is not the MD5 of its data ("md5 of the parts' md5s-N").
    // s3rver 3.7.1 departs from that and gives the whole object's MD5; this pins both.
    std::string md5s;
    for (std::size_t at = 0; at < image.size(); at += 8 * 1024 * 1024) {
        const std::string hex =
            fota::cloud::http::md5_hex(std::string_view(image).substr(at, 8 * 1024 * 1024));
        for (std::size_t i = 0; i < hex.size(); i += 2) {
            md5s.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
        }
    }
    CHECK(ours["ETag"] == "\"" + fota::cloud::http::md5_hex(md5s) + "-3\"");
    CHECK(theirs["ETag"] == "\"" + fota::cloud::http::md5_hex(image) + "\"");

    for (int side = 0; side < 2; ++side) {
        const std::string down = peers.cli.dir() + "/down" + std::to_string(side);
        const auto r =
            peers.cli.run({"s3", "cp", "s3://diff-bucket/big.bin", down, "--endpoint-url",
                           side == 0 ? peers.ours.server->endpoint() : peers.s3rver_endpoint()});
        INFO("side " << side << ": " << r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(fota::cloud::http::sha256_hex(fota::test::read_file(down)) ==
              fota::cloud::http::sha256_hex(image));
    }

    const auto refused = peers.both({"s3", "rb", "s3://diff-bucket"});
    for (const auto& r : refused) {
        CHECK(r.exit_code != 0);
        CHECK(r.err.find("BucketNotEmpty") != std::string::npos);
    }
    REQUIRE_BOTH_OK(peers.both({"s3", "rb", "s3://diff-bucket", "--force"}));
    const auto gone = peers.both({"s3api", "head-bucket", "--bucket", "diff-bucket"});
    for (const auto& r : gone) {
        CHECK(r.exit_code != 0);
        CHECK(r.err.find("404") != std::string::npos);
    }
}

/// The pages of `aws s3api list-objects-v2 --max-keys 2` on one side, each side following its
/// own continuation tokens (opaque, so not compared): per page the keys, then the common
/// prefixes; KeyCount as the server said it.
struct Listing {
    std::vector<std::vector<std::string>> pages;
    std::vector<int> key_counts;
};

Listing list_pages(Peers& peers, const std::string& endpoint, bool delimiter) {
    Listing listing;
    std::string token;
    for (int page = 0; page < 6; ++page) {
        std::vector<std::string> args{"s3api",         "list-objects-v2", "--bucket",
                                      "diff-pages",    "--max-keys",      "2",
                                      "--no-paginate", "--endpoint-url",  endpoint};
        if (delimiter) {
            args.insert(args.end(), {"--delimiter", "/"});
        }
        if (!token.empty()) {
            args.insert(args.end(), {"--continuation-token", token});
        }
        const auto r = peers.cli.run(args);
        INFO(endpoint << " page " << page << ": " << r.out << r.err);
        REQUIRE(r.exit_code == 0);
        const auto json = nlohmann::json::parse(r.out);
        std::vector<std::string> entries;
        for (const auto& o : json.value("Contents", nlohmann::json::array())) {
            entries.push_back(o["Key"]);
        }
        for (const auto& p : json.value("CommonPrefixes", nlohmann::json::array())) {
            entries.push_back(p["Prefix"]);
        }
        listing.pages.push_back(entries);
        listing.key_counts.push_back(json["KeyCount"]);
        if (!json["IsTruncated"].get<bool>()) {
            break;
        }
        token = json["NextContinuationToken"];
    }
    return listing;
}

std::set<std::string> all_entries(const Listing& listing) {
    std::set<std::string> all;
    for (const auto& page : listing.pages) {
        all.insert(page.begin(), page.end());
    }
    return all;
}

TEST_CASE("ours and s3rver alike: list-objects-v2 pages of the same keys") {
    Peers peers;
    REQUIRE_BOTH_OK(peers.both({"s3", "mb", "s3://diff-pages"}));
    fota::test::write_file(peers.cli.dir() + "/one", "1");
    for (const char* key : {"a.bin", "b.bin", "dir/c.bin", "dir/d.bin", "e.bin"}) {
        REQUIRE_BOTH_OK(peers.both(
            {"s3", "cp", peers.cli.dir() + "/one", std::string("s3://diff-pages/") + key}));
    }
    const std::string ours = peers.ours.server->endpoint();
    const std::string theirs = peers.s3rver_endpoint();

    // Without a delimiter both page alike: 2, 2, 1 keys.
    const Listing flat_ours = list_pages(peers, ours, false);
    const Listing flat_theirs = list_pages(peers, theirs, false);
    CHECK(flat_ours.pages == flat_theirs.pages);
    CHECK(flat_ours.key_counts == flat_theirs.key_counts);
    CHECK(flat_ours.key_counts == std::vector<int>{2, 2, 1});

    // With a delimiter AWS counts each common prefix as one return against max-keys (and in
    // KeyCount). Ours does: a.bin b.bin | dir/ e.bin. s3rver 3.7.1 does not: it adds the common
    // prefixes on top of max-keys keys and repeats them on the next page; the entries agree.
    const Listing tree_ours = list_pages(peers, ours, true);
    const Listing tree_theirs = list_pages(peers, theirs, true);
    CHECK(tree_ours.pages ==
          std::vector<std::vector<std::string>>{{"a.bin", "b.bin"}, {"e.bin", "dir/"}});
    CHECK(tree_ours.key_counts == std::vector<int>{2, 2});
    CHECK(all_entries(tree_ours) == all_entries(tree_theirs));
    // No rb --force here: s3rver 3.7.1 answered the CLI's concurrent DeleteObjects of dir/c.bin
    // and dir/d.bin with InternalError once (its folder removal races); its data folder goes
    // with the test.
}
