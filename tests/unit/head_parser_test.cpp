#include "proxy/http1/head_parser.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace portico;
namespace http = boost::beast::http;
using Result = HeadParseResult;

namespace {

// The fields as "Name: value" lines, in order.
template <bool IsRequest>
std::vector<std::string> fields_of(const http::header<IsRequest, HeaderFields>& head) {
  std::vector<std::string> lines;
  for (const auto& field : head) {
    lines.push_back(std::string(field.name_string()) + ": " + std::string(field.value()));
  }
  return lines;
}

// `received` parsed in one call, as a request head (or a response head), by a fresh parser.
template <bool IsRequest = true>
Result parse_once(std::string_view received, std::size_t limit = 8192) {
  http::header<IsRequest, HeaderFields> head;
  HeadParser<IsRequest> parser(head, limit);
  return parser.parse(received);
}

}  // namespace

TEST_CASE("HeadParser: a request: the same head however the bytes are split", "[unit][http1]") {
  const std::string request =
      "POST /a/b?c=d HTTP/1.1\r\nHost: x.com\r\nX-Pad:  \t spaced value \t\r\n"
      "Content-Length: 5\r\nX-Empty:\r\n\r\nhello";
  const std::vector<std::string> expected{"Host: x.com", "X-Pad: spaced value", "Content-Length: 5",
                                          "X-Empty: "};
  for (std::size_t split = 0; split <= request.size(); ++split) {
    INFO("first read: " << split << " bytes");
    RequestHeader head;
    RequestHeadParser parser(head, 8192);
    auto result = parser.parse(std::string_view(request).substr(0, split));
    if (result == Result::NeedMore) {
      result = parser.parse(request);
    }
    REQUIRE(result == Result::Done);
    CHECK(parser.head_size() == request.size() - 5);
    CHECK(head.method() == http::verb::post);
    CHECK(head.target() == "/a/b?c=d");
    CHECK(head.version() == 11);
    CHECK(fields_of(head) == expected);
    CHECK(parser.body().length.value_or(0) == 5);
    CHECK(parser.has_body());
  }
  // One byte at a time: each call sees one byte more.
  RequestHeader head;
  RequestHeadParser parser(head, 8192);
  std::size_t fed = 0;
  auto result = Result::NeedMore;
  while (result == Result::NeedMore && fed < request.size()) {
    result = parser.parse(std::string_view(request).substr(0, ++fed));
  }
  CHECK(result == Result::Done);
  CHECK(fed == request.size() - 5);
  CHECK(fields_of(head) == expected);
}

TEST_CASE("HeadParser: a request: framing and connection semantics", "[unit][http1]") {
  struct Case {
    std::string head;
    bool has_body;
    bool chunked;
    bool keep_alive;
    bool upgrade;
  };
  const std::vector<Case> cases{
      {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", false, false, true, false},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n", false, false, false, false},
      {"GET / HTTP/1.0\r\n\r\n", false, false, false, false},
      {"GET / HTTP/1.0\r\nConnection: foo, Keep-Alive\r\n\r\n", false, false, true, false},
      {"GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", false,
       false, true, true},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", false, false, true, false},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n", true, true, true, false},
  };
  for (const auto& c : cases) {
    INFO(c.head);
    RequestHeader head;
    RequestHeadParser parser(head, 8192);
    REQUIRE(parser.parse(c.head) == Result::Done);
    CHECK(parser.has_body() == c.has_body);
    CHECK(parser.body().done == !c.has_body);
    CHECK(parser.body().chunked == c.chunked);
    CHECK(parser.keep_alive() == c.keep_alive);
    CHECK(parser.connection_upgrade() == c.upgrade);
  }
}

TEST_CASE("HeadParser: a request: refuses what RFC 9112 lets a server refuse", "[unit][http1]") {
  const std::vector<std::string> refused{
      "GET / HTTP/1.1\nHost: a\n\n",                   // bare LF
      "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",  // obs-fold
      "GET / HTTP/1.1\r\nHost : a\r\n\r\n",            // space before the colon
      "GET / HTTP/1.1\r\n: a\r\n\r\n",                 // no name
      "GET / HTTP/1.1\r\nHost a\r\n\r\n",              // no colon
      "GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n",           // a control character in a value
      "GET / HTTP/1.1\r\nX: a\rz\r\n\r\n",             // a CR that ends no line
      "GET / HTTP/2.0\r\n\r\n",                        // a version this codec does not speak
      "GET  / HTTP/1.1\r\n\r\n",                       // two spaces
      "GET / HTTP/1.1 \r\n\r\n",                       // a space after the version
      "\r\nGET / HTTP/1.1\r\n\r\n",                    // an empty line first
      "G(T / HTTP/1.1\r\n\r\n",                        // a method that is not a token
      "GET /a\x7f HTTP/1.1\r\n\r\n",                   // DEL in the target
      "POST / HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 4, 4\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: +4\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
      "GET / HTTP/1.1\r\nConnection: close;x\r\n\r\n",  // not a token list
  };
  for (const auto& head : refused) {
    INFO(head);
    CHECK(parse_once(head) == Result::Malformed);
  }
}

