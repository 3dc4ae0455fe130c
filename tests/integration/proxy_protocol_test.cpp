// End to end with --proxy-protocol: Portico behind a load balancer that announces each
// client with a PROXY header (v1 or v2, before HTTP or TLS). The address it carries is the
// client's everywhere (X-Forwarded-For, source ranges); a connection without a valid header is
// closed unanswered and counted.
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"

using namespace portico;
using namespace portico::test;
namespace net = boost::asio;

namespace {

const std::string V2Tcp4 = std::string("\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c", 16) +
                           std::string("\xc6\x33\x64\x09\x0a\x00\x00\x01\x30\x39\x00\x50", 12);

// Sends `header` then a GET for `host`, as one client whose balancer speaks first.
Response through_balancer(std::uint16_t port, const std::string& header, const std::string& host,
                          bool split = false) {
  Connection c(port);
  if (split) {  // the header in two segments, some time apart
    c.write_raw(header.substr(0, 7));
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    c.write_raw(header.substr(7));
  } else {
    c.write_raw(header);
  }
  c.write_raw("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
  return c.read_response();
}

std::string forwarded_for(const Response& r) {
  return nlohmann::json::parse(r.body)["headers"]["X-Forwarded-For"];
}

}  // namespace

TEST_CASE("PROXY protocol: the header's address is the client's, and none or a bad one closes",
          "[e2e][proxy-protocol]") {
  Backends backends;
  const auto echo = backends.start("echo");
  TempDir dir;
  dir.write("site.yaml",
            site_yaml("site", "x.com", "echo", {echo}) + "---\n" +
                ingress_yaml("only-doc", "doc.com", {{"/", "Prefix", "echo", "80"}}, "",
                             "  annotations:\n    nginx.ingress.kubernetes.io/"
                             "whitelist-source-range: 203.0.113.0/24\n"));
  Portico portico(dir.path(), 1, {"--proxy-protocol"});
  portico.wait_ready();
  const auto port = portico.port();

  CHECK(forwarded_for(through_balancer(port, "PROXY TCP4 203.0.113.7 10.0.0.1 51234 80\r\n",
                                       "x.com")) == "203.0.113.7");
  CHECK(forwarded_for(through_balancer(port, "PROXY TCP6 2001:db8::7 2001:db8::1 1 80\r\n",
                                       "x.com")) == "2001:db8::7");
  CHECK(forwarded_for(through_balancer(port, V2Tcp4, "x.com")) == "198.51.100.9");
  CHECK(forwarded_for(through_balancer(port, "PROXY TCP4 203.0.113.7 10.0.0.1 51234 80\r\n",
                                       "x.com", true)) == "203.0.113.7");
  // The balancer's own health check (UNKNOWN, v2 LOCAL): the connection's address stands.
  CHECK(forwarded_for(through_balancer(port, "PROXY UNKNOWN\r\n", "x.com")) == "127.0.0.1");
  // Source ranges judge the address the header carries, not the balancer's.
  CHECK(through_balancer(port, "PROXY TCP4 203.0.113.7 10.0.0.1 1 80\r\n", "doc.com").status ==
        200);
  CHECK(through_balancer(port, "PROXY TCP4 198.51.100.9 10.0.0.1 1 80\r\n", "doc.com").status ==
        403);

  // No header, a malformed one: closed without an answer, and counted.
  for (const std::string& start : {std::string("GET / HTTP/1.1\r\nHost: x.com\r\n\r\n"),
                                   std::string("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"),
                                   std::string("PROXY TCP4 999.2.3.4 5.6.7.8 1 2\r\n")}) {
    INFO(start);
    Connection c(port);
    c.write_raw(start + "GET / HTTP/1.1\r\nHost: x.com\r\n\r\n");
    CHECK(c.closed_by_peer());
  }
  CHECK(eventually([&] {
    return metric(get(portico.admin_port(), "localhost", "/metrics").body,
                  "portico_proxy_protocol_rejected_total") == 3;
  }));
}

TEST_CASE("PROXY protocol: the header comes before the TLS handshake", "[e2e][proxy-protocol]") {
  Backends backends;
  const auto echo = backends.start("echo");
  TempDir dir;
  dir.write("site.yaml", site_yaml("site", "x.com", "echo", {echo}));
  Portico portico(dir.path(), 1, {"--proxy-protocol"});
  portico.wait_ready();

  net::io_context io;
  net::ssl::context tls(net::ssl::context::tls_client);
  tls.set_verify_mode(net::ssl::verify_none);
  net::ssl::stream<net::ip::tcp::socket> stream(io, tls);
  stream.next_layer().connect({net::ip::make_address("127.0.0.1"), portico.https_port()});
  net::write(stream.next_layer(), net::buffer(V2Tcp4));
  SSL_set_tlsext_host_name(stream.native_handle(), "x.com");
  stream.handshake(net::ssl::stream_base::client);
  net::write(
      stream,
      net::buffer(std::string("GET / HTTP/1.1\r\nHost: x.com\r\nConnection: close\r\n\r\n")));
  std::string reply;
  boost::system::error_code ec;
  char chunk[4096];
  for (std::size_t n; (n = stream.read_some(net::buffer(chunk), ec)) > 0 || !ec;) {
    reply.append(chunk, n);
  }
  REQUIRE(reply.starts_with("HTTP/1.1 200"));
  CHECK(reply.find("\"X-Forwarded-For\":\"198.51.100.9\"") != std::string::npos);
}
