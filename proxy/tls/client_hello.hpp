#pragma once
// peek_server_name: the SNI host name of a TLS ClientHello, read from the connection's first
// bytes before any TLS library sees them (ssl-passthrough decides there whether Portico
// terminates the connection or relays it untouched). Pure; bounds-checked for any input.
#include <cstddef>
#include <string>
#include <string_view>

namespace portico {

struct HelloPeek {
  enum class Status {
    Incomplete,  // a prefix of a ClientHello record: more bytes are needed
    Done,        // a whole ClientHello record; `server_name` is its SNI (lowercase), or ""
    NotHello,    // not a ClientHello record (or one that cannot be read)
  };
  Status status = Status::Incomplete;
  std::string server_name;
};

// The largest first record a ClientHello comes in (TLS's record limit and its header).
inline constexpr std::size_t MaxHelloRecordBytes = 16 * 1024 + 5;

// `start`: the connection's first bytes. Only the first record is read: a ClientHello split
// over several records (unseen in practice) counts as one without a name.
HelloPeek peek_server_name(std::string_view start);

}  // namespace portico
