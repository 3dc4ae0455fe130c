// End to end: limits, timeouts, upstream failures and WebSocket tunnels, with hostile and
// slow peers played over real sockets.
#include <boost/asio/connect.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"

using namespace portico;
using namespace portico::test;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

namespace {

const std::string Class = ingress_class_yaml("portico", "portico.dev/ingress-controller", true);

std::string annotations(const std::string& lines) {
  return "  annotations:\n" + lines;
}

std::string chunked_body(std::size_t size) {
  std::string out;
  for (std::size_t left = size; left > 0;) {
    const std::size_t piece = std::min<std::size_t>(left, 1000);
    char head[16];
    std::snprintf(head, sizeof head, "%zx\r\n", piece);
    out += head + std::string(piece, 'x') + "\r\n";
    left -= piece;
  }
  return out + "0\r\n\r\n";
}

}  // namespace

TEST_CASE("Limits: 414 for a long request line, 431 for too many fields, 413 for big bodies",
          "[e2e][limits]") {
  Backends backends;
  const auto echo = backends.start("echo");
  TempDir dir;
  dir.write(
      "all.yaml",
      Class + "---\n" + ingress_yaml("small", "x.com", {{"/", "Prefix", "echo", "80"}}) + "---\n" +
          ingress_yaml("large", "big.com", {{"/", "Prefix", "echo", "80"}}, "",
                       annotations("    portico.dev/proxy-body-size: 8k\n")) +
          "---\n" +
          ingress_yaml("tiny", "tiny.com", {{"/", "Prefix", "echo", "80"}}, "",
                       annotations("    nginx.ingress.kubernetes.io/proxy-body-size: \"10\"\n")) +
          "---\n" + service_yaml("echo", {echo}));
  Portico portico(dir.path(), 1, {"--max-body-size", "1k", "--max-header-fields", "20"});
  portico.wait_ready();

  const auto refused = [&](const std::string& bytes, unsigned expected) {
    Connection c(portico.port());
    c.write_raw(bytes);
    const auto r = c.read_response();
    CHECK(r.status == expected);
    CHECK_FALSE(r.keep_alive);
    CHECK(c.closed_by_peer());
  };
  SECTION("request line over 8 KiB: 414, whether the head fits 32 KiB or not") {
    refused("GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x.com\r\n\r\n", 414);
    refused("GET /" + std::string(40000, 'a') + " HTTP/1.1\r\nHost: x.com\r\n\r\n", 414);
    CHECK(get(portico.port(), "x.com", "/" + std::string(7000, 'a')).status == 200);
  }
  SECTION("more header fields than --max-header-fields: 431") {
    std::string head = "GET / HTTP/1.1\r\nHost: x.com\r\n";
    for (int i = 0; i < 25; ++i) {
      head += "X-F" + std::to_string(i) + ": v\r\n";
    }
    refused(head + "\r\n", 431);
  }
  SECTION("a body over --max-body-size: 413 before anything reaches the upstream") {
    refused(
        "POST / HTTP/1.1\r\nHost: x.com\r\nContent-Length: 2000\r\n\r\n" + std::string(2000, 'x'),
        413);
    refused(
        "POST / HTTP/1.1\r\nHost: x.com\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked_body(5000),
        413);
    Connection c(portico.port());
    CHECK(c.send("POST", "x.com", "/", std::string(1000, 'x')).status == 200);
  }
  SECTION("proxy-body-size per Ingress, larger or smaller than the flag") {
    Connection c(portico.port());
    const auto r = c.send("POST", "big.com", "/", std::string(8000, 'x'));
    REQUIRE(r.status == 200);
    CHECK(nlohmann::json::parse(r.body)["body_bytes"] == 8000);
    refused("POST / HTTP/1.1\r\nHost: big.com\r\nContent-Length: 9000\r\n\r\n", 413);
    refused("POST / HTTP/1.1\r\nHost: tiny.com\r\nContent-Length: 11\r\n\r\nhello world", 413);
  }
}

TEST_CASE("Timeouts: client head, idle keep-alive, and proxy-read-timeout per Ingress",
          "[e2e][timeouts]") {
  Backends backends;
  const auto echo = backends.start("echo");
  TempDir dir;
  dir.write(
      "all.yaml",
      Class + "---\n" + ingress_yaml("default", "x.com", {{"/", "Prefix", "echo", "80"}}) +
          "---\n" +
          ingress_yaml("impatient", "fast.com", {{"/", "Prefix", "echo", "80"}}, "",
                       annotations("    nginx.ingress.kubernetes.io/proxy-read-timeout: \"1\"\n")) +
          "---\n" + service_yaml("echo", {echo}));
  Portico portico(dir.path(), 1,
                  {"--client-header-timeout", "300ms", "--client-idle-timeout", "400ms"});
  portico.wait_ready();

  SECTION("a head that never ends (slowloris) is closed after --client-header-timeout") {
    Connection c(portico.port());
    c.write_raw("GET / HTTP/1.1\r\nHost: x.com\r\nX-Slow: ");
    CHECK(c.closed_by_peer());
  }
  SECTION("an idle keep-alive connection is closed after --client-idle-timeout") {
    Connection c(portico.port());
    CHECK(c.get("x.com", "/").status == 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK(c.get("x.com", "/").status == 200);  // within the timeout: still open
    CHECK(c.closed_by_peer());
  }
  SECTION("proxy-read-timeout: 1 gives 504 after a second; the default waits") {
    const auto started = std::chrono::steady_clock::now();
    CHECK(get(portico.port(), "fast.com", "/delay/2500").status == 504);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(2000));
    CHECK(get(portico.port(), "x.com", "/delay/1200").status == 200);
  }
}

