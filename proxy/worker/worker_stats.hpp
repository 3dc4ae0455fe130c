#pragma once
// WorkerStats: the counters of one worker. Plain integers, written only by the worker's own
// thread; the admin server asks each worker for a copy (run on that worker) and sums them,
// so the hot path pays no atomics and the reader never races.
#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <unordered_map>

#include "proxy/common/string_hash.hpp"
#include "proxy/http2/flood_guard.hpp"

namespace portico {

struct DurationHistogram {
  static constexpr std::array<double, 12> Bounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                    0.1,   0.25,   0.5,   1.0,  2.5,   10.0};
  std::array<std::uint64_t, Bounds.size() + 1> counts{};  // the last is +Inf
  double sum = 0;

  void observe(double seconds) noexcept {
    std::size_t i = 0;
    while (i < Bounds.size() && seconds > Bounds[i]) {
      ++i;
    }
    ++counts[i];
    sum += seconds;
  }
  void merge(const DurationHistogram& other) noexcept {
    for (std::size_t i = 0; i < counts.size(); ++i) {
      counts[i] += other.counts[i];
    }
    sum += other.sum;
  }
};

// One Ingress's (or one host's) requests: by status class (1xx..5xx), and how long they took.
struct IngressStats {
  std::array<std::uint64_t, 5> by_class{};
  DurationHistogram duration;

  void merge(const IngressStats& other) noexcept {
    for (std::size_t i = 0; i < by_class.size(); ++i) {
      by_class[i] += other.by_class[i];
    }
    duration.merge(other.duration);
  }
};

// One backend Service port's upstream trouble.
struct ServiceStats {
  std::uint64_t upstream_errors = 0;  // refused, reset, timed out or malformed: 502 and 504
  std::uint64_t retries = 0;
};

template <class Value>
using StatsBy = std::unordered_map<std::string, Value, StringHash, std::equal_to<>>;

// Copies of requests sent by RequestMirror filters, by outcome.
struct MirrorCounts {
  std::uint64_t answered = 0;
  std::uint64_t failed = 0;        // no endpoint, no connection or no answer in time
  std::uint64_t skipped_body = 0;  // requests with a body are not mirrored
};

struct WorkerStats {
  StatsBy<IngressStats> ingresses;  // by "namespace/name"; "" for requests no rule matched
  StatsBy<IngressStats> hosts;      // by the rule host that matched; "" for none, "*" host-less
  StatsBy<ServiceStats> services;   // by cluster name, "namespace/service:port"
  DurationHistogram request_duration;
  std::uint64_t upstream_connect_errors = 0;
  std::uint64_t upstream_retries = 0;
  std::uint64_t tunnels = 0;
  std::uint64_t passthrough_connections = 0;  // ssl-passthrough connections relayed
  std::uint64_t auth_cache_hits = 0;          // requests auth-cache-key answered without asking
  MirrorCounts mirrors;
  std::uint64_t tls_handshakes = 0;
  std::uint64_t tls_handshake_failures = 0;
  std::uint64_t proxy_protocol_rejected = 0;  // connections closed for a bad or missing header
  std::array<std::uint64_t, 3> requests_by_protocol{};  // by Protocol: HTTP/1.0, 1.1, 2
  std::uint64_t http2_connections = 0;
  std::uint64_t http2_resets_received = 0;  // streams the client reset
  std::uint64_t http2_goaways_drain = 0;    // GOAWAY NO_ERROR: shutting down
  std::array<std::uint64_t, FloodReasonCount> http2_goaways_abuse{};  // by FloodReason
  std::int64_t client_connections = 0;
  std::int64_t upstream_connections = 0;
  // Not a counter: "address:port" of the endpoints passive health has ejected right now, filled
  // in when the stats are collected (each worker ejects on its own: the union).
  std::set<std::string> ejected_endpoints;

  template <class Value>
  static Value& entry(StatsBy<Value>& by, std::string_view key) {
    auto it = by.find(key);
    if (it == by.end()) {
      it = by.emplace(std::string(key), Value{}).first;
    }
    return it->second;
  }

  void count_request(std::string_view ingress, std::string_view host, unsigned status,
                     double seconds) {
    const unsigned cls = status / 100;
    const std::size_t by_class = cls >= 1 && cls <= 5 ? cls - 1 : 4;
    for (IngressStats* stats : {&entry(ingresses, ingress), &entry(hosts, host)}) {
      ++stats->by_class[by_class];
      stats->duration.observe(seconds);
    }
    request_duration.observe(seconds);
  }

  void merge(const WorkerStats& other) {
    for (const auto& [name, theirs] : other.ingresses) {
      ingresses[name].merge(theirs);
    }
    for (const auto& [name, theirs] : other.hosts) {
      hosts[name].merge(theirs);
    }
    for (const auto& [name, theirs] : other.services) {
      auto& mine = services[name];
      mine.upstream_errors += theirs.upstream_errors;
      mine.retries += theirs.retries;
    }
    request_duration.merge(other.request_duration);
    upstream_connect_errors += other.upstream_connect_errors;
    upstream_retries += other.upstream_retries;
    tunnels += other.tunnels;
    passthrough_connections += other.passthrough_connections;
    auth_cache_hits += other.auth_cache_hits;
    mirrors.answered += other.mirrors.answered;
    mirrors.failed += other.mirrors.failed;
    mirrors.skipped_body += other.mirrors.skipped_body;
    tls_handshakes += other.tls_handshakes;
    tls_handshake_failures += other.tls_handshake_failures;
    proxy_protocol_rejected += other.proxy_protocol_rejected;
    for (std::size_t i = 0; i < requests_by_protocol.size(); ++i) {
      requests_by_protocol[i] += other.requests_by_protocol[i];
    }
    http2_connections += other.http2_connections;
    http2_resets_received += other.http2_resets_received;
    http2_goaways_drain += other.http2_goaways_drain;
    for (std::size_t i = 0; i < http2_goaways_abuse.size(); ++i) {
      http2_goaways_abuse[i] += other.http2_goaways_abuse[i];
    }
    client_connections += other.client_connections;
    upstream_connections += other.upstream_connections;
    ejected_endpoints.insert(other.ejected_endpoints.begin(), other.ejected_endpoints.end());
  }
};

}  // namespace portico
