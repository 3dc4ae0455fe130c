// The PROXY protocol header, versions 1 and 2, byte by byte: what is accepted, what address it
// yields, and that nothing past the header is ever claimed.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "proxy/session/proxy_protocol.hpp"

using namespace portico;
using Status = ProxyHeader::Status;

namespace {

std::string v2(std::uint8_t command, std::uint8_t family, const std::string& addresses) {
  std::string header("\r\n\r\n\0\r\nQUIT\n", 12);
  header.push_back(static_cast<char>(0x20 | command));
  header.push_back(static_cast<char>(family));
  header.push_back(static_cast<char>(addresses.size() >> 8));
  header.push_back(static_cast<char>(addresses.size() & 0xff));
  return header + addresses;
}

}  // namespace

TEST_CASE("PROXY protocol v1: TCP4, TCP6, UNKNOWN, and nothing else", "[unit][proxy-protocol]") {
  const std::string tcp4 = "PROXY TCP4 203.0.113.7 10.0.0.1 51234 80\r\n";
  const auto read = parse_proxy_header(tcp4 + "GET / HTTP/1.1\r\n");
  REQUIRE(read.status == Status::Done);
  CHECK(read.length == tcp4.size());
  CHECK(read.source->to_string() == "203.0.113.7");
  CHECK(parse_proxy_header("PROXY TCP6 2001:db8::1 2001:db8::2 1 443\r\n").source->to_string() ==
        "2001:db8::1");
  const auto unknown = parse_proxy_header("PROXY UNKNOWN whatever follows\r\nGET");
  CHECK(unknown.status == Status::Done);
  CHECK_FALSE(unknown.source);
  // Every prefix of a valid header asks for more; the header is never judged early.
  for (std::size_t n = 0; n < tcp4.size(); ++n) {
    INFO(n);
    CHECK(parse_proxy_header(tcp4.substr(0, n)).status == Status::NeedMore);
  }
  for (const std::string& bad : std::vector<std::string>{
           "GET / HTTP/1.1\r\n", "PROXY TCP4 203.0.113.7 10.0.0.1 51234\r\n",
           "PROXY TCP4 2001:db8::1 10.0.0.1 1 2\r\n", "PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n",
           "PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n", "PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n",
           "PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",
           "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
           "PROXY TCP4 1.2.3.4 5.6.7.8 1 2" + std::string(100, ' ')}) {
    INFO(bad);
    CHECK(parse_proxy_header(bad).status == Status::Invalid);
  }
}

TEST_CASE("PROXY protocol v2: PROXY and LOCAL, IPv4 and IPv6, TLVs skipped",
          "[unit][proxy-protocol]") {
  const std::string ipv4 = std::string("\xcb\x00\x71\x07\x0a\x00\x00\x01\xc8\x22\x00\x50", 12);
  const auto tcp4 = v2(1, 0x11,
                       ipv4 + std::string("\x03\x00\x04"
                                          "abcd",
                                          7));                  // a TLV follows
  const auto read = parse_proxy_header(tcp4 + "\x16\x03\x01");  // a ClientHello follows
  REQUIRE(read.status == Status::Done);
  CHECK(read.length == tcp4.size());
  CHECK(read.source->to_string() == "203.0.113.7");
  std::string ipv6(36, '\0');
  ipv6[0] = '\x20';
  ipv6[1] = '\x01';
  ipv6[15] = '\x07';
  CHECK(parse_proxy_header(v2(1, 0x21, ipv6)).source->to_string() == "2001::7");
  const auto local = parse_proxy_header(v2(0, 0x00, ""));
  CHECK(local.status == Status::Done);
  CHECK_FALSE(local.source);
  for (std::size_t n = 0; n < tcp4.size(); ++n) {
    CHECK(parse_proxy_header(tcp4.substr(0, n)).status == Status::NeedMore);
  }
  std::string wrong_version = tcp4;
  wrong_version[12] = '\x11';
  CHECK(parse_proxy_header(wrong_version).status == Status::Invalid);
  CHECK(parse_proxy_header(v2(2, 0x11, ipv4)).status == Status::Invalid);     // no such command
  CHECK(parse_proxy_header(v2(1, 0x11, "short")).status == Status::Invalid);  // no room for IPv4
  CHECK(parse_proxy_header(v2(1, 0x11, std::string(MaxProxyHeaderBytes, 'x'))).status ==
        Status::Invalid);
}
