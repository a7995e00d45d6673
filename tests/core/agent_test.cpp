// fota::Agent against a fake world: the seed's flow, the verified profile and every field-bug
// case of issue 3 point 3 (FB numbers from spec/ncs-aws-fota.md section 11).
#include "fake_world.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

using namespace fota;
using fota::test::World;

namespace {

int count_containing(const std::vector<std::string>& lines, const std::string& needle) {
    return static_cast<int>(std::count_if(lines.begin(), lines.end(), [&](const std::string& l) {
        return l.find(needle) != std::string::npos;
    }));
}

bool slot_holds_image(const World& world) {
    return std::equal(world.image.begin(), world.image.end(), world.slot().begin());
}

void require_updated(World& world, const std::string& job = "job1") {
    REQUIRE(world.execution(job) != nullptr);
    CHECK(world.execution(job)->status == "SUCCEEDED");
    CHECK(world.running == ImageVersion{1, 0, 1, 0});
    CHECK(world.confirmed);
    REQUIRE(world.agent);
    CHECK(world.agent->phase() == Phase::Idle);
    CHECK(world.flash_violations == 0);
    CHECK(world.shadow_reported.find("\"nrf_cloud_app_fw_version\":\"v1.0.1\"") !=
          std::string::npos);
}

} // namespace

TEST_CASE("default profile: the seed's flow end to end", "[core][agent]") {
    World world;
    world.make_image(50000);
    world.power_on();
    world.run();
    CHECK(world.shadow_reported ==
          R"({"state":{"reported":{"nrf_cloud_app_fw_version":"v1.0.0"}}})");
    world.create_job("job1", world.fota_document());
    world.run();
    require_updated(world);
    CHECK(world.reboots == 1);
    CHECK(slot_holds_image(world));
    // One ranged GET per 4 KiB fragment, no repeats.
    CHECK(count_containing(world.http_log, "GET ") == 13);
    CHECK(count_containing(world.published, "\"nextState\":\"download_firmware\"") == 1);
    CHECK(count_containing(world.published, "\"nextState\":\"apply_firmware\"") == 1);
    CHECK(count_containing(world.published, "\"status\":\"SUCCEEDED\"") == 1);
    // After the reboot notify-next is subscribed again.
    CHECK(world.subscribed.back() == "$aws/things/dev1/jobs/notify-next");
}

TEST_CASE("verified profile: SUCCEEDED only after the new image booted and was confirmed",
          "[core][agent]") {
    World world(verified_profile());
    world.make_image(20000);
    world.boot_and_offer_job();
    // Run until the reboot: the cloud must still say IN_PROGRESS then.
    while (world.reboots == 0 && world.step()) {
    }
    REQUIRE(world.reboots == 1);
    CHECK(world.execution("job1")->status == "IN_PROGRESS");
    CHECK(count_containing(world.published, "SUCCEEDED") == 0);
    world.run();
    require_updated(world);
}

TEST_CASE("verified profile: a rollback is reported FAILED with the reason", "[core][agent]") {
    World world(verified_profile());
    world.make_image(20000);
    world.boot_and_offer_job();
    while (world.reboots == 0 && world.step()) {
    }
    // The new image boots but never gets its MQTT connection; a reset follows (FB-10).
    world.auto_connect = false;
    world.step(); // power cycle into the test image
    CHECK(world.running == ImageVersion{1, 0, 1, 0});
    CHECK_FALSE(world.confirmed);
    world.run();
    world.auto_connect = true;
    world.power_cut();
    world.power_on(); // MCUboot reverts the unconfirmed image
    world.run();
    CHECK(world.running == ImageVersion{1, 0, 0, 0});
    REQUIRE(world.execution("job1") != nullptr);
    CHECK(world.execution("job1")->status == "FAILED");
    CHECK(world.execution("job1")
              ->status_details.value("reason", "")
              .find("rolled_back running v1.0.0") == 0);
    CHECK(world.agent->phase() == Phase::Idle);
}

