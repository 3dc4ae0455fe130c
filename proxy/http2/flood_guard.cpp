#include "proxy/http2/flood_guard.hpp"

#include <algorithm>

namespace portico {
namespace {

// Generous for real clients (a browser cancels a handful of streams when the user navigates
// away; a gRPC client pings every few seconds at most), far below what an attack sends: the
// rapid-reset attacks of 2023 reset tens of thousands of streams per second per connection.
constexpr double ResetBurst = 1000, ResetsPerSecond = 100;
constexpr double ControlBurst = 100, ControlPerSecond = 10;
// A 32 KiB header list fits in two 16 KiB frames; real clients never send more than a few.
constexpr unsigned MaxContinuations = 8;

}  // namespace

std::string_view flood_reason_name(FloodReason reason) {
  switch (reason) {
    case FloodReason::None:
      return "none";
    case FloodReason::RapidReset:
      return "rapid_reset";
    case FloodReason::ContinuationFlood:
      return "continuation_flood";
    case FloodReason::SettingsFlood:
      return "settings_flood";
    case FloodReason::PingFlood:
      return "ping_flood";
    case FloodReason::EmptyFrameFlood:
      return "empty_frame_flood";
    case FloodReason::HeaderListTooLarge:
      return "header_list_too_large";
    case FloodReason::WindowStalled:
      return "window_stalled";
    case FloodReason::ProtocolError:
      return "protocol_error";
  }
  return "unknown";
}

FloodGuard::FloodGuard()
    : resets_{ResetBurst, ResetsPerSecond, ResetBurst},
      settings_{ControlBurst, ControlPerSecond, ControlBurst},
      pings_{ControlBurst, ControlPerSecond, ControlBurst},
      empty_data_{ControlBurst, ControlPerSecond, ControlBurst} {}

bool FloodGuard::Bucket::take(Clock::time_point now) {
  if (last != Clock::time_point{}) {
    const double elapsed = std::chrono::duration<double>(now - last).count();
    tokens = std::min(burst, tokens + elapsed * per_second);
  }
  last = now;
  if (tokens < 1) {
    return false;
  }
  tokens -= 1;
  return true;
}

bool FloodGuard::take(Bucket& bucket, FloodReason reason, Clock::time_point now) {
  if (bucket.take(now)) {
    return true;
  }
  violate(reason);
  return false;
}

bool FloodGuard::on_reset(Clock::time_point now) {
  return take(resets_, FloodReason::RapidReset, now);
}

bool FloodGuard::on_settings(Clock::time_point now) {
  return take(settings_, FloodReason::SettingsFlood, now);
}

bool FloodGuard::on_ping(Clock::time_point now) {
  return take(pings_, FloodReason::PingFlood, now);
}

bool FloodGuard::on_empty_data(Clock::time_point now) {
  return take(empty_data_, FloodReason::EmptyFrameFlood, now);
}

bool FloodGuard::on_continuation() {
  if (++continuations_ <= MaxContinuations) {
    return true;
  }
  violate(FloodReason::ContinuationFlood);
  return false;
}

bool FloodGuard::on_header_field(std::size_t bytes, std::size_t limit) {
  header_bytes_ += bytes;
  if (header_bytes_ <= limit) {
    return true;
  }
  violate(FloodReason::HeaderListTooLarge);
  return false;
}

}  // namespace portico
