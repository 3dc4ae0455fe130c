// Fuzzes peek_server_name, which reads the first bytes any client sends to the HTTPS listener
// under --enable-ssl-passthrough. Beyond never reading out of bounds: a ClientHello judged
// whole must have been judged incomplete at every shorter prefix, or a connection could be
// passed through (or not) before its name arrived.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "proxy/tls/client_hello.hpp"

using namespace portico;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const HelloPeek whole = peek_server_name(bytes);
  if (whole.status != HelloPeek::Status::Done) {
    return 0;
  }
  const std::size_t record = 5 + ((std::size_t{data[3]} << 8) | data[4]);
  for (std::size_t prefix = 0; prefix < record; prefix += 1 + prefix / 8) {
    if (peek_server_name(bytes.substr(0, prefix)).status != HelloPeek::Status::Incomplete) {
      std::abort();
    }
  }
  return 0;
}
