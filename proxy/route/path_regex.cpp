#define PCRE2_CODE_UNIT_WIDTH 8
#include "proxy/route/path_regex.hpp"

#include <pcre2.h>

namespace portico {
namespace {

// Backtracking bound per match: a catastrophic pattern gives up (no match) in well under a
// millisecond instead of stalling every connection of the worker.
constexpr std::uint32_t MatchLimit = 100000;

struct MatchState {
  MatchState()
      : data(pcre2_match_data_create(PathCaptures::MaxGroups, nullptr)),
        context(pcre2_match_context_create(nullptr)) {
    pcre2_set_match_limit(context, MatchLimit);
    pcre2_set_depth_limit(context, MatchLimit);
  }
  ~MatchState() {
    pcre2_match_context_free(context);
    pcre2_match_data_free(data);
  }
  pcre2_match_data* data;
  pcre2_match_context* context;
};

}  // namespace

Expected<PathRegex> PathRegex::compile(std::string_view pattern, RegexStyle style) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  const std::uint32_t options =
      style == RegexStyle::AnchoredCaseless ? PCRE2_ANCHORED | PCRE2_CASELESS : 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   options, &error, &offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof message);
    return fail("invalid regular expression at offset " + std::to_string(offset) + ": " +
                reinterpret_cast<const char*>(message));
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // without JIT it still matches, slower
  PathRegex out;
  out.code_.reset(code, pcre2_code_free);
  return out;
}

bool PathRegex::match(std::string_view path, PathCaptures& captures) const noexcept {
  // One match state per thread: workers match concurrently, each allocation-free.
  thread_local const MatchState state;
  const int rc = pcre2_match(code_.get(), reinterpret_cast<PCRE2_SPTR>(path.data()), path.size(),
                             0, 0, state.data, state.context);
  if (rc <= 0) {
    return false;
  }
  const PCRE2_SIZE* vector = pcre2_get_ovector_pointer(state.data);
  captures.count = static_cast<unsigned>(rc);
  for (unsigned i = 0; i < 2 * captures.count; ++i) {
    captures.offsets[i] = vector[i] == PCRE2_UNSET ? 0 : static_cast<std::uint32_t>(vector[i]);
  }
  return true;
}

std::string substitute_captures(std::string_view target, std::string_view path,
                                const PathCaptures& captures) {
  std::string out;
  out.reserve(target.size() + path.size());
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (target[i] == '$' && i + 1 < target.size() && target[i + 1] >= '0' &&
        target[i + 1] <= '9') {
      out.append(captures.group(path, static_cast<unsigned>(target[i + 1] - '0')));
      ++i;
    } else {
      out.push_back(target[i]);
    }
  }
  return out;
}

}  // namespace portico
