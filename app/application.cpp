#include "app/application.hpp"

#include <boost/asio/post.hpp>
#include <cctype>
#include <csignal>

#include "config/snapshot_builder.hpp"
#include "proxy/admin/explain.hpp"
#include "proxy/admin/metrics.hpp"
#include "proxy/common/log.hpp"
#include "proxy/common/read_file.hpp"

namespace portico {

namespace {

Expected<TlsContextPtr> load_default_certificate(const Options& options) {
  if (options.default_cert_file.empty()) {
    return TlsContext::self_signed();
  }
  const auto certificate = read_file(options.default_cert_file);
  if (!certificate) {
    return fail("--default-cert-file " + options.default_cert_file + ": cannot be read");
  }
  const auto key = read_file(options.default_key_file);
  if (!key) {
    return fail("--default-key-file " + options.default_key_file + ": cannot be read");
  }
  auto context = TlsContext::from_pem(*certificate, *key, "--default-cert-file");
  if (!context) {
    return fail("--default-cert-file/--default-key-file: " + context.error());
  }
  return *context;
}

// The Secret that carries ACME HTTP-01 answers, in the controller's namespace.
std::string challenge_secret_key(const std::string& own_namespace) {
  return own_namespace + "/portico-acme-challenges";
}

// Before the sources know it: the in-cluster namespace file, else POD_NAMESPACE, else default.
std::string controller_namespace() {
  if (auto file = read_file("/var/run/secrets/kubernetes.io/serviceaccount/namespace")) {
    while (!file->empty() && std::isspace(static_cast<unsigned char>(file->back()))) {
      file->pop_back();
    }
    return *file;
  }
  const char* pod_namespace = std::getenv("POD_NAMESPACE");
  return pod_namespace != nullptr ? pod_namespace : "default";
}

}  // namespace

Application::Application(Options options)
    : options_(std::move(options)),
      own_namespace_(controller_namespace()),
      default_certificate_(load_default_certificate(options_)),
      workers_(options_.workers, options_.proxy),
      control_(options_.translation,
               {default_certificate_ ? *default_certificate_ : TlsContext::self_signed(),
                options_.default_certificate, challenge_secret_key(own_namespace_)},
               [this](SnapshotPtr snapshot) { workers_.publish(std::move(snapshot)); }),
      admin_(control_.io(), workers_, options_.dashboard),
      delay_timer_(control_.io()),
      drain_timer_(control_.io()) {
  add_debug_pages();
}

Application::~Application() {
  stop_sources();
  control_.stop();
  workers_.stop();
}

std::optional<Application::StartFailure> Application::open_sources() {
  if (!options_.manifests.empty()) {
    auto source = ManifestSource::open(options_.manifests, invalid_objects_);
    if (!source) {
      return StartFailure{2, source.error()};
    }
    manifests_ = std::move(*source);
    return std::nullopt;
  }
  const bool in_cluster = std::getenv("KUBERNETES_SERVICE_HOST") != nullptr;
  if (options_.kubeconfig.empty() && !in_cluster) {
    return StartFailure{2, "no routing source: give --manifests PATH or --kubeconfig PATH"};
  }
  auto config = options_.kubeconfig.empty() ? k8s::in_cluster_config()
                                            : k8s::load_kubeconfig(options_.kubeconfig);
  if (!config) {
    return StartFailure{2, config.error()};
  }
  const k8s::WatchSink sink{
      [this](k8s::Kind kind, std::vector<k8s::Object> objects) {
        control_.replace_kind(kind, std::move(objects));
      },
      [this](k8s::Object object) { control_.upsert(std::move(object)); },
      [this](k8s::Kind kind, std::string key) { control_.erase(kind, std::move(key)); }};
  // Only the Secrets that served objects refer to are kept whole (a cluster's other Secrets
  // can be many and large); one that becomes referenced later is read by name.
  auto interest = std::make_shared<k8s::SecretInterest>();
  secret_fetcher_ = std::make_unique<k8s::SecretFetcher>(*config, sink);
  control_.keep_only_referenced_secrets(
      interest, [this](std::string key) { secret_fetcher_->fetch(std::move(key)); });
  // ConfigMaps: the global one and those settings name (custom-headers, add-headers,
  // proxy-set-headers), all watched live, as ingress-nginx does. A global one outside
  // --namespace widens that watch to every namespace, so one watch still sees them all.
  const std::string& configmap = options_.translation.configmap;
  const bool configmap_elsewhere = !options_.namespace_.empty() && !configmap.empty() &&
                                   !configmap.starts_with(options_.namespace_ + "/");
  for (std::size_t kind = 0; kind < k8s::KindCount; ++kind) {
    const auto which = static_cast<k8s::Kind>(kind);
    const bool all_namespaces = which == k8s::Kind::ConfigMap && configmap_elsewhere;
    watchers_.push_back(std::make_unique<k8s::Watcher>(
        which, *config, all_namespaces ? std::string() : options_.namespace_, sink,
        invalid_objects_, which == k8s::Kind::Secret ? interest : nullptr));
  }
  api_config_ = *config;
  leader_ = std::make_unique<k8s::LeaderElector>(
      *config, k8s::LeaseSettings{.namespace_ = own_namespace_,
                                  .name = options_.election_id,
                                  .identity = k8s::replica_identity()});
  admin_.add_metrics([this] { return cluster_metrics(); });
  gateway_status_ = std::make_unique<k8s::GatewayStatusWriter>(
      *config, *leader_, options_.translation.gateway.controller_name);
  control_.report_gateway_status_to(
      [this](k8s::GatewayApiStatus status, std::vector<std::string> addresses) {
        gateway_status_->update(std::move(status), std::move(addresses));
      });
  if (!options_.publish_addresses.empty() || !options_.publish_service.empty()) {
    status_ = std::make_unique<k8s::StatusWriter>(*config, *leader_);
    control_.report_status_to(
        [this](std::vector<k8s::StatusTarget> ingresses, std::vector<std::string> addresses) {
          status_->update(std::move(ingresses), std::move(addresses));
        },
        options_.publish_addresses, options_.publish_service);
  }
  return std::nullopt;
}

// In manifest mode before the files are read: stored certificates reach the control loop
// ahead of the first objects, so the first snapshot (and readiness) already serves them. In
// cluster mode after the sources: certificates are Secrets the watches bring, and only the
// leader orders.
std::optional<Application::StartFailure> Application::open_acme() {
  if (options_.acme_directory.empty()) {
    return std::nullopt;
  }
  if (!options_.acme_ca_file.empty() && !read_file(options_.acme_ca_file)) {
    return StartFailure{2, "--acme-ca-file " + options_.acme_ca_file + ": cannot be read"};
  }
  acme::ManagerSettings settings{
      .acme = {options_.acme_directory, options_.acme_email, options_.acme_ca_file},
      .http_listener = {options_.http_listen.host, http_port_},
      .may_order = nullptr};
  std::unique_ptr<acme::AcmeStore> store;
  if (api_config_) {
    store = std::make_unique<acme::SecretStore>(*api_config_, own_namespace_,
                                                challenge_secret_key(own_namespace_));
    settings.may_order = [this] { return leader_->is_leader(); };
  } else {
    store = std::make_unique<acme::FileStore>(
        options_.acme_storage, challenge_secret_key(own_namespace_),
        [this](k8s::Secret secret) { control_.add_owned(std::move(secret)); });
  }
  acme_ = std::make_unique<acme::AcmeManager>(std::move(settings), std::move(store));
  if (auto failure = acme_->load()) {
    return StartFailure{api_config_ ? 1 : 2, "ACME: " + failure->reason};
  }
  control_.report_acme_to(
      [this](std::vector<acme::WantedCertificate> wanted) { acme_->want(std::move(wanted)); });
  return std::nullopt;
}

std::string Application::cluster_metrics() const {
  PrometheusText out;
  const auto per_kind = [&](const char* name, const char* help, auto count) {
    out.family(name, "counter", help);
    for (const auto& watcher : watchers_) {
      out.sample(name, label("kind", k8s::kind_name(watcher->kind())),
                 static_cast<double>(count(watcher->counters())));
    }
  };
  per_kind("portico_watch_lists_total", "Lists of each kind: the first, then relists.",
           [](const k8s::WatchCounters& c) { return c.lists.load(); });
  per_kind("portico_watch_restarts_total", "Watches re-opened after the first, by kind.",
           [](const k8s::WatchCounters& c) {
             const auto watches = c.watches.load();
             return watches > 0 ? watches - 1 : 0;
           });
  per_kind("portico_watch_malformed_events_total",
           "Watch events skipped because they could not be read, by kind.",
           [](const k8s::WatchCounters& c) { return c.malformed.load(); });
  per_kind("portico_watch_failures_total",
           "Unexpected failures of a watch thread, each answered with a relist, by kind.",
           [](const k8s::WatchCounters& c) { return c.failures.load(); });
  out.family("portico_watch_events_total", "counter", "Watch events received, by kind and type.");
  for (const auto& watcher : watchers_) {
    for (std::size_t i = 0; i < k8s::WatchEvent::TypeNames.size(); ++i) {
      out.sample("portico_watch_events_total",
                 label("kind", k8s::kind_name(watcher->kind())) + "," +
                     label("type", k8s::WatchEvent::TypeNames[i]),
                 static_cast<double>(watcher->counters().events[i].load()));
    }
  }
  out.histogram(
      "portico_watch_event_to_live_seconds",
      "From a watch event's arrival to the snapshot holding it being sent to the workers.",
      control_.event_latency());
  out.family("portico_leader", "gauge", "1 while this replica holds the leader Lease.");
  out.sample("portico_leader", "", leader_ && leader_->is_leader() ? 1 : 0);
  return out.take();
}

void Application::stop_sources() {
  if (acme_) {
    acme_->stop();
  }
  if (manifests_) {
    manifests_->stop();
  }
  if (secret_fetcher_) {
    secret_fetcher_->stop();
  }
  for (auto& watcher : watchers_) {
    watcher->stop();
  }
  if (gateway_status_) {
    gateway_status_->stop();
  }
  if (status_) {
    status_->stop();
  }
  if (leader_) {
    leader_->stop();
  }
}

Expected<std::string> Application::explain(const Options& options, std::string_view url) {
  if (options.manifests.empty()) {
    return fail("explain reads --manifests (a live controller answers /debug/explain)");
  }
  auto default_certificate = load_default_certificate(options);
  if (!default_certificate) {
    return fail(default_certificate.error());
  }
  auto source = ManifestSource::open(options.manifests);
  if (!source) {
    return fail(source.error());
  }
  ObjectCache cache;
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const Dirty everything = cache.replace_all((*source)->read_once(), now);
  SnapshotBuilder builder(options.translation, {*default_certificate, options.default_certificate,
                                            challenge_secret_key(controller_namespace())});
  const SnapshotPtr snapshot = builder.build(cache, everything);
  return explain_request(*snapshot, {.url = std::string(url)}, options.https_listen.port);
}

std::optional<Application::StartFailure> Application::prepare() {
  if (!default_certificate_) {
    return StartFailure{2, default_certificate_.error()};
  }
  auto http_port = workers_.listen(options_.http_listen, /*tls=*/false);
  if (!http_port) {
    return StartFailure{1, "--http-listen: " + http_port.error()};
  }
  http_port_ = *http_port;
  auto https_port = workers_.listen(options_.https_listen, /*tls=*/true);
  if (!https_port) {
    return StartFailure{1, "--https-listen: " + https_port.error()};
  }
  https_port_ = *https_port;
  auto admin_port = admin_.listen(options_.admin_listen);
  if (!admin_port) {
    return StartFailure{1, "--admin-listen: " + admin_port.error()};
  }
  admin_port_ = *admin_port;
  if (options_.manifests.empty()) {
    if (auto failure = open_sources()) {
      return failure;
    }
    return open_acme();
  }
  if (auto failure = open_acme()) {
    return failure;
  }
  return open_sources();
}

void Application::start() {
  // OpenSSL writes to a TLS connection's socket itself (TlsSocket), with write(2): a peer that
  // has closed would raise SIGPIPE and end the process. Linux has no per-socket opt-out for
  // write(2), so the signal is ignored process-wide, before any worker writes, whoever embeds
  // the Application (the binary, the e2e tests).
  signal(SIGPIPE, SIG_IGN);
  workers_.start();
  control_.start();
  admin_.start();
  if (manifests_) {
    manifests_->start(
        [this](std::vector<k8s::Object> objects) { control_.replace_all(std::move(objects)); },
        [this](ManifestChanges changes) { control_.apply(std::move(changes)); });
  }
  if (acme_) {
    acme_->start();
  }
  if (secret_fetcher_) {
    secret_fetcher_->start();
  }
  for (auto& watcher : watchers_) {
    watcher->start();
  }
  if (leader_) {
    leader_->start();
  }
  if (gateway_status_) {
    gateway_status_->start();
  }
  if (status_) {
    status_->start();
  }
  log::info("proxy", "listening",
            {{"http", options_.http_listen.host + ":" + std::to_string(http_port_)},
             {"https", options_.https_listen.host + ":" + std::to_string(https_port_)},
             {"admin", options_.admin_listen.host + ":" + std::to_string(admin_port_)},
             {"workers", std::to_string(options_.workers)}});
}

void Application::request_shutdown(bool skip_delay) {
  boost::asio::post(control_.io(), [this, skip_delay] {
    if (!shutting_down_) {
      shutting_down_ = true;
      deadline_ = std::chrono::steady_clock::now() + options_.shutdown_timeout;
      admin_.set_draining();
      log::info("proxy", "shutting down: /readyz now answers 503",
                {{"delay_ms", std::to_string(skip_delay ? 0 : options_.shutdown_delay.count())}});
      if (!skip_delay) {
        delay_timer_.expires_after(options_.shutdown_delay);
        delay_timer_.async_wait([this](const boost::system::error_code& ec) {
          if (!ec) {
            begin_drain();
          }
        });
        return;
      }
    }
    // A second signal, or SIGINT: skip what is left of the delay.
    delay_timer_.cancel();
    begin_drain();
  });
}

void Application::begin_drain() {
  if (draining_) {
    return;
  }
  draining_ = true;
  log::info("proxy", "listeners closed; finishing in-flight requests",
            {{"open_connections", std::to_string(workers_.open_sessions())}});
  workers_.drain();
  check_drained();
}

void Application::check_drained() {
  if (workers_.open_sessions() == 0 || std::chrono::steady_clock::now() >= deadline_) {
    finish();
    return;
  }
  drain_timer_.expires_after(std::chrono::milliseconds(20));
  drain_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) {
      check_drained();
    }
  });
}

void Application::finish() {
  if (finished_) {
    return;
  }
  finished_ = true;
  const auto left = workers_.open_sessions();
  log::info("proxy",
            left == 0 ? "all connections closed; exiting" : "shutdown timeout reached; exiting",
            {{"open_connections", std::to_string(left)}});
  admin_.stop();
  done_.set_value();
}

void Application::wait() {
  done_.get_future().wait();
  stop_sources();
  control_.stop();
  workers_.stop();
}

}  // namespace portico
