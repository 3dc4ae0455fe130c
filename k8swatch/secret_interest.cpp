#include "k8swatch/secret_interest.hpp"

#include <algorithm>
#include <iterator>

namespace portico::k8s {

bool SecretInterest::wants(const std::string& key) const {
  std::lock_guard lock(mutex_);
  return wanted_.contains(key);
}

std::vector<std::string> SecretInterest::want_only(const std::set<std::string>& keys) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> added;
  std::set_difference(keys.begin(), keys.end(), wanted_.begin(), wanted_.end(),
                      std::back_inserter(added));
  wanted_ = keys;
  return added;
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
