// Portico's HTTP/1.1 head parser against Beast's, which it replaced, for requests and for
// responses: on every head Portico's accepts, Beast's must accept the same head (the same
// start line, the same fields with each name's values in the same order, the same framing and
// connection semantics). Beast groups a name's fields together; Portico keeps the wire's order.
// Portico's may refuse what Beast's accepts (it is stricter by design: obs-fold, Content-Length
// lists, codings other than chunked, statuses under 100), never the other way round. It must
// also reach the same result however the bytes arrive: whole, or in two reads.
// Input: a mode byte (bit 0: a response; bit 1: the answer to HEAD), a byte that says where
// the second read starts, then what the peer sent.
#include <algorithm>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "proxy/http1/head_parser.hpp"

namespace http = boost::beast::http;
using portico::HeaderFields;
using portico::HeadParser;

namespace {

constexpr std::size_t HeadLimit = 4096;

void require(bool holds) {
  if (!holds) {
    std::abort();
  }
}

// The fields as (lowercase name, original name, value), each name's in the order they came.
template <class Fields>
std::vector<std::tuple<std::string, std::string, std::string>> by_name(const Fields& fields) {
  std::vector<std::tuple<std::string, std::string, std::string>> out;
  for (const auto& field : fields) {
    std::string lower(field.name_string());
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out.emplace_back(lower, std::string(field.name_string()), std::string(field.value()));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return std::get<0>(a) < std::get<0>(b); });
  return out;
}

template <class Ours, class Theirs>
bool same_fields(const Ours& ours, const Theirs& theirs) {
  return by_name(ours) == by_name(theirs);
}

template <bool IsRequest>
void compare(std::string_view received, std::size_t split, bool answers_head) {
  using Parser = HeadParser<IsRequest>;
  const auto make = [&](http::header<IsRequest, HeaderFields>& head) {
    Parser parser(head, HeadLimit);
    if constexpr (!IsRequest) {
      if (answers_head) {
        parser.answers_head_request();
      }
    }
    return parser;
  };
  http::header<IsRequest, HeaderFields> whole_head;
  Parser whole = make(whole_head);
  const auto result = whole.parse(received);

  http::header<IsRequest, HeaderFields> split_head;
  Parser in_two = make(split_head);
  auto split_result = in_two.parse(received.substr(0, split));
  if (split_result == Parser::Result::NeedMore) {
    split_result = in_two.parse(received);
  }
  require(split_result == result);
  if (result != Parser::Result::Done) {
    return;
  }
  require(in_two.head_size() == whole.head_size() && same_fields(split_head, whole_head));

  http::parser<IsRequest, http::buffer_body> beast;
  beast.header_limit(HeadLimit);
  beast.body_limit(std::numeric_limits<std::uint64_t>::max());
  if constexpr (!IsRequest) {
    beast.skip(answers_head);
  }
  boost::system::error_code ec;
  const std::size_t used = beast.put(boost::asio::buffer(received.data(), received.size()), ec);
  require(beast.is_header_done() && used == whole.head_size());
  const auto& theirs = beast.get();
  require(whole_head.version() == theirs.version());
  if constexpr (IsRequest) {
    require(whole_head.method() == theirs.method() &&
            whole_head.method_string() == theirs.method_string() &&
            whole_head.target() == theirs.target());
  } else {
    require(whole_head.result_int() == theirs.result_int() &&
            whole_head.reason() == theirs.reason());
  }
  require(same_fields(whole_head, theirs.base()));
  const auto body = whole.body();
  require(body.length == beast.content_length() && body.chunked == beast.chunked() &&
          body.done == beast.is_done() && whole.has_body() == !beast.is_done());
  require(whole.keep_alive() == beast.keep_alive() &&
          whole.connection_upgrade() == beast.upgrade());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) {
    return 0;
  }
  const std::string_view received(reinterpret_cast<const char*>(data) + 2, size - 2);
  const std::size_t split = received.empty() ? 0 : data[1] % received.size();
  if ((data[0] & 1) == 0) {
    compare<true>(received, split, false);
  } else {
    compare<false>(received, split, (data[0] & 2) != 0);
  }
  return 0;
}