TEST_CASE("default profile: rollback after SUCCEEDED is logged, never a reboot loop",
          "[core][agent]") {
    World world;
    world.make_image(8000);
    world.boot_and_offer_job();
    while (world.reboots == 0 && world.step()) {
    }
    world.auto_connect = false;
    world.step();
    world.run();
    world.auto_connect = true;
    world.power_cut();
    world.power_on();
    world.run();
    CHECK(world.running == ImageVersion{1, 0, 0, 0});
    CHECK(world.reboots == 1);
    CHECK(count_containing(world.events, "rollback_after_success") == 1);
    CHECK(world.agent->phase() == Phase::Idle);
}

TEST_CASE("a power cut between any two inputs resumes and completes", "[core][agent][power_cut]") {
    for (const bool verified : {false, true}) {
        const Profile profile = verified ? verified_profile() : default_profile();
        // Count the steps of a clean run.
        World clean(profile);
        clean.make_image(9000);
        clean.boot_and_offer_job();
        const int total = clean.run();
        require_updated(clean);
        int reverts = 0;
        for (int cut = 1; cut < total; ++cut) {
            World world(profile);
            world.make_image(9000);
            world.boot_and_offer_job();
            for (int i = 0; i < cut && world.step(); ++i) {
            }
            // A reset while the new image runs unconfirmed is MCUboot's revert case.
            const bool in_test_window = world.testing && !world.confirmed;
            world.power_cut();
            world.power_on();
            world.run();
            INFO("profile " << profile.name << ", power cut after step " << cut << " of " << total
                            << (in_test_window ? " (unconfirmed test image)" : ""));
            CHECK(world.flash_violations == 0);
            CHECK(world.agent->phase() == Phase::Idle);
            CHECK(slot_holds_image(world));
            if (in_test_window) {
                CHECK(world.running == ImageVersion{1, 0, 0, 0});
                CHECK(world.execution("job1")->status == (verified ? "FAILED" : "SUCCEEDED"));
                ++reverts;
            } else {
                require_updated(world);
                CHECK(world.reboots >= 1);
                CHECK(world.reboots <= 2);
            }
        }
        CHECK(reverts >= 1); // the window exists and was exercised
        CHECK(reverts <= 3);
    }
}

TEST_CASE("duplicate deliveries of the job in hand are ignored (FB-02, FB-03)", "[core][agent]") {
    World world;
    world.make_image(12000);
    world.duplicate_notify = 2; // notify-next three times
    world.boot_and_offer_job();
    world.agent->on_message("$aws/things/dev1/jobs/$next/get/accepted",
                            nlohmann::json{{"clientToken", ""},
                                           {"execution",
                                            {{"jobId", "job1"},
                                             {"status", "QUEUED"},
                                             {"versionNumber", 1},
                                             {"jobDocument", world.fota_document()}}}}
                                .dump());
    world.run();
    require_updated(world);
    CHECK(count_containing(world.published, "\"nextState\":\"download_firmware\"") == 1);
    CHECK(count_containing(world.events, "duplicate_job_ignored") == 3);
}

TEST_CASE("a stale duplicate that arrives after IN_PROGRESS was accepted keeps the newer version",
          "[core][agent]") {
    // AWS orders no reply against a notification: a notify-next (or $next/get reply) computed
    // while the execution was QUEUED at version 1 can arrive after update/accepted made it 2.
    // Found by the sim stack's seed sweeps (seed-happy-path --seed 87 --stack sim).
    World world;
    world.make_image(12000);
    world.boot_and_offer_job();
    while (!(world.agent->phase() == Phase::Downloading && world.agent->version_number() == 2) &&
           world.step()) {
    }
    REQUIRE(world.agent->phase() == Phase::Downloading);
    REQUIRE(world.agent->version_number() == 2);
    const nlohmann::json stale = {{"jobId", "job1"},
                                  {"status", "QUEUED"},
                                  {"versionNumber", 1},
                                  {"executionNumber", 1},
                                  {"jobDocument", world.fota_document()}};
    world.agent->on_message("$aws/things/dev1/jobs/notify-next",
                            nlohmann::json{{"timestamp", 1}, {"execution", stale}}.dump());
    CHECK(world.agent->version_number() == 2);
    world.run();
    require_updated(world);
    CHECK(count_containing(world.events, "version_resync") == 0);
    CHECK(count_containing(world.published, "jobs/job1/update ") == 3); // IN_PROGRESS, apply, done
}

