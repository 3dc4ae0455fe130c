#pragma once
// ControlLoop: the control thread. It owns the object cache and the snapshot builder; object
// sources (manifest files, API watches) hand it immutable batches from their own threads,
// and it coalesces bursts for a short holdoff, builds the next snapshot and publishes it.
// The admin server and signal handling run on its io_context too. Lives for the process.
#include <bitset>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "config/acme/acme_manager.hpp"
#include "config/manifest_source.hpp"
#include "config/object_cache.hpp"
#include "config/snapshot_builder.hpp"
#include "k8swatch/secret_interest.hpp"
#include "k8swatch/status_writer.hpp"
#include "proxy/net.hpp"
#include "proxy/worker/worker_stats.hpp"

namespace portico {

class ControlLoop {
 public:
  using Publish = std::function<void(SnapshotPtr)>;

  ControlLoop(TranslationSettings settings, CertSettings certs, Publish publish);
  ~ControlLoop();

  // Where served Ingresses and the address to publish go after each change (cluster mode
  // with --publish-address or --publish-service "namespace/name"). Call before start().
  using ReportStatus =
      std::function<void(std::vector<k8s::StatusTarget>, std::vector<std::string> addresses)>;
  void report_status_to(ReportStatus report, std::vector<std::string> publish_addresses,
                        std::string publish_service);

  // Where the Gateway API status and the published address go after each translation that
  // changed either (cluster mode). Call before start().
  using ReportGatewayStatus =
      std::function<void(k8s::GatewayApiStatus, std::vector<std::string> addresses)>;
  void report_gateway_status_to(ReportGatewayStatus report) { report_gateway_ = std::move(report); }

  // Where the certificates that served Ingresses ask ACME for go, each time they change.
  // Call before start().
  using ReportAcme = std::function<void(std::vector<acme::WantedCertificate>)>;
  void report_acme_to(ReportAcme report) { report_acme_ = std::move(report); }

  // Cluster mode: the Secret watch keeps only the Secrets in `interest` whole; this loop keeps
  // that set to what the routes refer to, and asks `fetch` for a Secret that became wanted
  // after it arrived as a name only. Call before start().
  using FetchSecret = std::function<void(std::string key)>;
  void keep_only_referenced_secrets(std::shared_ptr<k8s::SecretInterest> interest,
                                    FetchSecret fetch);

  net::io_context& io() noexcept { return io_; }
  // From a watch event's arrival to the snapshot holding it being posted to the workers
  // (installed one event-loop turn later). Read on the control thread (the admin server's).
  const DurationHistogram& event_latency() const noexcept { return event_latency_; }
  // The last snapshots published, oldest first, for the dashboard. Read on the control thread.
  struct Publication {
    std::uint64_t generation = 0;
    std::int64_t unix_ms = 0;  // when it went to the workers
    double build_ms = 0;
    std::string changed;  // "routes, certificates, endpoints of default/api"
  };
  static constexpr std::size_t PublicationsKept = 20;
  const std::deque<Publication>& publications() const noexcept { return publications_; }
  void start();
  void stop();

  // Any thread: the complete current set of objects from the manifest source.
  void replace_all(std::vector<k8s::Object> objects);
  // Any thread: what changed in the manifest files since.
  void apply(ManifestChanges changes);
  // Any thread: what a watch source sees. The first snapshot goes out once every kind has
  // been listed, so /readyz never reports a half-known cluster.
  void replace_kind(k8s::Kind kind, std::vector<k8s::Object> objects);
  void upsert(k8s::Object object);
  void erase(k8s::Kind kind, std::string key);
  // Any thread: a Secret Portico itself produced (an ACME certificate, challenge answers).
  // It stays across the manifest source's complete replacements.
  void add_owned(k8s::Secret secret);

 private:
  void take(Dirty dirty);
  void rebuild();
  // Makes the referenced Secrets the wanted ones and fetches those held as a name only;
  // true when none is.
  bool want_referenced_secrets();
  void report_status();
  void report_gateway_status();
  // What --publish-address or --publish-service says the controller's address is.
  std::vector<std::string> published_addresses() const;
  void report_acme();

  net::io_context io_{1};
  std::thread thread_;
  ObjectCache cache_;
  SnapshotBuilder builder_;
  IngressTranslator translator_;  // which Ingresses are ours, for status
  Publish publish_;
  ReportStatus report_;
  ReportAcme report_acme_;
  ReportGatewayStatus report_gateway_;
  k8s::GatewayApiStatus gateway_reported_;
  std::vector<std::string> gateway_addresses_reported_;
  std::vector<acme::WantedCertificate> acme_wanted_;
  std::shared_ptr<k8s::SecretInterest> secret_interest_;
  FetchSecret fetch_secret_;
  SnapshotPtr unpublished_;  // built, held back until the Secrets it refers to are in
  std::map<std::string, k8s::Object> owned_;  // by "namespace/name"
  std::vector<std::string> publish_addresses_;
  std::string publish_service_;
  net::steady_timer holdoff_{io_};
  Dirty pending_;
  Dirty unpublished_changes_;  // what the builds since the last publication took in
  std::deque<Publication> publications_;
  std::vector<std::chrono::steady_clock::time_point> pending_arrivals_;
  DurationHistogram event_latency_;
  std::bitset<k8s::KindCount> listed_;
  bool holdoff_armed_ = false;
  bool published_once_ = false;
};

}  // namespace portico
