// The Mosquitto 2.0 plugin (API v5) that hosts the local AWS IoT Jobs and Shadow services.
//
// mosquitto.conf:
//   plugin /path/to/libfota_mosquitto_plugin.so
//   plugin_opt_database /var/lib/fota/cloud.db   (SQLite state; default ":memory:")
//   plugin_opt_region us-east-1                  (ARNs)
//   plugin_opt_account_id 123456789012           (ARNs)
//   plugin_opt_control_topic true                (JSON control API on $fota/control; default off)
//   plugin_opt_thing_certificates true           (a TLS listener with require_certificate: the
//                                                 client id must be the certificate's CN, and a
//                                                 client reaches its own thing's topics only)
//   plugin_opt_ca_certificate, plugin_opt_ca_key  (the CA that signs CreateKeysAndCertificate's
//                                                 certificates; a certificate made so connects
//                                                 as the things attached to it while ACTIVE)
//   plugin_opt_mqtt_endpoint host:port           (DescribeEndpoint's answer)
//   plugin_opt_<other> ...                       (passed to the control plane, if linked)
//
// Events: MOSQ_EVT_BASIC_AUTH (with thing_certificates) refuses a CONNECT whose client id is not
// its certificate's CN; MOSQ_EVT_ACL_CHECK enforces topic_policy.hpp; MOSQ_EVT_MESSAGE hands
// requests with the sender's client id to the services, whose replies go to that client only
// (mosquitto_broker_publish with its client id); MOSQ_EVT_TICK drains the WorkQueue and runs the
// services' timers.

#include <ctime>
#include <exception>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

extern "C" {
#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>
}

#include "fota/cloud/cloud_core.hpp"
#include "fota/cloud/control_dispatch.hpp"
#include "fota/cloud/control_plane_hook.hpp"
#include "fota/cloud/tls/certificates.hpp"
#include "fota/cloud/topic_policy.hpp"
#include "fota/cloud/work_queue.hpp"

#include <openssl/x509.h>

namespace {

using fota::cloud::CloudConfig;
using fota::cloud::CloudCore;
using fota::cloud::OutboundMessage;
using fota::cloud::PluginOptions;
using fota::cloud::TopicAccess;
using fota::cloud::TopicAccessRequest;
using fota::cloud::WorkQueue;

struct Plugin {
    mosquitto_plugin_id_t* identifier = nullptr;
    std::unique_ptr<CloudCore> core;
    WorkQueue queue;
    std::unique_ptr<fota::cloud::ControlPlaneServer> control_plane;
    std::time_t last_tick = 0;
    bool control_topic = false;
    bool thing_certificates = false;
};

std::int64_t now_seconds() {
    return static_cast<std::int64_t>(std::time(nullptr));
}

// At CONNECT (Mosquitto calls it for every client when a plugin registers it): a certificate made
// by CreateKeysAndCertificate connects as a thing attached to it while ACTIVE; any other (the
// per-thing certificates of the TLS folder) as the thing its CN names. The broker has already
// checked the certificate against its CA (require_certificate).
int on_basic_auth(int /*event*/, void* event_data, void* userdata) {
    const auto* plugin = static_cast<const Plugin*>(userdata);
    auto* ed = static_cast<mosquitto_evt_basic_auth*>(event_data);
    const std::string client_id =
        mosquitto_client_id(ed->client) != nullptr ? mosquitto_client_id(ed->client) : "";
    std::optional<std::string> common_name;
    std::optional<std::string> registered_refusal;
    if (auto* certificate = static_cast<X509*>(mosquitto_client_certificate(ed->client))) {
        common_name = fota::cloud::tls::common_name(*certificate);
        if (const auto id = fota::cloud::tls::certificate_id(*certificate)) {
            registered_refusal = plugin->core->identity().connect_refusal(client_id, *id);
        }
        X509_free(certificate);
    }
    const std::string refusal = registered_refusal
                                    ? *registered_refusal
                                    : fota::cloud::connect_refusal(client_id, common_name);
    if (refusal.empty()) {
        return MOSQ_ERR_SUCCESS;
    }
    mosquitto_log_printf(MOSQ_LOG_NOTICE, "fota cloud: CONNECT from %s refused: %s",
                         mosquitto_client_address(ed->client), refusal.c_str());
    return MOSQ_ERR_AUTH;
}

std::string read_text_file(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) {
        throw std::runtime_error("cannot read " + path);
    }
    return text.str();
}