TEST_CASE("a lost update/accepted: resend, VersionMismatch, resync from executionState (FB-17, "
          "FB-18)",
          "[core][agent]") {
    World world;
    world.make_image(6000);
    world.power_on();
    world.run();
    world.drop_update_replies = true;
    world.create_job("job1", world.fota_document());
    while (world.execution("job1")->status != "IN_PROGRESS" && world.step()) {
    }
    world.drop_update_replies = false;
    world.run(); // UpdateResponse fires, the resend meets VersionMismatch, the agent resyncs
    require_updated(world);
    CHECK(count_containing(world.events, "version_resync") == 1);
    CHECK(world.reboots == 1);
}

TEST_CASE("other rejections end the job cleanly, never a reboot (FB-17)", "[core][agent]") {
    World world;
    world.make_image(6000);
    world.boot_and_offer_job();
    // Cancelled in the cloud before the device's IN_PROGRESS arrives.
    world.execution("job1")->status = "CANCELED";
    world.run();
    CHECK(world.agent->phase() == Phase::Idle);
    CHECK(world.reboots == 0);
    CHECK(count_containing(world.http_log, "GET ") == 0);
    // The device is free for the next job.
    world.create_job("job2", world.fota_document());
    world.run();
    require_updated(world, "job2");
}

TEST_CASE("invalid or unusable job documents are reported FAILED with a reason (FB-06, FB-07, "
          "FB-08, FB-09)",
          "[core][agent]") {
    struct Case {
        const char* name;
        nlohmann::json document;
        const char* reason;
    };
    const Case cases[] = {
        {"missing location", {{"operation", "app_fw_update"}}, "location"},
        {"not a firmware job", {{"operation", "reboot"}}, "operation_unsupported reboot"},
        {"unsupported scheme",
         {{"operation", "app_fw_update"}, {"location", {{"url", "ftp://h/x"}}}},
         "url_scheme_unsupported"},
        {"URL too long",
         {{"operation", "app_fw_update"},
          {"location", {{"url", "https://h/" + std::string(3000, 'x')}}}},
         "url_too_long 3010"},
        {"oversized document",
         {{"operation", "app_fw_update"},
          {"location", {{"url", "https://h/x"}}},
          {"padding", std::string(9000, 'p')}},
         "job_document_too_large"},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        World world;
        world.make_image(6000);
        world.power_on();
        world.run();
        world.create_job("bad", c.document);
        world.create_job("good", world.fota_document());
        world.run();
        REQUIRE(world.execution("bad") != nullptr);
        CHECK(world.execution("bad")->status == "FAILED");
        CHECK(world.execution("bad")->status_details.value("reason", "").find(c.reason) !=
              std::string::npos);
        // Never left at the head of the queue: the next job runs.
        require_updated(world, "good");
    }
}

TEST_CASE("a document that is not even a job envelope is ignored without a crash",
          "[core][agent]") {
    World world;
    world.power_on();
    world.run();
    for (const char* payload : {"", "{", "[]", "{\"execution\":{\"jobId\":5}}", "\xff\xfe"}) {
        world.agent->on_message("$aws/things/dev1/jobs/notify-next", payload);
        world.agent->on_message("$aws/things/dev1/jobs/$next/get/accepted", payload);
        world.agent->on_message("$aws/things/dev1/jobs/x/update/accepted", payload);
    }
    CHECK(world.agent->phase() == Phase::Idle);
    CHECK(count_containing(world.events, "job_message_unusable") >= 4);
}

