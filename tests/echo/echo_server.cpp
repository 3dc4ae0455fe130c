#include "tests/echo/echo_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <charconv>
#include <future>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "proxy/net.hpp"
#include "tests/support/checksum.hpp"

namespace portico::echo {
namespace {

using RequestParser = http::request_parser<http::buffer_body>;

// The number after `marker` anywhere in the target ("/api/delay/200" works behind a Prefix
// route), or nothing when the marker is absent.
std::optional<std::uint64_t> number_after(std::string_view target, std::string_view marker) {
  const auto at = target.find(marker);
  if (at == std::string_view::npos) {
    return std::nullopt;
  }
  std::uint64_t n = 0;
  const auto digits = target.substr(at + marker.size());
  std::from_chars(digits.data(), digits.data() + digits.size(), n);
  return n;
}

// Reads the whole request body in pieces, keeping only its size and an FNV-1a checksum.
Awaitable<bool> consume_body(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                             RequestParser& parser, std::uint64_t& size, std::uint32_t& fnv) {
  static thread_local char chunk[64 * 1024];
  while (!parser.is_done()) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    auto [ec, n] = co_await http::async_read_some(stream, buffer, parser, use_nothrow);
    if (ec && ec != http::error::need_buffer) {
      co_return false;
    }
    const std::size_t got = sizeof chunk - parser.get().body().size;
    fnv = test::fnv1a({chunk, got}, fnv);
    size += got;
  }
  co_return true;
}

// Streams `size` bytes of a repeating pattern ('a'..'z'): byte i is 'a' + i % 26.
Awaitable<bool> send_bytes(beast::tcp_stream& stream, http::response<http::buffer_body>& res,
                           std::uint64_t size) {
  static thread_local char chunk[26 * 2520];  // a whole number of patterns, about 64 KiB
  for (std::size_t i = 0; i < sizeof chunk; ++i) {
    chunk[i] = static_cast<char>('a' + i % 26);
  }
  http::response_serializer<http::buffer_body> serializer{res};
  res.body() = {nullptr, 0, true};
  if (auto [ec, n] = co_await http::async_write_header(stream, serializer, use_nothrow); ec) {
    co_return false;
  }
  std::uint64_t left = size;
  do {
    const std::size_t piece = static_cast<std::size_t>(std::min<std::uint64_t>(left, sizeof chunk));
    left -= piece;
    res.body() = {piece ? chunk : nullptr, piece, left > 0};
    auto [ec, n] = co_await http::async_write(stream, serializer, use_nothrow);
    if (ec && ec != http::error::need_buffer) {
      co_return false;
    }
  } while (!serializer.is_done());
  co_return true;
}

// A WebSocket session: every message comes back as it was sent (text or binary), until the
// client closes.
Awaitable<void> echo_websocket(beast::tcp_stream stream,
                               const http::request<http::buffer_body>& handshake) {
  beast::websocket::stream<beast::tcp_stream> ws(std::move(stream));
  if (auto [ec] = co_await ws.async_accept(handshake, use_nothrow); ec) {
    co_return;
  }
  beast::flat_buffer message;
  for (;;) {
    auto [ec, n] = co_await ws.async_read(message, use_nothrow);
    if (ec) {
      co_return;
    }
    ws.text(ws.got_text());
    if (auto [wec, wn] = co_await ws.async_write(message.data(), use_nothrow); wec) {
      co_return;
    }
    message.consume(message.size());
  }
}

}  // namespace

EchoServer::EchoServer(net::io_context& io, std::string name)
    : io_(io), name_(std::move(name)), acceptor_(io) {}

