// The request grammars on their own: ChunkedDecoder (RFC 9112 §7.1), normalize_path and
// valid_authority (RFC 3986), for the cases the end-to-end tests cannot reach cheaply: every
// split of the input, and the exact result of each transformation.
#include <catch2/catch.hpp>
#include <string>

#include "proxy/http1/chunked_decoder.hpp"
#include "proxy/route/path.hpp"

using namespace portico;

namespace {

struct Decoded {
  ChunkedDecoder::Status status = ChunkedDecoder::Status::NeedMore;
  std::string data;
  std::size_t consumed = 0;
};

// Feeds `body` in pieces of `piece` bytes, as reads would deliver it.
Decoded decode(std::string_view body, std::size_t piece) {
  ChunkedDecoder decoder;
  Decoded out;
  std::string pending;
  for (std::size_t at = 0; at < body.size() && out.status == ChunkedDecoder::Status::NeedMore;) {
    pending += body.substr(at, piece);
    at += piece;
    while (!pending.empty() && out.status == ChunkedDecoder::Status::NeedMore) {
      const auto step = decoder.feed(pending);
      out.data += step.data;
      out.consumed += step.consumed;
      out.status = step.status;
      pending.erase(0, step.consumed);
      if (step.consumed == 0) {
        break;
      }
    }
  }
  return out;
}

}  // namespace

TEST_CASE("ChunkedDecoder: the same result however the bytes are split", "[unit][chunked]") {
  const std::string body =
      "4;name=\"quoted \\\" value\"\r\nWiki\r\n5 ; x = y\r\npedia\r\n"
      "E\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\nNEXT";
  for (std::size_t piece = 1; piece <= body.size(); ++piece) {
    INFO("pieces of " << piece);
    const auto decoded = decode(body, piece);
    CHECK(decoded.status == ChunkedDecoder::Status::Done);
    CHECK(decoded.data == "Wikipedia in\r\n\r\nchunks.");
    CHECK(decoded.consumed == body.size() - 4);  // "NEXT" is the next message
  }
}

TEST_CASE("ChunkedDecoder: outside the grammar is an error at the first bad byte",
          "[unit][chunked]") {
  for (const std::string body :
       {"5\nhello", "5;a=\"b\r\n", "5;a=\"\\\x7f\"", "x\r\n", "5\r\nhello\n", "0\r\nA:b\n",
        "0\r\n\n", "5;a=b c\r\n", "fffffffffffffffff\r\n", "5 \r\n", "5;a \r\n", "5;a=b \r\n",
        "5;a=\"b\" \r\n", "5;a=\"b\"c\r\n"}) {
    INFO(body);
    CHECK(decode(body, 1).status == ChunkedDecoder::Status::Invalid);
    CHECK(decode(body, body.size()).status == ChunkedDecoder::Status::Invalid);
  }
  CHECK(decode("5;" + std::string(ChunkedDecoder::MaxLineBytes, 'a'), 64).status ==
        ChunkedDecoder::Status::Invalid);
  CHECK(decode("0\r\nX: " + std::string(ChunkedDecoder::MaxTrailerBytes, 'a'), 64).status ==
        ChunkedDecoder::Status::Invalid);
  CHECK(decode("5\r\nhel", 2).status == ChunkedDecoder::Status::NeedMore);  // just incomplete
}

TEST_CASE("normalize_path: unreserved characters decoded, then dot segments removed",
          "[unit][path]") {
  const auto normalized = [](std::string_view path) -> std::string {
    std::string decoded;
    std::string scratch;
    const auto out = normalize_path(path, decoded, scratch);
    return out ? std::string(*out) : "REFUSED";
  };
  CHECK(normalized("/a/b") == "/a/b");
  CHECK(normalized("/public/%2e%2e/admin") == "/admin");
  CHECK(normalized("/public/%2E./admin") == "/admin");
  CHECK(normalized("/%41%7e%2d%5F") == "/A~-_");
  CHECK(normalized("/a%2Fb%3f%25") == "/a%2Fb%3f%25");  // reserved and '%' stay encoded
  CHECK(normalized("/a/../../b") == "/b");
  CHECK(normalized("/a/..%2Fb") == "REFUSED");
  CHECK(normalized("/a%2F..") == "REFUSED");
  CHECK(normalized("/a/.%5cb") == "REFUSED");
  CHECK(normalized("/a\\..\\b") == "REFUSED");
  CHECK(normalized("/a%2F..b") == "/a%2F..b");  // "..b" is no dot segment
  CHECK(normalized("/%g0") == "REFUSED");
  CHECK(normalized("/%0") == "REFUSED");
}

TEST_CASE("valid_authority: RFC 3986 host and an optional port up to 65535", "[unit][path]") {
  for (const char* good : {"", "x.com", "X.com:65535", "127.0.0.1:80", "[::1]", "[::1]:443",
                           "[v7.a:b]", "a-b_c~d.e", "%41.com", "a!$&'()*+,;=b", ":80"}) {
    INFO(good);
    CHECK(valid_authority(good));
  }
  for (const char* bad : {"x.com:65536", "x.com:", "x.com:+1", "x.com:123456", "x/y", "a@b", "[::1",
                          "[::g]", "[::1]x", "[v.x]", "x y", "%4", "x\\y", "x.com:1:2"}) {
    INFO(bad);
    CHECK_FALSE(valid_authority(bad));
  }
}
