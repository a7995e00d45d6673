// One floor client: the seed profile's messages, byte for byte as the device's core writes them
// (see README.md for where the list comes from), on a hand-written MQTT 3.1.1 client.
#include "floor_client.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>

namespace fota::bench::floor {

namespace asio = boost::asio;
using json = nlohmann::json;
using sim::mqtt311::PacketType;
using sim::mqtt311::ReadStatus;

namespace {

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// The job document's download URL in either form the runner writes: location.url, or
// location.{protocol,host,path}.
std::string document_url(const json& document) {
    const json location = document.value("location", json::object());
    if (location.contains("url")) {
        return location["url"].get<std::string>();
    }
    std::string path = location.value("path", "");
    if (!path.empty() && path.front() == '/') {
        path.erase(0, 1);
    }
    return location.value("protocol", "http") + "://" + location.value("host", "") + "/" + path;
}

} // namespace

FloorClient::FloorClient(asio::io_context& io, HttpFetcher& http, const ClientSettings& settings,
                         const ClientEvents& events, std::string thing, std::uint64_t seed,
                         std::size_t slot)
    : io_(io), http_(http), settings_(settings), events_(events), thing_(std::move(thing)),
      token_state_(seed * 0x9e3779b97f4a7c15ull + 1), slot_(slot) {}

void FloorClient::start() {
    record_.started = Clock::now();
    report_shadow();
}

void FloorClient::report_shadow() {
    step_ = Step::shadow;
    const std::string& version = boot_ == 1 ? settings_.initial_version : settings_.update_version;
    const std::string body =
        R"({"state":{"reported":{"nrf_cloud_app_fw_version":")" + version + R"("}}})";
    ++record_.http_requests;
    http_.post_json(slot_, settings_.shadow_base_url + "/things/" + thing_ + "/shadow", body,
                    [this](HttpResult result) {
                        asio::post(io_, [this, result = std::move(result)] {
                            if (result.status != 200) {
                                fail("shadow report: HTTP " + std::to_string(result.status) + " " +
                                     result.error);
                                return;
                            }
                            connect();
                        });
                    });
}

void FloorClient::connect() {
    step_ = Step::connecting;
    auto connection = std::make_shared<Connection>(io_);
    connection_ = connection;
    connection->socket.async_connect(
        settings_.broker, [this, connection](boost::system::error_code error) {
            if (connection != connection_) {
                return;
            }
            if (error) {
                fail("connect: " + error.message());
                return;
            }
            connection->socket.set_option(asio::ip::tcp::no_delay(true), error);
            send(sim::mqtt311::connect_packet(thing_, settings_.keep_alive_s));
            read_more();
        });
}

void FloorClient::read_more() {
    auto connection = connection_;
    connection->socket.async_read_some(
        asio::buffer(connection->read_buffer),
        [this, connection](boost::system::error_code error, std::size_t length) {
            if (connection != connection_ || step_ == Step::failed) {
                return; // a connection the client has left (reboot, failure, the run's end)
            }
            if (error) {
                fail("MQTT connection lost: " + error.message());
                return;
            }
            std::string& input = connection->input;
            input.append(connection->read_buffer.data(), length);
            std::size_t consumed = 0;
            for (;;) {
                Packet packet;
                std::size_t used = 0;
                const ReadStatus status = sim::mqtt311::read_packet(
                    std::string_view(input).substr(consumed), packet, used);
                if (status == ReadStatus::need_more) {
                    break;
                }
                if (status == ReadStatus::malformed) {
                    fail("a malformed packet from the broker");
                    return;
                }
                consumed += used;
                ++record_.mqtt_received;
                on_packet(packet);
                if (connection != connection_ || step_ == Step::failed) {
                    return;
                }
            }
            input.erase(0, consumed);
            read_more();
        });
}

void FloorClient::on_packet(const Packet& packet) {
    switch (packet.type) {
    case PacketType::connack:
        on_connack(packet);
        break;
    case PacketType::publish:
        if ((packet.flags & 0x06) != 0) {
            send(sim::mqtt311::puback_packet(packet.packet_id));
        }
        on_publish(packet.topic, packet.payload);
        break;
    default: // PUBACK, SUBACK, UNSUBACK, PINGRESP: the client waits for replies, not acks
        break;
    }
}

void FloorClient::on_connack(const Packet& packet) {
    if (packet.return_code != 0) {
        fail("CONNACK refused: " + std::to_string(packet.return_code));
        return;
    }
    if (boot_ == 1) {
        record_.connected = Clock::now();
        step_ = Step::waiting_job;
        if (events_.connected) {
            events_.connected();
        }
    } else {
        record_.reconnected = Clock::now(); // the device confirms its image here
        step_ = Step::checking;
    }
    send(sim::mqtt311::subscribe_packet(next_packet_id(), {topic("jobs/notify-next")}));
    send(sim::mqtt311::publish_packet(next_packet_id(), topic("jobs/$next/get"),
                                      R"({"clientToken":")" + client_token() + R"("})"));
}

void FloorClient::on_publish(std::string_view topic_name, std::string_view payload) {
    if (ends_with(topic_name, "/jobs/notify-next") ||
        ends_with(topic_name, "/$next/get/accepted")) {
        if (step_ == Step::waiting_job) {
            take_job(payload);
        } else if (step_ == Step::checking && ends_with(topic_name, "/$next/get/accepted")) {
            step_ = Step::finished;
            record_.finished = true;
            if (events_.ended) {
                events_.ended();
            }
        }
    } else if (ends_with(topic_name, "/update/accepted")) {
        on_update_accepted();
    } else if (ends_with(topic_name, "/update/rejected")) {
        fail("job update rejected: " + std::string(payload));
    }
}

bool FloorClient::take_job(std::string_view payload) {
    const json message = json::parse(payload, nullptr, false);
    if (!message.is_object() || !message.contains("execution")) {
        return false; // no job yet
    }
    const json& execution = message["execution"];
    job_id_ = execution.value("jobId", "");
    expected_version_ = execution.value("versionNumber", 0u);
    const json document = execution.value("jobDocument", json::object());
    url_ = document_url(document);
    image_size_ = document.value("size", 0u);
    if (job_id_.empty() || image_size_ == 0) {
        fail("a job execution without jobId or size: " + std::string(payload));
        return false;
    }
    record_.job_taken = Clock::now();
    const std::string job_topic = "jobs/" + job_id_ + "/update";
    send(sim::mqtt311::unsubscribe_packet(next_packet_id(), topic("jobs/notify-next")));
    send(sim::mqtt311::subscribe_packet(next_packet_id(), {topic(job_topic + "/accepted")}));
    send(sim::mqtt311::subscribe_packet(next_packet_id(), {topic(job_topic + "/rejected")}));
    step_ = Step::starting;
    publish_update("IN_PROGRESS", "download_firmware");
    return true;
}

void FloorClient::publish_update(std::string_view status, std::string_view next_state) {
    std::string payload = R"({"status":")";
    payload += status;
    payload += R"(","statusDetails":{"nextState":")";
    payload += next_state;
    payload += R"("},"expectedVersion":")" + std::to_string(expected_version_) +
               R"(","clientToken":")" + client_token() + R"("})";
    send(sim::mqtt311::publish_packet(next_packet_id(), topic("jobs/" + job_id_ + "/update"),
                                      payload));
}

