#pragma once
// InvalidObjects: the objects Portico skipped because they do not validate, and why, for the
// dashboard and /debug/objects (each is also logged once when skipped). The sources write it
// from their own threads (a watch per kind, the manifest reader), the admin server reads a
// copy: thread-safe, and small (only what is invalid now).
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace portico::k8s {

class InvalidObjects {
 public:
  struct Entry {
    std::string source;  // "manifests/blog.yaml, document 2" or "API server"
    std::string object;  // "Ingress default/blog"
    std::string reason;
  };
  // Everything `scope` ("watch Ingress", "manifests") knows is invalid now, by an id unique in
  // the scope; replaces what it said before (a relist, a rescan).
  void replace(const std::string& scope, std::map<std::string, Entry> entries);
  // One object of `scope` is invalid now, or (nullopt) valid again or gone.
  void set(const std::string& scope, const std::string& id, std::optional<Entry> entry);
  std::vector<Entry> list() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::map<std::string, Entry>> by_scope_;
};

}  // namespace portico::k8s
