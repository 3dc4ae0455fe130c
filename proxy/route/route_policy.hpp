#pragma once
// RoutePolicy: what an Ingress's annotations change about how its requests are proxied, as
// typed, bounded values (config/annotations.cpp reads them; nothing is ever pasted anywhere).
// Immutable once built and shared by every route of that Ingress; an unset field means the
// flag's default applies.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

namespace portico {

struct RoutePolicy {
  std::optional<std::uint64_t> max_body_bytes;  // 413 above this; 0: unlimited
  std::optional<std::chrono::milliseconds> connect_timeout;
  std::optional<std::chrono::milliseconds> read_timeout;  // between upstream reads; tunnel idle
  std::optional<std::chrono::milliseconds> send_timeout;  // between upstream writes
  bool operator==(const RoutePolicy&) const = default;
};

using RoutePolicyPtr = std::shared_ptr<const RoutePolicy>;

}  // namespace portico
