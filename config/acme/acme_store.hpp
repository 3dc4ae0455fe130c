#pragma once
// AcmeStore: where the ACME manager keeps its account key and certificates, and how its
// HTTP-01 answers reach every replica's HTTP listener.
//  - FileStore (manifest mode): files under --acme-storage (private keys 0600); certificates
//    and answers are handed to this process's control loop as Secrets.
//  - SecretStore (cluster mode): Secrets written through the API server (the account key in
//    portico-acme-account in the controller's namespace, each certificate in its spec.tls
//    entry's Secret, answers in portico-acme-challenges); every replica watches Secrets, so
//    every replica serves them.
// Used by the manager's thread (and by load() before it starts); never concurrently.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "k8swatch/api_client.hpp"
#include "k8swatch/resources.hpp"
#include "proxy/common/expected.hpp"

namespace portico::acme {

struct StoredCertificate {
  std::string chain_pem;
  std::string key_pem;
};

class AcmeStore {
 public:
  virtual ~AcmeStore() = default;
  // The stored account key, or the one `make` returns, stored first.
  virtual Expected<std::string> account_key(const std::function<std::string()>& make) = 0;
  virtual std::optional<StoredCertificate> certificate(const std::string& secret_key) = 0;
  virtual std::optional<Failure> save(const std::string& secret_key,
                                      const StoredCertificate& certificate) = 0;
  // Replaces the answers on offer (token -> key authorization); empty withdraws them.
  virtual std::optional<Failure> publish_challenges(
      const std::map<std::string, std::string>& answers) = 0;
  // Makes every stored certificate served (before readiness).
  virtual void serve_stored() = 0;
};

class FileStore final : public AcmeStore {
 public:
  using Deliver = std::function<void(k8s::Secret)>;  // to the control loop
  FileStore(std::string dir, std::string challenge_secret_key, Deliver deliver);

  Expected<std::string> account_key(const std::function<std::string()>& make) override;
  std::optional<StoredCertificate> certificate(const std::string& secret_key) override;
  std::optional<Failure> save(const std::string& secret_key,
                              const StoredCertificate& certificate) override;
  std::optional<Failure> publish_challenges(
      const std::map<std::string, std::string>& answers) override;
  void serve_stored() override;

 private:
  std::string dir_;
  std::string challenge_secret_key_;
  Deliver deliver_;
};

class SecretStore final : public AcmeStore {
 public:
  SecretStore(const k8s::ApiConfig& config, std::string own_namespace,
              std::string challenge_secret_key);

  Expected<std::string> account_key(const std::function<std::string()>& make) override;
  std::optional<StoredCertificate> certificate(const std::string& secret_key) override;
  std::optional<Failure> save(const std::string& secret_key,
                              const StoredCertificate& certificate) override;
  std::optional<Failure> publish_challenges(
      const std::map<std::string, std::string>& answers) override;
  void serve_stored() override {}  // the Secret watch serves them, on every replica

 private:
  // The decoded data of Secret "namespace/name"; nothing when absent; a Failure when the
  // API server cannot say.
  Expected<std::optional<std::map<std::string, std::string>>> read(const std::string& key);
  std::optional<Failure> write(const std::string& key, const std::string& type,
                               const std::map<std::string, std::string>& data);

  k8s::ApiClient client_;
  std::string own_namespace_;
  std::string challenge_secret_key_;
};

}  // namespace portico::acme