std::uint16_t EchoServer::listen(const std::string& host, std::uint16_t port) {
  const net::ip::tcp::endpoint endpoint(net::ip::make_address(host), port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(net::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(net::socket_base::max_listen_connections);
  net::co_spawn(io_, accept_loop(), net::detached);
  return acceptor_.local_endpoint().port();
}

void EchoServer::kill() {
  std::promise<void> done;
  net::post(io_, [&] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    for (auto* stream : *open_) {
      stream->socket().close(ignored);
    }
    done.set_value();
  });
  done.get_future().wait();
}

Awaitable<void> EchoServer::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(use_nothrow);
    if (ec) {
      co_return;
    }
    const auto serial = ++accepted_;
    net::co_spawn(io_, serve(std::move(socket), serial), net::detached);
  }
}

Awaitable<void> EchoServer::serve(TcpSocket socket, std::uint64_t serial) {
  beast::tcp_stream stream(std::move(socket));
  stream.socket().set_option(net::ip::tcp::no_delay(true));
  open_->insert(&stream);
  struct Unregister {
    std::shared_ptr<OpenStreams> open;
    beast::tcp_stream* stream;
    ~Unregister() { open->erase(stream); }
  } unregister{open_, &stream};
  beast::flat_buffer buffer;
  for (;;) {
    RequestParser parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, use_nothrow);
    if (ec) {
      break;
    }
    auto& req = parser.get();
    if (beast::websocket::is_upgrade(req)) {
      open_->erase(&stream);
      co_await echo_websocket(std::move(stream), req);
      co_return;
    }
    std::uint64_t body_bytes = 0;
    std::uint32_t fnv = test::Fnv1aStart;
    if (!co_await consume_body(stream, buffer, parser, body_bytes, fnv)) {
      break;
    }
    const std::string target(req.target());
    {
      const std::lock_guard lock(received_mutex_);
      if (received_.size() == 1024) {
        received_.pop_front();
      }
      received_.push_back(std::string(req.method_string()) + " " + target);
    }
    http::response<http::buffer_body> res{http::status::ok, req.version()};
    res.set(http::field::server, "portico-echo");
    res.set("X-Echo-Name", name_);
    res.set("X-Echo-Connection", std::to_string(serial));
    res.keep_alive(req.keep_alive());
    const auto delay = number_after(target, "/delay/").value_or(0) + delay_ms_.load();
    if (delay > 0) {
      SteadyTimer timer(io_, std::chrono::milliseconds(delay));
      co_await timer.async_wait(use_nothrow);
    }
    if (const auto status = number_after(target, "/status/")) {
      res.result(static_cast<unsigned>(*status));
    }
    // "?location=URL" (last in the target, as it is): that Location, for redirect rewriting.
    if (const auto at = target.find("location="); at != std::string::npos) {
      res.set(http::field::location, target.substr(at + 9));
    }
    if (const auto bytes = number_after(target, "/bytes/")) {
      const std::uint64_t size = *bytes;
      res.set(http::field::content_type, "application/octet-stream");
      if (target.find("chunked=1") != std::string::npos) {
        res.chunked(true);
      } else {
        res.content_length(size);
      }
      if (!co_await send_bytes(stream, res, req.method() == http::verb::head ? 0 : size)) {
        break;
      }
    } else {
      nlohmann::json description = {
          {"name", name_},        {"method", std::string(req.method_string())},
          {"target", target},     {"version", req.version()},
          {"connection", serial}, {"body_bytes", body_bytes},
          {"body_fnv1a", fnv}};
      for (const auto& field : req) {
        description["headers"][std::string(field.name_string())] = std::string(field.value());
      }
      const std::string text = description.dump() + "\n";
      http::response<http::string_body> reply{res.result(), req.version()};
      for (const auto& field : res) {
        reply.set(field.name_string(), field.value());
      }
      reply.set(http::field::content_type, "application/json");
      reply.keep_alive(req.keep_alive());
      reply.body() = text;
      reply.prepare_payload();
      if (auto [wec, wn] = co_await http::async_write(stream, reply, use_nothrow); wec) {
        break;
      }
    }
    if (!req.keep_alive()) {
      break;
    }
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(TcpSocket::shutdown_send, ignored);
}

}  // namespace portico::echo
