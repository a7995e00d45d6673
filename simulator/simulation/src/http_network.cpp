// The simulated world's HTTP servers by host:port, and URL parsing (http.hpp).
#include "fota/sim/simulation/http.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace fota::sim::simulation {

namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

/// "123" -> 123 when it is a port number (1..65535).
std::optional<std::uint16_t> parse_port(std::string_view text) {
    if (text.empty() || text.size() > 5) {
        return std::nullopt;
    }
    std::uint32_t value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (value == 0 || value > 65535) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(value);
}

} // namespace

std::optional<SimUrl> parse_sim_url(std::string_view url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) {
        return std::nullopt;
    }
    SimUrl out;
    out.scheme = lower(url.substr(0, scheme_end));
    if (out.scheme != "http" && out.scheme != "https") {
        return std::nullopt;
    }
    std::string_view rest = url.substr(scheme_end + 3);
    const auto authority_end = rest.find_first_of("/?#");
    out.authority = std::string(rest.substr(0, authority_end));
    std::string_view target =
        authority_end == std::string_view::npos ? "" : rest.substr(authority_end);
    target = target.substr(0, target.find('#'));
    out.target =
        target.empty() || target.front() != '/' ? "/" + std::string(target) : std::string(target);
    if (out.authority.empty() || out.authority.find_first_of("@[] \t\r\n") != std::string::npos ||
        out.target.find_first_of(" \t\r\n") != std::string::npos) {
        return std::nullopt;
    }
    const auto colon = out.authority.find(':');
    out.host = lower(std::string_view(out.authority).substr(0, colon));
    if (out.host.empty()) {
        return std::nullopt;
    }
    if (colon == std::string::npos) {
        out.port = out.scheme == "https" ? 443 : 80;
        return out;
    }
    const auto port = parse_port(std::string_view(out.authority).substr(colon + 1));
    if (!port) {
        return std::nullopt;
    }
    out.port = *port;
    return out;
}

SimHttpNetwork::SimHttpNetwork(Scheduler& scheduler, NetworkOptions options)
    : scheduler_(scheduler), options_(options) {}

void SimHttpNetwork::add_endpoint(const std::string& url, SimHttpEndpoint& endpoint) {
    const auto parsed = parse_sim_url(url);
    if (!parsed || parsed->scheme != "http" || parsed->target != "/") {
        throw std::invalid_argument("simulated HTTP endpoint \"" + url +
                                    "\" is not http://host[:port]");
    }
    const auto [it, added] = endpoints_.emplace(std::pair(parsed->host, parsed->port), &endpoint);
    if (!added) {
        throw std::invalid_argument("simulated HTTP endpoint \"" + url + "\" is already served");
    }
}

void SimHttpNetwork::remove_endpoint(const std::string& url) {
    if (const auto parsed = parse_sim_url(url)) {
        endpoints_.erase(std::pair(parsed->host, parsed->port));
    }
}

SimHttpEndpoint* SimHttpNetwork::find(const std::string& host, std::uint16_t port) const {
    const auto it = endpoints_.find(std::pair(host, port));
    return it == endpoints_.end() ? nullptr : it->second;
}

bool SimHttpNetwork::knows_host(const std::string& host) const {
    return std::any_of(endpoints_.begin(), endpoints_.end(),
                       [&](const auto& entry) { return entry.first.first == host; });
}

} // namespace fota::sim::simulation
