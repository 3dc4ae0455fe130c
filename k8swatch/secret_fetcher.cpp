#include "k8swatch/secret_fetcher.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "k8swatch/decode.hpp"
#include "proxy/common/log.hpp"

namespace portico::k8s {
namespace {

constexpr std::chrono::milliseconds Idle{60'000};
constexpr std::chrono::milliseconds FirstRetry{500};
constexpr std::chrono::milliseconds LastRetry{30'000};

}  // namespace

SecretFetcher::SecretFetcher(const ApiConfig& config, WatchSink sink)
    : client_(config), sink_(std::move(sink)) {}

SecretFetcher::~SecretFetcher() {
  stop();
}

void SecretFetcher::start() {
  loop_.start([this] { run(); });
}

void SecretFetcher::stop() {
  loop_.stop([this] { client_.stop(); });
}

void SecretFetcher::fetch(std::string key) {
  {
    std::lock_guard lock(mutex_);
    if (std::find(queue_.begin(), queue_.end(), key) != queue_.end()) {
      return;  // asked again before its turn came
    }
    queue_.push_back(std::move(key));
  }
  loop_.wake();
}

void SecretFetcher::run() {
  auto retry = FirstRetry;
  while (!loop_.stopping()) {
    std::string key;
    {
      std::lock_guard lock(mutex_);
      if (!queue_.empty()) {
        key = std::move(queue_.front());
        queue_.pop_front();
      }
    }
    if (key.empty()) {
      loop_.pause(Idle);
      continue;
    }
    if (fetch_one(key)) {
      retry = FirstRetry;
      continue;
    }
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(std::move(key));
    }
    loop_.pause(retry);
    retry = std::min(retry * 2, LastRetry);
  }
}

bool SecretFetcher::fetch_one(const std::string& key) {
  const auto slash = key.find('/');  // every key asked for is "namespace/name"
  const auto reply = client_.get(collection_path(Kind::Secret, key.substr(0, slash)) + "/" +
                                 key.substr(slash + 1));
  if (!reply || (reply->status != 200 && reply->status != 404)) {
    if (!loop_.stopping()) {
      log::warn("watch", "could not read a Secret; retrying",
                {{"secret", key}, {"error", failure_text(reply)}});
    }
    return false;
  }
  if (reply->status == 404) {
    sink_.erase(Kind::Secret, key);
    return true;
  }
  nlohmann::json document = nlohmann::json::parse(reply->body, nullptr, false);
  auto secret = decode_object_of(Kind::Secret, document);
  if (!secret) {
    log::warn("watch", "invalid object skipped",
              {{"object", describe(document)}, {"reason", secret.error()}});
    sink_.erase(Kind::Secret, key);
    return true;
  }
  sink_.upsert(std::move(*secret));
  return true;
}

}  // namespace portico::k8s
