#pragma once
// Htpasswd: the users of an auth-type basic Ingress, from the auth-secret's htpasswd lines
// (auth-file: "user:hash" per line) or its user -> hash map (auth-map). Hashes as Apache's
// htpasswd writes them: bcrypt ($2y$/$2b$/$2a$, -B), apr1 (MD5, the default), {SHA} (-s),
// and crypt's SHA-256/512 ($5$/$6$); plain text is refused. Immutable once parsed; verify()
// is thread-safe.
//
// bcrypt is slow by design (tens of milliseconds). A worker remembers the credentials it has
// already accepted (VerifiedCredentials), so only a client's first request pays it.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_set>

#include "proxy/common/expected.hpp"

namespace portico {

class Htpasswd {
 public:
  static Expected<Htpasswd> parse_file(std::string_view lines);
  static Expected<Htpasswd> parse_map(const std::map<std::string, std::string>& users);

  bool verify(std::string_view user, std::string_view password) const;
  std::size_t size() const noexcept { return users_.size(); }
  // Different for every parsed instance, so a worker's memory of accepted credentials never
  // outlives the user list they were checked against.
  std::uint64_t serial() const noexcept { return serial_; }

 private:
  Htpasswd();
  static Expected<bool> add(Htpasswd& to, std::string_view user, std::string_view hash);
  std::map<std::string, std::string, std::less<>> users_;
  std::uint64_t serial_;
};

// One worker's memory of Authorization headers it has accepted, per user list. Bounded:
// forgotten all at once when full (the next request of each client pays one hash again).
class VerifiedCredentials {
 public:
  // True when `authorization` ("Basic base64(user:password)") names a user of `users` with
  // the right password.
  bool check(const Htpasswd& users, std::string_view authorization);

 private:
  static constexpr std::size_t Capacity = 4096;
  std::unordered_set<std::string> accepted_;  // SHA-256 of serial and header: no passwords kept
};

}  // namespace portico
