#include "config/acme/acme_manager.hpp"

#include <httplib.h>

#include <random>
#include <thread>

#include "proxy/common/log.hpp"

namespace portico::acme {
namespace {

using namespace std::chrono_literals;

constexpr std::chrono::seconds FirstUnreachableBackoff{5};
constexpr std::chrono::seconds LongestUnreachableBackoff{60};
constexpr std::chrono::seconds FirstRejectedBackoff{60};
constexpr std::chrono::seconds LongestRejectedBackoff{3600};

std::string seconds(std::chrono::seconds s) {
  return std::to_string(s.count());
}

}  // namespace

AcmeManager::AcmeManager(ManagerSettings settings, std::unique_ptr<AcmeStore> store)
    : settings_(std::move(settings)), store_(std::move(store)) {}

AcmeManager::~AcmeManager() {
  stop();
}

std::optional<Failure> AcmeManager::load() {
  std::optional<Failure> made_failure;
  auto pem = store_->account_key([&] {
    auto key = EcKey::generate();
    if (!key) {
      made_failure = Failure{key.error()};
      return std::string();
    }
    return key->private_pem();
  });
  if (made_failure) {
    return made_failure;
  }
  if (!pem) {
    return Failure{pem.error()};
  }
  auto account = EcKey::from_pem(*pem);
  if (!account) {
    return Failure{"the stored ACME account key: " + account.error()};
  }
  client_.emplace(settings_.acme, std::move(*account));
  store_->serve_stored();
  return std::nullopt;
}

void AcmeManager::start() {
  loop_.start([this] { run(); });
}

void AcmeManager::stop() {
  loop_.stop();
}

void AcmeManager::want(std::vector<WantedCertificate> wanted) {
  {
    std::lock_guard lock(mutex_);
    wanted_ = std::move(wanted);
  }
  loop_.wake();
}

void AcmeManager::sync_wanted() {
  std::vector<WantedCertificate> wanted;
  {
    std::lock_guard lock(mutex_);
    wanted = wanted_;
  }
  std::map<std::string, Managed> next;
  for (auto& certificate : wanted) {
    auto& managed = next[certificate.secret_key];
    if (auto it = managed_.find(certificate.secret_key); it != managed_.end()) {
      managed = std::move(it->second);  // keeps its backoff and schedule
    } else if (auto stored = store_->certificate(certificate.secret_key)) {
      if (auto validity = certificate_validity(stored->chain_pem)) {
        remember(managed, *validity);
      }
    }
    managed.wanted = std::move(certificate);
  }
  // Entries no longer wanted stop renewing; their certificate stays served until it expires.
  managed_ = std::move(next);
}

std::vector<AcmeManager::CertificateState> AcmeManager::states() const {
  std::lock_guard lock(states_mutex_);
  return states_;
}

void AcmeManager::publish_states(const Managed* ordering) {
  std::vector<CertificateState> states;
  const auto now = Clock::now();
  for (const auto& [key, managed] : managed_) {
    CertificateState& state = states.emplace_back();
    state.secret_key = key;
    state.names = managed.wanted.names;
    state.last_error = managed.last_error;
    if (managed.validity) {
      state.not_after = Clock::to_time_t(managed.validity->not_after);
      state.renew_at = Clock::to_time_t(managed.renew_at);
    }
    if (managed.retry_at > now) {
      state.retry_at = Clock::to_time_t(managed.retry_at);
    }
    state.state = &managed == ordering  ? (managed.validity ? "renewing" : "ordering")
                  : state.retry_at != 0 ? "waiting to retry"
                  : managed.validity    ? "valid"
                                        : "not ordered yet";
  }
  std::lock_guard lock(states_mutex_);
  states_ = std::move(states);
}

void AcmeManager::remember(Managed& managed, const Validity& validity) {
  static thread_local std::mt19937_64 random(std::random_device{}());
  const auto lifetime = validity.not_after - validity.not_before;
  const auto jitter = lifetime / 30 * static_cast<long>(random() % 1000) / 1000;
  managed.validity = validity;
  managed.renew_at = validity.not_after - lifetime / 3 - jitter;
}

void AcmeManager::run() {
  while (!loop_.stopping()) {
    if (settings_.may_order && !settings_.may_order()) {
      managed_.clear();  // the leader's business; re-read from the store when we lead
      std::vector<CertificateState> states;
      {
        std::lock_guard lock(mutex_);
        for (const auto& wanted : wanted_) {
          states.push_back({.secret_key = wanted.secret_key,
                            .names = wanted.names,
                            .state = "ordered by the leader"});
        }
      }
      {
        std::lock_guard lock(states_mutex_);
        states_ = std::move(states);
      }
      loop_.pause(std::chrono::seconds(1));
      continue;
    }
    sync_wanted();
    auto now = Clock::now();
    auto next = now + 1h;
    for (auto& [key, managed] : managed_) {
      if (loop_.stopping()) {
        return;
      }
      maintain(managed, now);
      now = Clock::now();
      next = std::min(next, managed.retry_at > now ? managed.retry_at : managed.renew_at);
      if (managed.validity) {
        // Checked at least every twentieth of the lifetime, as the contract asks.
        const auto lifetime = managed.validity->not_after - managed.validity->not_before;
        next = std::min(next, now + lifetime / 20);
      }
    }
    publish_states();
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - now);
    loop_.pause(std::max(wait, std::chrono::milliseconds(200)));
  }
}