// CreateKeysAndCertificate's signer: the stack's CA (plugin_opt_ca_certificate, plugin_opt_ca_key),
// or none when they are not given.
std::function<fota::cloud::tls::Credentials()> certificate_issuer(const PluginOptions& options) {
    const auto certificate = options.find("ca_certificate");
    const auto key = options.find("ca_key");
    if (certificate == options.end() || key == options.end()) {
        return {};
    }
    const auto authority = fota::cloud::tls::CertificateAuthority::load(
        {read_text_file(certificate->second), read_text_file(key->second)});
    // AWS IoT's certificates carry this subject CN; it is no thing name, so the CN rule can never
    // let one of them (once deleted) connect.
    return [authority] { return authority.issue_client("AWS IoT Certificate"); };
}

int on_acl_check(int /*event*/, void* event_data, void* userdata) {
    const auto* plugin = static_cast<const Plugin*>(userdata);
    auto* ed = static_cast<mosquitto_evt_acl_check*>(event_data);
    const char* client_id = mosquitto_client_id(ed->client);
    TopicAccessRequest request;
    request.client_id = client_id != nullptr ? client_id : "";
    request.topic = ed->topic != nullptr ? ed->topic : "";
    switch (ed->access) {
    case MOSQ_ACL_WRITE:
        request.access = TopicAccess::write;
        break;
    case MOSQ_ACL_SUBSCRIBE:
        request.access = TopicAccess::subscribe;
        break;
    case MOSQ_ACL_UNSUBSCRIBE:
        request.access = TopicAccess::unsubscribe;
        break;
    default:
        request.access = TopicAccess::read;
        break;
    }
    request.qos = ed->qos;
    request.retain = ed->retain;
    request.payload_size = ed->payloadlen;
    request.certificate_bound = plugin->thing_certificates;
    return fota::cloud::is_topic_access_allowed(request) ? MOSQ_ERR_SUCCESS : MOSQ_ERR_ACL_DENIED;
}

int on_message(int /*event*/, void* event_data, void* userdata) {
    auto* plugin = static_cast<Plugin*>(userdata);
    auto* ed = static_cast<mosquitto_evt_message*>(event_data);
    const char* client_id = mosquitto_client_id(ed->client);
    if (client_id == nullptr || ed->topic == nullptr) {
        return MOSQ_ERR_SUCCESS;
    }
    try {
        const std::string_view payload(static_cast<const char*>(ed->payload), ed->payloadlen);
        if (plugin->control_topic && ed->topic == fota::cloud::control_request_topic) {
            fota::cloud::handle_control_message(*plugin->core, client_id, payload,
                                                plugin->core->cloud_time(now_seconds()));
            return MOSQ_ERR_SUCCESS;
        }
        plugin->core->handle_message(client_id, ed->topic, payload,
                                     plugin->core->cloud_time(now_seconds()));
    } catch (const std::exception& error) {
        mosquitto_log_printf(MOSQ_LOG_ERR, "fota cloud: request on %s from %s failed: %s",
                             ed->topic, client_id, error.what());
    }
    // The message itself continues to the broker, whose ACL (read) delivers requests to nobody.
    return MOSQ_ERR_SUCCESS;
}

int on_tick(int /*event*/, void* event_data, void* userdata) {
    auto* plugin = static_cast<Plugin*>(userdata);
    auto* ed = static_cast<mosquitto_evt_tick*>(event_data);
    (void)ed;
    try {
        const std::int64_t now = plugin->core->cloud_time(now_seconds());
        plugin->queue.run_pending(*plugin->core, now);
        if (now != plugin->last_tick) {
            plugin->last_tick = static_cast<std::time_t>(now);
            plugin->core->tick(now);
        }
    } catch (const std::exception& error) {
        mosquitto_log_printf(MOSQ_LOG_ERR, "fota cloud: tick failed: %s", error.what());
    }
    return MOSQ_ERR_SUCCESS;
}

void publish(const OutboundMessage& message) {
    const int rc = mosquitto_broker_publish_copy(
        message.client_id.empty() ? nullptr : message.client_id.c_str(), message.topic.c_str(),
        static_cast<int>(message.payload.size()), message.payload.data(), 1, false, nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
        mosquitto_log_printf(MOSQ_LOG_WARNING, "fota cloud: publish to %s failed (%d)",
                             message.topic.c_str(), rc);
    }
}

} // namespace

