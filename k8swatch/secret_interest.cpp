#include "k8swatch/secret_interest.hpp"

namespace portico::k8s {

bool SecretInterest::wants(const std::string& key) const {
  std::lock_guard lock(mutex_);
  return wanted_.contains(key);
}

void SecretInterest::want_only(const std::set<std::string>& keys) {
  std::lock_guard lock(mutex_);
  wanted_ = keys;
}

Secret withheld(const ObjectMeta& meta) {
  Secret secret;
  secret.meta.name = meta.name;
  secret.meta.namespace_ = meta.namespace_;
  secret.meta.creation_timestamp = meta.creation_timestamp;
  secret.withheld = true;
  return secret;
}

}  // namespace portico::k8s
