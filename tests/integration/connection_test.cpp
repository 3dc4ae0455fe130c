// End to end: connection handling. Keep-alive on both sides, pipelining, HTTP/1.0, Expect,
// chunked bodies, and 1 GiB streamed through with flat memory.
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "tests/support/checksum.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"

using namespace portico;
using namespace portico::test;
using nlohmann::json;
namespace net = boost::asio;
namespace http = boost::beast::http;

namespace {

// One echo backend for host x.com and for the host-less rules, and a ready Portico with two
// workers in front of it.
struct Fixture {
  Fixture() {
    const auto port = backends.start("echo");
    dir.write("all.yaml",
              ingress_class_yaml("portico", "portico.dev/ingress-controller", true) + "---\n" +
                  ingress_yaml("e", "x.com", {{"/", "Prefix", "echo", "80"}}) + "---\n" +
                  ingress_yaml("nohost", "", {{"/", "Prefix", "echo", "80"}}) + "---\n" +
                  service_yaml("echo", {port}));
    portico.emplace(dir.path(), 2);
    portico->wait_ready();
  }
  std::uint16_t port() const { return portico->port(); }
  Backends backends;
  TempDir dir;
  std::optional<Portico> portico;
};

std::uint64_t peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmHWM:")) {
      return std::stoull(line.substr(6));
    }
  }
  return 0;
}

// What the echo backend's /bytes/N sends.
std::string echo_pattern(std::size_t size) {
  std::string out;
  for (std::size_t i = 0; i < size; ++i) {
    out += static_cast<char>('a' + i % 26);
  }
  return out;
}

std::string read_all(net::ip::tcp::socket& s) {
  std::string out;
  boost::system::error_code ec;
  char buf[4096];
  for (;;) {
    const auto n = s.read_some(net::buffer(buf), ec);
    out.append(buf, n);
    if (ec) {
      return out;
    }
  }
}

}  // namespace

TEST_CASE("E2E: upstream connections are kept alive and reused", "[e2e][keepalive]") {
  Fixture f;
  Connection client(f.port());
  std::set<std::string> upstream_connections;
  for (int i = 0; i < 20; ++i) {
    const auto r = client.get("x.com", "/n/" + std::to_string(i));
    REQUIRE(r.status == 200);
    CHECK(r.keep_alive);
    upstream_connections.insert(r.header("x-echo-connection"));
  }
  CHECK(upstream_connections.size() == 1);
  CHECK(f.backends.server(0).connections_accepted() == 1);

  SECTION("sequential clients share each worker's pooled connections") {
    for (int i = 0; i < 20; ++i) {
      REQUIRE(get(f.port(), "x.com", "/").status == 200);
    }
    CHECK(f.backends.server(0).connections_accepted() <= 2);  // at most one per worker
  }
}

TEST_CASE("E2E: pipelined requests are answered in order", "[e2e]") {
  Fixture f;
  Connection c(f.port());
  c.write_raw(
      "GET /first HTTP/1.1\r\nHost: x.com\r\n\r\n"
      "GET /second/delay/50 HTTP/1.1\r\nHost: x.com\r\n\r\n"
      "GET /third HTTP/1.1\r\nHost: nowhere.com\r\n\r\n"
      "POST /fourth HTTP/1.1\r\nHost: x.com\r\nContent-Length: 3\r\n\r\nabc");
  CHECK(json::parse(c.read_response().body)["target"] == "/first");
  CHECK(json::parse(c.read_response().body)["target"] == "/second/delay/50");
  // Without a Host rule of its own, nowhere.com falls to the host-less rules.
  CHECK(json::parse(c.read_response().body)["target"] == "/third");
  const auto fourth = json::parse(c.read_response().body);
  CHECK(fourth["target"] == "/fourth");
  CHECK(fourth["body_bytes"] == 3);
}

