#include <openssl/ssl.h>

#include <catch2/catch.hpp>
#include <string>

#include "proxy/tls/client_hello.hpp"

using namespace portico;
using Status = HelloPeek::Status;

namespace {

// The first flight OpenSSL's client sends, with `server_name` as SNI (none when empty).
std::string client_hello(const std::string& server_name) {
  SSL_CTX* context = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(context);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);
  if (!server_name.empty()) {
    SSL_set_tlsext_host_name(ssl, server_name.c_str());
  }
  SSL_connect(ssl);  // wants to read the ServerHello: the ClientHello is written by then
  char* data = nullptr;
  const long size = BIO_get_mem_data(out, &data);
  std::string hello(data, static_cast<std::size_t>(size));
  SSL_free(ssl);
  SSL_CTX_free(context);
  return hello;
}

}  // namespace

TEST_CASE("ClientHello peek: the SNI of a whole record, and nothing before it is whole", "[tls]") {
  const std::string hello = client_hello("Pass.Example.COM");
  const HelloPeek whole = peek_server_name(hello);
  CHECK(whole.status == Status::Done);
  CHECK(whole.server_name == "pass.example.com");
  for (std::size_t prefix = 0; prefix < hello.size(); ++prefix) {
    INFO(prefix);
    REQUIRE(peek_server_name(hello.substr(0, prefix)).status == Status::Incomplete);
  }
  // Bytes after the record (a client that does not wait) change nothing.
  CHECK(peek_server_name(hello + "more").server_name == "pass.example.com");

  const HelloPeek unnamed = peek_server_name(client_hello(""));
  CHECK(unnamed.status == Status::Done);
  CHECK(unnamed.server_name.empty());
}

TEST_CASE("ClientHello peek: what is not a ClientHello is said so early", "[tls]") {
  CHECK(peek_server_name("GET / HTTP/1.1\r\n").status == Status::NotHello);
  CHECK(peek_server_name("G").status == Status::NotHello);
  CHECK(peek_server_name(std::string("\x16\x02", 2)).status == Status::NotHello);
  // A handshake record announcing more than TLS allows in one record.
  CHECK(peek_server_name(std::string("\x16\x03\x01\xff\xff", 5)).status == Status::NotHello);
  // A whole record holding another handshake message.
  CHECK(peek_server_name(std::string("\x16\x03\x01\x00\x04\x02\x00\x00\x00", 9)).status ==
        Status::NotHello);
  // A ClientHello whose extensions run past its record: no name, but judged.
  std::string cut = client_hello("a.example");
  const std::size_t shorter = ((std::size_t{static_cast<unsigned char>(cut[3])} << 8) |
                               static_cast<unsigned char>(cut[4])) -
                              8;
  cut[3] = static_cast<char>(shorter >> 8);
  cut[4] = static_cast<char>(shorter & 0xff);
  cut.resize(5 + shorter);
  CHECK(peek_server_name(cut).status == Status::Done);
  CHECK(peek_server_name(cut).server_name.empty());
}
