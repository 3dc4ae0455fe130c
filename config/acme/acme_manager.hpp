#pragma once
// AcmeManager: keeps a certificate for each spec.tls entry of the Ingresses annotated
// kubernetes.io/tls-acme: "true" (the README's ACME section says what users get). Its own
// thread orders, stores and renews, only while `may_order` says so (the leader, in a
// cluster). Certificates and the account key live in an AcmeStore (files, or Secrets) and
// reach the data plane as Secrets, the path every certificate takes; stored ones are served
// before readiness, so a restart reuses them and orders nothing.
//
// Schedule per certificate: order when there is none or its names changed; renew once a third
// of its lifetime is left (jittered earlier by up to a thirtieth), checking at least every
// twentieth of it. An unreachable server is retried after 5 s doubling to 60 s; an order the
// server rejects backs off from 1 min to 1 h.
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/acme/acme_client.hpp"
#include "config/acme/acme_store.hpp"
#include "k8swatch/background_loop.hpp"
#include "k8swatch/resources.hpp"
#include "proxy/common/host_port.hpp"

namespace portico::acme {

// One spec.tls entry to keep a certificate for.
struct WantedCertificate {
  std::string secret_key;          // "namespace/secretName"
  std::vector<std::string> names;  // its hosts, sorted, without duplicates
  bool operator==(const WantedCertificate&) const = default;
};

struct ManagerSettings {
  AcmeSettings acme;
  HostPort http_listener;           // where this process serves HTTP-01 answers (self-check)
  std::function<bool()> may_order;  // any thread; null: always
};

class AcmeManager {
 public:
  AcmeManager(ManagerSettings settings, std::unique_ptr<AcmeStore> store);
  ~AcmeManager();

  // Loads (or makes and stores) the account key and serves every stored certificate.
  // Call before start(), before readiness.
  std::optional<Failure> load();
  void start();
  void stop();
  // Any thread: the certificates served Ingresses ask for now.
  void want(std::vector<WantedCertificate> wanted);

  // What the manager knows of each certificate it keeps, for the dashboard.
  struct CertificateState {
    std::string secret_key;
    std::vector<std::string> names;
    // "valid", "ordering", "renewing", "waiting to retry", "not ordered yet", or
    // "ordered by the leader" on a replica that does not lead.
    std::string state;
    std::string last_error;      // since the last certificate issued; "" if none
    std::int64_t not_after = 0;  // unix seconds; 0: no certificate yet
    std::int64_t renew_at = 0;
    std::int64_t retry_at = 0;  // 0: no retry pending
  };
  // Any thread: the states as of the manager's last look.
  std::vector<CertificateState> states() const;

 private:
  using Clock = std::chrono::system_clock;
  struct Managed {
    WantedCertificate wanted;
    std::optional<Validity> validity;  // of the certificate stored for it
    Clock::time_point renew_at{};
    Clock::time_point retry_at{};
    std::chrono::seconds backoff{0};
    std::string last_error;
  };
  void run();
  void sync_wanted();
  void maintain(Managed& managed, Clock::time_point now);
  void remember(Managed& managed, const Validity& validity);
  // Makes states() tell what managed_ holds; `ordering` is being ordered right now.
  void publish_states(const Managed* ordering = nullptr);
  void publish_challenges(const std::map<std::string, std::string>& answers,
                          const std::string& host);

  ManagerSettings settings_;
  std::unique_ptr<AcmeStore> store_;
  std::optional<AcmeClient> client_;
  std::map<std::string, Managed> managed_;  // the manager thread's own
  std::mutex mutex_;                        // guards wanted_
  std::vector<WantedCertificate> wanted_;
  mutable std::mutex states_mutex_;  // guards states_
  std::vector<CertificateState> states_;
  k8s::BackgroundLoop loop_;
};

}  // namespace portico::acme
