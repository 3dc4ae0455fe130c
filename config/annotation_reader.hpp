#pragma once
// AnnotationReader: reads typed settings from one object's string map (an Ingress's
// annotations, or the global ConfigMap's keys) and remembers what became of each
// value it was asked for ("applied", "ignored: why", "fails closed (503): why"), for explain,
// the dashboard and `portico migrate`. Every warning names the object and the setting.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/annotations.hpp"

namespace portico {

class AnnotationReader {
 public:
  // `prefixes`: where a setting NAME is looked for, in order ("portico.dev/", then
  // "nginx.ingress.kubernetes.io/"; "" for the ConfigMap itself). `owner`: the log field naming
  // whose values these are ({"ingress", "default/blog"}). `defaults`: the ConfigMap's, taken
  // when no prefixed key is set (null: none). `namespace_`: where a Secret or Service named
  // without a namespace is looked up.
  AnnotationReader(const std::map<std::string, std::string>& values,
                   std::vector<std::string_view> prefixes,
                   std::pair<std::string, std::string> owner, const AnnotationDefaults* defaults,
                   std::string namespace_)
      : values_(values),
        prefixes_(std::move(prefixes)),
        owner_(std::move(owner)),
        defaults_(defaults),
        namespace_(std::move(namespace_)) {}

  // The value of setting `name` (ours first, then the ConfigMap's default), remembering which
  // key it came from: reject() and refuse() then judge that key.
  std::optional<std::string_view> find(std::string_view name);

  void warn(const std::string& key, std::string_view reason);
  void reject(std::string_view reason) { warn(source_, reason); }
  // An invalid setting whose absence would let in what it was meant to keep out.
  void refuse(std::string_view reason);
  // Any other verdict ("applied, differs: why"), for `key` whether or not it was found.
  void judge(const std::string& key, std::string verdict);
  bool judged(const std::string& key) const { return verdicts_.contains(key); }

  std::optional<bool> boolean(std::string_view name);
  std::optional<long> integer(std::string_view name, long min, long max);
  // A duration ("30", "5s", "1m") above 0 and at most 24 h.
  std::optional<std::chrono::milliseconds> timeout(std::string_view name);
  // An nginx size ("8m"); 0 means no limit.
  std::optional<std::uint64_t> size(std::string_view name);

  // A value that must pass `valid`, else is rejected with `expected`.
  template <class Valid>
  std::optional<std::string> text(std::string_view name, Valid valid, std::string_view expected) {
    const auto value = find(name);
    if (!value) {
      return std::nullopt;
    }
    if (valid(*value)) {
      return std::string(*value);
    }
    reject(expected);
    return std::nullopt;
  }

  // Values under our prefixes that nothing read: snippets (never applied, by design) and
  // names not in `supported`. Said so the author is not left guessing.
  void warn_unread(std::span<const std::string_view> supported);

  // Every value of the object, in key order.
  const std::map<std::string, std::string>& values() const { return values_; }

  AnnotationNotes notes() const;

  // The namespace a Secret named without one is looked up in.
  const std::string& namespace_of_owner() const { return namespace_; }

 private:
  bool of_ingress() const { return owner_.first == "ingress"; }
  std::string_view take(const std::string& key, const std::string& value);

  struct Judged {
    std::string value;
    std::string verdict;
  };
  const std::map<std::string, std::string>& values_;
  std::vector<std::string_view> prefixes_;
  std::pair<std::string, std::string> owner_;
  const AnnotationDefaults* defaults_;
  std::string namespace_;
  std::string source_;
  std::map<std::string, Judged> verdicts_;  // by annotation key
};

// Printable ASCII without spaces: what may go into a Location or a path unescaped.
bool is_url_text(std::string_view s);
// "/path" or "http(s)://...": where a redirect may point.
bool is_redirect_target(std::string_view s);
// A Secret or ConfigMap named "name" (in the owner's namespace) or "namespace/name":
// "namespace/name".
std::string object_key_of(const AnnotationReader& reader, std::string_view name);

}  // namespace portico
