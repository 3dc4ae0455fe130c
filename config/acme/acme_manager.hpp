#pragma once
// AcmeManager: keeps a certificate for each spec.tls entry of the Ingresses annotated
// kubernetes.io/tls-acme: "true" (see ../shared/interface.md, "TLS and certificates"). Its own
// thread orders, stores and renews; results reach the data plane as Secrets handed to the
// control loop, the same path every certificate takes. Stored certificates and the account
// key live under --acme-storage (private keys 0600) and are loaded before readiness, so a
// restart reuses both and orders nothing.
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
  std::string storage_dir;
  std::string challenge_secret_key;  // "namespace/name" of the Secret carrying HTTP-01 answers
  HostPort http_listener;            // where this process serves them, for the self-check
};

class AcmeManager {
 public:
  using Deliver = std::function<void(k8s::Secret)>;  // any thread -> the control loop

  AcmeManager(ManagerSettings settings, Deliver deliver);
  ~AcmeManager();

  // Loads (or makes and stores) the account key and delivers every stored certificate.
  // Call before start(), before readiness.
  std::optional<Failure> load();
  void start();
  void stop();
  // Any thread: the certificates served Ingresses ask for now.
  void want(std::vector<WantedCertificate> wanted);

 private:
  using Clock = std::chrono::system_clock;
  struct Managed {
    WantedCertificate wanted;
    std::optional<Validity> validity;  // of the certificate stored for it
    Clock::time_point renew_at{};
    Clock::time_point retry_at{};
    std::chrono::seconds backoff{0};
  };
  void run();
  void sync_wanted();
  void maintain(Managed& managed, Clock::time_point now);
  void remember(Managed& managed, const Validity& validity);
  void publish_challenges(const std::map<std::string, std::string>& answers,
                          const std::string& host);
  std::string certificate_dir(const std::string& secret_key) const;
  void deliver_certificate(const std::string& secret_key, const std::string& chain,
                           const std::string& key);

  ManagerSettings settings_;
  Deliver deliver_;
  std::optional<AcmeClient> client_;
  std::map<std::string, Validity> stored_;  // by secret key: what load() found
  std::map<std::string, Managed> managed_;  // the manager thread's own
  std::mutex mutex_;                        // guards wanted_
  std::vector<WantedCertificate> wanted_;
  k8s::BackgroundLoop loop_;
};

}  // namespace portico::acme