TEST_CASE("transient HTTP failures back off exponentially from the right offset (FB-15)",
          "[core][agent]") {
    World world;
    world.make_image(20000);
    int failures = 0;
    world.http_fault = [&](std::uint32_t first, std::uint32_t, int& status, std::string& range,
                           std::vector<std::uint8_t>& body) {
        if (first == 8192 && failures < 4) {
            ++failures;
            status = failures == 2 ? 500 : 503;
            range.clear();
            body.clear();
        }
    };
    world.boot_and_offer_job();
    const std::uint64_t before = world.now_ms;
    world.run();
    require_updated(world);
    CHECK(failures == 4);
    CHECK(count_containing(world.http_log, "GET " + world.current_url() + " 8192-12287") == 5);
    CHECK(count_containing(world.http_log, " 0-4095") == 1);
    // 1 + 2 + 4 + 8 s with +/-20 % jitter.
    CHECK(world.now_ms - before >= 12000);
    CHECK(world.now_ms - before <= 18000 + 60000);
}

TEST_CASE("too many failures fail the job with the cause (FB-27)", "[core][agent]") {
    World world;
    world.make_image(20000);
    world.http_fault = [&](std::uint32_t first, std::uint32_t, int& status, std::string& range,
                           std::vector<std::uint8_t>& body) {
        if (first >= 4096) {
            status = 503;
            range.clear();
            body.clear();
        }
    };
    world.boot_and_offer_job();
    world.run();
    CHECK(world.execution("job1")->status == "FAILED");
    CHECK(world.execution("job1")->status_details.value("reason", "") ==
          "HTTP 503 server_error attempts 8");
    CHECK(world.reboots == 0);
    CHECK(world.agent->phase() == Phase::Idle);
}

TEST_CASE("a server that ignores Range, sends a wrong start or too much never mixes images "
          "(FB-12, FB-14)",
          "[core][agent]") {
    enum Fault { Ignore, WrongStart, WrongStartSameEnd, TooLong, StarTotal, NoContentRange };
    for (const Fault fault :
         {Ignore, WrongStart, WrongStartSameEnd, TooLong, StarTotal, NoContentRange}) {
        INFO("fault " << fault);
        World world;
        world.make_image(20000);
        int injected = 0;
        world.http_fault = [&](std::uint32_t first, std::uint32_t last, int& status,
                               std::string& range, std::vector<std::uint8_t>& body) {
            if (first != 4096 || injected >= 2) {
                return;
            }
            ++injected;
            switch (fault) {
            case Ignore:
                status = 200;
                range.clear();
                body = world.image;
                break;
            case WrongStart:
                range = "bytes 0-4095/20000";
                body.assign(world.image.begin(), world.image.begin() + 4096);
                break;
            case WrongStartSameEnd: // the bytes of 4000..8191 claimed and sent for 4096..8191
                range = "bytes 4000-8191/20000";
                body.assign(world.image.begin() + 4000, world.image.begin() + 4000 + 4096);
                break;
            case TooLong:
                body.assign(world.image.begin() + first, world.image.begin() + last + 1 + 100);
                break;
            case StarTotal:
                range = "bytes 4096-8191/*";
                break;
            case NoContentRange:
                range.clear();
                break;
            }
        };
        world.boot_and_offer_job();
        world.run();
        CHECK(injected >= 1);
        require_updated(world);
        CHECK(slot_holds_image(world));
    }
}

TEST_CASE("416 after the object shrank restarts from zero", "[core][agent]") {
    World world;
    world.make_image(20000);
    world.power_on();
    world.run();
    // No size in the document: the total comes from Content-Range.
    world.create_job("job1", world.fota_document(false, false));
    for (int i = 0; i < 400 && count_containing(world.http_log, " 8192-") == 0; ++i) {
        world.step();
    }
    world.make_image(6000, 99); // replaced by a smaller object
    world.run();
    require_updated(world);
    CHECK(slot_holds_image(world));
    CHECK(count_containing(world.events, "download_restart") == 1);
}

