#pragma once
// AuthAnswers: the auth service's answers that auth-cache-key lets a worker keep, by key, until
// they expire. One per worker, used by its thread alone; bounded: when full, the expired ones
// go, and a new answer is not kept until there is room.
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace portico {

// What Portico uses of an auth service's answer: its status and the headers it reads (those
// of auth-response-headers, WWW-Authenticate). Set-Cookie is never kept: an answer that sets a
// cookie is not cached.
struct AuthAnswer {
  unsigned status = 0;
  std::vector<std::pair<std::string, std::string>> headers;

  // The value of header `name` (ASCII case ignored), or "".
  std::string_view header(std::string_view name) const;
};

class AuthAnswers {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t Capacity = 10'000;

  // The answer kept under `key`, or null when there is none or it has expired.
  const AuthAnswer* find(const std::string& key, Clock::time_point now);
  void keep(std::string key, AuthAnswer answer, Clock::time_point expires);
  std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct Entry {
    AuthAnswer answer;
    Clock::time_point expires;
  };
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace portico
