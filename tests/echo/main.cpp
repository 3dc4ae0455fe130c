// portico-echo: the echo backend (see echo_server.hpp), for the demo, tests and benchmarks.
// Usage: portico-echo [--listen HOST:PORT] [--name NAME] [--threads N]
// Prints "listening on HOST:PORT" once bound (port 0 picks a free one).
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "proxy/common/host_port.hpp"
#include "tests/echo/echo_server.hpp"

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:0";
  std::string name = "echo";
  unsigned threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--listen") {
      listen = argv[i + 1];
    } else if (flag == "--name") {
      name = argv[i + 1];
    } else if (flag == "--threads") {
      threads = static_cast<unsigned>(std::max(1, std::atoi(argv[i + 1])));
    } else {
      std::fprintf(stderr, "portico-echo: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  const auto where = portico::parse_host_port(listen);
  if (!where) {
    std::fprintf(stderr, "portico-echo: --listen: %s\n", where.error().c_str());
    return 2;
  }
  boost::asio::io_context io;
  portico::echo::EchoServer server(io, name);
  std::uint16_t port = 0;
  try {
    port = server.listen(where->host, where->port);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "portico-echo: cannot listen on %s: %s\n", listen.c_str(), e.what());
    return 1;
  }
  std::printf("listening on %s:%u\n", where->host.c_str(), port);
  std::fflush(stdout);
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&io](const boost::system::error_code&, int) { io.stop(); });
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) {
    pool.emplace_back([&io] { io.run(); });
  }
  io.run();
  for (auto& t : pool) {
    t.join();
  }
  return 0;
}