TEST_CASE("HeadParser: a request: garbage is refused before its line ends", "[unit][http1]") {
  // A TLS ClientHello's first bytes on the plain port: no LF will come soon.
  CHECK(parse_once(std::string("\x16\x03\x01\x02\x00\x01", 6)) == Result::Malformed);
  CHECK(parse_once("GET / HTTP/1.1\r\nX: a\x1b") == Result::Malformed);
  // What may still become a line waits for its end.
  CHECK(parse_once("GET / HTTP/1.1\r\nX: a\r") == Result::NeedMore);
  CHECK(parse_once("GET /unfinished") == Result::NeedMore);
}

TEST_CASE("HeadParser: a request: the head must end within its limit", "[unit][http1]") {
  const std::string request_line = "GET /" + std::string(100, 'a') + " HTTP/1.1\r\n";
  CHECK(parse_once(request_line, 64) == Result::StartLineTooLong);
  const std::string head = request_line + "X: " + std::string(100, 'b') + "\r\n\r\n";
  CHECK(parse_once(head, head.size() - 1) == Result::HeadTooLarge);
  CHECK(parse_once(head, head.size()) == Result::Done);
  // Bytes past a whole head (a body, the next request) do not count against it.
  CHECK(parse_once(head + std::string(1000, 'c'), head.size()) == Result::Done);
}

TEST_CASE("HeadParser: a response's status line, fields and framing", "[unit][http1]") {
  ResponseHeader head;
  ResponseHeadParser parser(head, 8192);
  const std::string response = "HTTP/1.1 201 Made It \r\nContent-Length: 3\r\nX-A: b\r\n\r\nabc";
  REQUIRE(parser.parse(response) == Result::Done);
  CHECK(head.result_int() == 201);
  CHECK(head.reason() == "Made It ");
  CHECK(fields_of(head) == std::vector<std::string>{"Content-Length: 3", "X-A: b"});
  CHECK(parser.head_size() == response.size() - 3);
  CHECK(parser.body().length.value_or(0) == 3);
  CHECK(parser.keep_alive());

  struct Case {
    std::string head;
    bool answers_head;
    bool has_body;
    bool keep_alive;
  };
  const std::vector<Case> cases{
      // Neither length nor chunks: the body ends at the close.
      {"HTTP/1.1 200 OK\r\n\r\n", false, true, false},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false, true, true},
      {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, false, true},
      // These end at their heads, whatever they say of a body.
      {"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", true, false, true},
      {"HTTP/1.1 204 No Content\r\n\r\n", false, false, true},
      {"HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", false, false, true},
      {"HTTP/1.1 100 Continue\r\n\r\n", false, false, true},
      {"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n", false, true, false},
      {"HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n", false, true, true},
  };
  for (const auto& c : cases) {
    INFO(c.head << (c.answers_head ? " (to HEAD)" : ""));
    ResponseHeader h;
    ResponseHeadParser p(h, 8192);
    if (c.answers_head) {
      p.answers_head_request();
    }
    REQUIRE(p.parse(c.head) == Result::Done);
    CHECK(p.has_body() == c.has_body);
    CHECK(p.body().done == !c.has_body);
    CHECK(p.keep_alive() == c.keep_alive);
  }
}

TEST_CASE("HeadParser: a response refuses what a request would, and bad status lines",
          "[unit][http1]") {
  const std::vector<std::string> refused{
      "HTTP/1.1 200\r\n\r\n",         // no space after the status
      "HTTP/1.1 20 OK\r\n\r\n",       // two digits
      "HTTP/1.1 099 Low\r\n\r\n",     // no class under 100
      "HTTP/1.1 2x0 OK\r\n\r\n",      // not digits
      "HTTP/2 200 OK\r\n\r\n",        // not a version this codec speaks
      "HTTP/1.1 200 O\x01K\r\n\r\n",  // a control character in the reason
      "HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n",
  };
  for (const auto& head : refused) {
    INFO(head);
    CHECK(parse_once<false>(head) == Result::Malformed);
  }
  CHECK(parse_once<false>("HTTP/1.1 200 OK\r\nX: " + std::string(9000, 'a')) ==
        Result::HeadTooLarge);
  CHECK(parse_once<false>(std::string(9000, 'H')) == Result::StartLineTooLong);
}
