#include "k8swatch/invalid_objects.hpp"

namespace portico::k8s {

void InvalidObjects::replace(const std::string& scope, std::map<std::string, Entry> entries) {
  const std::lock_guard lock(mutex_);
  if (entries.empty()) {
    by_scope_.erase(scope);
  } else {
    by_scope_.insert_or_assign(scope, std::move(entries));
  }
}

void InvalidObjects::set(const std::string& scope, const std::string& id,
                         std::optional<Entry> entry) {
  const std::lock_guard lock(mutex_);
  if (entry) {
    by_scope_[scope].insert_or_assign(id, std::move(*entry));
    return;
  }
  if (const auto it = by_scope_.find(scope); it != by_scope_.end()) {
    it->second.erase(id);
  }
}

std::vector<InvalidObjects::Entry> InvalidObjects::list() const {
  const std::lock_guard lock(mutex_);
  std::vector<Entry> out;
  for (const auto& [scope, entries] : by_scope_) {
    for (const auto& [id, entry] : entries) {
      out.push_back(entry);
    }
  }
  return out;
}

}  // namespace portico::k8s
