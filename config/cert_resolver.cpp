#include "config/cert_resolver.hpp"

#include <algorithm>

#include "proxy/common/log.hpp"

namespace portico {

TlsContextPtr CertResolver::context_of(const ObjectCache& cache, const std::string& secret_key) {
  read_.insert(secret_key);
  const auto& secrets = cache.of(k8s::Kind::Secret);
  const auto found = secrets.find(secret_key);
  const auto known = made_.find(secret_key);
  if (found == secrets.end()) {
    // Said once when it goes missing (an entry without a Secret records that), not per build.
    if (known == made_.end() || known->second.secret) {
      log::warn("tls", "Secret not found; its hosts get the default certificate",
                {{"secret", secret_key}});
    }
    made_[secret_key] = {};
    return nullptr;
  }
  auto& made = made_[secret_key];
  if (made.secret == found->second.object) {
    return made.context;  // unchanged Secret: the same context, so sessions keep resuming
  }
  made.secret = found->second.object;
  made.context = nullptr;
  const auto& secret = std::get<k8s::Secret>(*found->second.object);
  if (secret.withheld) {
    return nullptr;  // its data is on the way (see SecretInterest): not worth a warning
  }
  const auto certificate = secret.data.find("tls.crt");
  const auto key = secret.data.find("tls.key");
  if (certificate == secret.data.end() || key == secret.data.end()) {
    log::warn("tls", "Secret has no tls.crt and tls.key; its hosts get the default certificate",
              {{"secret", secret_key}});
    return nullptr;
  }
  auto context = TlsContext::from_pem(certificate->second, key->second, "secret " + secret_key);
  if (!context) {
    log::warn("tls", "Secret holds no usable certificate; its hosts get the default certificate",
              {{"secret", secret_key}, {"reason", context.error()}});
    return nullptr;
  }
  made.context = *context;
  return made.context;
}

namespace {

// auth-tls-*, as ingress-nginx configures a server: a host (and its aliases) asks for the
// client certificates of the oldest Ingress with rules for it that asks for some. Then, when
// some host asks, every other host of a served Ingress asks for none, so the demand of
// host-less rules reaches only the names no rule claims. When none asks, the table stays
// empty: handshakes and requests then skip the lookup.
void assign_client_auth(CertTable& table, const std::vector<const k8s::Ingress*>& served,
                        const std::map<std::string, IngressAnnotations>& annotations,
                        const std::map<std::string, std::vector<std::string>>& aliases) {
  for (const bool asking : {true, false}) {
    if (!asking && !table.asks_client_certificates()) {
      return;
    }
    for (const k8s::Ingress* ingress : served) {
      const auto read = annotations.find(k8s::key_of(ingress->meta));
      const bool canary = read != annotations.end() && read->second.canary;
      const ClientAuthPtr auth =
          read == annotations.end() || canary ? nullptr : read->second.client_auth;
      if (asking != (auth != nullptr)) {
        continue;
      }
      for (const auto& rule : ingress->rules) {
        table.set_client_auth(rule.host, auth);
        if (const auto found = aliases.find(rule.host); found != aliases.end()) {
          for (const auto& alias : found->second) {
            table.set_client_auth(alias, auth);
          }
        }
      }
    }
  }
}

}  // namespace

std::shared_ptr<const CertTable> CertResolver::build(
    const ObjectCache& cache, const std::vector<ListenerCertificate>& listeners,
    const std::vector<const k8s::Ingress*>& served,
    const std::map<std::string, IngressAnnotations>& annotations,
    const std::map<std::string, std::vector<std::string>>& aliases,
    const std::map<std::string, std::string>& www_redirects) {
  read_.clear();
  TlsContextPtr fallback = settings_.fallback;
  if (!settings_.default_secret.empty()) {
    if (auto context = context_of(cache, settings_.default_secret)) {
      fallback = std::move(context);
    }
  }
  auto table = std::make_shared<CertTable>(std::move(fallback));
  for (const ListenerCertificate& listener : listeners) {
    if (TlsContextPtr context = context_of(cache, listener.secret_key)) {
      for (const auto& host : listener.hosts) {
        table->add(host, context);
      }
    }
  }
  for (const k8s::Ingress* ingress : served) {
    const auto read = annotations.find(k8s::key_of(ingress->meta));
    const bool redirect = read == annotations.end() || read->second.ssl_redirect;
    for (const auto& tls : ingress->tls) {
      TlsContextPtr context =
          tls.secret_name.empty()
              ? nullptr
              : context_of(cache, ingress->meta.namespace_ + "/" + tls.secret_name);
      const auto serve = [&](const std::string& name) {
        if (context) {
          table->add(name, context);
        }
        if (redirect) {
          table->redirect_to_https(name);
        }
      };
      for (const auto& host : tls.hosts) {
        serve(host);
        // Its aliases (server-alias) are its other names: the same certificate and redirect.
        if (const auto found = aliases.find(host); found != aliases.end()) {
          std::for_each(found->second.begin(), found->second.end(), serve);
        }
        // The name redirected to it (from-to-www-redirect) has its certificate when the
        // certificate is valid for that name too, so HTTPS redirects work.
        if (const auto from = www_redirects.find(host);
            from != www_redirects.end() && context && context->covers(from->second)) {
          table->add(from->second, context);
        }
      }
    }
  }
  assign_client_auth(*table, served, annotations, aliases);
  return table;
}

}  // namespace portico
