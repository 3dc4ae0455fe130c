// End to end over raw sockets, as an attacker writes requests: Host values outside RFC 3986,
// paths that try to leave the route that matched them through percent-encoding, and chunked
// bodies that bend RFC 9112 §7.1. Each is answered at once (400, connection closed) or, when
// valid, routed by the same path the backend receives.
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"

using namespace portico;
using namespace portico::test;

namespace {

// public/ and admin/ go to different backends: an escape from one to the other shows.
struct TwoRoutes {
  TwoRoutes() {
    const auto open = backends.start("public");
    const auto admin = backends.start("admin");
    dir.write("site.yaml",
              ingress_class_yaml("portico", "portico.dev/ingress-controller", true) + "---\n" +
                  ingress_yaml(
                      "site", "x.com",
                      {{"/public", "Prefix", "open", "80"}, {"/admin", "Prefix", "admin", "80"}}) +
                  "---\n" + service_yaml("open", {open}) + "---\n" +
                  service_yaml("admin", {admin}));
    portico = std::make_unique<Portico>(dir.path(), 1);
    portico->wait_ready();
  }
  // The status, the backend that answered and the target it received.
  struct Seen {
    unsigned status = 0;
    std::string backend;
    std::string target;
  };
  Seen send(const std::string& request) const {
    Connection c(portico->port());
    c.write_raw(request);
    const auto r = c.read_response();
    Seen seen{r.status, r.header("x-echo-name"), ""};
    if (r.status == 200) {
      seen.target = nlohmann::json::parse(r.body)["target"];
    }
    return seen;
  }
  Backends backends;
  TempDir dir;
  std::unique_ptr<Portico> portico;
};

// Sends `request`, expects a 400 and the connection closed at once (within a second).
void expect_refused(std::uint16_t port, const std::string& request) {
  INFO(request);
  Connection c(port);
  const auto started = std::chrono::steady_clock::now();
  c.write_raw(request);
  const auto r = c.read_response();
  CHECK(r.status == 400);
  CHECK_FALSE(r.keep_alive);
  CHECK(c.closed_by_peer());
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(1));
}

}  // namespace

