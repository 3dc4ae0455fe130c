#include "proxy/worker/worker.hpp"

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cctype>
#include <memory>
#include <random>
#include <tuple>

#include "proxy/common/log.hpp"
#include "proxy/session/connection.hpp"
#include "proxy/session/peek.hpp"
#include "proxy/session/proxy_protocol.hpp"
#include "proxy/session/session.hpp"

namespace portico {
namespace {

using ReusePort = net::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

std::string lowercase(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text;
}

// The host name of a ClientHello's server_name extension, or "" (RFC 6066: a list of
// 2-byte length, then entries of a type byte, a 2-byte length and the name; one host_name).
std::string server_name_in_hello(SSL* ssl) {
  const unsigned char* data = nullptr;
  std::size_t size = 0;
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &data, &size) != 1 || size < 5) {
    return "";
  }
  const std::size_t list = (std::size_t{data[0]} << 8) | data[1];
  const std::size_t length = (std::size_t{data[3]} << 8) | data[4];
  if (list + 2 != size || data[2] != TLSEXT_NAMETYPE_host_name || length + 5 > size) {
    return "";
  }
  return std::string(reinterpret_cast<const char*>(data + 5), length);
}

std::uint64_t random_seed(unsigned index) {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device() ^ index;
}

}  // namespace

Worker::Worker(unsigned index, const ProxySettings& settings, const TicketKeys& ticket_keys)
    : flags_(settings), settings_(settings), pool_(settings_), balancer_(random_seed(index)) {
  apply_tls_policy(tls_front_.native_handle());
  // Tickets are sealed with the keys of the context a connection started on: this one.
  SSL_CTX_set_tlsext_ticket_keys(tls_front_.native_handle(),
                                 const_cast<unsigned char*>(ticket_keys.data()),
                                 static_cast<long>(ticket_keys.size()));
  SSL_CTX_set_tlsext_servername_callback(tls_front_.native_handle(), choose_certificate);
  SSL_CTX_set_tlsext_servername_arg(tls_front_.native_handle(), this);
  SSL_CTX_set_client_hello_cb(tls_front_.native_handle(), prepare_handshake, this);
}

int Worker::prepare_handshake(SSL* ssl, int*, void* arg) {
  const auto* worker = static_cast<const Worker*>(arg);
  if (!worker->view_) {
    return SSL_CLIENT_HELLO_SUCCESS;  // choose_certificate refuses the handshake
  }
  // The global ConfigMap's ssl-protocols and ssl-ciphers, on this connection (the contexts
  // the certificates come in are shared by every listener and snapshot).
  const GlobalPolicy& global = *worker->view_->global;
  if (global.tls13_only) {
    SSL_set_min_proto_version(ssl, TLS1_3_VERSION);
  }
  if (!global.tls12_ciphers.empty()) {
    SSL_set_cipher_list(ssl, global.tls12_ciphers.c_str());
  }
  if (worker->view_->certs && worker->view_->certs->asks_client_certificates()) {
    if (const ClientAuthPtr& client_auth =
            worker->view_->certs->client_auth(lowercase(server_name_in_hello(ssl)))) {
      ClientAuth::ask(ssl, client_auth);
    }
  }
  return SSL_CLIENT_HELLO_SUCCESS;
}

int Worker::choose_certificate(SSL* ssl, int*, void* arg) {
  const auto* worker = static_cast<const Worker*>(arg);
  if (!worker->view_ || !worker->view_->certs) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;  // no routing state yet: nothing to serve
  }
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  const std::string lowered = lowercase(name != nullptr ? name : "");
  const CertTable& certs = *worker->view_->certs;
  SSL_set_SSL_CTX(ssl, certs.select(lowered).native());
  // After the context switch, which resets verification to the new context's.
  if (const ClientAuthPtr& client_auth = certs.client_auth(lowered)) {
    ClientAuth::ask(ssl, client_auth);
  }
  return SSL_TLSEXT_ERR_OK;
}

Worker::~Worker() {
  stop();
  // Sockets must die before the io_context they were made on: listeners and idle pooled
  // connections here, sessions' sockets with their coroutine frames inside io_.reset().
  listeners_.clear();
  pool_.clear();
  http2_pool_.clear();
  io_.reset();
}

