#include <catch2/catch.hpp>

#include "proxy/exchange/forwarding.hpp"

using namespace portico;
namespace http = boost::beast::http;

TEST_CASE("Hop-by-hop fields are removed, including those Connection names", "[forwarding]") {
  HeaderFields f;
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
  HeaderFields f;
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

TEST_CASE("Forwarded headers: the client nginx's real_ip_recursive finds, from trusted peers only",
          "[forwarding]") {
  const auto ip = [](const char* text) { return boost::asio::ip::make_address(text); };
  GlobalPolicy policy;
  policy.forwarded_headers = true;
  policy.trusted_proxies = *SourceRanges::parse("127.0.0.1, 10.0.0.0/8");
  const auto origin_of = [&](const HeaderFields& fields, const char* peer,
                             bool from_proxy_header = false) {
    std::string text;
    RequestOrigin origin{ip(peer), peer, false, 80, {}};
    believe_forwarded_headers(fields, policy, from_proxy_header, origin, text);
    return std::pair{origin.ip.to_string(), origin.https};
  };
  HeaderFields f;
  f.insert("X-Forwarded-For", "198.51.100.1, 203.0.113.7");
  f.insert("X-Forwarded-For", "10.0.0.2");  // several fields are one list, in order
  f.set("X-Forwarded-Proto", "HTTPS");
  CHECK(origin_of(f, "127.0.0.1") == std::pair{std::string("203.0.113.7"), true});
  // An untrusted peer is its own client, whatever it says.
  CHECK(origin_of(f, "192.0.2.1") == std::pair{std::string("192.0.2.1"), false});
  // A PROXY protocol header named the client already: only the scheme is taken.
  CHECK(origin_of(f, "127.0.0.1", true) == std::pair{std::string("127.0.0.1"), true});
  // Every address trusted: the leftmost; an entry that is no address ends the walk.
  f.set("X-Forwarded-For", "10.0.0.9, 10.0.0.8");
  CHECK(origin_of(f, "127.0.0.1").first == "10.0.0.9");
  f.set("X-Forwarded-For", "203.0.113.7, garbage, 10.0.0.8");
  CHECK(origin_of(f, "127.0.0.1").first == "10.0.0.8");
  // enable-real-ip alone believes the address, not the scheme.
  policy.forwarded_headers = false;
  policy.real_ip = true;
  f.set("X-Forwarded-For", "203.0.113.7");
  CHECK(origin_of(f, "127.0.0.1") == std::pair{std::string("203.0.113.7"), false});
}
