#pragma once
// Http2UpstreamExchange: one exchange with an HTTP/2 backend (backend-protocol GRPC or GRPCS,
// or a Service port with appProtocol kubernetes.io/h2c), for either downstream codec. The
// request body and the response flow at the same time (gRPC streams both ways at once):
// the request body is relayed into the upstream stream by a coroutine of its own while this
// one waits for the response head and relays the response, then its trailers. A response
// that ends first ends the request stream too. Downstream: see upstream_http1.hpp.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>

#include "proxy/common/log.hpp"
#include "proxy/exchange/body_relay.hpp"
#include "proxy/exchange/error_page.hpp"
#include "proxy/exchange/exchange.hpp"
#include "proxy/exchange/fault.hpp"
#include "proxy/exchange/paced_stream.hpp"
#include "proxy/exchange/request_pipeline.hpp"
#include "proxy/exchange/upstream_connect.hpp"
#include "proxy/http2/http2_upstream.hpp"

namespace portico {

template <class Downstream>
class Http2UpstreamExchange {
 public:
  Http2UpstreamExchange(const ClientConnection& client, Downstream& downstream, Exchange& ex)
      : client_(client), worker_(client.worker), down_(downstream), ex_(ex) {}

  Awaitable<Fault> run(const Endpoint& first) {
    const bool tls = ex_.upstream_protocol.tls;
    const BackendTls* profile = tls ? ex_.policy->backend_tls.get() : nullptr;
    auto& balancer = worker_.balancer();
    const Endpoint* endpoint = &first;
    std::shared_ptr<Http2UpstreamLink> connection;
    for (bool retried = false;; retried = true) {
      connection = worker_.http2_pool().pick(*endpoint, tls, profile);
      if (connection) {
        break;
      }
      const Fault fault = co_await connect(*endpoint, connection);
      if (fault == Fault::None) {
        balancer.report_connect_success(*endpoint);
        break;
      }
      endpoint = endpoint_after_connect_failure(worker_, ex_, *endpoint, retried);
      if (endpoint == nullptr) {
        co_return fault;
      }
    }
    ex_.upstream = endpoint;
    ex_.upstream_started = Exchange::Clock::now();
    const auto stream = connection->start_request(ex_.request, ex_.grpc, !ex_.body.done);
    if (!stream) {
      co_return Fault::UpstreamBroken;
    }
    Deadline& deadline = down_.deadline();
    deadline.watch_upstream_channel(stream.get());
    const Fault fault = co_await exchange(*connection, *stream);
    deadline.watch_upstream_channel(nullptr);
    co_return fault;
  }

 private:
  Awaitable<Fault> exchange(Http2UpstreamLink& connection, Http2Stream& stream) {
    Deadline& deadline = down_.deadline();
    SteadyTimer forward_ended(worker_.executor(), SteadyTimer::time_point::max());
    bool forwarding = !ex_.body.done;
    Fault forward_fault = Fault::None;
    if (forwarding) {
      // Its completion refers to this frame, which waits below until it has run, however the
      // forward ended.
      net::co_spawn(worker_.executor(), forward(stream),
                    [&](std::exception_ptr error, Fault fault) {
                      log::unexpected("proxy", "request body relay", error);
                      forward_fault = error ? Fault::UpstreamBroken : fault;
                      forwarding = false;
                      forward_ended.cancel();
                    });
    }
    Fault fault = co_await relay(stream);
    if (fault != Fault::None || forwarding) {
      // The client went away, or the response ended before the request body did: the
      // backend is told (RST_STREAM CANCEL), so a stream it serves (a gRPC watch) stops.
      connection.cancel(stream);
    }
    if (forwarding) {
      deadline.expire_now();
      while (forwarding) {
        co_await forward_ended.async_wait(use_nothrow);
      }
    } else if (fault == Fault::None && forward_fault != Fault::None) {
      fault = forward_fault;
    }
    co_return fault;
  }

