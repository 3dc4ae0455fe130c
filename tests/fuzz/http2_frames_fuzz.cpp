// Fuzzes the HTTP/2 codec as a client reaches it: each input follows the connection preface
// on a real connection to a running worker (h2c), so nghttp2, the session's callbacks, the
// FloodGuard, the stream exchanges and the local replies all see arbitrary frames. The
// worker must neither crash nor hang: every connection ends (the read below is bounded).
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <string_view>

#include "proxy/http2/http2_session.hpp"
#include "proxy/worker/worker.hpp"

namespace {

struct Server {
  Server() : worker(0, settings(), {}) {
    const auto bound = worker.listen({boost::asio::ip::make_address("127.0.0.1"), 0}, false);
    port = bound ? bound->port() : 0;
    worker.start();
  }
  static portico::ProxySettings settings() {
    portico::ProxySettings s;
    s.client_idle_timeout = std::chrono::seconds(2);
    s.client_header_timeout = std::chrono::seconds(2);
    return s;
  }
  portico::Worker worker;
  std::uint16_t port = 0;
};

Server& server() {
  static auto* instance = new Server();  // lives for the whole run: the worker keeps serving
  return *instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Server& s = server();
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(s.port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    if (errno == ECONNREFUSED) {
      std::abort();  // the worker stopped accepting: it died
    }
    ::close(fd);  // this machine is out of something (ports, descriptors): not the worker's fault
    return 0;
  }
  // Closed with a reset, so the thousands of connections a run makes leave no TIME_WAIT
  // behind to use up the ephemeral ports (connect would then fail for the wrong reason).
  const linger reset{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  const timeval wait{3, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  const std::string_view preface = portico::Http2Preface;
  (void)!::send(fd, preface.data(), preface.size(), MSG_NOSIGNAL);
  (void)!::send(fd, data, size, MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);
  char sink[16384];
  while (::recv(fd, sink, sizeof sink, 0) > 0) {
  }
  ::close(fd);
  return 0;
}