TEST_CASE("Upstream failures: retry on another endpoint, passive ejection", "[e2e][retry]") {
  Backends backends;
  const auto echo = backends.start("echo");
  TempDir dir;
  // Two endpoints, one of which refuses every connection.
  dir.write("all.yaml", site_yaml("r", "x.com", "flaky", {closed_port(), echo}));
  Portico portico(dir.path(), 1);
  portico.wait_ready();

  Connection c(portico.port());
  for (int i = 0; i < 40; ++i) {
    INFO("request " << i);
    REQUIRE(c.get("x.com", "/").status == 200);
    REQUIRE(c.send("POST", "x.com", "/", "a body").status == 200);  // nothing sent yet: retried
  }
  const auto metrics = get(portico.admin_port(), "localhost", "/metrics").body;
  CHECK(metric(metrics, "portico_upstream_retries_total") >= 1);
  CHECK(metric(metrics, "portico_service_retries_total{service=\"default/flaky:80\"}") >= 1);
  CHECK(metric(metrics, "portico_service_upstream_errors_total{service=\"default/flaky:80\"}") ==
        0);  // every refusal was retried elsewhere: no request failed
  // Two failures eject the dead endpoint for a second; 80 quick requests then never try it.
  CHECK(metric(metrics, "portico_upstream_connect_errors_total") <= 3);
}

TEST_CASE("WebSocket: messages both ways through the tunnel, closed when idle",
          "[e2e][websocket]") {
  Backends backends;
  const auto echo = backends.start("echo");
  TempDir dir;
  dir.write("all.yaml",
            Class + "---\n" + ingress_yaml("ws", "ws.com", {{"/", "Prefix", "echo", "80"}}) +
                "---\n" +
                ingress_yaml("idle", "idle.com", {{"/", "Prefix", "echo", "80"}}, "",
                             annotations("    portico.dev/proxy-read-timeout: 500ms\n")) +
                "---\n" + service_yaml("echo", {echo}));
  Portico portico(dir.path(), 2);
  portico.wait_ready();
  net::io_context io;

  const auto exchange = [](auto& ws) {
    for (const std::string& message :
         {std::string("hello"), std::string(100'000, 'w'), std::string("bye")}) {
      ws.write(net::buffer(message));
      beast::flat_buffer reply;
      ws.read(reply);
      CHECK(beast::buffers_to_string(reply.data()) == message);
    }
  };
  SECTION("over plain HTTP") {
    websocket::stream<beast::tcp_stream> ws(io);
    ws.next_layer().connect({net::ip::make_address("127.0.0.1"), portico.port()});
    ws.handshake("ws.com", "/chat");
    exchange(ws);
    ws.close(websocket::close_code::normal);
  }
  SECTION("over TLS") {
    net::ssl::context tls(net::ssl::context::tls_client);
    websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(io, tls);
    beast::get_lowest_layer(ws).connect({net::ip::make_address("127.0.0.1"), portico.https_port()});
    ws.next_layer().handshake(net::ssl::stream_base::client);
    ws.handshake("ws.com", "/chat");
    exchange(ws);
    ws.close(websocket::close_code::normal);
  }
  SECTION("a silent tunnel closes after the Ingress's proxy-read-timeout") {
    websocket::stream<beast::tcp_stream> ws(io);
    ws.next_layer().connect({net::ip::make_address("127.0.0.1"), portico.port()});
    ws.handshake("idle.com", "/chat");
    exchange(ws);
    const auto started = std::chrono::steady_clock::now();
    beast::flat_buffer reply;
    boost::system::error_code ec;
    ws.read(reply, ec);  // nothing comes; Portico ends the tunnel
    CHECK(ec);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));
  }
  const auto metrics = get(portico.admin_port(), "localhost", "/metrics").body;
  CHECK(metric(metrics, "portico_tunnels_total") == 1);
}

TEST_CASE("Security: the admin listener never proxies", "[e2e][security]") {
  Backends backends;
  const auto echo = backends.start("echo");
  TempDir dir;
  dir.write("all.yaml", site_yaml("r", "x.com", "echo", {echo}));
  Portico portico(dir.path(), 1);
  portico.wait_ready();
  CHECK(get(portico.port(), "x.com", "/").status == 200);
  // Whatever the Host, the admin listener answers with its own pages, never a backend's.
  const auto page = get(portico.admin_port(), "x.com", "/");
  CHECK(page.header("x-echo-name").empty());
  CHECK(page.header("content-type") == "text/html; charset=utf-8");
  CHECK(get(portico.admin_port(), "x.com", "/api").status == 404);
  Connection c(portico.admin_port());
  c.write_raw("GET http://x.com/ HTTP/1.1\r\nHost: x.com\r\n\r\n");
  CHECK(c.read_response().status == 404);
}
