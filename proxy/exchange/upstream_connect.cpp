#include "proxy/exchange/upstream_connect.hpp"

#include "proxy/common/log.hpp"
#include "proxy/tls/backend_tls.hpp"
#include "proxy/worker/worker.hpp"

namespace portico {

Awaitable<Fault> connect_upstream(UpstreamStream& stream, const Endpoint& endpoint,
                                  const UpstreamDial& dial, Deadline& deadline) {
  auto& tcp = std::get<TcpSocket>(stream);
  deadline.watch_upstream(&tcp);
  deadline.expires_after(dial.timeout);
  auto [ec] = co_await tcp.async_connect(net::ip::tcp::endpoint(endpoint.address, endpoint.port),
                                         use_nothrow);
  if (!ec) {
    tcp.set_option(net::ip::tcp::no_delay(true), ec);
  }
  if (!ec && dial.tls != nullptr) {
    TcpSocket connected = std::move(tcp);  // out of the variant before it changes
    auto& tls = stream.emplace<TlsSocket>(std::move(connected), *dial.tls);
    if (!dial.alpn.empty()) {
      unsigned char offer[32];
      offer[0] = static_cast<unsigned char>(dial.alpn.size());
      std::copy(dial.alpn.begin(), dial.alpn.end(), offer + 1);
      SSL_set_alpn_protos(tls.native_handle(), offer, static_cast<unsigned>(dial.alpn.size() + 1));
    }
    if (!dial.server_name.empty()) {
      const std::string name(dial.server_name);
      SSL_set_tlsext_host_name(tls.native_handle(), name.c_str());
    }
    if (!dial.verify_name.empty()) {
      const std::string name(dial.verify_name);
      SSL_set1_host(tls.native_handle(), name.c_str());
    }
    deadline.watch_upstream(&beast::get_lowest_layer(tls));
    std::tie(ec) = co_await tls.async_handshake(net::ssl::stream_base::client, use_nothrow);
    const unsigned char* chosen = nullptr;
    unsigned length = 0;
    SSL_get0_alpn_selected(tls.native_handle(), &chosen, &length);
    if (!ec && std::string_view(reinterpret_cast<const char*>(chosen), length) != dial.alpn) {
      ec = net::error::no_protocol_option;  // the backend does not speak what we need
    }
  }
  deadline.watch_upstream(nullptr);
  if (!ec) {
    co_return Fault::None;
  }
  ++dial.failures;
  log::debug("proxy", "upstream connect failed",
             {{"upstream", endpoint.address.to_string() + ":" + std::to_string(endpoint.port)},
              {"error", ec.message()}});
  co_return deadline.expired() ? Fault::UpstreamTimeout : Fault::UpstreamUnreachable;
}

void UpstreamDial::use(const BackendTls& profile) {
  const BackendTls::Settings& settings = profile.settings();
  tls = &profile.context();
  server_name = settings.send_name ? std::string_view(settings.name) : std::string_view();
  verify_name = settings.verify ? std::string_view(settings.name) : std::string_view();
}

Awaitable<Fault> open_upstream_connection(Worker& worker, const Endpoint& endpoint,
                                          std::chrono::milliseconds timeout, bool tls,
                                          std::string_view server_name, Deadline& deadline,
                                          UpstreamConnectionPtr& out,
                                          std::shared_ptr<const BackendTls> tls_profile) {
  auto upstream = std::make_unique<UpstreamConnection>(worker.executor(), endpoint,
                                                       worker.stats().upstream_connections);
  UpstreamDial dial{timeout, tls ? &worker.upstream_tls() : nullptr, "",
                    worker.stats().upstream_connect_errors, server_name};
  if (tls && tls_profile) {
    dial.use(*tls_profile);
    upstream->tls_profile = std::move(tls_profile);
  }
  const Fault fault = co_await connect_upstream(upstream->stream, endpoint, dial, deadline);
  if (fault == Fault::None) {
    out = std::move(upstream);
  }
  co_return fault;
}

}  // namespace portico
