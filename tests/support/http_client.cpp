#include "tests/support/http_client.hpp"

#include <poll.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <limits>

namespace portico::test {

namespace http = boost::beast::http;
namespace net = boost::asio;

Connection::Connection(std::uint16_t port) {
  socket_.connect({net::ip::make_address("127.0.0.1"), port});
}

Response Connection::get(const std::string& host, const std::string& target,
                         const std::map<std::string, std::string>& headers) {
  return send("GET", host, target, "", headers);
}

Response Connection::send(const std::string& method, const std::string& host,
                          const std::string& target, const std::string& body,
                          const std::map<std::string, std::string>& headers) {
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, host);
  for (const auto& [name, value] : headers) {
    req.set(name, value);
  }
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.body() = body;
    req.prepare_payload();
  }
  http::write(socket_, req);
  return read_response(method == "HEAD");
}

void Connection::write_raw(const std::string& bytes) {
  net::write(socket_, net::buffer(bytes));
}

Response Connection::read_response(bool head) {
  http::response_parser<http::string_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  parser.skip(head);
  http::read(socket_, buffer_, parser);
  const auto& res = parser.get();
  Response out;
  out.status = res.result_int();
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (auto& c : name) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    out.headers[name] = std::string(field.value());
  }
  out.body = res.body();
  out.keep_alive = res.keep_alive();
  return out;
}

bool Connection::closed_by_peer() {
  if (buffer_.size() > 0) {
    return false;
  }
  pollfd fd{socket_.native_handle(), POLLIN, 0};
  if (::poll(&fd, 1, 1000) <= 0) {
    return false;
  }
  char byte;
  boost::system::error_code ec;
  const auto n = socket_.read_some(net::buffer(&byte, 1), ec);
  return n == 0 && ec;
}

Response get(std::uint16_t port, const std::string& host, const std::string& target,
             const std::map<std::string, std::string>& headers) {
  Connection connection(port);
  return connection.get(host, target, headers);
}

}  // namespace portico::test
