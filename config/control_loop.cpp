#include "config/control_loop.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>

#include "proxy/common/log.hpp"

namespace portico {
namespace {

// "a/b, c/d, e/f and 2 more".
std::string first_few(const std::set<std::string>& keys) {
  std::string out;
  std::size_t shown = 0;
  for (const auto& key : keys) {
    if (shown++ == 3) {
      out += " and " + std::to_string(keys.size() - 3) + " more";
      break;
    }
    out += (out.empty() ? "" : ", ") + key;
  }
  return out;
}

// What a publication took in, in a line: "routes, certificates, endpoints of a/b and c/d".
std::string describe_changes(const Dirty& changes) {
  std::string out;
  const auto add = [&out](const std::string& part) { out += (out.empty() ? "" : ", ") + part; };
  if (changes.routes) {
    add("routes");
  }
  if (changes.secrets) {
    add("certificates");
  }
  if (!changes.configmaps.empty()) {
    add("ConfigMaps " + first_few(changes.configmaps));
  }
  if (!changes.services.empty()) {
    add("endpoints of " + first_few(changes.services));
  }
  return out.empty() ? "nothing a route uses" : out;
}

// Long enough to fold an editor's save or a burst of watch events into one snapshot, short
// enough that a change is live in tens of milliseconds.
constexpr std::chrono::milliseconds Holdoff{20};

// When objects without a creationTimestamp count as created: now, to the nanosecond.
std::int64_t now_nanoseconds() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

ControlLoop::ControlLoop(TranslationSettings settings, CertSettings certs, Publish publish)
    : builder_(settings, std::move(certs)),
      translator_(std::move(settings)),
      publish_(std::move(publish)) {}

void ControlLoop::report_status_to(ReportStatus report, std::vector<std::string> publish_addresses,
                                   std::string publish_service) {
  report_ = std::move(report);
  publish_addresses_ = std::move(publish_addresses);
  publish_service_ = std::move(publish_service);
}

void ControlLoop::report_status() {
  std::vector<k8s::StatusTarget> served;
  for (const auto& [key, cached] : cache_.of(k8s::Kind::Ingress)) {
    const auto& ingress = std::get<k8s::Ingress>(*cached.object);
    if (translator_.is_served(ingress, cache_)) {
      served.push_back({ingress.meta.namespace_, ingress.meta.name, ingress.status_addresses});
    }
  }
  report_(std::move(served), published_addresses());
}

std::vector<std::string> ControlLoop::published_addresses() const {
  if (publish_service_.empty()) {
    return publish_addresses_;
  }
  const auto* service = cache_.find<k8s::Service>(k8s::Kind::Service, publish_service_);
  return service != nullptr ? service->external_addresses : std::vector<std::string>{};
}

void ControlLoop::report_gateway_status() {
  auto addresses = published_addresses();
  const auto& status = builder_.gateway_status();
  if (status == gateway_reported_ && addresses == gateway_addresses_reported_) {
    return;
  }
  gateway_reported_ = status;
  gateway_addresses_reported_ = addresses;
  report_gateway_(status, std::move(addresses));
}

void ControlLoop::keep_only_referenced_secrets(std::shared_ptr<k8s::SecretInterest> interest,
                                               FetchSecret fetch) {
  secret_interest_ = std::move(interest);
  fetch_secret_ = std::move(fetch);
}

ControlLoop::~ControlLoop() {
  stop();
}

void ControlLoop::start() {
  thread_ = std::thread([this] {
    auto guard = net::make_work_guard(io_);
    io_.run();
  });
}

void ControlLoop::stop() {
  io_.stop();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void ControlLoop::replace_all(std::vector<k8s::Object> objects) {
  net::post(io_, [this, objects = std::move(objects)]() mutable {
    for (const auto& [key, object] : owned_) {
      objects.push_back(object);
    }
    listed_.set();
    take(cache_.replace_all(std::move(objects), now_nanoseconds()));
  });
}

void ControlLoop::apply(ManifestChanges changes) {
  net::post(io_, [this, changes = std::move(changes),
                  arrived = std::chrono::steady_clock::now()]() mutable {
    pending_arrivals_.push_back(arrived);
    Dirty dirty;
    for (auto& object : changes.changed) {
      dirty.merge(cache_.upsert(std::move(object), now_nanoseconds()));
    }
    for (const auto& [kind, key] : changes.removed) {
      // A Secret of our own outlives a file that defined the same one.
      const auto owned = owned_.find(key);
      dirty.merge(kind == k8s::Kind::Secret && owned != owned_.end()
                      ? cache_.upsert(owned->second, now_nanoseconds())
                      : cache_.erase(kind, key));
    }
    take(std::move(dirty));
  });
}

void ControlLoop::replace_kind(k8s::Kind kind, std::vector<k8s::Object> objects) {
  net::post(io_, [this, kind, objects = std::move(objects)]() mutable {
    listed_.set(static_cast<std::size_t>(kind));
    take(cache_.replace_kind(kind, std::move(objects), now_nanoseconds()));
  });
}

void ControlLoop::upsert(k8s::Object object) {
  net::post(io_, [this, object = std::move(object),
                  arrived = std::chrono::steady_clock::now()]() mutable {
    pending_arrivals_.push_back(arrived);
    take(cache_.upsert(std::move(object), now_nanoseconds()));
  });
}

void ControlLoop::erase(k8s::Kind kind, std::string key) {
  net::post(io_, [this, kind, key = std::move(key), arrived = std::chrono::steady_clock::now()] {
    pending_arrivals_.push_back(arrived);
    take(cache_.erase(kind, key));
  });
}

void ControlLoop::add_owned(k8s::Secret secret) {
  net::post(io_, [this, secret = std::move(secret)]() mutable {
    k8s::Object object = std::move(secret);
    owned_[k8s::key_of(std::get<k8s::Secret>(object).meta)] = object;
    take(cache_.upsert(std::move(object), now_nanoseconds()));
  });
}

void ControlLoop::report_acme() {
  std::vector<acme::WantedCertificate> wanted;
  for (const k8s::Ingress* ingress : translator_.served(cache_)) {
    if (!wants_builtin_acme(*ingress)) {
      continue;
    }
    for (const auto& tls : ingress->tls) {
      acme::WantedCertificate certificate{ingress->meta.namespace_ + "/" + tls.secret_name,
                                          tls.hosts};
      std::sort(certificate.names.begin(), certificate.names.end());
      certificate.names.erase(std::unique(certificate.names.begin(), certificate.names.end()),
                              certificate.names.end());
      if (!tls.secret_name.empty() && !certificate.names.empty()) {
        wanted.push_back(std::move(certificate));
      }
    }
  }
  if (wanted != acme_wanted_) {
    acme_wanted_ = wanted;
    report_acme_(std::move(wanted));
  }
}

void ControlLoop::take(Dirty dirty) {
  if (fetch_secret_) {
    for (const auto& key : dirty.withheld_secrets) {
      if (builder_.referenced_secrets().contains(key)) {
        fetch_secret_(key);  // it became wanted while on its way as a name only
      }
    }
  }
  pending_.merge(dirty);
  if (report_ && listed_.all() && (dirty.status || dirty.routes || !published_once_)) {
    report_status();
  }
  if (report_acme_ && listed_.all() && (dirty.routes || !published_once_)) {
    report_acme();
  }
  if (!published_once_) {
    if (listed_.all()) {
      rebuild();  // the first complete state goes out at once: readiness waits for it
    }
    return;
  }
  if (!pending_.any()) {
    return;
  }
  if (!holdoff_armed_) {
    holdoff_armed_ = true;
    holdoff_.expires_after(Holdoff);
    holdoff_.async_wait([this](const boost::system::error_code&) {
      holdoff_armed_ = false;
      rebuild();
    });
  }
}

bool ControlLoop::want_referenced_secrets() {
  if (!secret_interest_) {
    return true;
  }
  const auto& referenced = builder_.referenced_secrets();
  secret_interest_->want_only(referenced);
  bool complete = true;
  for (const auto& key : referenced) {
    const auto* secret = cache_.find<k8s::Secret>(k8s::Kind::Secret, key);
    if (secret != nullptr && secret->withheld) {
      fetch_secret_(key);
      complete = false;
    }
  }
  return complete;
}

void ControlLoop::rebuild() {
  const auto started = std::chrono::steady_clock::now();
  // Which Secrets are referenced changes only with the routes or the Secrets: an endpoint
  // change (the common one) skips the look at them.
  const bool references_may_change =
      !published_once_ || pending_.routes || pending_.secrets || !pending_.configmaps.empty();
  if (SnapshotPtr built = builder_.build(cache_, pending_)) {
    unpublished_ = std::move(built);
  }
  if (report_gateway_) {
    report_gateway_status();
  }
  unpublished_changes_.merge(pending_);
  pending_ = {};
  // The first state is complete only with the Secrets it refers to: readiness waits for them.
  const bool secrets_complete = !references_may_change || want_referenced_secrets();
  if (!unpublished_ || (!published_once_ && !secrets_complete)) {
    if (!unpublished_) {
      // Nothing a worker would see changed: neither the waits nor the changes (a ConfigMap no
      // setting names, an endpoint that kept its state) belong to the next publication.
      pending_arrivals_.clear();
      unpublished_changes_ = {};
    }
    return;
  }
  SnapshotPtr snapshot = std::move(unpublished_);
  published_once_ = true;
  publish_(snapshot);
  const auto now = std::chrono::steady_clock::now();
  for (const auto arrived : pending_arrivals_) {
    event_latency_.observe(std::chrono::duration<double>(now - arrived).count());
  }
  pending_arrivals_.clear();
  const auto took =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started);
  publications_.push_back({snapshot->generation,
                           std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count(),
                           took.count(),
                           publications_.empty() ? "the first complete state"
                                                 : describe_changes(unpublished_changes_)});
  unpublished_changes_ = {};
  if (publications_.size() > PublicationsKept) {
    publications_.pop_front();
  }
  log::info("config", "routing snapshot published",
            {{"generation", std::to_string(snapshot->generation)},
             {"hosts", std::to_string(snapshot->routes->host_count())},
             {"clusters", std::to_string(snapshot->clusters->all().size())},
             {"build_ms", std::to_string(took.count())}});
}

}  // namespace portico
