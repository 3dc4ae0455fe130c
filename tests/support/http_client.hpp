#pragma once
// A blocking HTTP/1.1 client for tests, over a real loopback socket. One Connection is one
// TCP connection, so tests can assert keep-alive behaviour; raw() sends bytes as given, for
// malformed and pipelined requests.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <map>
#include <string>

namespace portico::test {

struct Response {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
  bool keep_alive = false;
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class Connection {
 public:
  explicit Connection(std::uint16_t port);
  Response get(const std::string& host, const std::string& target,
               const std::map<std::string, std::string>& headers = {});
  Response send(const std::string& method, const std::string& host, const std::string& target,
                const std::string& body, const std::map<std::string, std::string>& headers = {});
  // Writes bytes as they are, then reads one response (or throws if the peer closes).
  void write_raw(const std::string& bytes);
  Response read_response(bool head = false);
  // True when the server has closed the connection (reads EOF within a second).
  bool closed_by_peer();

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_{io_};
  boost::beast::flat_buffer buffer_;
};

// One request on a fresh connection.
Response get(std::uint16_t port, const std::string& host, const std::string& target,
             const std::map<std::string, std::string>& headers = {});

}  // namespace portico::test
