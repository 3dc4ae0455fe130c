#pragma once
// Application: the one place that sees the data plane, the control plane and the object
// sources together. It wires them, starts them in order, and runs the shutdown sequence of
// the contract: /readyz 503 at once, keep accepting for the shutdown delay, then stop
// accepting, let in-flight requests finish and close idle connections, exit within the
// shutdown timeout. Created and driven from main (or a test) on one thread.
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <optional>

#include "app/options.hpp"
#include "config/acme/acme_manager.hpp"
#include "config/control_loop.hpp"
#include "config/manifest_source.hpp"
#include "k8swatch/gateway_status_writer.hpp"
#include "k8swatch/leader_election.hpp"
#include "k8swatch/secret_fetcher.hpp"
#include "k8swatch/status_writer.hpp"
#include "k8swatch/watcher.hpp"
#include "proxy/admin/admin_server.hpp"
#include "proxy/worker/worker_pool.hpp"

namespace portico {

class Application {
 public:
  struct StartFailure {
    int exit_code;  // 2: bad input (unreadable path); 1: the environment (port in use)
    std::string message;
  };

  explicit Application(Options options);
  ~Application();

  // `portico explain ... URL`: reads --manifests once, builds the routing snapshot as the
  // controller would, and explains where `url` goes (proxy/admin/explain.hpp). Binds nothing.
  static Expected<std::string> explain(const Options& options, std::string_view url);

  // Opens the sources and binds every listener; nothing runs yet.
  std::optional<StartFailure> prepare();
  void start();
  // As SIGTERM (skip_delay false) or a second signal / SIGINT (skip_delay true). Any thread.
  void request_shutdown(bool skip_delay);
  // Blocks until the shutdown sequence is over; then everything is stopped.
  void wait();

  std::uint16_t http_port() const noexcept { return http_port_; }
  std::uint16_t https_port() const noexcept { return https_port_; }
  std::uint16_t admin_port() const noexcept { return admin_port_; }

 private:
  std::optional<StartFailure> open_sources();
  std::optional<StartFailure> open_acme();
  std::string cluster_metrics() const;
  // /debug/control, /debug/certificates and /debug/objects (app/debug_pages.cpp).
  void add_debug_pages();
  std::string control_json() const;
  std::string certificates_json() const;
  std::string objects_json() const;
  void stop_sources();
  void begin_drain();
  void check_drained();
  void finish();

  Options options_;
  // The controller's own namespace (the Lease, ACME's Secrets): the in-cluster namespace
  // file, else POD_NAMESPACE, else default.
  std::string own_namespace_;
  Expected<TlsContextPtr> default_certificate_;  // from files, else self-signed
  WorkerPool workers_;
  ControlLoop control_;
  AdminServer admin_;
  // What the sources skipped as invalid, for /debug/objects.
  std::shared_ptr<k8s::InvalidObjects> invalid_objects_ = std::make_shared<k8s::InvalidObjects>();
  // The source of objects: manifest files, or one watch per kind on the API server.
  std::unique_ptr<ManifestSource> manifests_;
  std::vector<std::unique_ptr<k8s::Watcher>> watchers_;
  std::unique_ptr<k8s::SecretFetcher> secret_fetcher_;
  // Cluster mode: one leader among the replicas writes status.
  std::unique_ptr<k8s::LeaderElector> leader_;
  std::unique_ptr<k8s::StatusWriter> status_;
  std::unique_ptr<k8s::GatewayStatusWriter> gateway_status_;  // cluster mode
  std::unique_ptr<acme::AcmeManager> acme_;
  std::optional<k8s::ApiConfig> api_config_;  // cluster mode
  std::uint16_t http_port_ = 0;
  std::uint16_t https_port_ = 0;
  std::uint16_t admin_port_ = 0;
  // Shutdown state: touched only on the control thread.
  boost::asio::steady_timer delay_timer_;
  boost::asio::steady_timer drain_timer_;
  std::chrono::steady_clock::time_point deadline_{};
  bool shutting_down_ = false;
  bool draining_ = false;
  bool finished_ = false;
  std::promise<void> done_;
};

}  // namespace portico
