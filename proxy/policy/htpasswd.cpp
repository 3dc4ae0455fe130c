#include "proxy/policy/htpasswd.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <atomic>
#include <memory>

#include "proxy/common/base64.hpp"

namespace portico {
namespace {

std::atomic<std::uint64_t> next_serial{1};

constexpr std::string_view Apr1Magic = "$apr1$";
constexpr std::string_view ShaMagic = "{SHA}";

bool equal_in_constant_time(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string digest(const EVP_MD* md, std::string_view in) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(in.data(), in.size(), out, &size, md, nullptr);
  return std::string(reinterpret_cast<const char*>(out), size);
}

// Apache's apr1: FreeBSD's MD5-crypt with "$apr1$" as its magic (the magic is hashed in, so
// crypt(3)'s "$1$" cannot compute it). 1,000 rounds of MD5 over password, salt and state.
std::string apr1(std::string_view password, std::string_view salt) {
  const auto md5 = [](std::initializer_list<std::string_view> parts) {
    std::string joined;
    for (const auto part : parts) {
      joined.append(part);
    }
    return digest(EVP_md5(), joined);
  };
  const std::string alternate = md5({password, salt, password});
  std::string first(password);
  first.append(Apr1Magic).append(salt);
  for (std::size_t left = password.size(); left > 0; left -= std::min<std::size_t>(left, 16)) {
    first.append(alternate, 0, std::min<std::size_t>(left, 16));
  }
  for (std::size_t i = password.size(); i != 0; i >>= 1) {
    first.push_back((i & 1) != 0 ? '\0' : password[0]);
  }
  std::string state = digest(EVP_md5(), first);
  for (int round = 0; round < 1000; ++round) {
    const std::string_view odd = (round & 1) != 0 ? password : std::string_view(state);
    const std::string_view last = (round & 1) != 0 ? std::string_view(state) : password;
    state = md5({odd, round % 3 != 0 ? salt : "", round % 7 != 0 ? password : "", last});
  }
  static constexpr std::string_view Alphabet =
      "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const auto byte = [&](int i) { return static_cast<unsigned>(static_cast<unsigned char>(state[i])); };
  std::string out(Apr1Magic);
  out.append(salt).push_back('$');
  const auto encode = [&](unsigned value, int chars) {
    for (; chars > 0; --chars, value >>= 6) {
      out.push_back(Alphabet[value & 0x3f]);
    }
  };
  for (const auto [a, b, c] : {std::array{0, 6, 12}, std::array{1, 7, 13}, std::array{2, 8, 14},
                               std::array{3, 9, 15}, std::array{4, 10, 5}}) {
    encode((byte(a) << 16) | (byte(b) << 8) | byte(c), 4);
  }
  encode(byte(11), 2);
  return out;
}

bool matches(std::string_view password, const std::string& hash) {
  if (hash.starts_with(Apr1Magic)) {
    const auto salt = std::string_view(hash).substr(Apr1Magic.size());
    return equal_in_constant_time(apr1(password, salt.substr(0, salt.find('$'))), hash);
  }
  if (hash.starts_with(ShaMagic)) {
    return equal_in_constant_time(base64_encode(digest(EVP_sha1(), password)),
                                  std::string_view(hash).substr(ShaMagic.size()));
  }
  // bcrypt, SHA-256/512-crypt: libxcrypt. Its state is large: on the heap, once per check.
  const auto data = std::make_unique<crypt_data>();
  const char* computed =
      crypt_rn(std::string(password).c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  return computed != nullptr && computed[0] != '*' && equal_in_constant_time(computed, hash);
}

}  // namespace

Htpasswd::Htpasswd() : serial_(next_serial++) {}

Expected<bool> Htpasswd::add(Htpasswd& to, std::string_view user, std::string_view hash) {
  const bool known = hash.starts_with(Apr1Magic) || hash.starts_with(ShaMagic) ||
                     hash.starts_with("$2y$") || hash.starts_with("$2b$") ||
                     hash.starts_with("$2a$") || hash.starts_with("$5$") ||
                     hash.starts_with("$6$");
  if (user.empty() || !known) {
    return fail("user \"" + std::string(user) +
                "\": not a bcrypt, apr1, {SHA}, SHA-256 or SHA-512 crypt hash");
  }
  to.users_.insert_or_assign(std::string(user), std::string(hash));
  return true;
}

Expected<Htpasswd> Htpasswd::parse_file(std::string_view lines) {
  Htpasswd out;
  while (!lines.empty()) {
    const auto end = lines.find('\n');
    std::string_view line = lines.substr(0, end);
    lines = end == std::string_view::npos ? std::string_view() : lines.substr(end + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
      line.remove_suffix(1);
    }
    if (line.empty() || line.front() == '#') {
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      return fail("a line without \"user:hash\"");
    }
    if (auto added = add(out, line.substr(0, colon), line.substr(colon + 1)); !added) {
      return fail(added.error());
    }
  }
  if (out.users_.empty()) {
    return fail("no users");
  }
  return out;
}

Expected<Htpasswd> Htpasswd::parse_map(const std::map<std::string, std::string>& users) {
  Htpasswd out;
  for (const auto& [user, hash] : users) {
    if (auto added = add(out, user, hash); !added) {
      return fail(added.error());
    }
  }
  if (out.users_.empty()) {
    return fail("no users");
  }
  return out;
}

bool Htpasswd::verify(std::string_view user, std::string_view password) const {
  const auto it = users_.find(user);
  return it != users_.end() && matches(password, it->second);
}

bool VerifiedCredentials::check(const Htpasswd& users, std::string_view authorization) {
  constexpr std::string_view Scheme = "basic ";
  if (authorization.size() <= Scheme.size()) {
    return false;
  }
  for (std::size_t i = 0; i < Scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != Scheme[i]) {
      return false;
    }
  }
  std::string key = std::to_string(users.serial());
  key.push_back(' ');
  key.append(authorization);
  key = digest(EVP_sha256(), key);
  if (accepted_.contains(key)) {
    return true;
  }
  const auto decoded = base64_decode(authorization.substr(Scheme.size()));
  if (!decoded) {
    return false;
  }
  const auto colon = decoded->find(':');
  if (colon == std::string::npos ||
      !users.verify(std::string_view(*decoded).substr(0, colon),
                    std::string_view(*decoded).substr(colon + 1))) {
    return false;
  }
  if (accepted_.size() >= Capacity) {
    accepted_.clear();
  }
  accepted_.insert(std::move(key));
  return true;
}

}  // namespace portico