void AcmeManager::maintain(Managed& managed, Clock::time_point now) {
  const auto& wanted = managed.wanted;
  auto names = managed.validity ? managed.validity->names : std::vector<std::string>{};
  std::sort(names.begin(), names.end());
  const bool names_changed = names != wanted.names;
  if (!names_changed && now < managed.renew_at) {
    return;
  }
  if (now < managed.retry_at) {
    return;
  }
  log::info("acme", managed.validity ? "renewing certificate" : "ordering certificate",
            {{"secret", wanted.secret_key}, {"names", [&] {
                                               std::string all;
                                               for (const auto& n : wanted.names) {
                                                 all += (all.empty() ? "" : ",") + n;
                                               }
                                               return all;
                                             }()}});
  publish_states(&managed);
  auto issued = client_->issue(wanted.names, [&](const auto& answers) {
    publish_challenges(answers, wanted.names.front());
  });
  if (!issued) {
    const bool rejected = client_->last_failure_was_rejection();
    const auto first = rejected ? FirstRejectedBackoff : FirstUnreachableBackoff;
    const auto longest = rejected ? LongestRejectedBackoff : LongestUnreachableBackoff;
    managed.backoff = std::clamp(managed.backoff * 2, first, longest);
    managed.retry_at = Clock::now() + managed.backoff;
    managed.last_error = issued.error();
    log::warn("acme", rejected ? "the ACME server refused the order" : "ACME server unreachable",
              {{"secret", wanted.secret_key},
               {"reason", issued.error()},
               {"retry_in_s", seconds(managed.backoff)}});
    return;
  }
  auto validity = certificate_validity(issued->chain_pem);
  if (!validity) {
    managed.backoff = FirstRejectedBackoff;
    managed.retry_at = Clock::now() + managed.backoff;
    managed.last_error = "the ACME server sent no usable certificate: " + validity.error();
    log::warn("acme", "the ACME server sent no usable certificate",
              {{"secret", wanted.secret_key}, {"reason", validity.error()}});
    return;
  }
  if (auto failure = store_->save(wanted.secret_key, {issued->chain_pem, issued->key_pem})) {
    log::error("acme", "cannot store the certificate; ordering again later",
               {{"secret", wanted.secret_key}, {"reason", failure->reason}});
    managed.backoff = FirstUnreachableBackoff;
    managed.retry_at = Clock::now() + managed.backoff;
    managed.last_error = "cannot store the certificate: " + failure->reason;
    return;
  }
  managed.backoff = std::chrono::seconds(0);
  managed.last_error.clear();
  managed.retry_at = {};
  remember(managed, *validity);
  log::info("acme", "certificate issued",
            {{"secret", wanted.secret_key},
             {"not_after_unix", std::to_string(Clock::to_time_t(validity->not_after))}});
}

// Hands the answers to the store (they travel as a Secret, as everything the data plane
// serves does), then waits until this process's HTTP listener serves them, so the ACME server
// is never asked to validate before they are live.
void AcmeManager::publish_challenges(const std::map<std::string, std::string>& answers,
                                     const std::string& host) {
  if (auto failure = store_->publish_challenges(answers)) {
    log::warn("acme", "cannot publish challenge answers", {{"reason", failure->reason}});
  }
  if (answers.empty()) {
    return;
  }
  const auto& listener = settings_.http_listener;
  const std::string address = listener.host == "0.0.0.0" || listener.host.empty() ? "127.0.0.1"
                              : listener.host == "::"                             ? "::1"
                                                                                  : listener.host;
  httplib::Client self(address, listener.port);
  self.set_connection_timeout(1s);
  const auto& [token, expected] = *answers.begin();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline && !loop_.stopping()) {
    auto reply = self.Get("/.well-known/acme-challenge/" + token, {{"Host", host}});
    if (reply && reply->status == 200 && reply->body == expected) {
      return;
    }
    std::this_thread::sleep_for(20ms);
  }
  log::warn("acme", "challenge answers not served locally within 5 s; asking anyway",
            {{"host", host}});
}

}  // namespace portico::acme
