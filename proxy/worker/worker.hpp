#pragma once
// Worker: one event loop on one thread, with its own SO_REUSEPORT acceptors. A connection,
// its upstream connections and its load-balancer state never leave the worker that accepted
// it, so everything here except the atomics below is touched only by the worker's thread.
// Lives from start-up to shutdown; owned by the WorkerPool.
#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "proxy/common/expected.hpp"
#include "proxy/net.hpp"
#include "proxy/policy/auth_answers.hpp"
#include "proxy/policy/htpasswd.hpp"
#include "proxy/proxy_settings.hpp"
#include "proxy/snapshot.hpp"
#include "proxy/upstream/conn_pool.hpp"
#include "proxy/upstream/http2_pool.hpp"
#include "proxy/upstream/load_balancer.hpp"
#include "proxy/worker/buffer_pool.hpp"
#include "proxy/worker/worker_stats.hpp"

namespace portico {

class Session;

class Worker {
 public:
  // `ticket_keys`: the TLS session ticket keys every worker shares, so a ticket issued on one
  // worker resumes on any other (the kernel spreads a client's connections across workers).
  using TicketKeys = std::array<unsigned char, 80>;
  Worker(unsigned index, const ProxySettings& settings, const TicketKeys& ticket_keys);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // --- Called from the owning thread before start(), or posted by any thread. ---
  // Binds an acceptor (SO_REUSEPORT) for plain HTTP or, with `tls`, HTTPS; sessions report
  // its port upstream as X-Forwarded-Port.
  Expected<net::ip::tcp::endpoint> listen(const net::ip::tcp::endpoint& where, bool tls);
  void start();
  void stop();                         // stops the loop and joins the thread
  void publish(SnapshotPtr snapshot);  // installs on the worker's thread
  void drain();                        // stop accepting; close idle connections; no keep-alive
  Executor executor() { return io_->get_executor(); }

  // Read by any thread (readiness and shutdown).
  std::uint64_t installed_generation() const noexcept { return installed_.load(); }
  std::size_t open_sessions() const noexcept { return open_sessions_.load(); }

  // --- The worker's own thread only. ---
  // Pins the current snapshot for one request: the copy shares a worker-local control block,
  // so pinning costs an uncontended increment, not a cache line bounced between cores.
  SnapshotPtr pin() const noexcept { return view_; }
  ConnPool& pool() noexcept { return pool_; }
  Http2Pool& http2_pool() noexcept { return http2_pool_; }
  LoadBalancer& balancer() noexcept { return balancer_; }
  VerifiedCredentials& credentials() noexcept { return credentials_; }
  AuthAnswers& auth_answers() noexcept { return auth_answers_; }  // auth-cache-key
  // For backend-protocol HTTPS. Like ingress-nginx (proxy-ssl-verify off), the backend's
  // certificate is not verified: in-cluster backends mostly present self-signed ones.
  net::ssl::context& upstream_tls() noexcept { return tls_upstream_; }
  WorkerStats& stats() noexcept { return stats_; }
  BufferPool& buffers() noexcept { return buffers_; }
  const ProxySettings& settings() const noexcept { return settings_; }
  bool draining() const noexcept { return draining_; }
  // The HTTPS listener's port, for redirects (0: none).
  std::uint16_t https_port() const noexcept { return https_port_; }
  void add_session(Session* session) { sessions_.insert(session); }
  void remove_session(Session* session);

 private:
  struct Listener {
    TcpAcceptor acceptor;
    std::uint16_t port;
    bool tls;
  };
  // OpenSSL's SNI callback: switches the handshake to the certificate the worker's current
  // snapshot chooses for the name. Runs on this worker's thread, inside the handshake.
  static int choose_certificate(SSL* ssl, int* alert, void* worker);
  // OpenSSL's ClientHello callback, before it picks a version or looks for a session to
  // resume: the global ConfigMap's protocols and ciphers; and a host that asks for client
  // certificates asks now, so that a session verified otherwise (or not at all) is never
  // resumed into it (its session id context differs).
  static int prepare_handshake(SSL* ssl, int* alert, void* worker);
  void install(SnapshotPtr snapshot);
  Awaitable<void> accept_loop(Listener& listener);
  // Starts the session of a connection just accepted, or first reads its PROXY protocol header.
  void admit_connection(Listener& listener, TcpSocket socket, net::ip::address peer);
  // `from_proxy_header`: `client_ip` is what a PROXY protocol header said.
  void start_session(Listener& listener, TcpSocket socket, net::ip::address client_ip,
                     bool from_proxy_header);
  // With PROXY protocol on: the session starts once the header has named the client.
  Awaitable<void> start_proxied_session(Listener& listener, TcpSocket accepted,
                                        net::ip::address peer);
  void start_drain();

  const ProxySettings flags_;
  ProxySettings settings_;  // flags_ with the installed snapshot's keep-alive overrides
  // Destroyed explicitly first in ~Worker: its pending coroutine frames (sessions) refer to
  // the members below, which must still be alive when those frames are torn down.
  // Every socket and timer of a worker is used on its thread alone (other threads only post
  // to it), so the reactor's per-descriptor locks are left out; posting stays thread-safe.
  std::unique_ptr<net::io_context> io_ =
      std::make_unique<net::io_context>(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO);
  std::thread thread_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  SnapshotPtr view_;
  ConnPool pool_;
  Http2Pool http2_pool_;
  LoadBalancer balancer_;
  VerifiedCredentials credentials_;
  AuthAnswers auth_answers_;
  WorkerStats stats_;
  BufferPool buffers_;
  std::unordered_set<Session*> sessions_;
  bool draining_ = false;
  std::uint16_t https_port_ = 0;
  // Every TLS connection starts on this context; choose_certificate() moves it to the
  // snapshot's choice. It carries the protocol policy, which that move keeps.
  net::ssl::context tls_front_{net::ssl::context::tls_server};
  net::ssl::context tls_upstream_{net::ssl::context::tls_client};
  std::atomic<std::uint64_t> installed_{0};
  std::atomic<std::size_t> open_sessions_{0};
};

}  // namespace portico