void FloorClient::on_update_accepted() {
    ++expected_version_; // every accepted update moves the execution's versionNumber by one
    switch (step_) {
    case Step::starting:
        step_ = Step::downloading;
        fetch_next_fragment();
        break;
    case Step::applying:
        step_ = Step::succeeding;
        publish_update("SUCCEEDED", "none");
        break;
    case Step::succeeding:
        record_.succeeded = Clock::now();
        reboot();
        break;
    default:
        break;
    }
}

void FloorClient::fetch_next_fragment() {
    const std::uint64_t first = record_.download_bytes;
    const std::uint64_t last = std::min(first + settings_.fragment_size, image_size_) - 1;
    ++record_.http_requests;
    http_.get_range(slot_, url_, first, last, last + 1 == image_size_,
                    [this, first, last](HttpResult result) {
                        asio::post(io_, [this, first, last, result = std::move(result)] {
                            on_fragment(result, first, last);
                        });
                    });
}

void FloorClient::on_fragment(const HttpResult& result, std::uint64_t first, std::uint64_t last) {
    if (step_ != Step::downloading) {
        return;
    }
    const std::string expected_range = "bytes " + std::to_string(first) + "-" +
                                       std::to_string(last) + "/" + std::to_string(image_size_);
    if (result.status != 206 || result.content_range != expected_range ||
        result.body.size() != last - first + 1) {
        fail("Range " + std::to_string(first) + "-" + std::to_string(last) + ": HTTP " +
             std::to_string(result.status) + " " + result.error + " Content-Range '" +
             result.content_range + "', " + std::to_string(result.body.size()) + " bytes");
        return;
    }
    record_.download_bytes += result.body.size();
    if (!record_.first_byte) {
        record_.first_byte = Clock::now();
    }
    if (record_.download_bytes < image_size_) {
        fetch_next_fragment();
        return;
    }
    record_.downloaded = Clock::now();
    step_ = Step::applying;
    publish_update("IN_PROGRESS", "apply_firmware");
}

