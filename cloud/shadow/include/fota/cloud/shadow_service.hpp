#pragma once
// Local AWS IoT Device Shadow (classic and named shadows): the MQTT API and the iot-data REST
// calls. Pure logic, time is an input; state is written through to a KvStore.
// Not thread-safe: one thread (the broker's) calls everything.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "fota/cloud/kv_store.hpp"
#include "fota/cloud/messages.hpp"

namespace fota::cloud {

class ShadowService {
public:
    /// Loads any shadows already in `store`. `store` must outlive the service.
    explicit ShadowService(KvStore& store);
    ~ShadowService();
    ShadowService(const ShadowService&) = delete;
    ShadowService& operator=(const ShadowService&) = delete;

    /// True if `topic` is under `$aws/things/<T>/shadow`.
    [[nodiscard]] static bool is_shadow_topic(std::string_view topic);

    /// Handles one PUBLISH on .../shadow[/name/N]/{get,update,delete}. Returns the accepted or
    /// rejected reply and, for accepted updates, update/documents and update/delta; all are
    /// published through the broker (client_id empty), as AWS does for shadows. Other topics
    /// under .../shadow produce nothing. Never throws for bad input.
    Messages handle_request(std::string_view client_id, std::string_view topic,
                            std::string_view payload, std::int64_t now);

    /// iot-data GetThingShadow. `shadow_name` empty = the classic shadow. Body: the document.
    ControlResult get_thing_shadow(const std::string& thing_name, const std::string& shadow_name,
                                   std::int64_t now);
    /// iot-data UpdateThingShadow with the raw request document. Body: the accepted document.
    /// `messages` holds update/accepted, update/documents and update/delta for MQTT subscribers.
    ControlResult update_thing_shadow(const std::string& thing_name, const std::string& shadow_name,
                                      std::string_view payload, std::int64_t now);
    /// iot-data DeleteThingShadow. Body: {"version":N,"timestamp":T}.
    ControlResult delete_thing_shadow(const std::string& thing_name, const std::string& shadow_name,
                                      std::int64_t now);
    /// iot-data ListNamedShadowsForThing -> {"results":[...],"timestamp":T,"nextToken"?}
    ControlResult list_named_shadows_for_thing(const std::string& thing_name,
                                               const ListQuery& query, std::int64_t now) const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

} // namespace fota::cloud
