// FloodGuard: each kind of costly frame draws from its own bucket, refilled with time; the
// first one too many names the reason.
#include <catch2/catch.hpp>

#include "proxy/http2/flood_guard.hpp"

using namespace portico;
using Clock = FloodGuard::Clock;

TEST_CASE("FloodGuard: bursts pass, floods are named, and time refills", "[unit][http2]") {
  const auto start = Clock::now();
  SECTION("resets: a burst of 1000, then 100 per second") {
    FloodGuard guard;
    for (int i = 0; i < 1000; ++i) {
      REQUIRE(guard.on_reset(start));
    }
    CHECK_FALSE(guard.on_reset(start));
    CHECK(guard.violation() == FloodReason::RapidReset);
    FloodGuard rested;
    for (int i = 0; i < 1000; ++i) {
      REQUIRE(rested.on_reset(start));
    }
    for (int i = 0; i < 10; ++i) {  // a second later, 100 more
      CHECK(rested.on_reset(start + std::chrono::milliseconds(100 + 100 * i)));
    }
    CHECK(rested.violation() == FloodReason::None);
  }
  SECTION("SETTINGS, PING and empty DATA each have their own bucket") {
    FloodGuard guard;
    for (int i = 0; i < 100; ++i) {
      REQUIRE(guard.on_settings(start));
      REQUIRE(guard.on_ping(start));
      REQUIRE(guard.on_empty_data(start));
    }
    CHECK_FALSE(guard.on_ping(start));
    CHECK(guard.violation() == FloodReason::PingFlood);
    CHECK_FALSE(guard.on_settings(start));
    CHECK(guard.violation() == FloodReason::PingFlood);  // the first reason stays
  }
  SECTION("CONTINUATION frames count per header block") {
    FloodGuard guard;
    for (int block = 0; block < 3; ++block) {
      guard.on_headers_start();
      for (int i = 0; i < 8; ++i) {
        REQUIRE(guard.on_continuation());
      }
    }
    CHECK_FALSE(guard.on_continuation());
    CHECK(guard.violation() == FloodReason::ContinuationFlood);
  }
  SECTION("a header list is measured as decoded, per list") {
    FloodGuard guard;
    CHECK(guard.on_header_field(4000, 8192));
    CHECK(guard.on_header_field(4000, 8192));
    guard.on_header_list_end();
    CHECK(guard.on_header_field(8000, 8192));
    CHECK_FALSE(guard.on_header_field(4000, 8192));
    CHECK(guard.violation() == FloodReason::HeaderListTooLarge);
    CHECK(flood_reason_name(guard.violation()) == "header_list_too_large");
  }
}