void FloorClient::reboot() {
    // A clean reboot: DISCONNECT and close that connection, then boot again (shadow report,
    // connect) on a new one.
    send(sim::mqtt311::disconnect_packet());
    connection_->close_after_write = true;
    connection_.reset();
    boot_ = 2;
    report_shadow();
}

void FloorClient::send(std::string packet) {
    ++record_.mqtt_sent;
    last_write_ = Clock::now();
    connection_->output.push_back(std::move(packet));
    if (!connection_->writing) {
        write_front(connection_);
    }
}

void FloorClient::write_front(const std::shared_ptr<Connection>& connection) {
    connection->writing = true;
    asio::async_write(connection->socket, asio::buffer(connection->output.front()),
                      [this, connection](boost::system::error_code error, std::size_t) {
                          connection->output.pop_front();
                          connection->writing = false;
                          if (error) {
                              return; // a lost connection shows in the read
                          }
                          if (!connection->output.empty()) {
                              write_front(connection);
                          } else if (connection->close_after_write) {
                              connection->socket.close(error);
                          }
                      });
}

void FloorClient::keep_alive(Clock::time_point now) {
    const bool online = step_ != Step::shadow && step_ != Step::connecting &&
                        step_ != Step::finished && step_ != Step::failed;
    if (online && now - last_write_ > std::chrono::seconds(settings_.keep_alive_s / 2)) {
        send(sim::mqtt311::pingreq_packet());
    }
}

void FloorClient::close() {
    if (connection_) {
        boost::system::error_code ignored;
        connection_->socket.close(ignored);
        connection_.reset();
    }
}

void FloorClient::fail(std::string why) {
    if (step_ == Step::failed || step_ == Step::finished) {
        return;
    }
    step_ = Step::failed;
    record_.failure = std::move(why);
    close();
    if (events_.ended) {
        events_.ended();
    }
}

std::string FloorClient::client_token() {
    // SplitMix64: eight hex digits, as the core's tokens look.
    token_state_ += 0x9e3779b97f4a7c15ull;
    std::uint64_t z = token_state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    char text[9];
    std::snprintf(text, sizeof text, "%08x", static_cast<unsigned>(z & 0xffffffffu));
    return text;
}

std::string FloorClient::topic(std::string_view suffix) const {
    return "$aws/things/" + thing_ + "/" + std::string(suffix);
}

std::uint16_t FloorClient::next_packet_id() {
    packet_id_ = static_cast<std::uint16_t>(packet_id_ % 65535 + 1);
    return packet_id_;
}

} // namespace fota::bench::floor
