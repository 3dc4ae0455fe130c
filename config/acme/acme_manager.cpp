#include "config/acme/acme_manager.hpp"

#include <fcntl.h>
#include <httplib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "proxy/common/log.hpp"
#include "proxy/common/read_file.hpp"

namespace portico::acme {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::chrono::seconds FirstUnreachableBackoff{5};
constexpr std::chrono::seconds LongestUnreachableBackoff{60};
constexpr std::chrono::seconds FirstRejectedBackoff{60};
constexpr std::chrono::seconds LongestRejectedBackoff{3600};

// Writes atomically (temporary file, then rename), readable only by the owner when `secret`.
std::optional<Failure> write_file(const fs::path& path, const std::string& text, bool secret) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  const fs::path temporary = path.string() + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, secret ? 0600 : 0644);
  if (fd < 0) {
    return Failure{"cannot write " + temporary.string()};
  }
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  fs::rename(temporary, path, ec);
  if (!written || ec) {
    return Failure{"cannot write " + path.string()};
  }
  return std::nullopt;
}

k8s::Secret tls_secret(const std::string& key, std::map<std::string, std::string> data,
                       const char* type) {
  k8s::Secret secret;
  const auto slash = key.find('/');
  secret.meta.namespace_ = key.substr(0, slash);
  secret.meta.name = key.substr(slash + 1);
  secret.type = type;
  secret.data = std::move(data);
  return secret;
}

std::string seconds(std::chrono::seconds s) {
  return std::to_string(s.count());
}

}  // namespace

AcmeManager::AcmeManager(ManagerSettings settings, Deliver deliver)
    : settings_(std::move(settings)), deliver_(std::move(deliver)) {}

AcmeManager::~AcmeManager() {
  stop();
}

std::string AcmeManager::certificate_dir(const std::string& secret_key) const {
  return (fs::path(settings_.storage_dir) / "certificates" / secret_key).string();
}

std::optional<Failure> AcmeManager::load() {
  const fs::path account_file = fs::path(settings_.storage_dir) / "account.key";
  std::optional<EcKey> account;
  if (auto pem = read_file(account_file.string())) {
    auto key = EcKey::from_pem(*pem);
    if (!key) {
      return Failure{account_file.string() + ": " + key.error()};
    }
    account = std::move(*key);
  } else {
    auto key = EcKey::generate();
    if (!key) {
      return Failure{key.error()};
    }
    if (auto failure = write_file(account_file, key->private_pem(), true)) {
      return failure;
    }
    log::info("acme", "account key made", {{"file", account_file.string()}});
    account = std::move(*key);
  }
  client_.emplace(settings_.acme, std::move(*account));

  // certificates/NAMESPACE/NAME/tls.crt and tls.key: served at once, before readiness.
  const fs::path root = fs::path(settings_.storage_dir) / "certificates";
  std::error_code ec;
  for (const auto& ns : fs::directory_iterator(root, ec)) {
    for (const auto& entry : fs::directory_iterator(ns.path(), ec)) {
      const std::string key =
          ns.path().filename().string() + "/" + entry.path().filename().string();
      const auto chain = read_file((entry.path() / "tls.crt").string());
      const auto private_key = read_file((entry.path() / "tls.key").string());
      auto validity = chain ? certificate_validity(*chain) : Expected<Validity>(fail("missing"));
      if (!chain || !private_key || !validity) {
        log::warn("acme", "stored certificate unreadable; it will be ordered again",
                  {{"secret", key}, {"dir", entry.path().string()}});
        continue;
      }
      stored_[key] = *validity;
      deliver_certificate(key, *chain, *private_key);
    }
  }
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

void AcmeManager::deliver_certificate(const std::string& secret_key, const std::string& chain,
                                      const std::string& key) {
  deliver_(tls_secret(secret_key, {{"tls.crt", chain}, {"tls.key", key}}, "kubernetes.io/tls"));
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
    } else if (auto stored = stored_.find(certificate.secret_key); stored != stored_.end()) {
      remember(managed, stored->second);
    }
    managed.wanted = std::move(certificate);
  }
  // Entries no longer wanted stop renewing; their certificate stays served until it expires.
  managed_ = std::move(next);
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
  auto issued = client_->issue(wanted.names, [&](const auto& answers) {
    publish_challenges(answers, wanted.names.front());
  });
  if (!issued) {
    const bool rejected = client_->last_failure_was_rejection();
    const auto first = rejected ? FirstRejectedBackoff : FirstUnreachableBackoff;
    const auto longest = rejected ? LongestRejectedBackoff : LongestUnreachableBackoff;
    managed.backoff = std::clamp(managed.backoff * 2, first, longest);
    managed.retry_at = Clock::now() + managed.backoff;
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
    log::warn("acme", "the ACME server sent no usable certificate",
              {{"secret", wanted.secret_key}, {"reason", validity.error()}});
    return;
  }
  const fs::path dir = certificate_dir(wanted.secret_key);
  for (const auto& failure : {write_file(dir / "tls.crt", issued->chain_pem, false),
                              write_file(dir / "tls.key", issued->key_pem, true)}) {
    if (failure) {
      log::error("acme", "cannot store the certificate; serving it from memory",
                 {{"secret", wanted.secret_key}, {"reason", failure->reason}});
    }
  }
  managed.backoff = std::chrono::seconds(0);
  managed.retry_at = {};
  remember(managed, *validity);
  deliver_certificate(wanted.secret_key, issued->chain_pem, issued->key_pem);
  log::info("acme", "certificate issued",
            {{"secret", wanted.secret_key},
             {"not_after_unix", std::to_string(Clock::to_time_t(validity->not_after))}});
}

// Hands the answers to the control loop (they travel as a Secret, as everything the data
// plane serves does), then waits until this process's HTTP listener serves them, so the ACME
// server is never asked to validate before they are live.
void AcmeManager::publish_challenges(const std::map<std::string, std::string>& answers,
                                     const std::string& host) {
  deliver_(tls_secret(settings_.challenge_secret_key, answers, "Opaque"));
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