TEST_CASE("the SHA-256 in the document catches a replaced object of the same size",
          "[core][agent]") {
    World world;
    world.make_image(12000);
    world.boot_and_offer_job();
    for (int i = 0; i < 400 && count_containing(world.http_log, " 4096-") == 0; ++i) {
        world.step();
    }
    world.make_image(12000, 77); // same size, other content, from 8192 on
    world.run();
    CHECK(world.execution("job1")->status == "FAILED");
    CHECK(world.execution("job1")->status_details.value("reason", "") == "sha256_mismatch");
    CHECK(world.reboots == 0);
}

TEST_CASE("403 (expired presigned URL) fetches the job document again", "[core][agent]") {
    World world;
    world.make_image(20000);
    world.urls_expire = true;
    world.boot_and_offer_job();
    for (int i = 0; i < 400 && count_containing(world.http_log, " 8192-") == 0; ++i) {
        world.step();
    }
    ++world.url_generation; // the URL in hand has expired
    world.run();
    require_updated(world);
    CHECK(count_containing(world.events, "url_refreshed") == 1);
    CHECK(count_containing(world.published, "$aws/things/dev1/jobs/job1/get ") >= 1);
    CHECK(slot_holds_image(world));
}

TEST_CASE("a job cancelled or deleted during the download stops it (FB-19)", "[core][agent]") {
    for (const bool deleted : {false, true}) {
        INFO((deleted ? "deleted" : "cancelled"));
        World world;
        world.make_image(200000);
        world.ms_per_input = 250; // the download takes minutes of virtual time
        world.boot_and_offer_job();
        for (int i = 0; i < 400 && count_containing(world.http_log, " 8192-") == 0; ++i) {
            world.step();
        }
        if (deleted) {
            world.execution("job1")->deleted = true;
        } else {
            world.execution("job1")->status = "CANCELED";
        }
        world.run();
        CHECK(world.agent->phase() == Phase::Idle);
        CHECK(world.reboots == 0);
        CHECK(count_containing(world.http_log, "GET ") < 49); // stopped well before the end
        world.create_job("job2", world.fota_document());
        world.run();
        require_updated(world, "job2");
    }
}

TEST_CASE("a lost MQTT connection re-subscribes and re-sends what was not accepted (FB-21)",
          "[core][agent]") {
    World world;
    world.make_image(6000);
    world.power_on();
    world.run();
    world.drop_update_replies = true;
    world.create_job("job1", world.fota_document());
    while (world.execution("job1")->status != "IN_PROGRESS" && world.step()) {
    }
    const auto subscriptions_before = world.subscribed.size();
    world.agent->on_disconnected();
    world.drop_update_replies = false;
    world.agent->on_connected(false);
    world.run();
    CHECK(std::find(world.subscribed.begin() + static_cast<std::ptrdiff_t>(subscriptions_before),
                    world.subscribed.end(),
                    "$aws/things/dev1/jobs/job1/update/accepted") != world.subscribed.end());
    require_updated(world);
}

TEST_CASE("a stalled download times out and resumes at the byte it reached", "[core][agent]") {
    World world;
    world.make_image(20000);
    bool stalled = false;
    world.http_fault = [&](std::uint32_t first, std::uint32_t, int&, std::string&,
                           std::vector<std::uint8_t>& body) {
        if (first == 4096 && !stalled) {
            stalled = true;
            body.resize(1500);
            world.suppress_done = true; // then nothing
        }
    };
    world.boot_and_offer_job();
    world.run();
    require_updated(world);
    CHECK(stalled);
    CHECK(count_containing(world.events, "download_stalled") == 1);
    CHECK(count_containing(world.http_log, " 5596-") == 1); // 4096 + 1500
}

TEST_CASE("flash failures fail the job instead of writing a broken image", "[core][agent]") {
    World world;
    world.make_image(6000);
    world.power_on();
    world.run();
    std::fill(world.slot().begin(), world.slot().end(),
              std::uint8_t{0x00}); // nothing erased: the first write must fail
    world.create_job("job1", world.fota_document());
    world.run();
    // The agent erases before writing, so a dirty slot is fine.
    require_updated(world);
}

