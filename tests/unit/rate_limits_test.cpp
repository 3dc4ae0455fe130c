#include <catch2/catch.hpp>

#include "config/annotations.hpp"
#include "proxy/policy/rate_limits.hpp"

using namespace portico;
using namespace std::chrono_literals;

namespace {

const auto alice = boost::asio::ip::make_address("10.0.0.1");
const auto bob = boost::asio::ip::make_address("10.0.0.2");

// How many of `count` requests at `at` are let through.
int admitted(RateLimits& limits, const boost::asio::ip::address& client,
             RateLimits::Clock::time_point at, int count) {
  int yes = 0;
  for (int i = 0; i < count; ++i) {
    std::optional<RateLimits::Slot> slot;
    yes += limits.admit(client, at, slot) == RateLimits::Admission::Admitted ? 1 : 0;
  }
  return yes;
}

}  // namespace

TEST_CASE("Rate limits: nginx's leaky bucket with nodelay, per client address", "[rate_limits]") {
  // limit-rps 2 with a burst multiplier of 3: a burst of 6 beyond the first, then 2 a second.
  RateLimits limits({.rps = 2, .burst_multiplier = 3});
  const auto start = RateLimits::Clock::now();
  CHECK(admitted(limits, alice, start, 10) == 7);
  CHECK(admitted(limits, bob, start, 10) == 7);  // every address has its own bucket
  CHECK(admitted(limits, alice, start + 500ms, 10) == 1);
  CHECK(admitted(limits, alice, start + 1500ms, 10) == 2);
  CHECK(admitted(limits, alice, start + 60s, 10) == 7);  // drained: the whole burst again
}

TEST_CASE("Rate limits: requests per minute, and the allowlist", "[rate_limits]") {
  RateLimits limits(
      {.rpm = 60, .burst_multiplier = 1, .allowlist = SourceRanges::parse("10.0.0.2/32").value()});
  const auto start = RateLimits::Clock::now();
  CHECK(admitted(limits, alice, start, 100) == 61);
  CHECK(admitted(limits, alice, start + 1s, 5) == 1);  // one a second
  CHECK(admitted(limits, bob, start, 1000) == 1000);   // allowlisted: never counted
}

TEST_CASE("Rate limits: connections are requests in progress", "[rate_limits]") {
  RateLimits limits({.connections = 2});
  const auto now = RateLimits::Clock::now();
  std::optional<RateLimits::Slot> first;
  std::optional<RateLimits::Slot> second;
  std::optional<RateLimits::Slot> third;
  CHECK(limits.admit(alice, now, first) == RateLimits::Admission::Admitted);
  CHECK(limits.admit(alice, now, second) == RateLimits::Admission::Admitted);
  CHECK(limits.admit(alice, now, third) == RateLimits::Admission::OverConnections);
  CHECK(limits.admit(bob, now, third) == RateLimits::Admission::Admitted);
  third.reset();
  first.reset();  // one ends: its place is free again
  std::optional<RateLimits::Slot> again;
  CHECK(limits.admit(alice, now, again) == RateLimits::Admission::Admitted);
}

TEST_CASE("Rate limits: an Ingress keeps its counts while its limits stay the same",
          "[rate_limits]") {
  RateLimitKeeper keeper;
  const auto first = keeper.get("default/api", {.rps = 2});
  CHECK(keeper.get("default/api", {.rps = 2}) == first);  // a rebuild: the same counts
  CHECK(keeper.get("default/other", {.rps = 2}) != first);
  const auto changed = keeper.get("default/api", {.rps = 3});
  CHECK(changed != first);  // new limits start afresh
  CHECK(changed->settings().rps == 3);
}
