// idle_clients: holds N keep-alive client connections open to a proxy, each having sent one
// request and read its answer (so the proxy has a session for it, between requests), for a
// while; reports how many were answered. At most 100 connections are being set up at once,
// so the proxy never has more than that many requests upstream. For issue 5's goal 4
// (10,000 idle connections within 64 MB), run by bench/scenarios.sh idle.
// Usage: idle_clients PORT HOST_HEADER COUNT SECONDS
#include <array>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace net = boost::asio;

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: idle_clients PORT HOST_HEADER COUNT SECONDS\n");
    return 2;
  }
  const auto port = static_cast<unsigned short>(std::stoi(argv[1]));
  const std::string request = std::string("GET / HTTP/1.1\r\nHost: ") + argv[2] + "\r\n\r\n";
  const int count = std::stoi(argv[3]);
  const int seconds = std::stoi(argv[4]);
  constexpr int Window = 100;
  net::io_context io;
  const net::ip::tcp::endpoint to(net::ip::make_address("127.0.0.1"), port);
  std::vector<std::unique_ptr<net::ip::tcp::socket>> sockets;
  std::vector<std::array<char, 1024>> replies(static_cast<std::size_t>(count));
  int started = 0;
  int answered = 0;
  int failed = 0;
  std::function<void()> open_next = [&] {
    if (started == count) {
      return;
    }
    const int i = started++;
    sockets.push_back(std::make_unique<net::ip::tcp::socket>(io));
    auto* s = sockets.back().get();
    auto* reply = &replies[static_cast<std::size_t>(i)];
    const auto done = [&](bool ok) {
      ++(ok ? answered : failed);
      open_next();
    };
    s->async_connect(to, [&, s, reply, done](boost::system::error_code ec) {
      if (ec) {
        return done(false);
      }
      net::async_write(*s, net::buffer(request), [s, reply, done](boost::system::error_code ec,
                                                                    std::size_t) {
        if (ec) {
          return done(false);
        }
        s->async_read_some(net::buffer(*reply),
                           [done](boost::system::error_code ec, std::size_t) { done(!ec); });
      });
    });
  };
  for (int i = 0; i < Window; ++i) {
    open_next();
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (answered + failed < count && std::chrono::steady_clock::now() < until) {
    io.run_for(std::chrono::milliseconds(100));
  }
  // All set up: hold the connections without using a core (run_for would return at once).
  std::this_thread::sleep_until(until);
  std::printf("connections=%d answered=%d failed=%d\n", count, answered, failed);
  return failed == 0 ? 0 : 1;
}
