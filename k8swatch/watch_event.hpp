#pragma once
// What the API server sends a watcher, read without ever throwing: one line of a watch stream,
// or one page of a list. Anything malformed is a Failure naming why, never an exception, so a
// hostile or broken server can cost Portico a log line but not the process. Pure functions:
// the watch-stream fuzzer drives them exactly as the watcher does.
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "k8swatch/resources.hpp"
#include "proxy/common/expected.hpp"

namespace portico::k8s {

class SecretInterest;

struct WatchEvent {
  enum class Type { Added, Modified, Deleted, Bookmark, Error };
  // The types as the API server names them, in Type's order (also the metrics' labels).
  static constexpr std::array<const char*, 5> TypeNames = {"ADDED", "MODIFIED", "DELETED",
                                                           "BOOKMARK", "ERROR"};
  Type type = Type::Added;
  std::string resource_version;  // the object's metadata.resourceVersion, "" if none
  // Added or Modified: the decoded object, or (when it no longer validates) nothing, and
  // then `invalid` says why and `key` names what to drop. Deleted: `key` alone.
  std::optional<Object> object;
  std::string key;
  std::string described;  // "Ingress default/blog", for log lines
  std::string invalid;
  // Error: the Status object's code and message (410: the watch expired).
  int code = 0;
  std::string message;
};

// One line of a watch of `kind`. Secrets nobody wants lose their data here (interest may be
// null: keep everything).
Expected<WatchEvent> parse_watch_event(Kind kind, std::string_view line,
                                       const SecretInterest* interest);

struct ListPage {
  std::vector<Object> objects;
  struct Invalid {
    std::string key;  // as WatchEvent::key; "" when it has no name
    std::string described;
    std::string reason;
  };
  std::vector<Invalid> invalid;
  std::string resource_version;
  std::string continue_token;  // "" on the last page
};

Expected<ListPage> parse_list_page(Kind kind, std::string_view body,
                                   const SecretInterest* interest);

}  // namespace portico::k8s