TEST_CASE("E2E: HTTP/1.0 clients", "[e2e]") {
  Fixture f;
  net::io_context io;
  SECTION("no Host: the host-less rules; the body ends at close for a chunked upstream") {
    net::ip::tcp::socket s(io);
    s.connect({net::ip::make_address("127.0.0.1"), f.port()});
    net::write(s, net::buffer(std::string("GET /bytes/5000?chunked=1 HTTP/1.0\r\n\r\n")));
    const std::string raw = read_all(s);
    CHECK(raw.starts_with("HTTP/1.1 200"));
    CHECK(raw.find("Transfer-Encoding") == std::string::npos);
    CHECK(raw.substr(raw.find("\r\n\r\n") + 4) == echo_pattern(5000));
  }
  SECTION("keep-alive when asked for and the length is known") {
    Connection c(f.port());
    c.write_raw("GET /a HTTP/1.0\r\nHost: x.com\r\nConnection: keep-alive\r\n\r\n");
    const auto r = c.read_response();
    CHECK(r.status == 200);
    CHECK(r.header("connection") == "keep-alive");
    c.write_raw("GET /b HTTP/1.0\r\nHost: x.com\r\n\r\n");
    CHECK(json::parse(c.read_response().body)["target"] == "/b");
    CHECK(c.closed_by_peer());
  }
}

TEST_CASE("E2E: request bodies, chunked and with Expect: 100-continue", "[e2e]") {
  Fixture f;
  Connection c(f.port());
  c.write_raw(
      "POST /up HTTP/1.1\r\nHost: x.com\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  const auto chunked = json::parse(c.read_response().body);
  CHECK(chunked["body_bytes"] == 11);
  CHECK(chunked["headers"]["Transfer-Encoding"] == "chunked");

  c.write_raw(
      "PUT /up HTTP/1.1\r\nHost: x.com\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  const auto interim = c.read_response();
  CHECK(interim.status == 100);
  c.write_raw("data");
  const auto final = json::parse(c.read_response().body);
  CHECK(final["body_bytes"] == 4);
  CHECK_FALSE(final["headers"].contains("Expect"));
}

TEST_CASE("E2E: 1 GiB up and down streams through with flat memory", "[e2e][large]") {
  Fixture f;
  constexpr std::uint64_t GiB = 1ull << 30;
  const auto before = peak_rss_kib();
  net::io_context io;
  net::ip::tcp::socket s(io);
  s.connect({net::ip::make_address("127.0.0.1"), f.port()});

  // Upload: the echo backend counts and checksums what arrives.
  const std::string head =
      "POST /upload HTTP/1.1\r\nHost: x.com\r\nContent-Length: " + std::to_string(GiB) + "\r\n\r\n";
  net::write(s, net::buffer(head));
  std::vector<char> chunk(1 << 20);
  std::uint32_t fnv = Fnv1aStart;
  for (std::size_t i = 0; i < chunk.size(); ++i) {
    chunk[i] = static_cast<char>(i * 7);
  }
  for (std::uint64_t sent = 0; sent < GiB; sent += chunk.size()) {
    net::write(s, net::buffer(chunk));
    fnv = fnv1a({chunk.data(), chunk.size()}, fnv);
  }
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> uploaded;
  http::read(s, buffer, uploaded);
  const auto seen = json::parse(uploaded.body());
  CHECK(seen["body_bytes"] == GiB);
  CHECK(seen["body_fnv1a"] == fnv);

  // Download, on the same connection, read in pieces.
  net::write(s, net::buffer(std::string("GET /bytes/" + std::to_string(GiB) +
                                        " HTTP/1.1\r\nHost: x.com\r\n\r\n")));
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(GiB + 1);
  http::read_header(s, buffer, parser);
  std::uint64_t received = 0;
  bool pattern_ok = true;
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    boost::system::error_code ec;
    http::read(s, buffer, parser, ec);
    if (ec && ec != http::error::need_buffer) {
      FAIL(ec.message());
    }
    const std::size_t n = chunk.size() - parser.get().body().size;
    for (std::size_t i = 0; i < n; i += 4099) {
      pattern_ok = pattern_ok && chunk[i] == static_cast<char>('a' + (received + i) % 26);
    }
    received += n;
  }
  CHECK(received == GiB);
  CHECK(pattern_ok);
  // 2 GiB went through; the whole process (client, proxy, backend) grew far less.
  const auto growth_mib = (peak_rss_kib() - before) / 1024;
  INFO("peak RSS growth " << growth_mib << " MiB");
  CHECK(growth_mib < 64);
}
