#include "proxy/policy/rate_limits.hpp"

#include <algorithm>
#include <functional>

namespace portico {
namespace {

// nginx's limit_req: the excess (thousandths of a request) drains at `per_second` requests
// a second; a request adds one; more than `burst` requests of excess is refused, and then
// counts for nothing. Returns the new excess, or nothing when refused.
std::optional<std::int64_t> leak(std::int64_t excess, double per_second, unsigned burst,
                                 std::chrono::nanoseconds elapsed) {
  const auto drained = static_cast<std::int64_t>(per_second * 1000.0 *
                                                 std::chrono::duration<double>(elapsed).count());
  const std::int64_t next = std::max<std::int64_t>(0, excess - drained) + 1000;
  if (next > static_cast<std::int64_t>(burst) * 1000 + 1000) {
    return std::nullopt;
  }
  return next;
}

}  // namespace

std::size_t RateLimits::AddressHash::operator()(const boost::asio::ip::address& a) const noexcept {
  if (a.is_v4()) {
    return std::hash<std::uint32_t>{}(a.to_v4().to_uint());
  }
  const auto bytes = a.to_v6().to_bytes();
  std::size_t h = 0;
  for (const auto byte : bytes) {
    h = h * 131 + byte;
  }
  return h;
}

RateLimits::Shard& RateLimits::shard_of(const boost::asio::ip::address& client) {
  return shards_[AddressHash{}(client) % shards_.size()];
}

void RateLimits::forget_idle(Shard& shard, Clock::time_point now) const {
  std::erase_if(shard.clients, [&](const auto& entry) {
    const Client& c = entry.second;
    const double seconds = std::chrono::duration<double>(now - c.last).count();
    const bool rps_drained = c.rps_excess <= settings_.rps * 1000.0 * seconds;
    const bool rpm_drained = c.rpm_excess <= settings_.rpm * 1000.0 / 60 * seconds;
    return c.open == 0 && rps_drained && rpm_drained;
  });
}

RateLimits::Admission RateLimits::admit(const boost::asio::ip::address& client,
                                        Clock::time_point now, std::optional<Slot>& slot) {
  if (settings_.allowlist && settings_.allowlist->contains(client)) {
    return Admission::Admitted;
  }
  Shard& shard = shard_of(client);
  const std::lock_guard lock(shard.mutex);
  auto it = shard.clients.find(client);
  if (it == shard.clients.end()) {
    if (shard.clients.size() >= ShardCapacity) {
      forget_idle(shard, now);
      if (shard.clients.size() >= ShardCapacity) {
        return Admission::OverRequestRate;
      }
    }
    it = shard.clients.emplace(client, Client{.last = now}).first;
  }
  Client& c = it->second;
  if (settings_.connections != 0 && c.open >= settings_.connections) {
    return Admission::OverConnections;
  }
  const auto elapsed = now - c.last;
  std::optional<std::int64_t> rps = c.rps_excess;
  std::optional<std::int64_t> rpm = c.rpm_excess;
  if (settings_.rps != 0) {
    rps = leak(c.rps_excess, settings_.rps, settings_.rps * settings_.burst_multiplier, elapsed);
  }
  if (settings_.rpm != 0) {
    rpm = leak(c.rpm_excess, settings_.rpm / 60.0, settings_.rpm * settings_.burst_multiplier,
               elapsed);
  }
  if (!rps || !rpm) {
    return Admission::OverRequestRate;
  }
  c.rps_excess = *rps;
  c.rpm_excess = *rpm;
  c.last = now;
  if (settings_.connections != 0) {
    ++c.open;
    slot.emplace(*this, client);
  }
  return Admission::Admitted;
}

void RateLimits::release(const boost::asio::ip::address& client) {
  Shard& shard = shard_of(client);
  const std::lock_guard lock(shard.mutex);
  if (const auto it = shard.clients.find(client);
      it != shard.clients.end() && it->second.open > 0) {
    --it->second.open;
  }
}

}  // namespace portico
