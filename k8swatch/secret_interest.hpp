#pragma once
// SecretInterest: which Secrets' data Portico keeps. A cluster holds many Secrets that nothing
// Portico serves refers to (Helm releases, service-account tokens, registry credentials), and
// some are large: those are kept as a name only, so neither their size nor their changes cost
// anything. The control thread says which keys a served object refers to after each change;
// the Secret watch asks, per object, as it decodes. Thread-safe.
#include <mutex>
#include <set>
#include <string>

#include "k8swatch/resources.hpp"

namespace portico::k8s {

class SecretInterest {
 public:
  bool wants(const std::string& key) const;
  // Makes `keys` the wanted set.
  void want_only(const std::set<std::string>& keys);

 private:
  mutable std::mutex mutex_;
  std::set<std::string> wanted_;
};

// What is kept of a Secret nobody wants: its name. Two versions of it compare equal, so a
// change to it changes nothing downstream.
Secret withheld(const ObjectMeta& meta);

}  // namespace portico::k8s