TEST_CASE("the agent is deterministic given its inputs (record/replay)", "[core][agent]") {
    const auto run_once = [] {
        World world(default_profile(), 1234);
        world.make_image(30000);
        int n = 0;
        world.http_fault = [&](std::uint32_t, std::uint32_t, int& status, std::string& range,
                               std::vector<std::uint8_t>& body) {
            if (++n % 3 == 0) {
                status = 503;
                range.clear();
                body.clear();
            }
        };
        world.boot_and_offer_job();
        world.run();
        return std::make_pair(world.published, world.now_ms);
    };
    const auto first = run_once();
    const auto second = run_once();
    CHECK(first.first == second.first);
    CHECK(first.second == second.second);
}

TEST_CASE("a power cut after a partial fragment resumes from the start of its flash page",
          "[core][agent][power_cut]") {
    World world;
    world.make_image(20000);
    bool reset_once = false;
    world.http_fault = [&](std::uint32_t first, std::uint32_t, int&, std::string&,
                           std::vector<std::uint8_t>& body) {
        if (first == 4096 && !reset_once) {
            reset_once = true;
            body.resize(2500); // 2048 bytes reach the flash; then the connection drops
            world.suppress_done = true;
        }
    };
    world.boot_and_offer_job();
    // Deliver until the stall timer has handled the broken response (offset saved mid-page).
    for (int i = 0; i < 2000 && count_containing(world.events, "download_stalled") == 0; ++i) {
        world.step();
    }
    REQUIRE(count_containing(world.events, "download_stalled") == 1);
    world.power_cut();
    world.power_on();
    world.run();
    require_updated(world);
    CHECK(slot_holds_image(world));
    CHECK(count_containing(world.events, "download_resume: offset 4096") == 1);
}

TEST_CASE("many agents in one process do not share state", "[core][agent]") {
    // Interleave two devices step by step; each must behave exactly as when run alone.
    const auto run_alone = [](std::uint64_t seed, std::size_t size) {
        World world(default_profile(), seed);
        world.make_image(size, seed);
        world.boot_and_offer_job();
        world.run();
        return world.published;
    };
    World a(default_profile(), 11);
    World b(verified_profile(), 22);
    a.make_image(9000, 11);
    b.make_image(15000, 22);
    a.power_on();
    b.power_on();
    a.run();
    b.run();
    a.create_job("job1", a.fota_document());
    b.create_job("job1", b.fota_document());
    bool more = true;
    while (more) {
        const bool stepped_a = a.step();
        const bool stepped_b = b.step();
        more = stepped_a || stepped_b;
    }
    require_updated(a);
    require_updated(b);
    CHECK(a.published == run_alone(11, 9000));
}

TEST_CASE("NCS payload format and MQTT shadow reports run the same flow", "[core][agent]") {
    Profile profile = default_profile();
    profile.update_format = UpdateFormat::Ncs;
    profile.shadow_transport = ShadowTransport::Mqtt;
    profile.shadow_version_key = "app_version";
    World world(profile);
    world.make_image(9000);
    world.power_on();
    world.run();
    CHECK(world.shadow_reported == R"({"state":{"reported":{"app_version":"v1.0.0"}}})");
    CHECK(world.http_log.empty()); // no HTTPS shadow request
    world.create_job("job1", world.fota_document());
    world.run();
    CHECK(world.execution("job1")->status == "SUCCEEDED");
    CHECK(world.running == ImageVersion{1, 0, 1, 0});
    CHECK(world.shadow_reported == R"({"state":{"reported":{"app_version":"v1.0.1"}}})");
    CHECK(
        count_containing(
            world.published,
            R"({"status":"IN_PROGRESS","statusDetails": null,"expectedVersion": "1","clientToken": ""})") ==
        1);
    CHECK(
        count_containing(
            world.published,
            R"({"status":"SUCCEEDED","statusDetails": null,"expectedVersion": "3","clientToken": ""})") ==
        1);
}
