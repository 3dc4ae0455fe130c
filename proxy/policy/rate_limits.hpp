#pragma once
// RateLimits: limit-rps, limit-rpm and limit-connections of one Ingress, per client address,
// counted as ingress-nginx's nginx does: for the whole replica (every worker shares them, as
// nginx's workers share a zone), requests by nginx's leaky bucket with `burst` requests of
// credit answered at once ("nodelay"), connections as requests in progress. Addresses in
// limit-allowlist are not counted. A refused request is answered 503, as ingress-nginx's
// default limit-req-status-code and limit-conn-status-code. Thread-safe: one lock per shard
// of addresses, taken only for routes that have limits.
#include <array>
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "proxy/policy/source_ranges.hpp"

namespace portico {

class RateLimits {
 public:
  using Clock = std::chrono::steady_clock;
  struct Settings {
    unsigned rps = 0;  // 0: no such limit
    unsigned rpm = 0;
    unsigned connections = 0;
    unsigned burst_multiplier = 5;  // limit-burst-multiplier: burst = limit x this
    std::optional<SourceRanges> allowlist;
    bool operator==(const Settings&) const = default;
  };
  // Tracked addresses per shard at most (nginx's 5 MB zone holds about as many in all); a new
  // address finding its shard full after forgetting idle ones is refused, as nginx refuses
  // when its zone is full.
  static constexpr std::size_t ShardCapacity = 4096;

  explicit RateLimits(Settings settings) : settings_(std::move(settings)) {}
  const Settings& settings() const noexcept { return settings_; }

  // A request in progress under limit-connections; gives its place back when destroyed.
  class Slot {
   public:
    Slot(RateLimits& limits, const boost::asio::ip::address& client)
        : limits_(&limits), client_(client) {}
    Slot(Slot&& other) noexcept
        : limits_(std::exchange(other.limits_, nullptr)), client_(other.client_) {}
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (limits_ != nullptr) {
        limits_->release(client_);
      }
    }

   private:
    RateLimits* limits_;
    boost::asio::ip::address client_;
  };

  // Whether a request from `client` may go on now, or which limit refuses it (their status
  // codes differ: limit-req-status-code, limit-conn-status-code). On yes with
  // limit-connections, `slot` holds its place until the exchange ends.
  enum class Admission { Admitted, OverRequestRate, OverConnections };
  Admission admit(const boost::asio::ip::address& client, Clock::time_point now,
                  std::optional<Slot>& slot);

 private:
  struct Client {
    // nginx's "excess" per zone, in thousandths of a request, and when it was last updated.
    std::int64_t rps_excess = 0;
    std::int64_t rpm_excess = 0;
    Clock::time_point last{};
    unsigned open = 0;  // requests in progress
  };
  struct AddressHash {
    std::size_t operator()(const boost::asio::ip::address& a) const noexcept;
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<boost::asio::ip::address, Client, AddressHash> clients;
  };
  Shard& shard_of(const boost::asio::ip::address& client);
  void release(const boost::asio::ip::address& client);
  // Forgets clients whose buckets have drained and that have nothing in progress.
  void forget_idle(Shard& shard, Clock::time_point now) const;

  const Settings settings_;
  std::array<Shard, 16> shards_;
};

using RateLimitsPtr = std::shared_ptr<RateLimits>;

}  // namespace portico
