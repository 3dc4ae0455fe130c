#include <catch2/catch.hpp>

#include "proxy/exchange/forwarding.hpp"

using namespace portico;
namespace http = boost::beast::http;

TEST_CASE("Hop-by-hop fields are removed, including those Connection names", "[forwarding]") {
  http::fields f;
  f.set("Connection", "keep-alive, X-Secret-Hop , Content-Length, Host");
  f.insert("Connection", "Upgrade");
  f.set("Keep-Alive", "timeout=5");
  f.set("Proxy-Connection", "keep-alive");
  f.set("TE", "trailers");
  f.set("Transfer-Encoding", "chunked");
  f.set("Upgrade", "websocket");
  f.set("X-Secret-Hop", "1");
  f.set("Content-Length", "10");
  f.set("Host", "x.com");
  f.set("X-Kept", "yes");
  strip_hop_by_hop(f);
  for (const char* gone : {"Connection", "Keep-Alive", "Proxy-Connection", "TE",
                           "Transfer-Encoding", "Upgrade", "X-Secret-Hop"}) {
    INFO(gone);
    CHECK(f.count(gone) == 0);
  }
  // A client cannot make the proxy drop framing or routing fields by naming them.
  CHECK(f["Content-Length"] == "10");
  CHECK(f["Host"] == "x.com");
  CHECK(f["X-Kept"] == "yes");
}

TEST_CASE("X-Forwarded-For appends, while -Proto, -Host and -Port replace", "[forwarding]") {
  http::fields f;
  f.insert("X-Forwarded-For", "1.1.1.1");
  f.insert("X-Forwarded-For", "2.2.2.2");
  f.set("X-Forwarded-Proto", "https");
  f.set("X-Forwarded-Host", "evil.com");
  f.set("X-Forwarded-Port", "1");
  set_forwarded_headers(f, {"10.0.0.7", "http", 8080, "Blog.Example.com:8080"});
  CHECK(f["X-Forwarded-For"] == "1.1.1.1, 2.2.2.2, 10.0.0.7");
  CHECK(f.count("X-Forwarded-For") == 1);
  CHECK(f["X-Forwarded-Proto"] == "http");
  CHECK(f["X-Forwarded-Host"] == "Blog.Example.com:8080");
  CHECK(f["X-Forwarded-Port"] == "8080");
}
