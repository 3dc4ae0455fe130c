#pragma once
// CertResolver: served Ingresses' spec.tls entries and their kubernetes.io/tls Secrets become
// the snapshot's CertTable. A Secret's context is made once and reused while the Secret is
// unchanged; a missing or invalid Secret leaves its hosts on the default certificate (one log
// line per change, never the key). Hosts in spec.tls redirect plain HTTP to HTTPS unless the
// Ingress says ssl-redirect "false". Owned by the control thread.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "config/annotations.hpp"
#include "config/object_cache.hpp"
#include "proxy/tls/cert_table.hpp"

namespace portico {

struct CertSettings {
  TlsContextPtr fallback;        // --default-cert-file/--default-key-file, or self-signed
  std::string default_secret;    // --default-certificate "namespace/name", or ""
  std::string challenge_secret;  // "namespace/name" of the Secret of ACME HTTP-01 answers
};

// A certificate a Gateway API HTTPS listener names: its Secret, "namespace/name", and the
// hostnames it serves (the listener's, or those of the routes attached to it).
struct ListenerCertificate {
  std::vector<std::string> hosts;
  std::string secret_key;
};

class CertResolver {
 public:
  explicit CertResolver(CertSettings settings) : settings_(std::move(settings)) {}

  // Gateway listeners' certificates first (an HTTPRoute wins a host an Ingress also names),
  // then `served` in precedence order (oldest first): the first Ingress to name a host keeps
  // it; `annotations` as the translation read them (for ssl-redirect); `aliases`: each host's
  // server-alias names, served like it; `www_redirects`: the name redirected to each host
  // (from-to-www-redirect), which gets its certificate where that certificate covers it.
  std::shared_ptr<const CertTable> build(
      const ObjectCache& cache, const std::vector<ListenerCertificate>& listeners,
      const std::vector<const k8s::Ingress*>& served,
      const std::map<std::string, IngressAnnotations>& annotations,
      const std::map<std::string, std::vector<std::string>>& aliases,
      const std::map<std::string, std::string>& www_redirects);
  // "namespace/name" of every Secret the last build() looked for, found or not.
  const std::set<std::string>& secrets_read() const noexcept { return read_; }

 private:
  // The context of the Secret "namespace/name", or null when it is missing or invalid.
  TlsContextPtr context_of(const ObjectCache& cache, const std::string& secret_key);

  struct Made {
    std::shared_ptr<const k8s::Object> secret;  // the version the context was made from
    TlsContextPtr context;                      // null: that version is invalid
  };
  CertSettings settings_;
  std::map<std::string, Made> made_;
  std::set<std::string> read_;
};

}  // namespace portico
