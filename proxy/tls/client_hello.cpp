#include "proxy/tls/client_hello.hpp"

#include <cctype>
#include <cstdint>

namespace portico {
namespace {

// A cursor over bytes that never reads past its end: a short read fails, and stays failed.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  bool ok() const noexcept { return ok_; }
  std::size_t left() const noexcept { return bytes_.size(); }
  std::uint32_t number(std::size_t width) {
    if (!take(width)) {
      return 0;
    }
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < width; ++i) {
      value = (value << 8) | static_cast<unsigned char>(taken_[i]);
    }
    return value;
  }
  std::string_view bytes(std::size_t count) { return take(count) ? taken_ : std::string_view(); }
  // A vector of bytes with a `width`-byte length in front (TLS's opaque<..>).
  std::string_view prefixed(std::size_t width) { return bytes(number(width)); }

 private:
  bool take(std::size_t count) {
    if (!ok_ || count > bytes_.size()) {
      ok_ = false;
      return false;
    }
    taken_ = bytes_.substr(0, count);
    bytes_.remove_prefix(count);
    return true;
  }
  std::string_view bytes_;
  std::string_view taken_;
  bool ok_ = true;
};

constexpr unsigned HandshakeRecord = 22;
constexpr unsigned ClientHelloMessage = 1;
constexpr unsigned ServerNameExtension = 0;
constexpr unsigned HostNameType = 0;

// The host_name of a server_name extension's body (RFC 6066, 3), or "".
std::string host_name_in(std::string_view extension) {
  Reader list(extension);
  Reader names(list.prefixed(2));
  while (names.ok() && names.left() > 0) {
    const auto type = names.number(1);
    const auto name = names.prefixed(2);
    if (names.ok() && type == HostNameType) {
      std::string lowered(name);
      for (char& c : lowered) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      return lowered;
    }
  }
  return "";
}

}  // namespace

HelloPeek peek_server_name(std::string_view start) {
  using Status = HelloPeek::Status;
  Reader record(start);
  const auto type = record.number(1);
  const auto major = record.number(1);
  record.number(1);  // minor version: any
  const auto length = record.number(2);
  if (!record.ok()) {
    // Too short to judge: a ClientHello's first bytes, unless what is there says otherwise.
    const bool may_be_hello =
        (start.empty() || static_cast<unsigned char>(start[0]) == HandshakeRecord) &&
        (start.size() < 2 || start[1] == 3);
    return {may_be_hello ? Status::Incomplete : Status::NotHello, ""};
  }
  if (type != HandshakeRecord || major != 3 || length == 0 || length + 5 > MaxHelloRecordBytes) {
    return {Status::NotHello, ""};
  }
  if (record.left() < length) {
    return {Status::Incomplete, ""};
  }
  Reader hello(record.bytes(length));
  if (hello.number(1) != ClientHelloMessage) {
    return {Status::NotHello, ""};
  }
  hello.number(3);    // the message's length: it may run on into the next record
  hello.number(2);    // client_version
  hello.bytes(32);    // random
  hello.prefixed(1);  // legacy_session_id
  hello.prefixed(2);  // cipher_suites
  hello.prefixed(1);  // legacy_compression_methods
  Reader extensions(hello.prefixed(2));
  if (!hello.ok()) {
    return {Status::Done, ""};  // no extensions, or cut off by the record's end
  }
  while (extensions.ok() && extensions.left() > 0) {
    const auto extension = extensions.number(2);
    const auto body = extensions.prefixed(2);
    if (extensions.ok() && extension == ServerNameExtension) {
      return {Status::Done, host_name_in(body)};
    }
  }
  return {Status::Done, ""};
}

}  // namespace portico
