#pragma once
// PathRegex: an Ingress path under use-regex (or rewrite-target), matched as ingress-nginx
// does: a PCRE (nginx's engine) anchored at the start of the path and case-insensitive
// ("location ~* ^PATH"). Compiled once by the control plane (JIT where available); matching
// is noexcept, allocation-free and bounded (a pathological pattern fails to match rather
// than pinning a worker).
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "proxy/common/expected.hpp"

struct pcre2_real_code_8;

namespace portico {

// The capture groups of the last regex match: $0 (the whole match) to $9, as offsets into
// the matched path. Unset groups are empty.
struct PathCaptures {
  static constexpr unsigned MaxGroups = 10;
  std::array<std::uint32_t, 2 * MaxGroups> offsets{};
  unsigned count = 0;  // groups set, $0 included; 0 after a non-regex match
  std::string_view group(std::string_view path, unsigned n) const noexcept {
    if (n >= count || offsets[2 * n] > offsets[2 * n + 1] || offsets[2 * n + 1] > path.size()) {
      return {};
    }
    return path.substr(offsets[2 * n], offsets[2 * n + 1] - offsets[2 * n]);
  }
};

// How a pattern applies: as nginx's "location ~* ^PATTERN" (from the start of the text,
// case-insensitive: paths, Gateway API matches), or as Lua's ngx.re.match (anywhere in the
// text, case-sensitive: canary-by-header-pattern).
enum class RegexStyle { AnchoredCaseless, Search };

class PathRegex {
 public:
  static Expected<PathRegex> compile(std::string_view pattern,
                                     RegexStyle style = RegexStyle::AnchoredCaseless);
  bool match(std::string_view path, PathCaptures& captures) const noexcept;

 private:
  std::shared_ptr<pcre2_real_code_8> code_;
};

// `target` with "$0".."$9" replaced by the groups of `captures` over `path` (ingress-nginx's
// rewrite-target). A "$" not followed by a digit stays as it is.
std::string substitute_captures(std::string_view target, std::string_view path,
                                const PathCaptures& captures);

}  // namespace portico
