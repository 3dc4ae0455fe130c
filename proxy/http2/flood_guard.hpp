#pragma once
// FloodGuard: what one HTTP/2 client may do before its connection is closed (GOAWAY
// ENHANCE_YOUR_CALM). Each kind of frame that costs the server work without giving it any
// (a stream reset right after it opened, SETTINGS, PING, an empty DATA frame, CONTINUATION
// frames of one header block) draws from its own token bucket; a bucket that runs dry, or a
// header list larger than the limit, is a violation. nghttp2 1.52 guards some of these
// itself; this one names the reason for the metric and closes the rest. Pure and clock-driven
// by its caller, so tests drive it directly. Owned by one HTTP/2 session.
#include <chrono>
#include <cstdint>
#include <string_view>

namespace portico {

enum class FloodReason : std::uint8_t {
  None,
  RapidReset,         // streams reset by the client faster than it could use them
  ContinuationFlood,  // a header block split into endless CONTINUATION frames
  SettingsFlood,
  PingFlood,
  EmptyFrameFlood,     // DATA frames without data and without the end of the stream
  HeaderListTooLarge,  // a header list (decoded: an HPACK bomb too) over --max-header-size
  WindowStalled,       // the client never opened its receive window for a response
  ProtocolError,       // anything else nghttp2 found fatal; the last reason
};
inline constexpr std::size_t FloodReasonCount =
    static_cast<std::size_t>(FloodReason::ProtocolError) + 1;

std::string_view flood_reason_name(FloodReason reason);

class FloodGuard {
 public:
  using Clock = std::chrono::steady_clock;

  FloodGuard();

  // Each returns false, and remembers why, when the frame is one too many.
  bool on_reset(Clock::time_point now);
  bool on_settings(Clock::time_point now);
  bool on_ping(Clock::time_point now);
  bool on_empty_data(Clock::time_point now);
  bool on_continuation();  // of the header block being received
  void on_headers_start() { continuations_ = 0; }
  // `bytes`: the decoded size of one more field of the current header list (name + value +
  // 32, as RFC 9113 §6.5.2 counts it); `limit`: the largest list allowed.
  bool on_header_field(std::size_t bytes, std::size_t limit);
  void on_header_list_end() { header_bytes_ = 0; }

  void violate(FloodReason reason) {
    if (reason_ == FloodReason::None) {
      reason_ = reason;
    }
  }
  FloodReason violation() const noexcept { return reason_; }

 private:
  struct Bucket {
    double burst;
    double per_second;
    double tokens;
    Clock::time_point last{};
    bool take(Clock::time_point now);
  };
  bool take(Bucket& bucket, FloodReason reason, Clock::time_point now);

  Bucket resets_;
  Bucket settings_;
  Bucket pings_;
  Bucket empty_data_;
  unsigned continuations_ = 0;
  std::size_t header_bytes_ = 0;
  FloodReason reason_ = FloodReason::None;
};

}  // namespace portico
