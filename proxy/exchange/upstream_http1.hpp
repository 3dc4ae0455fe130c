#pragma once
// UpstreamExchange: sends one exchange's request to an HTTP/1.1 (or HTTPS) upstream endpoint
// and relays the response back, for either codec. It connects (or reuses a pooled
// connection), retries when nothing can have reached an application, streams the request
// body up and the response body down, and pools the connection again when it is reusable.
//
// `Downstream` is the codec's side of the exchange (an HTTP/1.1 session, an HTTP/2 stream):
//   deadline()                 the Deadline bounding this exchange's operations
//   head_text()                a string to format the request head into (reused)
//   body_source(), read_ahead() the request body: an Asio read stream and bytes read ahead
//   send_response_head(ex, response, framing, upstream_buffer) -> {error, body bytes carried}
//   body_sink(), chunked_out() where the response body goes, and whether framed as chunks
//   end_response(ex, trailers) after the body (HTTP/2: trailers, and the stream's end)
//   CanTunnel, tunnel(...)     HTTP/1.1 only: the WebSocket byte pipe after a 101
// Header-only: each codec's session instantiates it once.
#include <optional>
#include <variant>

#include "proxy/exchange/body_relay.hpp"
#include "proxy/exchange/error_page.hpp"
#include "proxy/exchange/exchange.hpp"
#include "proxy/exchange/fault.hpp"
#include "proxy/exchange/forwarding.hpp"
#include "proxy/exchange/paced_stream.hpp"
#include "proxy/exchange/request_pipeline.hpp"
#include "proxy/exchange/upstream_connect.hpp"
#include "proxy/http1/read_head.hpp"

namespace portico {

// Puts an upstream connection under the exchange's deadline for one attempt, and takes it
// off again before the connection can go back to the pool or away.
class UpstreamWatch {
 public:
  UpstreamWatch(Deadline& deadline, TcpSocket& upstream) : deadline_(deadline) {
    deadline_.watch_upstream(&upstream);
  }
  ~UpstreamWatch() { deadline_.watch_upstream(nullptr); }
  UpstreamWatch(const UpstreamWatch&) = delete;
  UpstreamWatch& operator=(const UpstreamWatch&) = delete;

 private:
  Deadline& deadline_;
};

inline bool is_idempotent(http::verb method) {
  switch (method) {
    case http::verb::get:
    case http::verb::head:
    case http::verb::options:
    case http::verb::trace:
    case http::verb::put:
    case http::verb::delete_:
      return true;
    default:
      return false;
  }
}

template <class Downstream>
class UpstreamExchange {
 public:
  UpstreamExchange(const ClientConnection& client, Downstream& downstream, Exchange& ex)
      : client_(client), worker_(client.worker), down_(downstream), ex_(ex) {}

  // Sends the request to `first`, or, when that fails before anything could have reached an
  // application, once more to another endpoint (or, for a stale pooled connection to the
  // only endpoint, over a fresh connection to it).
  Awaitable<Fault> run(const Endpoint& first) {
    auto& balancer = worker_.balancer();
    // Sent once, a request may have been acted on: only one whose bytes are all still here
    // (no body) and whose method is idempotent may be sent again.
    const bool resendable = ex_.body.done && is_idempotent(ex_.request.method());
    const Endpoint* endpoint = &first;
    for (bool retried = false;; retried = true) {
      ex_.upstream = endpoint;
      ex_.upstream_started = Exchange::Clock::now();
      UpstreamConnectionPtr upstream =
          retried ? nullptr
                  : worker_.pool().take(
                        *endpoint, ex_.upstream_protocol.tls,
                        ex_.upstream_protocol.tls ? ex_.policy->backend_tls.get() : nullptr);
      if (!upstream) {
        if (const Fault fault = co_await open_upstream_connection(
                worker_, *endpoint, ex_.connect_timeout, ex_.upstream_protocol.tls, {},
                down_.deadline(), upstream, ex_.policy->backend_tls);
            fault != Fault::None) {
          endpoint = endpoint_after_connect_failure(worker_, ex_, *endpoint, retried);
          if (endpoint == nullptr) {
            co_return fault;
          }
          continue;
        }
        balancer.report_connect_success(*endpoint);
      }
      const UpstreamWatch watch(down_.deadline(), upstream->transport());
      // A named lambda: it lives in this frame for as long as the coroutine it starts.
      // (No co_await inside ?: here: GCC 12 never resumes such a coroutine on the other
      // branch.)
      const auto send_and_relay = [&](auto& stream) -> Awaitable<Fault> {
        Fault fault = co_await forward(stream);
        if (fault == Fault::None) {
          fault = co_await relay(stream, upstream->buffer);
        }
        co_return fault;
      };
      Fault fault = co_await std::visit(send_and_relay, upstream->stream);
      if (fault == Fault::UpstreamClosedEarly) {
        // Most often the upstream closed this idle connection as we reused it.
        if (upstream->reused && resendable && !retried) {
          count_retry(worker_, ex_);
          endpoint = balancer.pick(*ex_.cluster, Exchange::Clock::now(), endpoint);
          continue;
        }
        fault = Fault::UpstreamBroken;
      }
      if (fault == Fault::None && ex_.policy->balance == Balance::Ewma) {
        balancer.report_latency(*endpoint, ex_.upstream_time, Exchange::Clock::now());
      }
      if (fault == Fault::None && ex_.upstream_reusable) {
        release_large_buffer(upstream->buffer);
        worker_.pool().put(std::move(upstream));
      }
      co_return fault;
    }
  }