  // The request body into the upstream stream (its end is the stream's END_STREAM).
  Awaitable<Fault> forward(Http2Stream& stream) {
    RelayBuffer chunk(worker_.buffers());  // the response's relay has the exchange's own
    beast::flat_buffer& read_ahead = down_.read_ahead();
    switch (co_await relay_body(down_.body_source(), read_ahead, ex_.body, stream, false,
                                ex_.body_limit, 0, chunk, down_.deadline(), ex_.send_timeout,
                                ex_.request_bytes)) {
      case RelayEnd::Complete:
        ex_.body_read = true;
        stream.end_outbound();
        co_return Fault::None;
      case RelayEnd::WriteFailed:
        co_return Fault::UpstreamBroken;
      case RelayEnd::ReadInvalid:
        co_return Fault::BadRequest;
      case RelayEnd::TooLarge:
        co_return Fault::BodyTooLarge;
      default:
        co_return Fault::ClientGone;
    }
  }

  // The response head, its body, then its trailers, to the client.
  Awaitable<Fault> relay(Http2Stream& stream) {
    Deadline& deadline = down_.deadline();
    deadline.expires_after(ex_.read_timeout);
    auto [ec, unused] = co_await stream.async_wait_head(use_nothrow);
    if (ec) {
      co_return deadline.expired() ? Fault::UpstreamTimeout : Fault::UpstreamBroken;
    }
    ex_.upstream_time = Exchange::Clock::now() - ex_.upstream_started;
    auto& response = stream.response;
    if (wants_error_page(ex_, response.result_int())) {
      ex_.fault_status = response.result_int();  // the backend's stream is cancelled below
      co_return Fault::Intercepted;
    }
    BodyFraming framing;
    framing.done = ex_.head || stream.head_only() || response.result_int() == 204 ||
                   response.result_int() == 304;
    framing.length = content_length_of(response[http::field::content_length]);
    framing.done = framing.done || framing.length == std::uint64_t{0};
    prepare_response_head(client_, ex_, response);
    ex_.status = response.result_int();
    ex_.response_started = true;
    beast::flat_buffer nothing_read_ahead;
    const auto [write_ec, sent] =
        co_await down_.send_response_head(ex_, response, framing, nothing_read_ahead);
    if (write_ec) {
      co_return Fault::ClientGone;
    }
    if (!framing.done) {
      switch (co_await relay_response_body(
          stream, nothing_read_ahead, framing, down_.body_sink(), down_.chunked_out(), 0,
          ex_.relay_buffer, deadline, ex_.read_timeout, ex_.response_bytes, bandwidth_of(ex_))) {
        case RelayEnd::Complete:
          break;
        case RelayEnd::WriteFailed:
          co_return Fault::ClientGone;
        case RelayEnd::ReadTimedOut:
          co_return Fault::UpstreamTimeout;
        default:
          co_return Fault::UpstreamBroken;
      }
    }
    if (!co_await down_.end_response(ex_, stream.received_trailers)) {
      co_return Fault::ClientGone;
    }
    co_return Fault::None;
  }

  // A new connection to `endpoint` (for TLS: ALPN h2, which the backend must choose, under
  // the route's proxy-ssl-* when it has them), added to the pool for the exchanges that follow.
  Awaitable<Fault> connect(const Endpoint& endpoint, std::shared_ptr<Http2UpstreamLink>& out) {
    const auto& settings = worker_.settings();
    const bool tls = ex_.upstream_protocol.tls;
    std::shared_ptr<const BackendTls> profile = tls ? ex_.policy->backend_tls : nullptr;
    UpstreamStream stream(std::in_place_type<TcpSocket>, worker_.executor());
    UpstreamDial dial{ex_.connect_timeout, tls ? &worker_.upstream_tls() : nullptr, "h2",
                      worker_.stats().upstream_connect_errors};
    if (profile) {
      dial.use(*profile);
    }
    const Fault fault = co_await connect_upstream(stream, endpoint, dial, down_.deadline());
    if (fault != Fault::None) {
      co_return fault;
    }
    out = start_http2_upstream(std::move(stream), settings.upstream_idle_timeout,
                               settings.upstream_send_timeout);
    worker_.http2_pool().add(endpoint, tls, out, std::move(profile));
    co_return Fault::None;
  }

  const ClientConnection& client_;
  Worker& worker_;
  Downstream& down_;
  Exchange& ex_;
};

}  // namespace portico
