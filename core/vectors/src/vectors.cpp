// The portable test vectors: scripted inputs with the exact port calls they must produce (see
// script.hpp for the script language). Each vector names the field bug or seed step it covers.
// The image of every job is script::pattern_byte(offset); its SHA-256 for 6000 bytes is
// ffa2d4bcdc8a3ae5f4f4549ae2e3602645c98e89f69f358a8de8d8579e4b666e.
#include "fota/vectors.hpp"

#include "fota/json_writer.hpp"
#include "fota/script.hpp"

#include <array>
#include <optional>

namespace fota::vectors {
namespace {

using namespace fota::script;

enum class ProfileKind { Default, Verified, Ncs };

/// Where a vector's script starts.
enum Start : bool {
    kFromPowerOff = false, ///< the script boots the device itself
    kFromIdle = true,      ///< after kSeedPrologue: booted, shadow reported, connected, idle
};

struct Vector {
    const char* name;
    ProfileKind profile;
    std::uint32_t checks;
    Start start;
    const char* script;
};

// The seed's boot of an idle device (default shadow transport), shared by most vectors.
constexpr const char* kSeedPrologue = R"fota(
>boot
<http.start POST https://data.example.com/things/dev1/shadow {"state":{"reported":{"nrf_cloud_app_fw_version":"v1.0.0"}}}
>status 200
>done
<mqtt.connect
>connected
<mqtt.subscribe $aws/things/dev1/jobs/notify-next
<mqtt.publish $aws/things/dev1/jobs/$next/get {"clientToken":"910a2dec"}
)fota";

// clang-format off
constexpr Vector kVectors[] = {
    {"seed_default_profile", ProfileKind::Default, kMqtt | kHttp | kBoot, kFromIdle,
     R"fota(
>msg $aws/things/dev1/jobs/notify-next {"timestamp":1,"execution":{"jobId":"job1","status":"QUEUED","queuedAt":1,"lastUpdatedAt":1,"versionNumber":1,"executionNumber":1,"jobDocument":{"operation":"app_fw_update","fwversion":"v1.0.1","size":10000,"location":{"protocol":"https","host":"bucket.s3.amazonaws.com","path":"app_update.bin"}}}}
<mqtt.unsubscribe $aws/things/dev1/jobs/notify-next
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/accepted
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/rejected
<mqtt.publish $aws/things/dev1/jobs/job1/update {"status":"IN_PROGRESS","statusDetails":{"nextState":"download_firmware"},"expectedVersion":"1","clientToken":"beeb8da1"}
>msg $aws/things/dev1/jobs/job1/update/accepted {"clientToken":"beeb8da1","timestamp":2}
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 0-4095
>status 206
>header Content-Range: bytes 0-4095/10000
>body 1000
>body 3096
>done
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 4096-8191
>status 206
>header content-range: bytes 4096-8191/10000
>body 4096
>done
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 8192-9999
>status 206
>header Content-Range: bytes 8192-9999/10000
>body 1808
>done
<mqtt.publish $aws/things/dev1/jobs/job1/update {"status":"IN_PROGRESS","statusDetails":{"nextState":"apply_firmware"},"expectedVersion":"2","clientToken":"f893a2ee"}
>msg $aws/things/dev1/jobs/job1/update/accepted {"clientToken":"f893a2ee","timestamp":3}
<mqtt.publish $aws/things/dev1/jobs/job1/update {"status":"SUCCEEDED","statusDetails":{"nextState":"none"},"expectedVersion":"3","clientToken":"71c18690"}
>msg $aws/things/dev1/jobs/job1/update/accepted {"clientToken":"71c18690","timestamp":4}
<boot.request_upgrade test
<boot.reboot
=image 10000
>boot
<http.start POST https://data.example.com/things/dev1/shadow {"state":{"reported":{"nrf_cloud_app_fw_version":"v1.0.1"}}}
>status 200
>done
<mqtt.connect
>connected
<boot.confirm
<mqtt.subscribe $aws/things/dev1/jobs/notify-next
<mqtt.publish $aws/things/dev1/jobs/$next/get {"clientToken":"910a2dec"}
=phase idle
=running v1.0.1
=confirmed yes
)fota"},
    {"verified_success_after_confirm", ProfileKind::Verified, kMqtt | kHttp | kBoot, kFromIdle,
     R"fota(
>msg $aws/things/dev1/jobs/notify-next {"timestamp":1,"execution":{"jobId":"job1","status":"QUEUED","queuedAt":1,"lastUpdatedAt":1,"versionNumber":1,"executionNumber":1,"jobDocument":{"operation":"app_fw_update","fwversion":"v1.0.1","size":10000,"location":{"protocol":"https","host":"bucket.s3.amazonaws.com","path":"app_update.bin"}}}}
<mqtt.unsubscribe $aws/things/dev1/jobs/notify-next
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/accepted
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/rejected
<mqtt.publish $aws/things/dev1/jobs/job1/update {"status":"IN_PROGRESS","statusDetails":{"nextState":"download_firmware"},"expectedVersion":"1","clientToken":"beeb8da1"}
>msg $aws/things/dev1/jobs/job1/update/accepted {"clientToken":"beeb8da1","timestamp":2}
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 0-4095
>status 206
>header Content-Range: bytes 0-4095/10000
>body 4096
>done
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 4096-8191
>status 206
>header Content-Range: bytes 4096-8191/10000
>body 4096
>done
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 8192-9999
>status 206
>header Content-Range: bytes 8192-9999/10000
>body 1808
>done
<mqtt.publish $aws/things/dev1/jobs/job1/update {"status":"IN_PROGRESS","statusDetails":{"nextState":"apply_firmware"},"expectedVersion":"2","clientToken":"f893a2ee"}
>msg $aws/things/dev1/jobs/job1/update/accepted {"clientToken":"f893a2ee","timestamp":3}
<boot.request_upgrade test
<boot.reboot
>boot
<http.start POST https://data.example.com/things/dev1/shadow {"state":{"reported":{"nrf_cloud_app_fw_version":"v1.0.1"}}}
>status 200
>done
<mqtt.connect
=phase confirming
>connected
<boot.confirm
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/accepted
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/rejected
<mqtt.publish $aws/things/dev1/jobs/job1/update {"status":"SUCCEEDED","statusDetails":{"nextState":"none"},"expectedVersion":"3","clientToken":"910a2dec"}
>msg $aws/things/dev1/jobs/job1/update/accepted {"clientToken":"910a2dec","timestamp":4}
<mqtt.unsubscribe $aws/things/dev1/jobs/job1/update/accepted
<mqtt.unsubscribe $aws/things/dev1/jobs/job1/update/rejected
<mqtt.subscribe $aws/things/dev1/jobs/notify-next
<mqtt.publish $aws/things/dev1/jobs/$next/get {"clientToken":"beeb8da1"}
=phase idle
=confirmed yes
=running v1.0.1
)fota"},
    {"verified_rollback_reports_failed", ProfileKind::Verified, kMqtt | kHttp | kBoot, kFromIdle,
     R"fota(
>msg $aws/things/dev1/jobs/notify-next {"timestamp":1,"execution":{"jobId":"job1","status":"QUEUED","queuedAt":1,"lastUpdatedAt":1,"versionNumber":1,"executionNumber":1,"jobDocument":{"operation":"app_fw_update","fwversion":"v1.0.1","size":10000,"location":{"protocol":"https","host":"bucket.s3.amazonaws.com","path":"app_update.bin"}}}}
<mqtt.unsubscribe $aws/things/dev1/jobs/notify-next
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/accepted
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/rejected
<mqtt.publish $aws/things/dev1/jobs/job1/update {"status":"IN_PROGRESS","statusDetails":{"nextState":"download_firmware"},"expectedVersion":"1","clientToken":"beeb8da1"}
>msg $aws/things/dev1/jobs/job1/update/accepted {"clientToken":"beeb8da1","timestamp":2}
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 0-4095
>status 206
>header Content-Range: bytes 0-4095/10000
>body 4096
>done
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 4096-8191
>status 206
>header Content-Range: bytes 4096-8191/10000
>body 4096
>done
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 8192-9999
>status 206
>header Content-Range: bytes 8192-9999/10000
>body 1808
>done
<mqtt.publish $aws/things/dev1/jobs/job1/update {"status":"IN_PROGRESS","statusDetails":{"nextState":"apply_firmware"},"expectedVersion":"2","clientToken":"f893a2ee"}
>msg $aws/things/dev1/jobs/job1/update/accepted {"clientToken":"f893a2ee","timestamp":3}
<boot.request_upgrade test
<boot.reboot
>boot
<http.start POST https://data.example.com/things/dev1/shadow {"state":{"reported":{"nrf_cloud_app_fw_version":"v1.0.1"}}}
=phase confirming
>powercut
>boot
<http.start POST https://data.example.com/things/dev1/shadow {"state":{"reported":{"nrf_cloud_app_fw_version":"v1.0.0"}}}
>status 200
>done
<mqtt.connect
=phase failing
>connected
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/accepted
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/rejected
<mqtt.publish $aws/things/dev1/jobs/job1/update {"status":"FAILED","statusDetails":{"nextState":"none","reason":"rolled_back running v1.0.0"},"expectedVersion":"3","clientToken":"910a2dec"}
>msg $aws/things/dev1/jobs/job1/update/accepted {"clientToken":"910a2dec","timestamp":4}
<mqtt.unsubscribe $aws/things/dev1/jobs/job1/update/accepted
<mqtt.unsubscribe $aws/things/dev1/jobs/job1/update/rejected
<mqtt.subscribe $aws/things/dev1/jobs/notify-next
<mqtt.publish $aws/things/dev1/jobs/$next/get {"clientToken":"beeb8da1"}
=phase idle
=running v1.0.0
)fota"},
    {"duplicate_job_deliveries_ignored", ProfileKind::Default, kMqtt | kHttp | kBoot, kFromIdle,
     R"fota(
>msg $aws/things/dev1/jobs/notify-next {"timestamp":1,"execution":{"jobId":"job1","status":"QUEUED","queuedAt":1,"lastUpdatedAt":1,"versionNumber":1,"executionNumber":1,"jobDocument":{"operation":"app_fw_update","fwversion":"v1.0.1","size":10000,"location":{"protocol":"https","host":"bucket.s3.amazonaws.com","path":"app_update.bin"}}}}
<mqtt.unsubscribe $aws/things/dev1/jobs/notify-next
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/accepted
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/rejected
<mqtt.publish $aws/things/dev1/jobs/job1/update {"status":"IN_PROGRESS","statusDetails":{"nextState":"download_firmware"},"expectedVersion":"1","clientToken":"beeb8da1"}
>msg $aws/things/dev1/jobs/$next/get/accepted {"clientToken":"910a2dec","timestamp":1,"execution":{"jobId":"job1","status":"QUEUED","queuedAt":1,"lastUpdatedAt":1,"versionNumber":1,"executionNumber":1,"jobDocument":{"operation":"app_fw_update","fwversion":"v1.0.1","size":10000,"location":{"protocol":"https","host":"bucket.s3.amazonaws.com","path":"app_update.bin"}}}}
>msg $aws/things/dev1/jobs/notify-next {"timestamp":1,"execution":{"jobId":"job1","status":"QUEUED","queuedAt":1,"lastUpdatedAt":1,"versionNumber":1,"executionNumber":1,"jobDocument":{"operation":"app_fw_update","fwversion":"v1.0.1","size":10000,"location":{"protocol":"https","host":"bucket.s3.amazonaws.com","path":"app_update.bin"}}}}
=phase starting
>msg $aws/things/dev1/jobs/job1/update/accepted {"clientToken":"beeb8da1","timestamp":2}
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 0-4095
>msg $aws/things/dev1/jobs/job1/update/accepted {"clientToken":"beeb8da1","timestamp":2}
=phase downloading
=version 2
)fota"},
    {"version_mismatch_resyncs", ProfileKind::Default, kMqtt | kHttp | kBoot, kFromIdle,
     R"fota(
>msg $aws/things/dev1/jobs/notify-next {"timestamp":1,"execution":{"jobId":"job1","status":"QUEUED","queuedAt":1,"lastUpdatedAt":1,"versionNumber":1,"executionNumber":1,"jobDocument":{"operation":"app_fw_update","fwversion":"v1.0.1","size":10000,"location":{"protocol":"https","host":"bucket.s3.amazonaws.com","path":"app_update.bin"}}}}
<mqtt.unsubscribe $aws/things/dev1/jobs/notify-next
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/accepted
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/rejected
<mqtt.publish $aws/things/dev1/jobs/job1/update {"status":"IN_PROGRESS","statusDetails":{"nextState":"download_firmware"},"expectedVersion":"1","clientToken":"beeb8da1"}
>msg $aws/things/dev1/jobs/job1/update/rejected {"code":"VersionMismatch","message":"x","clientToken":"beeb8da1","timestamp":2,"executionState":{"status":"IN_PROGRESS","versionNumber":4}}
<mqtt.publish $aws/things/dev1/jobs/job1/update {"status":"IN_PROGRESS","statusDetails":{"nextState":"download_firmware"},"expectedVersion":"4","clientToken":"f893a2ee"}
>msg $aws/things/dev1/jobs/job1/update/accepted {"clientToken":"f893a2ee","timestamp":3}
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 0-4095
=phase downloading
=version 5
)fota"},
    {"rejection_ends_job_without_reboot", ProfileKind::Default, kMqtt | kHttp | kBoot, kFromIdle,
     R"fota(
>msg $aws/things/dev1/jobs/notify-next {"timestamp":1,"execution":{"jobId":"job1","status":"QUEUED","queuedAt":1,"lastUpdatedAt":1,"versionNumber":1,"executionNumber":1,"jobDocument":{"operation":"app_fw_update","fwversion":"v1.0.1","size":10000,"location":{"protocol":"https","host":"bucket.s3.amazonaws.com","path":"app_update.bin"}}}}
<mqtt.unsubscribe $aws/things/dev1/jobs/notify-next
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/accepted
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/rejected
<mqtt.publish $aws/things/dev1/jobs/job1/update {"status":"IN_PROGRESS","statusDetails":{"nextState":"download_firmware"},"expectedVersion":"1","clientToken":"beeb8da1"}
>msg $aws/things/dev1/jobs/job1/update/rejected {"code":"InvalidStateTransition","clientToken":"beeb8da1","timestamp":2,"executionState":{"status":"CANCELED","versionNumber":2}}
<mqtt.unsubscribe $aws/things/dev1/jobs/job1/update/accepted
<mqtt.unsubscribe $aws/things/dev1/jobs/job1/update/rejected
<mqtt.subscribe $aws/things/dev1/jobs/notify-next
<mqtt.publish $aws/things/dev1/jobs/$next/get {"clientToken":"f893a2ee"}
=phase idle
=rebooted no
)fota"},
    {"invalid_document_reported_failed", ProfileKind::Default, kMqtt | kHttp | kBoot, kFromIdle,
     R"fota(
>msg $aws/things/dev1/jobs/notify-next {"timestamp":1,"execution":{"jobId":"bad1","status":"QUEUED","versionNumber":1,"executionNumber":1,"jobDocument":{"operation":"app_fw_update","fwversion":"v1.0.1","size":10000}}}
<mqtt.unsubscribe $aws/things/dev1/jobs/notify-next
<mqtt.subscribe $aws/things/dev1/jobs/bad1/update/accepted
<mqtt.subscribe $aws/things/dev1/jobs/bad1/update/rejected
<mqtt.publish $aws/things/dev1/jobs/bad1/update {"status":"FAILED","statusDetails":{"nextState":"none","reason":"location_invalid"},"expectedVersion":"1","clientToken":"beeb8da1"}
=phase failing
>msg $aws/things/dev1/jobs/bad1/update/accepted {"clientToken":"beeb8da1","timestamp":2}
<mqtt.unsubscribe $aws/things/dev1/jobs/bad1/update/accepted
<mqtt.unsubscribe $aws/things/dev1/jobs/bad1/update/rejected
<mqtt.subscribe $aws/things/dev1/jobs/notify-next
<mqtt.publish $aws/things/dev1/jobs/$next/get {"clientToken":"f893a2ee"}
=phase idle
>msg $aws/things/dev1/jobs/notify-next {"timestamp":1,"execution":{"jobId":"bad2","status":"QUEUED","versionNumber":1,"executionNumber":1,"jobDocument":{"operation":"app_fw_update","location":{"url":"ftp://host/x.bin"}}}}
<mqtt.unsubscribe $aws/things/dev1/jobs/notify-next
<mqtt.subscribe $aws/things/dev1/jobs/bad2/update/accepted
<mqtt.subscribe $aws/things/dev1/jobs/bad2/update/rejected
<mqtt.publish $aws/things/dev1/jobs/bad2/update {"status":"FAILED","statusDetails":{"nextState":"none","reason":"url_scheme_unsupported"},"expectedVersion":"1","clientToken":"71c18690"}
>msg $aws/things/dev1/jobs/notify-next {"timestamp":1,"execution":{"jobId":"bad2"
=phase failing
)fota"},
    {"range_ignored_or_wrong_start_not_written", ProfileKind::Default, kMqtt | kHttp | kBoot | kFlash, kFromIdle,
     R"fota(
>msg $aws/things/dev1/jobs/notify-next {"timestamp":1,"execution":{"jobId":"job1","status":"QUEUED","queuedAt":1,"lastUpdatedAt":1,"versionNumber":1,"executionNumber":1,"jobDocument":{"operation":"app_fw_update","fwversion":"v1.0.1","size":10000,"location":{"protocol":"https","host":"bucket.s3.amazonaws.com","path":"app_update.bin"}}}}
<mqtt.unsubscribe $aws/things/dev1/jobs/notify-next
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/accepted
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/rejected
<mqtt.publish $aws/things/dev1/jobs/job1/update {"status":"IN_PROGRESS","statusDetails":{"nextState":"download_firmware"},"expectedVersion":"1","clientToken":"beeb8da1"}
>msg $aws/things/dev1/jobs/job1/update/accepted {"clientToken":"beeb8da1","timestamp":2}
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 0-4095
>status 200
>header Content-Length: 10000
>body 4096
<http.cancel
=offset 0
>timer retry
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 0-4095
>status 206
>header Content-Range: bytes 4096-8191/10000
>body 4096
<http.cancel
=offset 0
>timer retry
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 0-4095
>status 206
>header Content-Range: bytes 0-4095/10000
>body 5000
<flash.erase 0 4096
<flash.write 0 512
<flash.write 512 512
<flash.write 1024 512
<flash.write 1536 512
<flash.write 2048 512
<flash.write 2560 512
<flash.write 3072 512
<flash.write 3584 512
<http.cancel
=offset 4096
>timer retry
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 4096-8191
)fota"},
    {"power_cut_mid_download_resumes", ProfileKind::Default, kMqtt | kHttp | kBoot | kFlash, kFromIdle,
     R"fota(
>msg $aws/things/dev1/jobs/notify-next {"timestamp":1,"execution":{"jobId":"job1","status":"QUEUED","queuedAt":1,"lastUpdatedAt":1,"versionNumber":1,"executionNumber":1,"jobDocument":{"operation":"app_fw_update","fwversion":"v1.0.1","size":10000,"location":{"protocol":"https","host":"bucket.s3.amazonaws.com","path":"app_update.bin"}}}}
<mqtt.unsubscribe $aws/things/dev1/jobs/notify-next
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/accepted
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/rejected
<mqtt.publish $aws/things/dev1/jobs/job1/update {"status":"IN_PROGRESS","statusDetails":{"nextState":"download_firmware"},"expectedVersion":"1","clientToken":"beeb8da1"}
>msg $aws/things/dev1/jobs/job1/update/accepted {"clientToken":"beeb8da1","timestamp":2}
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 0-4095
>status 206
>header Content-Range: bytes 0-4095/10000
>body 4096
<flash.erase 0 4096
<flash.write 0 512
<flash.write 512 512
<flash.write 1024 512
<flash.write 1536 512
<flash.write 2048 512
<flash.write 2560 512
<flash.write 3072 512
<flash.write 3584 512
>done
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 4096-8191
>status 206
>header Content-Range: bytes 4096-8191/10000
>body 3000
<flash.erase 4096 4096
<flash.write 4096 512
<flash.write 4608 512
<flash.write 5120 512
<flash.write 5632 512
<flash.write 6144 512
>powercut
>boot
<http.start POST https://data.example.com/things/dev1/shadow {"state":{"reported":{"nrf_cloud_app_fw_version":"v1.0.0"}}}
>status 200
>done
<mqtt.connect
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 4096-8191
=phase downloading
=offset 4096
>status 206
>header Content-Range: bytes 4096-8191/10000
>body 4096
<flash.erase 4096 4096
<flash.write 4096 512
<flash.write 4608 512
<flash.write 5120 512
<flash.write 5632 512
<flash.write 6144 512
<flash.write 6656 512
<flash.write 7168 512
<flash.write 7680 512
>done
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 8192-9999
>connected
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/accepted
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/rejected
<mqtt.publish $aws/things/dev1/jobs/job1/get {"clientToken":"910a2dec"}
>msg $aws/things/dev1/jobs/job1/get/accepted {"clientToken":"x","timestamp":5,"execution":{"jobId":"job1","status":"IN_PROGRESS","versionNumber":2,"executionNumber":1,"jobDocument":{"operation":"app_fw_update","fwversion":"v1.0.1","size":10000,"location":{"protocol":"https","host":"bucket.s3.amazonaws.com","path":"app_update.bin"}}}}
>status 206
>header Content-Range: bytes 8192-9999/10000
>body 1808
<flash.erase 8192 4096
<flash.write 8192 512
<flash.write 8704 512
<flash.write 9216 512
>done
<flash.write 9728 272
<mqtt.publish $aws/things/dev1/jobs/job1/update {"status":"IN_PROGRESS","statusDetails":{"nextState":"apply_firmware"},"expectedVersion":"2","clientToken":"beeb8da1"}
=image 10000
=phase applying
)fota"},
    {"expired_url_refetches_job_document", ProfileKind::Default, kMqtt | kHttp | kBoot, kFromIdle,
     R"fota(
>msg $aws/things/dev1/jobs/notify-next {"timestamp":1,"execution":{"jobId":"job2","status":"QUEUED","versionNumber":1,"executionNumber":1,"jobDocument":{"operation":"app_fw_update","fwversion":"v1.0.1","location":{"url":"https://bucket.s3.amazonaws.com/app.bin?X-Amz-Expires=60&X-Amz-Signature=aaa#frag"}}}}
<mqtt.unsubscribe $aws/things/dev1/jobs/notify-next
<mqtt.subscribe $aws/things/dev1/jobs/job2/update/accepted
<mqtt.subscribe $aws/things/dev1/jobs/job2/update/rejected
<mqtt.publish $aws/things/dev1/jobs/job2/update {"status":"IN_PROGRESS","statusDetails":{"nextState":"download_firmware"},"expectedVersion":"1","clientToken":"beeb8da1"}
>msg $aws/things/dev1/jobs/job2/update/accepted {"clientToken":"beeb8da1","timestamp":2}
<http.start GET https://bucket.s3.amazonaws.com/app.bin?X-Amz-Expires=60&X-Amz-Signature=aaa 0-4095
>status 206
>header Content-Range: bytes 0-4095/6000
>body 4096
>done
<http.start GET https://bucket.s3.amazonaws.com/app.bin?X-Amz-Expires=60&X-Amz-Signature=aaa 4096-5999
>status 403
>done
<mqtt.publish $aws/things/dev1/jobs/job2/get {"clientToken":"f893a2ee"}
>msg $aws/things/dev1/jobs/job2/get/accepted {"clientToken":"x","timestamp":5,"execution":{"jobId":"job2","status":"IN_PROGRESS","versionNumber":2,"executionNumber":1,"jobDocument":{"operation":"app_fw_update","fwversion":"v1.0.1","location":{"url":"https://bucket.s3.amazonaws.com/app.bin?X-Amz-Expires=60&X-Amz-Signature=bbb"}}}}
<http.start GET https://bucket.s3.amazonaws.com/app.bin?X-Amz-Expires=60&X-Amz-Signature=bbb 4096-5999
>status 206
>header Content-Range: bytes 4096-5999/6000
>body 1904
>done
<mqtt.publish $aws/things/dev1/jobs/job2/update {"status":"IN_PROGRESS","statusDetails":{"nextState":"apply_firmware"},"expectedVersion":"2","clientToken":"71c18690"}
=image 6000
=phase applying
)fota"},
    {"object_replaced_416_restarts_from_zero", ProfileKind::Default, kMqtt | kHttp | kBoot | kFlash, kFromIdle,
     R"fota(
>msg $aws/things/dev1/jobs/notify-next {"timestamp":1,"execution":{"jobId":"job2","status":"QUEUED","versionNumber":1,"executionNumber":1,"jobDocument":{"operation":"app_fw_update","fwversion":"v1.0.1","location":{"url":"https://bucket.s3.amazonaws.com/app.bin?X-Amz-Expires=60&X-Amz-Signature=aaa#frag"}}}}
<mqtt.unsubscribe $aws/things/dev1/jobs/notify-next
<mqtt.subscribe $aws/things/dev1/jobs/job2/update/accepted
<mqtt.subscribe $aws/things/dev1/jobs/job2/update/rejected
<mqtt.publish $aws/things/dev1/jobs/job2/update {"status":"IN_PROGRESS","statusDetails":{"nextState":"download_firmware"},"expectedVersion":"1","clientToken":"beeb8da1"}
>msg $aws/things/dev1/jobs/job2/update/accepted {"clientToken":"beeb8da1","timestamp":2}
<http.start GET https://bucket.s3.amazonaws.com/app.bin?X-Amz-Expires=60&X-Amz-Signature=aaa 0-4095
>status 206
>header Content-Range: bytes 0-4095/6000
>body 4096
<flash.erase 0 4096
<flash.write 0 512
<flash.write 512 512
<flash.write 1024 512
<flash.write 1536 512
<flash.write 2048 512
<flash.write 2560 512
<flash.write 3072 512
<flash.write 3584 512
>done
<http.start GET https://bucket.s3.amazonaws.com/app.bin?X-Amz-Expires=60&X-Amz-Signature=aaa 4096-5999
>status 416
>header Content-Range: bytes */4000
>done
<http.start GET https://bucket.s3.amazonaws.com/app.bin?X-Amz-Expires=60&X-Amz-Signature=aaa 0-4095
=offset 0
>status 206
>header Content-Range: bytes 0-3999/4000
>body 4000
<flash.erase 0 4096
<flash.write 0 512
<flash.write 512 512
<flash.write 1024 512
<flash.write 1536 512
<flash.write 2048 512
<flash.write 2560 512
<flash.write 3072 512
>done
<flash.write 3584 416
<mqtt.publish $aws/things/dev1/jobs/job2/update {"status":"IN_PROGRESS","statusDetails":{"nextState":"apply_firmware"},"expectedVersion":"2","clientToken":"f893a2ee"}
=phase applying
)fota"},
    {"cancelled_during_download_stops", ProfileKind::Default, kMqtt | kHttp | kBoot, kFromIdle,
     R"fota(
>msg $aws/things/dev1/jobs/notify-next {"timestamp":1,"execution":{"jobId":"job1","status":"QUEUED","queuedAt":1,"lastUpdatedAt":1,"versionNumber":1,"executionNumber":1,"jobDocument":{"operation":"app_fw_update","fwversion":"v1.0.1","size":10000,"location":{"protocol":"https","host":"bucket.s3.amazonaws.com","path":"app_update.bin"}}}}
<mqtt.unsubscribe $aws/things/dev1/jobs/notify-next
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/accepted
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/rejected
<mqtt.publish $aws/things/dev1/jobs/job1/update {"status":"IN_PROGRESS","statusDetails":{"nextState":"download_firmware"},"expectedVersion":"1","clientToken":"beeb8da1"}
>msg $aws/things/dev1/jobs/job1/update/accepted {"clientToken":"beeb8da1","timestamp":2}
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 0-4095
>status 206
>header Content-Range: bytes 0-4095/10000
>body 2000
>timer jobcheck
<mqtt.publish $aws/things/dev1/jobs/job1/get {"clientToken":"f893a2ee"}
>msg $aws/things/dev1/jobs/job1/get/accepted {"clientToken":"x","timestamp":5,"execution":{"jobId":"job1","status":"CANCELED","versionNumber":3,"executionNumber":1,"jobDocument":{"operation":"app_fw_update","fwversion":"v1.0.1","size":10000,"location":{"protocol":"https","host":"bucket.s3.amazonaws.com","path":"app_update.bin"}}}}
<http.cancel
<mqtt.unsubscribe $aws/things/dev1/jobs/job1/update/accepted
<mqtt.unsubscribe $aws/things/dev1/jobs/job1/update/rejected
<mqtt.subscribe $aws/things/dev1/jobs/notify-next
<mqtt.publish $aws/things/dev1/jobs/$next/get {"clientToken":"71c18690"}
=phase idle
>body 2096
>done
=phase idle
)fota"},
    {"reconnect_resubscribes_and_resends", ProfileKind::Default, kMqtt | kHttp | kBoot, kFromIdle,
     R"fota(
>msg $aws/things/dev1/jobs/notify-next {"timestamp":1,"execution":{"jobId":"job1","status":"QUEUED","queuedAt":1,"lastUpdatedAt":1,"versionNumber":1,"executionNumber":1,"jobDocument":{"operation":"app_fw_update","fwversion":"v1.0.1","size":10000,"location":{"protocol":"https","host":"bucket.s3.amazonaws.com","path":"app_update.bin"}}}}
<mqtt.unsubscribe $aws/things/dev1/jobs/notify-next
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/accepted
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/rejected
<mqtt.publish $aws/things/dev1/jobs/job1/update {"status":"IN_PROGRESS","statusDetails":{"nextState":"download_firmware"},"expectedVersion":"1","clientToken":"beeb8da1"}
>disconnected
>msg $aws/things/dev1/jobs/job1/update/accepted {"clientToken":"beeb8da1","timestamp":2}
=phase starting
>connected
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/accepted
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/rejected
<mqtt.publish $aws/things/dev1/jobs/job1/update {"status":"IN_PROGRESS","statusDetails":{"nextState":"download_firmware"},"expectedVersion":"1","clientToken":"f893a2ee"}
>msg $aws/things/dev1/jobs/job1/update/rejected {"code":"VersionMismatch","clientToken":"f893a2ee","timestamp":3,"executionState":{"status":"IN_PROGRESS","versionNumber":2}}
<mqtt.publish $aws/things/dev1/jobs/job1/update {"status":"IN_PROGRESS","statusDetails":{"nextState":"download_firmware"},"expectedVersion":"2","clientToken":"71c18690"}
>msg $aws/things/dev1/jobs/job1/update/accepted {"clientToken":"71c18690","timestamp":4}
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 0-4095
=phase downloading
=version 3
)fota"},
    {"transient_errors_back_off_then_fail", ProfileKind::Default, kMqtt | kHttp | kBoot | kTimers, kFromIdle,
     R"fota(
>msg $aws/things/dev1/jobs/notify-next {"timestamp":1,"execution":{"jobId":"job1","status":"QUEUED","queuedAt":1,"lastUpdatedAt":1,"versionNumber":1,"executionNumber":1,"jobDocument":{"operation":"app_fw_update","fwversion":"v1.0.1","size":10000,"location":{"protocol":"https","host":"bucket.s3.amazonaws.com","path":"app_update.bin"}}}}
<mqtt.unsubscribe $aws/things/dev1/jobs/notify-next
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/accepted
<mqtt.subscribe $aws/things/dev1/jobs/job1/update/rejected
<mqtt.publish $aws/things/dev1/jobs/job1/update {"status":"IN_PROGRESS","statusDetails":{"nextState":"download_firmware"},"expectedVersion":"1","clientToken":"beeb8da1"}
<timer.start update 30000
>msg $aws/things/dev1/jobs/job1/update/accepted {"clientToken":"beeb8da1","timestamp":2}
<timer.cancel update
<timer.cancel retry
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 0-4095
<timer.start stall 30000
<timer.start jobcheck 60000
>status 503
>done
<timer.cancel stall
<timer.cancel stall
<timer.start retry 1008
>timer retry
<timer.cancel retry
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 0-4095
<timer.start stall 30000
>error reset
<timer.cancel stall
<timer.start retry 1647
>timer retry
<timer.cancel retry
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 0-4095
<timer.start stall 30000
>status 206
>header Content-Range: bytes 0-4095/10000
>body 1000
<timer.start stall 30000
>timer stall
<http.cancel
<timer.start retry 3341
>timer retry
<timer.cancel retry
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 1000-5095
<timer.start stall 30000
>status 500
>done
<timer.cancel stall
<timer.cancel stall
<timer.start retry 8444
>timer retry
<timer.cancel retry
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 1000-5095
<timer.start stall 30000
>status 500
>done
<timer.cancel stall
<timer.cancel stall
<timer.start retry 17630
>timer retry
<timer.cancel retry
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 1000-5095
<timer.start stall 30000
>status 500
>done
<timer.cancel stall
<timer.cancel stall
<timer.start retry 32133
>timer retry
<timer.cancel retry
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 1000-5095
<timer.start stall 30000
>status 500
>done
<timer.cancel stall
<timer.cancel stall
<timer.start retry 60000
>timer retry
<timer.cancel retry
<http.start GET https://bucket.s3.amazonaws.com/app_update.bin 1000-5095
<timer.start stall 30000
>status 500
>done
<timer.cancel stall
<timer.cancel stall
<timer.cancel retry
<timer.cancel stall
<timer.cancel jobcheck
<mqtt.publish $aws/things/dev1/jobs/job1/update {"status":"FAILED","statusDetails":{"nextState":"none","reason":"HTTP 500 server_error attempts 8"},"expectedVersion":"2","clientToken":"cb435c8e"}
<timer.start update 30000
>timer retry
>status 500
>done
=phase failing
)fota"},
    {"ncs_payloads_byte_exact", ProfileKind::Ncs, kMqtt | kHttp | kBoot, kFromPowerOff,
     R"fota(
>boot
<mqtt.connect
>connected
<mqtt.publish $aws/things/dev1/shadow/update {"state":{"reported":{"nrf_cloud_app_fw_version":"v1.0.0"}}}
<mqtt.subscribe $aws/things/dev1/jobs/notify-next
<mqtt.publish $aws/things/dev1/jobs/$next/get {"clientToken": ""}
>msg $aws/things/dev1/jobs/$next/get/accepted {"clientToken":"","timestamp":1,"execution":{"jobId":"9b5caac6-3e8a-45dd-9273-c1b995762f4a","status":"QUEUED","queuedAt":1559808906,"lastUpdatedAt":1559808906,"versionNumber":1,"executionNumber":1,"jobDocument":{"operation":"app_fw_update","fwversion":"v1.0.2","size":6000,"location":{"protocol":"http","host":"bucket.example.com","path":"/update.bin"}}}}
<mqtt.unsubscribe $aws/things/dev1/jobs/notify-next
<mqtt.subscribe $aws/things/dev1/jobs/9b5caac6-3e8a-45dd-9273-c1b995762f4a/update/accepted
<mqtt.subscribe $aws/things/dev1/jobs/9b5caac6-3e8a-45dd-9273-c1b995762f4a/update/rejected
<mqtt.publish $aws/things/dev1/jobs/9b5caac6-3e8a-45dd-9273-c1b995762f4a/update {"status":"IN_PROGRESS","statusDetails": null,"expectedVersion": "1","clientToken": ""}
>msg $aws/things/dev1/jobs/9b5caac6-3e8a-45dd-9273-c1b995762f4a/update/accepted {"clientToken":"","timestamp":2}
<http.start GET http://bucket.example.com/update.bin 0-4095
=phase downloading
)fota"},
    {"sha256_mismatch_fails_job", ProfileKind::Default, kMqtt | kHttp | kBoot, kFromIdle,
     R"fota(
>msg $aws/things/dev1/jobs/notify-next {"timestamp":1,"execution":{"jobId":"job3","status":"QUEUED","versionNumber":1,"executionNumber":1,"jobDocument":{"operation":"app_fw_update","fwversion":"v1.0.1","size":6000,"sha256":"ffa2d4bcdc8a3ae5f4f4549ae2e3602645c98e89f69f358a8de8d8579e4b6600","location":{"url":"http://files.local:8080/a.bin"}}}}
<mqtt.unsubscribe $aws/things/dev1/jobs/notify-next
<mqtt.subscribe $aws/things/dev1/jobs/job3/update/accepted
<mqtt.subscribe $aws/things/dev1/jobs/job3/update/rejected
<mqtt.publish $aws/things/dev1/jobs/job3/update {"status":"IN_PROGRESS","statusDetails":{"nextState":"download_firmware"},"expectedVersion":"1","clientToken":"beeb8da1"}
>msg $aws/things/dev1/jobs/job3/update/accepted {"clientToken":"beeb8da1","timestamp":2}
<http.start GET http://files.local:8080/a.bin 0-4095
>status 206
>header Content-Range: bytes 0-4095/6000
>body 4096
>done
<http.start GET http://files.local:8080/a.bin 4096-5999
>status 206
>header Content-Range: bytes 4096-5999/6000
>body 1904
>done
<mqtt.publish $aws/things/dev1/jobs/job3/update {"status":"FAILED","statusDetails":{"nextState":"none","reason":"sha256_mismatch"},"expectedVersion":"2","clientToken":"f893a2ee"}
=phase failing
)fota"},
};
// clang-format on

// One harness at a time, outside the stack (it holds a 32 KiB slot).
std::optional<Harness> harness;

Setup setup_for(const Vector& vector) {
    Setup setup;
    setup.checks = vector.checks;
    switch (vector.profile) {
    case ProfileKind::Default:
        break;
    case ProfileKind::Verified:
        setup.profile = verified_profile();
        break;
    case ProfileKind::Ncs:
        setup.profile.update_format = UpdateFormat::Ncs;
        setup.profile.shadow_transport = ShadowTransport::Mqtt;
        break;
    }
    return setup;
}

} // namespace

Report run_all(void (*print_line)(const char* line)) {
    Report report{0, 0};
    std::array<char, 640> line{};
    for (const Vector& vector : kVectors) {
        harness.emplace(setup_for(vector));
        const bool passed = (vector.start == kFromPowerOff || harness->run(kSeedPrologue)) &&
                            harness->run(vector.script);
        TextBuilder text(line);
        if (passed) {
            ++report.passed;
            text.append("PASS ").append(vector.name);
        } else {
            ++report.failed;
            text.append("FAIL ").append(vector.name).append(": ").append(harness->failure());
            if (!text.ok()) {
                TextBuilder(line).append("FAIL ").append(vector.name).append(": (long reason)");
            }
        }
        print_line(line.data());
        harness.reset();
    }
    return report;
}

} // namespace fota::vectors
