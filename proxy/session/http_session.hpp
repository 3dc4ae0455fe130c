#pragma once
// HttpSession: one downstream HTTP/1.1 connection, on the worker that accepted it, for as
// long as the client keeps it open. Requests are served one at a time in order (so pipelined
// requests are answered in order), each through the phases of serve_one(). Owned by its
// coroutine; registered with its Worker (as a Session) so a drain can close it while idle.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cstdint>
#include <string>

#include "proxy/net.hpp"
#include "proxy/session/deadline.hpp"
#include "proxy/session/fault.hpp"
#include "proxy/upstream/conn_pool.hpp"

namespace portico {

class Worker;

// What a worker may ask of any of its sessions, plain or TLS.
class Session {
 public:
  virtual ~Session() = default;
  // Drain: closes the connection now if it is between requests.
  virtual void close_if_idle() = 0;
};

// `Stream` is beast::tcp_stream for plain HTTP (and, for HTTPS, an SSL stream over one).
template <class Stream>
class HttpSession final : public Session {
 public:
  // `client_ip`: the peer address accept() returned.
  HttpSession(Worker& worker, Stream stream, net::ip::address client_ip,
              std::uint16_t listener_port);
  ~HttpSession() override;
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  net::awaitable<void> run();
  void close_if_idle() override;

 private:
  struct Exchange;

  beast::tcp_stream& transport() { return beast::get_lowest_layer(client_); }
  net::awaitable<bool> serve_one();
  net::awaitable<bool> wait_for_next_request();
  net::awaitable<void> discard_unread_input();
  net::awaitable<Fault> proxy(Exchange& ex);
  Fault read_target(Exchange& ex);
  Fault select_route(Exchange& ex);
  Fault apply_policy(Exchange& ex);
  const Endpoint* pick_endpoint(Exchange& ex);
  void prepare_upstream_request(Exchange& ex);
  net::awaitable<bool> continue_if_expected(Exchange& ex);
  net::awaitable<Fault> exchange_with(Exchange& ex, const Endpoint& endpoint);
  net::awaitable<Fault> connect(Exchange& ex, const Endpoint& endpoint, UpstreamConnectionPtr& out);
  // `Upstream`: beast::tcp_stream, or UpstreamTlsStream for backend-protocol HTTPS.
  template <class Upstream>
  net::awaitable<Fault> forward(Exchange& ex, Upstream& upstream);
  template <class Upstream>
  net::awaitable<Fault> relay(Exchange& ex, Upstream& upstream, beast::flat_buffer& buffer);
  template <class Upstream>
  net::awaitable<void> tunnel(Exchange& ex, Upstream& upstream, beast::flat_buffer& buffer);
  net::awaitable<bool> send_local_reply(Exchange& ex, unsigned status);
  void finish(Exchange& ex, Fault fault);
  void write_access_log(const Exchange& ex, unsigned status);
  void count_retry(const Exchange& ex);

  Worker& worker_;
  Stream client_;
  Deadline deadline_;  // of whichever operation of this connection is pending
  beast::flat_buffer buffer_;
  std::string head_text_;  // the last head written, as text (see format_head)
  net::ip::address client_ip_;
  std::string client_address_;
  std::uint16_t listener_port_;
  bool idle_ = false;
  bool had_request_ = false;
  bool linger_ = false;  // closing after rejecting a request whose bytes may still be arriving
};

using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using PlainHttpSession = HttpSession<beast::tcp_stream>;
using TlsHttpSession = HttpSession<TlsStream>;
extern template class HttpSession<beast::tcp_stream>;
extern template class HttpSession<TlsStream>;

}  // namespace portico