Expected<net::ip::tcp::endpoint> Worker::listen(const net::ip::tcp::endpoint& where, bool tls) {
  TcpAcceptor acceptor(*io_);
  boost::system::error_code ec;
  acceptor.open(where.protocol(), ec);
  if (!ec) {
    acceptor.set_option(net::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor.set_option(ReusePort(true), ec);
  }
  if (!ec) {
    acceptor.bind(where, ec);
  }
  if (!ec) {
    acceptor.listen(net::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return fail("cannot listen on " + where.address().to_string() + ":" +
                std::to_string(where.port()) + ": " + ec.message());
  }
  auto bound = acceptor.local_endpoint();
  listeners_.push_back(
      std::make_unique<Listener>(Listener{std::move(acceptor), bound.port(), tls}));
  if (tls) {
    https_port_ = bound.port();
  }
  return bound;
}

void Worker::start() {
  for (auto& listener : listeners_) {
    net::co_spawn(*io_, accept_loop(*listener), net::detached);
  }
  thread_ = std::thread([this] {
    // Work guard: the loop must outlive quiet periods with no connection at all.
    auto guard = net::make_work_guard(*io_);
    io_->run();
  });
}

void Worker::stop() {
  io_->stop();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void Worker::publish(SnapshotPtr snapshot) {
  net::post(*io_,
            [this, snapshot = std::move(snapshot)]() mutable { install(std::move(snapshot)); });
}

void Worker::install(SnapshotPtr snapshot) {
  if (view_ && snapshot->generation <= view_->generation) {
    return;  // generations only move forward on a worker
  }
  pool_.retain_only(snapshot->clusters->all());
  // The global ConfigMap's keep-alive keys over the flags: every reader is on this thread.
  // An endpoint change shares the previous snapshot's GlobalPolicy, so there is nothing to redo.
  if (!view_ || view_->global != snapshot->global) {
    settings_ = flags_;
    snapshot->global->keep_alive.apply_to(settings_);
  }
  // The worker-local holder: requests copy `view_`, whose control block is this holder's.
  auto holder = std::make_shared<const SnapshotPtr>(std::move(snapshot));
  view_ = SnapshotPtr(holder, holder->get());
  installed_.store(view_->generation);
}

void Worker::drain() {
  net::post(*io_, [this] { start_drain(); });
}

void Worker::start_drain() {
  draining_ = true;
  for (auto& listener : listeners_) {
    // Connections the kernel completed but nobody accepted yet would be reset by the close:
    // take them first; they are served once, with Connection: close.
    boost::system::error_code ec;
    listener->acceptor.non_blocking(true, ec);
    for (;;) {
      TcpSocket socket(*io_);
      net::ip::tcp::endpoint peer;
      listener->acceptor.accept(socket, peer, ec);
      if (ec) {
        break;
      }
      admit_connection(*listener, std::move(socket), peer.address());
    }
    listener->acceptor.close(ec);
  }
  // Copy first: closing a session may remove it from the set.
  const std::vector<Session*> sessions(sessions_.begin(), sessions_.end());
  for (Session* session : sessions) {
    session->drain();
  }
}

void Worker::remove_session(Session* session) {
  sessions_.erase(session);
}

Awaitable<void> Worker::accept_loop(Listener& listener) {
  for (;;) {
    // The peer's address comes with accept(), saving a getpeername() per connection.
    net::ip::tcp::endpoint peer;
    auto [ec, socket] = co_await listener.acceptor.async_accept(peer, use_nothrow);
    if (ec == net::error::operation_aborted || !listener.acceptor.is_open()) {
      co_return;
    }
    if (ec) {
      // Out of descriptors or memory: back off briefly instead of spinning on the error.
      log::warn("proxy", "accept failed", {{"error", ec.message()}});
      SteadyTimer pause(*io_, std::chrono::milliseconds(50));
      co_await pause.async_wait(use_nothrow);
      continue;
    }
    admit_connection(listener, std::move(socket), peer.address());
  }
}

void Worker::admit_connection(Listener& listener, TcpSocket socket, net::ip::address peer) {
  // --proxy-protocol, or use-proxy-protocol in the global ConfigMap as of now.
  if (settings_.proxy_protocol || (view_ && view_->global->proxy_protocol)) {
    net::co_spawn(*io_, start_proxied_session(listener, std::move(socket), peer), net::detached);
  } else {
    start_session(listener, std::move(socket), peer, false);
  }
}

// Peeks at the connection's first bytes until they hold a whole header, then reads exactly
// the header off the socket, so HTTP (or the TLS handshake) starts at its own first byte.
// Bounded by the client header timeout.
Awaitable<void> Worker::start_proxied_session(Listener& listener, TcpSocket accepted,
                                              net::ip::address peer) {
  // Shared with the deadline's handler, which may run after this frame has ended.
  const auto socket = std::make_shared<TcpSocket>(std::move(accepted));
  SteadyTimer deadline(*io_, settings_.client_header_timeout);
  deadline.async_wait([weak = std::weak_ptr(socket)](const boost::system::error_code& ec) {
    if (const auto held = weak.lock(); held && !ec) {
      cancel_quietly(*held);  // the header never came whole
    }
  });
  std::array<char, MaxProxyHeaderBytes> start;
  const std::size_t n = co_await peek_until(*socket, start, [](std::string_view bytes) {
    return parse_proxy_header(bytes).status != ProxyHeader::Status::NeedMore;
  });
  // Closed, silent until the deadline, or not a header: nothing read, nothing served.
  const auto header = parse_proxy_header(std::string_view(start.data(), n));
  if (n > 0 && header.status == ProxyHeader::Status::Done) {
    boost::system::error_code ec;
    socket->receive(net::buffer(start.data(), header.length), 0, ec);
    if (!ec) {
      deadline.cancel();
      start_session(listener, std::move(*socket), header.source.value_or(peer),
                    header.source.has_value());
      co_return;
    }
  }
  deadline.cancel();
  ++stats_.proxy_protocol_rejected;
}

void Worker::start_session(Listener& listener, TcpSocket socket, net::ip::address client_ip,
                           bool from_proxy_header) {
  open_sessions_.fetch_add(1, std::memory_order_relaxed);
  ClientConnection client{*this,         client_ip,    client_ip.to_string(),
                          listener.port, listener.tls, from_proxy_header};
  net::co_spawn(
      *io_,
      serve_connection(std::move(client), std::move(socket), listener.tls ? &tls_front_ : nullptr),
      [this](std::exception_ptr error) {
        log::unexpected("proxy", "session", error);
        open_sessions_.fetch_sub(1, std::memory_order_relaxed);
      });
}

}  // namespace portico
