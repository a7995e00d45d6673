#pragma once
// How the control plane (REST server, object-server signer) plugs into the Mosquitto plugin.
//
// The plugin calls start_control_plane() once at load if the build has a library target named
// `fota_control_plane_hook` that defines it (cloud/mqtt_plugin/CMakeLists.txt links it then and
// defines FOTA_HAVE_CONTROL_PLANE_HOOK). The server runs on its own thread(s) and reaches the
// services only through `queue` (WorkQueue::control). The plugin destroys the returned object
// before the services when the broker stops, after WorkQueue::close().

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "fota/cloud/presigned_url_signer.hpp"
#include "fota/cloud/work_queue.hpp"

namespace fota::cloud {

/// `plugin_opt_<name> <value>` lines of mosquitto.conf, without the "plugin_opt_" prefix.
using PluginOptions = std::map<std::string, std::string>;

class ControlPlaneServer {
public:
    virtual ~ControlPlaneServer() = default; ///< stops the server and joins its threads
    /// Port the REST server listens on (for logs and tests).
    [[nodiscard]] virtual std::uint16_t port() const = 0;
    /// Signer for job-document placeholders, or nullptr. Called on the broker thread.
    virtual PresignedUrlSigner* signer() = 0;
};

/// Implemented by the control plane. Throws std::exception with a clear message on failure
/// (the plugin then refuses to load and the broker logs the message).
std::unique_ptr<ControlPlaneServer> start_control_plane(WorkQueue& queue,
                                                        const PluginOptions& options);

} // namespace fota::cloud