extern "C" {

__attribute__((visibility("default"))) int mosquitto_plugin_version(int supported_version_count,
                                                                    const int* supported_versions) {
    for (int i = 0; i < supported_version_count; ++i) {
        if (supported_versions[i] == 5) {
            return 5;
        }
    }
    return -1;
}

__attribute__((visibility("default"))) int mosquitto_plugin_init(mosquitto_plugin_id_t* identifier,
                                                                 void** userdata,
                                                                 struct mosquitto_opt* options,
                                                                 int option_count) {
    PluginOptions plugin_options;
    for (int i = 0; i < option_count; ++i) {
        plugin_options[options[i].key != nullptr ? options[i].key : ""] =
            options[i].value != nullptr ? options[i].value : "";
    }
    auto plugin = std::make_unique<Plugin>();
    plugin->identifier = identifier;
    try {
        CloudConfig config;
        if (auto it = plugin_options.find("database"); it != plugin_options.end()) {
            config.database_path = it->second;
        }
        if (auto it = plugin_options.find("region"); it != plugin_options.end()) {
            config.jobs.region = it->second;
        }
        if (auto it = plugin_options.find("account_id"); it != plugin_options.end()) {
            config.jobs.account_id = it->second;
        }
        if (auto it = plugin_options.find("control_topic"); it != plugin_options.end()) {
            plugin->control_topic = it->second == "true";
        }
        if (auto it = plugin_options.find("thing_certificates"); it != plugin_options.end()) {
            plugin->thing_certificates = it->second == "true";
        }
        if (auto it = plugin_options.find("mqtt_endpoint"); it != plugin_options.end()) {
            config.identity.mqtt_endpoint = it->second;
        }
        config.identity.issue_certificate = certificate_issuer(plugin_options);
        plugin->core = std::make_unique<CloudCore>(config);
        plugin->core->set_publisher(publish);
#ifdef FOTA_HAVE_CONTROL_PLANE_HOOK
        plugin->control_plane = fota::cloud::start_control_plane(plugin->queue, plugin_options);
        if (plugin->control_plane) {
            plugin->core->jobs().set_signer(plugin->control_plane->signer());
            mosquitto_log_printf(MOSQ_LOG_INFO, "fota cloud: control plane on port %u",
                                 static_cast<unsigned>(plugin->control_plane->port()));
        }
#endif
        mosquitto_log_printf(MOSQ_LOG_INFO, "fota cloud: Jobs and Shadow services, state in %s",
                             config.database_path.c_str());
    } catch (const std::exception& error) {
        mosquitto_log_printf(MOSQ_LOG_ERR, "fota cloud: cannot start: %s", error.what());
        return MOSQ_ERR_UNKNOWN;
    }
    Plugin* raw = plugin.get();
    if (mosquitto_callback_register(identifier, MOSQ_EVT_ACL_CHECK, on_acl_check, nullptr, raw) !=
            MOSQ_ERR_SUCCESS ||
        mosquitto_callback_register(identifier, MOSQ_EVT_MESSAGE, on_message, nullptr, raw) !=
            MOSQ_ERR_SUCCESS ||
        mosquitto_callback_register(identifier, MOSQ_EVT_TICK, on_tick, nullptr, raw) !=
            MOSQ_ERR_SUCCESS) {
        mosquitto_log_printf(MOSQ_LOG_ERR, "fota cloud: cannot register callbacks");
        return MOSQ_ERR_UNKNOWN;
    }
    if (raw->thing_certificates &&
        mosquitto_callback_register(identifier, MOSQ_EVT_BASIC_AUTH, on_basic_auth, nullptr, raw) !=
            MOSQ_ERR_SUCCESS) {
        mosquitto_log_printf(MOSQ_LOG_ERR, "fota cloud: cannot register the CONNECT check");
        return MOSQ_ERR_UNKNOWN;
    }
    *userdata = plugin.release();
    return MOSQ_ERR_SUCCESS;
}

__attribute__((visibility("default"))) int
mosquitto_plugin_cleanup(void* userdata, struct mosquitto_opt* /*options*/, int /*option_count*/) {
    std::unique_ptr<Plugin> plugin(static_cast<Plugin*>(userdata));
    if (!plugin) {
        return MOSQ_ERR_SUCCESS;
    }
    mosquitto_callback_unregister(plugin->identifier, MOSQ_EVT_ACL_CHECK, on_acl_check, nullptr);
    mosquitto_callback_unregister(plugin->identifier, MOSQ_EVT_MESSAGE, on_message, nullptr);
    mosquitto_callback_unregister(plugin->identifier, MOSQ_EVT_TICK, on_tick, nullptr);
    if (plugin->thing_certificates) {
        mosquitto_callback_unregister(plugin->identifier, MOSQ_EVT_BASIC_AUTH, on_basic_auth,
                                      nullptr);
    }
    plugin->queue.close();
    plugin->control_plane.reset();
    plugin->core.reset();
    return MOSQ_ERR_SUCCESS;
}

} // extern "C"
