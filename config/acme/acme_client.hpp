#pragma once
// AcmeClient: one ACME account talking RFC 8555 to one directory, over HTTPS (cpp-httplib).
// issue() runs a whole order: account (created, or found again for the same key), new order,
// HTTP-01 challenges (published through the caller, who makes every replica serve them),
// finalize with a fresh key's CSR, polling, download. URLs come only from the directory and
// the server's replies. A badNonce is retried with the fresh nonce the server sent. Blocking;
// used by the ACME manager's thread only.
#include <chrono>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/acme/acme_crypto.hpp"
#include "proxy/common/expected.hpp"

namespace httplib {
class Client;
}

namespace portico::acme {

struct AcmeSettings {
  std::string directory_url;
  std::string email;    // contact, optional
  std::string ca_file;  // extra trust for a private ACME server (e.g. pebble), optional
};

struct IssuedCertificate {
  std::string chain_pem;  // leaf first
  std::string key_pem;
};

class AcmeClient {
 public:
  // Makes token -> key authorization answerable on every replica's HTTP listener (and an
  // empty map withdraws them); returns once they are served.
  using PublishChallenges = std::function<void(const std::map<std::string, std::string>&)>;

  AcmeClient(AcmeSettings settings, EcKey account_key);
  ~AcmeClient();

  Expected<IssuedCertificate> issue(const std::vector<std::string>& names,
                                    const PublishChallenges& publish);
  // Whether the last failure was the server refusing (a problem document with a 4xx status:
  // worth a long backoff), rather than not being reachable (worth retrying soon).
  bool last_failure_was_rejection() const noexcept { return rejected_; }

 private:
  struct Reply {
    int status = 0;
    std::string body;
    std::string location;
  };
  Expected<Reply> get(const std::string& url, bool head = false);
  Expected<Reply> post(const std::string& url, const nlohmann::json& payload,
                       bool post_as_get = false);
  Expected<nlohmann::json> post_json(const std::string& url, const nlohmann::json& payload,
                                     bool post_as_get = false);
  std::optional<Failure> ensure_account();
  Expected<nlohmann::json> poll(const std::string& url,
                                std::initializer_list<std::string_view> waiting);
  httplib::Client& client_for(const std::string& origin);
  Failure unreachable(std::string reason);
  Failure rejected(const Reply& reply, const std::string& what);

  AcmeSettings settings_;
  EcKey key_;
  nlohmann::json directory_;
  std::string kid_;
  std::string nonce_;
  std::map<std::string, std::unique_ptr<httplib::Client>> clients_;  // by origin
  bool rejected_ = false;
};

}  // namespace portico::acme
