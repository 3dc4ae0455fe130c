// Portico's request head parser against Beast's, which it replaced: on every head Portico's
// accepts, Beast's must accept the same head: the same method, target and version, the same
// fields in the same order, and the same framing and connection semantics. Portico's may
// refuse what Beast's accepts (it is stricter by design: obs-fold, Content-Length lists,
// codings other than chunked), never the other way round. It must also reach the same result
// however the bytes arrive: whole, or in two reads split where the input says.
#include <boost/beast/http.hpp>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <string_view>

#include "proxy/http1/request_head_parser.hpp"

namespace http = boost::beast::http;
using portico::RequestHeadParser;

namespace {

constexpr std::size_t HeadLimit = 4096;

void require(bool holds) {
  if (!holds) {
    std::abort();
  }
}

bool same_fields(const http::request_header<>& ours, const http::request_header<>& beasts) {
  return std::equal(
      ours.begin(), ours.end(), beasts.begin(), beasts.end(), [](const auto& a, const auto& b) {
        return a.name() == b.name() && a.name_string() == b.name_string() && a.value() == b.value();
      });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  // The first byte says where the second read starts; the rest is what the client sent.
  const std::string_view received(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t split = received.empty() ? 0 : data[0] % received.size();

  http::request_header<> whole_head;
  RequestHeadParser whole(whole_head, HeadLimit);
  const auto result = whole.parse(received);

  http::request_header<> split_head;
  RequestHeadParser in_two(split_head, HeadLimit);
  auto split_result = in_two.parse(received.substr(0, split));
  if (split_result == RequestHeadParser::Result::NeedMore) {
    split_result = in_two.parse(received);
  }
  require(split_result == result);
  if (result != RequestHeadParser::Result::Done) {
    return 0;
  }
  require(in_two.head_size() == whole.head_size() && same_fields(split_head, whole_head));

  http::request_parser<http::buffer_body> beast;
  beast.header_limit(HeadLimit);
  beast.body_limit(std::numeric_limits<std::uint64_t>::max());
  boost::system::error_code ec;
  const std::size_t used = beast.put(boost::asio::buffer(received.data(), received.size()), ec);
  require(beast.is_header_done() && used == whole.head_size());
  const auto& theirs = beast.get();
  require(whole_head.method() == theirs.method() &&
          whole_head.method_string() == theirs.method_string() &&
          whole_head.target() == theirs.target() && whole_head.version() == theirs.version());
  require(same_fields(whole_head, theirs.base()));
  const auto body = whole.body();
  require(body.length == beast.content_length() && body.chunked == beast.chunked() &&
          body.done == beast.is_done() && whole.has_body() == !beast.is_done());
  require(whole.keep_alive() == beast.keep_alive() &&
          whole.connection_upgrade() == beast.upgrade());
  return 0;
}
