#include "proxy/upstream/load_balancer.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "proxy/common/log.hpp"

namespace portico {

const Endpoint* LoadBalancer::pick(const Cluster& cluster, Clock::time_point now,
                                   const Endpoint* avoid) noexcept {
  const auto size = static_cast<std::uint32_t>(cluster.endpoints.size());
  if (size == 0) {
    return nullptr;
  }
  if (cluster.id >= cursor_.size()) {
    cursor_.resize(cluster.id + 1, Unseeded);
  }
  auto& cursor = cursor_[cluster.id];
  if (cursor == Unseeded) {
    cursor = static_cast<std::uint32_t>(random_() % size);
  }
  const Endpoint* fallback = nullptr;
  for (std::uint32_t tried = 0; tried < size; ++tried) {
    const Endpoint* candidate = &cluster.endpoints[cursor % size];
    cursor = (cursor + 1) % size;
    if (candidate == avoid) {
      continue;
    }
    if (!ejected(*candidate, now)) {
      return candidate;
    }
    fallback = fallback != nullptr ? fallback : candidate;
  }
  return fallback != nullptr ? fallback : avoid;
}

std::uint64_t LoadBalancer::hash(std::string_view bytes) noexcept {
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a
  for (const char c : bytes) {
    h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  }
  return h;
}

namespace {

// Spreads the bits of a combined key (splitmix64's finalizer), so rendezvous scores are
// independent per endpoint.
std::uint64_t mix(std::uint64_t x) noexcept {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// How long a response time keeps its weight in the average (ingress-nginx's ewma uses 10 s).
constexpr double DecaySeconds = 10.0;

}  // namespace

std::uint64_t LoadBalancer::affinity_key(const Endpoint& endpoint) noexcept {
  // The address's bytes and the port: the same on every replica, no text made per request.
  char bytes[18] = {};
  std::size_t size = 0;
  if (endpoint.address.is_v4()) {
    const auto v4 = endpoint.address.to_v4().to_bytes();
    std::copy(v4.begin(), v4.end(), bytes);
    size = v4.size();
  } else {
    const auto v6 = endpoint.address.to_v6().to_bytes();
    std::copy(v6.begin(), v6.end(), bytes);
    size = v6.size();
  }
  bytes[size++] = static_cast<char>(endpoint.port >> 8);
  bytes[size++] = static_cast<char>(endpoint.port & 0xff);
  return hash(std::string_view(bytes, size));
}

std::string LoadBalancer::affinity_token(const Endpoint& endpoint) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(affinity_key(endpoint)));
  return hex;
}

const Endpoint* LoadBalancer::pick_by_hash(const Cluster& cluster, std::uint64_t key,
                                           Clock::time_point now) const noexcept {
  const Endpoint* best = nullptr;
  const Endpoint* best_ejected = nullptr;
  std::uint64_t best_score = 0;
  std::uint64_t best_ejected_score = 0;
  for (const Endpoint& endpoint : cluster.endpoints) {
    const std::uint64_t score = mix(key ^ EndpointHash{}(endpoint));
    if (!ejected(endpoint, now)) {
      if (best == nullptr || score > best_score) {
        best = &endpoint;
        best_score = score;
      }
    } else if (best_ejected == nullptr || score > best_ejected_score) {
      best_ejected = &endpoint;
      best_ejected_score = score;
    }
  }
  return best != nullptr ? best : best_ejected;
}

const Endpoint* LoadBalancer::pick_by_token(const Cluster& cluster, std::string_view token,
                                            Clock::time_point now) const noexcept {
  std::uint64_t key = 0;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), key, 16);
  if (token.size() != 16 || ec != std::errc() || end != token.data() + token.size()) {
    return nullptr;  // absent, or not a token of ours
  }
  for (const Endpoint& endpoint : cluster.endpoints) {
    if (affinity_key(endpoint) == key) {
      return ejected(endpoint, now) ? nullptr : &endpoint;
    }
  }
  return nullptr;
}

double LoadBalancer::decayed_latency(const Endpoint& endpoint,
                                     Clock::time_point now) const noexcept {
  const auto it = latency_.find(endpoint);
  if (it == latency_.end()) {
    return 0;  // never measured: worth a try
  }
  // An average not refreshed for a while fades, so a once-slow endpoint is tried again.
  const double age = std::chrono::duration<double>(now - it->second.updated).count();
  return it->second.average_ms * std::exp(-age / DecaySeconds);
}

const Endpoint* LoadBalancer::pick_by_latency(const Cluster& cluster,
                                              Clock::time_point now) noexcept {
  const auto size = cluster.endpoints.size();
  if (size < 2) {
    return pick(cluster, now);
  }
  const Endpoint* first = &cluster.endpoints[random_() % size];
  const Endpoint* second = &cluster.endpoints[(first - cluster.endpoints.data() + 1 +
                                               random_() % (size - 1)) % size];
  if (ejected(*first, now)) {
    std::swap(first, second);
  }
  if (ejected(*first, now)) {
    return pick(cluster, now);  // both out: round robin finds a usable one
  }
  if (ejected(*second, now)) {
    return first;
  }
  return decayed_latency(*second, now) < decayed_latency(*first, now) ? second : first;
}

void LoadBalancer::report_latency(const Endpoint& endpoint, Clock::duration response_time,
                                  Clock::time_point now) {
  const double sample = std::chrono::duration<double, std::milli>(response_time).count();
  if (latency_.size() >= 4096) {
    latency_.clear();  // bounded: endpoints come and go; the averages rebuild in a few requests
  }
  auto [it, fresh] = latency_.try_emplace(endpoint);
  auto& latency = it->second;
  if (fresh) {
    latency.average_ms = sample;
  } else {
    const double age = std::chrono::duration<double>(now - latency.updated).count();
    const double keep = std::exp(-age / DecaySeconds);
    latency.average_ms = latency.average_ms * keep + sample * (1 - keep);
  }
  latency.updated = now;
}

bool LoadBalancer::ejected(const Endpoint& endpoint, Clock::time_point now) const noexcept {
  if (health_.empty()) {
    return false;  // the usual case: nothing failed, nothing to look up
  }
  const auto it = health_.find(endpoint);
  return it != health_.end() && it->second.ejected_until > now;
}

std::vector<std::string> LoadBalancer::ejected_endpoints(Clock::time_point now) const {
  std::vector<std::string> out;
  for (const auto& [endpoint, health] : health_) {
    if (health.ejected_until > now) {
      out.push_back(endpoint.address.to_string() + ":" + std::to_string(endpoint.port));
    }
  }
  return out;
}

void LoadBalancer::report_connect_failure(const Endpoint& endpoint, Clock::time_point now) {
  auto& health = health_[endpoint];
  if (++health.failures < FailuresToEject) {
    return;
  }
  const auto period =
      std::min<Clock::duration>(FirstEjection * (1u << std::min(health.ejections, 5u)),
                                LongestEjection);
  health.failures = 0;
  ++health.ejections;
  health.ejected_until = now + period;
  log::info("proxy", "endpoint ejected after consecutive connect failures",
            {{"upstream", endpoint.address.to_string() + ":" + std::to_string(endpoint.port)},
             {"seconds", std::to_string(std::chrono::duration_cast<std::chrono::seconds>(period)
                                            .count())}});
}

}  // namespace portico