 private:
  // Sends the request head and streams the request body upstream.
  template <class Upstream>
  Awaitable<Fault> forward(Upstream& upstream) {
    Deadline& deadline = down_.deadline();
    const auto timeout = ex_.send_timeout;
    const auto [ec, sent] = co_await write_head(upstream, ex_.request, down_.head_text(),
                                                down_.read_ahead(), ex_.body, deadline, timeout);
    if (ec) {
      co_return deadline.expired() ? Fault::UpstreamTimeout : Fault::UpstreamClosedEarly;
    }
    if (ex_.body.done) {
      co_return Fault::None;
    }
    const bool chunked_out = !ex_.body.length;  // as prepare_upstream_request framed it
    ex_.request_bytes += sent;
    switch (co_await relay_body(down_.body_source(), down_.read_ahead(), ex_.body, upstream,
                                chunked_out, ex_.body_limit, sent, ex_.relay_buffer, deadline,
                                timeout, ex_.request_bytes)) {
      case RelayEnd::Complete:
        ex_.body_read = true;
        co_return Fault::None;
      case RelayEnd::WriteFailed:
        co_return Fault::UpstreamBroken;
      case RelayEnd::ReadInvalid:
        co_return Fault::BadRequest;  // the chunked framing broke RFC 9112
      case RelayEnd::TooLarge:
        co_return Fault::BodyTooLarge;
      default:
        co_return Fault::ClientGone;
    }
  }

  // Reads the upstream response head, rewrites it for the client, and streams the body.
  template <class Upstream>
  Awaitable<Fault> relay(Upstream& upstream, beast::flat_buffer& buffer) {
    const auto& settings = worker_.settings();
    Deadline& deadline = down_.deadline();
    ResponseHeader response;
    std::optional<ResponseHeadParser> parser;
    // Interim 1xx responses are not relayed (Expect is never forwarded); 101 would be.
    do {
      response.clear();  // an interim response's fields; the parser sets the status line
      parser.emplace(response, settings.max_header_bytes);
      if (ex_.head) {
        parser->answers_head_request();
      }
      deadline.expires_after(ex_.read_timeout);
      const auto [parsed, ec] = co_await read_head(upstream, buffer, *parser);
      if (ec && deadline.expired()) {
        co_return Fault::UpstreamTimeout;
      }
      if (ec) {
        co_return buffer.size() == 0 && is_disconnect(ec) ? Fault::UpstreamClosedEarly
                                                          : Fault::UpstreamBroken;
      }
      if (parsed != ResponseHeadParser::Result::Done) {
        co_return Fault::UpstreamBroken;
      }
    } while (response.result_int() < 200 && response.result_int() != 101);

    ex_.upstream_time = Exchange::Clock::now() - ex_.upstream_started;
    const bool switching = response.result() == http::status::switching_protocols;
    if (switching && ex_.target.websocket.empty()) {
      co_return Fault::UpstreamBroken;  // 101 to a request that asked for no upgrade
    }
    if (wants_error_page(ex_, response.result_int())) {
      ex_.fault_status = response.result_int();  // its body is never read: no reuse
      co_return Fault::Intercepted;
    }
    BodyFraming framing = parser->body();
    framing.done = framing.done || switching;
    const std::string upgraded_to = switching ? std::string(response[http::field::upgrade]) : "";
    prepare_response_head(client_, ex_, response);
    if (switching) {
      response.set(http::field::upgrade, upgraded_to);
    }
    ex_.status = response.result_int();
    ex_.response_started = true;
    const auto [ec, sent] = co_await down_.send_response_head(ex_, response, framing, buffer);
    if (ec) {
      co_return Fault::ClientGone;
    }
    ex_.response_bytes += sent;
    if constexpr (Downstream::CanTunnel) {
      if (switching) {
        co_await down_.tunnel(ex_, upstream, buffer);
        co_return Fault::None;
      }
    }
    if (!framing.done) {
      switch (co_await relay_response_body(
          upstream, buffer, framing, down_.body_sink(), down_.chunked_out(), sent, ex_.relay_buffer,
          deadline, ex_.read_timeout, ex_.response_bytes, bandwidth_of(ex_))) {
        case RelayEnd::Complete:
          break;
        case RelayEnd::WriteFailed:
          co_return Fault::ClientGone;
        case RelayEnd::ReadTimedOut:
          co_return Fault::UpstreamTimeout;
        case RelayEnd::ReadFailed:
        case RelayEnd::ReadInvalid:
        case RelayEnd::TooLarge:  // responses have no limit; listed for the compiler
          co_return Fault::UpstreamBroken;
      }
    }
    static const HeaderFields no_trailers{};  // HTTP/1.1 backends' trailers are not relayed
    if (!co_await down_.end_response(ex_, no_trailers)) {
      co_return Fault::ClientGone;
    }
    // The whole response was read (a close-delimited one ends only at close), and nothing
    // unexpected followed it.
    ex_.upstream_reusable = parser->keep_alive() &&
                            (framing.length || framing.chunked || framing.done) &&
                            buffer.size() == 0;
    co_return Fault::None;
  }

  const ClientConnection& client_;
  Worker& worker_;
  Downstream& down_;
  Exchange& ex_;
};

}  // namespace portico
