#include "proxy/policy/auth_answers.hpp"

#include <boost/beast/core/string.hpp>

namespace portico {

std::string_view AuthAnswer::header(std::string_view name) const {
  for (const auto& [field, value] : headers) {
    if (boost::beast::iequals(field, name)) {
      return value;
    }
  }
  return {};
}

const AuthAnswer* AuthAnswers::find(const std::string& key, Clock::time_point now) {
  const auto it = entries_.find(key);
  if (it == entries_.end()) {
    return nullptr;
  }
  if (it->second.expires <= now) {
    entries_.erase(it);
    return nullptr;
  }
  return &it->second.answer;
}

void AuthAnswers::keep(std::string key, AuthAnswer answer, Clock::time_point expires) {
  if (entries_.size() >= Capacity) {
    const auto now = Clock::now();
    std::erase_if(entries_, [now](const auto& entry) { return entry.second.expires <= now; });
    if (entries_.size() >= Capacity && !entries_.contains(key)) {
      return;
    }
  }
  entries_.insert_or_assign(std::move(key), Entry{std::move(answer), expires});
}

}  // namespace portico