TEST_CASE("Hostile requests: Host must be a valid authority, before any routing",
          "[e2e][hostile]") {
  TwoRoutes site;
  for (const std::string host :
       {"x.com:99999", "x.com:8a", "x.com:", "x.com:-1", "x/com", "a@x.com", "x.com\\evil", "[::1",
        "[::1]x", "[zz::1]", "[::1]:", "x.com:80:80", "x com", "x.com%zz", "x.com%2"}) {
    expect_refused(site.portico->port(), "GET /public/ HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
  }
  // The same rules for an absolute-form target's authority, and Host still counts there.
  for (const std::string request :
       {"GET http://a@x.com/public/ HTTP/1.1\r\nHost: x.com\r\n\r\n",
        "GET http://x.com:70000/public/ HTTP/1.1\r\nHost: x.com\r\n\r\n",
        "GET http://x.com/public/ HTTP/1.1\r\nHost: bad/host\r\n\r\n"}) {
    expect_refused(site.portico->port(), request);
  }
  // Valid forms are served: ports, IP literals, IPv4, sub-delims, a trailing dot, any case.
  for (const std::string host : {"x.com:8080", "X.COM", "x.com.", "x.com:0"}) {
    INFO(host);
    CHECK(site.send("GET /public/ HTTP/1.1\r\nHost: " + host + "\r\n\r\n").backend == "public");
  }
  for (const std::string host : {"[::1]:80", "[v1.fe80]", "127.0.0.1:80", "a!$&'()*+,;=b"}) {
    INFO(host);
    CHECK(site.send("GET /public/ HTTP/1.1\r\nHost: " + host + "\r\n\r\n").status == 404);
  }
}

TEST_CASE("Hostile requests: a head outside RFC 9112 is refused as it arrives", "[e2e][hostile]") {
  TwoRoutes site;
  for (const std::string request : {
           "GET /public/ HTTP/1.1\nHost: x.com\n\n",                             // bare LF
           "GET /public/ HTTP/1.1\r\nHost: x.com\r\nX-A: b\r\n folded\r\n\r\n",  // obs-fold
           "POST /public/ HTTP/1.1\r\nHost: x.com\r\nContent-Length: 3, 3\r\n\r\nabc",
           "POST /public/ HTTP/1.1\r\nHost: x.com\r\nContent-Length: 3\r\n"
           "Content-Length: 3\r\n\r\nabc",
       }) {
    expect_refused(site.portico->port(), request);
  }
  // The first bytes of a TLS ClientHello on the plain port: no line end will come, and the
  // answer does not wait for one (nor for the 60 s head timeout).
  expect_refused(site.portico->port(), std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc", 9));
  // A head that arrives a few bytes at a time is the same request.
  Connection c(site.portico->port());
  const std::string request = "GET /public/slow HTTP/1.1\r\nHost: x.com\r\nX-A: b\r\n\r\n";
  for (std::size_t at = 0; at < request.size(); at += 7) {
    c.write_raw(request.substr(at, 7));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const auto r = c.read_response();
  CHECK(r.status == 200);
  CHECK(r.header("x-echo-name") == "public");
}

TEST_CASE("Hostile requests: a path never leaves the route it matched", "[e2e][hostile]") {
  TwoRoutes site;
  const auto get = [&](const std::string& target) {
    return site.send("GET " + target + " HTTP/1.1\r\nHost: x.com\r\n\r\n");
  };
  // Encoded dots are dots: routed and sent as the path they spell, like nginx does.
  for (const std::string target : {"/public/%2e%2e/admin/", "/public/%2E%2E/admin/",
                                   "/public/.%2e/admin/", "/public/%2e./admin/"}) {
    INFO(target);
    const auto seen = get(target);
    CHECK(seen.backend == "admin");
    CHECK(seen.target == "/admin/");
  }
  CHECK(get("/public/x/%2e%2e").target == "/public/");
  // Other unreserved characters are decoded too, so "%61dmin" is "admin" everywhere.
  CHECK(get("/%61dmin/x").backend == "admin");
  CHECK(get("/%61dmin/x").target == "/admin/x");
  CHECK(get("/public/%7Euser%2Dx").target == "/public/~user-x");
  // Reserved characters stay encoded: an encoded slash is data, not a separator.
  CHECK(get("/public/a%2Fb%3Fc").target == "/public/a%2Fb%3Fc");
  CHECK(get("/public/a%2Fb%3Fc").backend == "public");
  // Dot segments that only an encoded slash or a backslash would make are refused: a backend
  // that decodes them could otherwise be walked out of /public.
  for (const std::string target :
       {"/public/..%2Fadmin/", "/public/..%2fadmin/", "/public/x%2F..%2F..%2Fadmin/",
        "/public/%2e%2e%2Fadmin/", "/public/..%5Cadmin/", "/public/..\\admin/", "/public/%zz",
        "/public/%4", "/public/%"}) {
    expect_refused(site.portico->port(), "GET " + target + " HTTP/1.1\r\nHost: x.com\r\n\r\n");
  }
  // A query is sent as it came; only the path is normalized.
  CHECK(get("/public/%2e?next=%2e%2e/admin").target == "/public/?next=%2e%2e/admin");
}

TEST_CASE("Hostile requests: chunked bodies follow RFC 9112 to the letter", "[e2e][hostile]") {
  TwoRoutes site;
  const std::string post =
      "POST /public/ HTTP/1.1\r\nHost: x.com\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const std::string body : {
           "5\nhello\r\n0\r\n\r\n",                    // bare LF after the size
           "5\rhello\r\n0\r\n\r\n",                    // bare CR
           "5\r\nhello\n0\r\n\r\n",                    // bare LF after the data
           "5\r\nhelloXX0\r\n\r\n",                    // no CRLF after the data
           "5\r\nhello\r\n0\n\n",                      // bare LFs at the end
           "5\r\nhello\r\n0\r\n\n",                    // a bare LF ends the trailers
           "5;a=\"b\r\nhello\r\n0\r\n\r\n",            // a quoted string never closed
           "5;a=\"b\x01\"\r\nhello\r\n0\r\n\r\n",      // a control in a quoted string
           "5;a=\"\\\x7f\"\r\nhello\r\n0\r\n\r\n",     // DEL escaped
           "5;a=b c\r\nhello\r\n0\r\n\r\n",            // a space inside a token
           "5 \r\nhello\r\n0\r\n\r\n",                 // BWS not followed by ';'
           "5;a=b\t\r\nhello\r\n0\r\n\r\n",            // the same after a value
           "5;=b\r\nhello\r\n0\r\n\r\n",               // no extension name
           "5;a=\r\nhello\r\n0\r\n\r\n",               // no extension value after '='
           "5;a\rb\r\nhello\r\n0\r\n\r\n",             // bare CR in an extension
           "-5\r\nhello\r\n0\r\n\r\n",                 // a sign
           "0x5\r\nhello\r\n0\r\n\r\n",                // a prefix
           " 5\r\nhello\r\n0\r\n\r\n",                 // whitespace before the size
           "10000000000000000\r\nhello\r\n0\r\n\r\n",  // past 64 bits
           "5\r\nhello\r\n0\r\nX-T 1\r\n\r\n",         // a trailer without a colon
           "5\r\nhello\r\n0\r\nX-T: a\nb\r\n\r\n",     // a bare LF in a trailer
       }) {
    expect_refused(site.portico->port(), post + body);
  }
  // Extensions longer than a chunk line may be: refused, not buffered without end.
  expect_refused(site.portico->port(),
                 post + "5;" + std::string(5000, 'a') + "\r\nhello\r\n0\r\n\r\n");
  // What the grammar allows is relayed, data intact, extensions and trailers dropped.
  for (const std::string body : {
           "5;a=\"b c\"\r\nhello\r\n0\r\n\r\n",
           "5 ; a = b ; c\r\nhello\r\n0\r\n\r\n",
           "5;a=\"q\\\"uote\\\\\"\r\nhello\r\n0\r\n\r\n",
           "00005\r\nhello\r\n0000;last=1\r\n\r\n",
           "2\r\nhe\r\n3\r\nllo\r\n0\r\nX-Trailer: 1\r\nX-Other:\r\n\r\n",
       }) {
    INFO(body);
    Connection c(site.portico->port());
    c.write_raw(post + body);
    const auto r = c.read_response();
    REQUIRE(r.status == 200);
    CHECK(nlohmann::json::parse(r.body)["body_bytes"] == 5);
    // The connection stays usable: exactly the chunked body was consumed.
    CHECK(c.get("x.com", "/public/next").status == 200);
  }
}
