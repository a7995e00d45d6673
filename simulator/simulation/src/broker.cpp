// The in-memory MQTT broker of the deterministic simulation (broker.hpp).
#include "fota/sim/simulation/broker.hpp"

#include <algorithm>
#include <iterator>

namespace fota::sim::simulation {

bool topic_matches(std::string_view filter, std::string_view topic) {
    if (!filter.empty() && (filter[0] == '+' || filter[0] == '#') && !topic.empty() &&
        topic[0] == '$') {
        return false;
    }
    while (true) {
        const auto filter_end = filter.find('/');
        const auto topic_end = topic.find('/');
        const std::string_view level = filter.substr(0, filter_end);
        if (level == "#") {
            return true;
        }
        if (level != "+" && level != topic.substr(0, topic_end)) {
            return false;
        }
        if (filter_end == std::string_view::npos || topic_end == std::string_view::npos) {
            // "a/#" matches "a" too: the filter's next level is a lone '#'.
            return filter_end == std::string_view::npos ? topic_end == std::string_view::npos
                                                        : filter.substr(filter_end + 1) == "#";
        }
        filter.remove_prefix(filter_end + 1);
        topic.remove_prefix(topic_end + 1);
    }
}

Broker::Broker(Scheduler& scheduler, NetworkOptions network)
    : scheduler_(scheduler), network_(network) {}

Broker::Connection* Broker::find(ConnectionId connection) {
    const auto it = connections_.find(connection);
    return it == connections_.end() ? nullptr : &it->second;
}

bool Broker::allowed(std::string_view client_id, std::string_view topic, MqttAccess access, int qos,
                     std::size_t payload_size) const {
    return !authorize_ || authorize_(client_id, topic, access, qos, payload_size);
}

Broker::ConnectionId Broker::connect(const std::string& client_id, bool clean_session,
                                     MqttClientCallbacks callbacks) {
    const ConnectionId id = next_connection_++;
    Connection& c = connections_[id];
    c.client_id = client_id;
    c.callbacks = std::move(callbacks);
    scheduler_.at(c.to_broker.arrival(scheduler_, network_),
                  [this, id, clean_session] { arrive_connect(id, clean_session); });
    return id;
}

void Broker::arrive_connect(ConnectionId id, bool clean_session) {
    Connection* c = find(id);
    if (c == nullptr) {
        return; // the client gave up before its CONNECT arrived
    }
    if (!running_) {
        auto failed = c->callbacks.connect_failed;
        const TimePoint when = c->to_client.arrival(scheduler_, network_);
        connections_.erase(id);
        scheduler_.at(when, [failed] {
            if (failed) {
                failed();
            }
        });
        return;
    }
    const std::string client_id = c->client_id;
    if (const auto old = by_client_.find(client_id); old != by_client_.end() && old->second != id) {
        close(old->second, true); // a takeover: the older connection is closed
    }
    bool session_present = false;
    if (clean_session) {
        reset_session(client_id);
    } else {
        const auto it = sessions_.find(client_id);
        session_present = it != sessions_.end() && it->second.persistent;
        if (!session_present) {
            reset_session(client_id);
        }
        sessions_[client_id].persistent = true;
    }
    c = find(id);
    c->established = true;
    by_client_[client_id] = id;
    auto connected = c->callbacks.connected;
    scheduler_.at(c->to_client.arrival(scheduler_, network_),
                  [this, id, connected, session_present] {
                      if (find(id) != nullptr && connected) {
                          connected(session_present);
                      }
                  });
    // QoS 1 messages a persistent session kept go out after the CONNACK, in their order.
    Session& session = sessions_[client_id];
    for (const auto& [message_id, message] : session.in_flight) {
        send_in_flight(id, message_id);
    }
}

void Broker::subscribe(ConnectionId id, const std::string& filter, int qos, std::uint32_t token) {
    Connection* c = find(id);
    if (c == nullptr) {
        return;
    }
    scheduler_.at(c->to_broker.arrival(scheduler_, network_), [this, id, filter, qos, token] {
        Connection* conn = find(id);
        if (conn == nullptr || !conn->established) {
            return;
        }
        const bool granted = allowed(conn->client_id, filter, MqttAccess::subscribe, qos, 0);
        if (granted) {
            sessions_[conn->client_id].subscriptions[filter] = std::min(qos, 1);
            index_subscription(conn->client_id, filter);
        }
        auto subscribed = conn->callbacks.subscribed;
        scheduler_.at(conn->to_client.arrival(scheduler_, network_),
                      [this, id, subscribed, token, granted] {
                          if (find(id) != nullptr && subscribed) {
                              subscribed(token, granted);
                          }
                      });
    });
}

void Broker::unsubscribe(ConnectionId id, const std::string& filter, std::uint32_t token) {
    Connection* c = find(id);
    if (c == nullptr) {
        return;
    }
    scheduler_.at(c->to_broker.arrival(scheduler_, network_), [this, id, filter, token] {
        Connection* conn = find(id);
        if (conn == nullptr || !conn->established) {
            return;
        }
        if (sessions_[conn->client_id].subscriptions.erase(filter) != 0) {
            unindex_subscription(conn->client_id, filter);
        }
        auto unsubscribed = conn->callbacks.unsubscribed;
        scheduler_.at(conn->to_client.arrival(scheduler_, network_),
                      [this, id, unsubscribed, token] {
                          if (find(id) != nullptr && unsubscribed) {
                              unsubscribed(token);
                          }
                      });
    });
}

void Broker::publish(ConnectionId id, const std::string& topic, const std::string& payload, int qos,
                     std::uint32_t token) {
    Connection* c = find(id);
    if (c == nullptr) {
        return;
    }
    if (qos == 0) {
        auto published = c->callbacks.published;
        scheduler_.after(Duration(0), [published, token] {
            if (published) {
                published(token);
            }
        });
    }
    scheduler_.at(
        c->to_broker.arrival(scheduler_, network_),
        [this, id, topic, payload, qos, token] { arrive_publish(id, topic, payload, qos, token); });
}

void Broker::arrive_publish(ConnectionId id, const std::string& topic, const std::string& payload,
                            int qos, std::uint32_t token) {
    Connection* c = find(id);
    if (c == nullptr || !c->established) {
        return; // lost with its connection
    }
    const std::string client_id = c->client_id;
    // A PUBLISH the policy refuses is acknowledged and dropped (Mosquitto with MQTT 3.1.1).
    if (allowed(client_id, topic, MqttAccess::publish, qos, payload.size())) {
        if (on_publish_) {
            on_publish_(client_id, topic, payload);
        }
        for (const std::string& receiver : receivers(topic, payload.size())) {
            send_to(receiver, Message{topic, payload});
        }
    }
    c = find(id);
    if (c != nullptr && qos > 0) {
        auto published = c->callbacks.published;
        scheduler_.at(c->to_client.arrival(scheduler_, network_), [this, id, published, token] {
            if (find(id) != nullptr && published) {
                published(token);
            }
        });
    }
}

void Broker::deliver(const std::string& client_id, const std::string& topic,
                     const std::string& payload) {
    if (!running_) {
        return;
    }
    if (!client_id.empty()) {
        if (sessions_.count(client_id) != 0) {
            send_to(client_id, Message{topic, payload});
        }
        return;
    }
    for (const std::string& receiver : receivers(topic, payload.size())) {
        send_to(receiver, Message{topic, payload});
    }
}

namespace {

bool has_wildcard(std::string_view filter) {
    return filter.find_first_of("+#") != std::string_view::npos;
}

} // namespace

void Broker::index_subscription(const std::string& client_id, const std::string& filter) {
    if (has_wildcard(filter)) {
        wildcard_subscribers_.insert(client_id);
    } else {
        exact_subscribers_[filter].insert(client_id);
    }
}

void Broker::unindex_subscription(const std::string& client_id, const std::string& filter) {
    if (has_wildcard(filter)) {
        const auto session = sessions_.find(client_id);
        const bool another =
            session != sessions_.end() &&
            std::any_of(session->second.subscriptions.begin(), session->second.subscriptions.end(),
                        [](const auto& s) { return has_wildcard(s.first); });
        if (!another) {
            wildcard_subscribers_.erase(client_id);
        }
        return;
    }
    const auto it = exact_subscribers_.find(filter);
    if (it != exact_subscribers_.end() && it->second.erase(client_id) != 0 && it->second.empty()) {
        exact_subscribers_.erase(it);
    }
}

void Broker::unindex_session(const std::string& client_id) {
    const auto session = sessions_.find(client_id);
    if (session == sessions_.end()) {
        return;
    }
    for (const auto& [filter, granted] : session->second.subscriptions) {
        const auto it = exact_subscribers_.find(filter);
        if (it != exact_subscribers_.end() && it->second.erase(client_id) != 0 &&
            it->second.empty()) {
            exact_subscribers_.erase(it);
        }
    }
    wildcard_subscribers_.erase(client_id);
}

void Broker::reset_session(const std::string& client_id) {
    unindex_session(client_id);
    sessions_[client_id] = Session{};
}

std::vector<std::string> Broker::receivers(const std::string& topic,
                                           std::size_t payload_size) const {
    // The candidates: the clients subscribed to this exact topic and those holding any wildcard
    // filter, in client id order (the order every client's copy is queued in, as when all
    // sessions were scanned); each is then matched against its own filters as before.
    std::vector<std::string> candidates;
    const auto exact = exact_subscribers_.find(topic);
    if (exact != exact_subscribers_.end()) {
        std::set_union(exact->second.begin(), exact->second.end(), wildcard_subscribers_.begin(),
                       wildcard_subscribers_.end(), std::back_inserter(candidates));
    } else {
        candidates.assign(wildcard_subscribers_.begin(), wildcard_subscribers_.end());
    }
    std::vector<std::string> result;
    for (std::string& candidate : candidates) {
        const auto session = sessions_.find(candidate);
        if (session == sessions_.end()) {
            continue;
        }
        for (const auto& [filter, granted] : session->second.subscriptions) {
            if (topic_matches(filter, topic) &&
                allowed(candidate, topic, MqttAccess::receive, granted, payload_size)) {
                result.push_back(std::move(candidate));
                break;
            }
        }
    }
    return result;
}

void Broker::send_to(const std::string& client_id, Message message) {
    Session& session = sessions_[client_id];
    const std::uint64_t message_id = session.next_message++;
    session.in_flight.emplace_back(message_id, std::move(message));
    const auto connection = by_client_.find(client_id);
    if (connection != by_client_.end()) {
        const Connection* c = find(connection->second);
        if (c != nullptr && c->established) {
            send_in_flight(connection->second, message_id);
        }
    }
}

void Broker::send_in_flight(ConnectionId id, std::uint64_t message_id) {
    Connection* c = find(id);
    if (c == nullptr) {
        return;
    }
    scheduler_.at(c->to_client.arrival(scheduler_, network_), [this, id, message_id] {
        Connection* conn = find(id);
        if (conn == nullptr) {
            return; // the connection ended on the way: a persistent session sends it again
        }
        auto session = sessions_.find(conn->client_id);
        if (session == sessions_.end()) {
            return;
        }
        auto& in_flight = session->second.in_flight;
        const auto it = std::find_if(in_flight.begin(), in_flight.end(),
                                     [message_id](const auto& m) { return m.first == message_id; });
        if (it == in_flight.end()) {
            return; // already delivered (sent twice across a reconnect)
        }
        const Message message = std::move(it->second);
        in_flight.erase(it);
        ++messages_delivered_;
        if (conn->callbacks.message) {
            auto on_message = conn->callbacks.message;
            on_message(message.topic, message.payload);
        }
    });
}

void Broker::close(ConnectionId id, bool tell) {
    Connection* c = find(id);
    if (c == nullptr) {
        return;
    }
    const std::string client_id = c->client_id;
    if (const auto it = by_client_.find(client_id); it != by_client_.end() && it->second == id) {
        by_client_.erase(it);
        const auto session = sessions_.find(client_id);
        if (session != sessions_.end() && !session->second.persistent) {
            unindex_session(client_id);
            sessions_.erase(session);
        }
    }
    if (tell) {
        // An established connection is lost; one still waiting for its CONNACK fails.
        auto told = c->established ? c->callbacks.connection_lost : c->callbacks.connect_failed;
        scheduler_.at(c->to_client.arrival(scheduler_, network_), [told] {
            if (told) {
                told();
            }
        });
    }
    connections_.erase(id);
}

void Broker::disconnect(ConnectionId id) {
    close(id, false);
}

void Broker::drop(ConnectionId id) {
    close(id, false);
}

void Broker::stop() {
    running_ = false;
    ++stops_;
    std::vector<ConnectionId> ids;
    for (const auto& [id, connection] : connections_) {
        ids.push_back(id);
    }
    for (const ConnectionId id : ids) {
        close(id, true);
    }
    sessions_.clear();
    exact_subscribers_.clear();
    wildcard_subscribers_.clear();
    by_client_.clear();
}

void Broker::start() {
    running_ = true;
}

} // namespace fota::sim::simulation
