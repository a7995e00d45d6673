#include "fota/job_update.hpp"

#include <catch2/catch.hpp>

#include <array>

using namespace fota;

TEST_CASE("update payloads, seed format, byte for byte", "[core][job_update]") {
    std::array<char, kMaxUpdatePayloadSize> buffer{};
    std::string_view payload;
    JobUpdate update;
    update.expected_version = 1;
    update.client_token = "0f3a9c41";
    REQUIRE(build_job_update(buffer, UpdateFormat::Seed, update, payload));
    CHECK(payload == R"({"status":"IN_PROGRESS","statusDetails":{"nextState":"download_firmware"},)"
                     R"("expectedVersion":"1","clientToken":"0f3a9c41"})");
    update.next_state = NextState::ApplyFirmware;
    update.expected_version = 2;
    REQUIRE(build_job_update(buffer, UpdateFormat::Seed, update, payload));
    CHECK(payload == R"({"status":"IN_PROGRESS","statusDetails":{"nextState":"apply_firmware"},)"
                     R"("expectedVersion":"2","clientToken":"0f3a9c41"})");
    update.status = ExecutionStatus::Succeeded;
    update.next_state = NextState::None;
    update.expected_version = 4294967295u;
    REQUIRE(build_job_update(buffer, UpdateFormat::Seed, update, payload));
    CHECK(payload == R"({"status":"SUCCEEDED","statusDetails":{"nextState":"none"},)"
                     R"("expectedVersion":"4294967295","clientToken":"0f3a9c41"})");
    update.status = ExecutionStatus::Failed;
    update.reason = "HTTP 404: \"gone\"";
    update.has_expected_version = false;
    REQUIRE(build_job_update(buffer, UpdateFormat::Seed, update, payload));
    CHECK(payload == R"({"status":"FAILED","statusDetails":{"nextState":"none",)"
                     R"("reason":"HTTP 404: \"gone\""},"clientToken":"0f3a9c41"})");
}

TEST_CASE("update payloads, NCS format, byte for byte", "[core][job_update]") {
    std::array<char, kMaxUpdatePayloadSize> buffer{};
    std::string_view payload;
    JobUpdate update;
    update.expected_version = 1;
    update.client_token = "ignored";
    REQUIRE(build_job_update(buffer, UpdateFormat::Ncs, update, payload));
    CHECK(
        payload ==
        R"({"status":"IN_PROGRESS","statusDetails": null,"expectedVersion": "1","clientToken": ""})");
    REQUIRE(build_get_request(buffer, UpdateFormat::Ncs, "x", payload));
    CHECK(payload == R"({"clientToken": ""})");
    REQUIRE(build_get_request(buffer, UpdateFormat::Seed, "ab12", payload));
    CHECK(payload == R"({"clientToken":"ab12"})");
}

TEST_CASE("update payloads refuse what does not fit or is not printable", "[core][job_update]") {
    std::array<char, 40> small{};
    std::string_view payload;
    JobUpdate update;
    CHECK_FALSE(build_job_update(small, UpdateFormat::Seed, update, payload));
    CHECK(payload.empty());
    std::array<char, kMaxUpdatePayloadSize> buffer{};
    update.status = ExecutionStatus::Failed;
    update.reason = "line\nbreak";
    CHECK_FALSE(build_job_update(buffer, UpdateFormat::Seed, update, payload));
}

TEST_CASE("job replies: rejection codes and executionState", "[core][job_update]") {
    JobReply reply;
    REQUIRE(parse_job_reply(
        R"({"code":"VersionMismatch","message":"m","clientToken":"t1","timestamp":1,)"
        R"("executionState":{"status":"IN_PROGRESS","statusDetails":{},"versionNumber":7}})",
        reply));
    CHECK(reply.code == RejectCode::VersionMismatch);
    CHECK(reply.client_token_view() == "t1");
    CHECK(reply.has_execution_state);
    CHECK(reply.state_status == ExecutionStatus::InProgress);
    CHECK(reply.has_state_version);
    CHECK(reply.state_version == 7);
    REQUIRE(parse_job_reply(R"({"code":"ResourceNotFound","timestamp":1})", reply));
    CHECK(reply.code == RejectCode::ResourceNotFound);
    CHECK_FALSE(reply.has_client_token);
    CHECK_FALSE(reply.has_execution_state);
    CHECK_FALSE(reply.has_state_version);
    CHECK(reply.state_status == ExecutionStatus::Unknown);
    CHECK(reply.client_token_view().empty());
    REQUIRE(parse_job_reply(R"({"code":"Nope"})", reply));
    CHECK(reply.code == RejectCode::Other);
    CHECK_FALSE(parse_job_reply("{", reply));
    CHECK_FALSE(parse_job_reply("[]", reply));
}
