#include "config/annotation_reader.hpp"

#include <algorithm>

#include "config/setting_values.hpp"
#include "proxy/common/log.hpp"
#include "proxy/common/quantity.hpp"

namespace portico {
namespace {

// How a value an Ingress takes from the global ConfigMap is named in its notes.
constexpr std::string_view DefaultPrefix = "(ConfigMap) ";
// Longest timeout an annotation may ask for: beyond a day is a mistake, not a setting.
constexpr std::chrono::hours MaxTimeout{24};

}  // namespace

std::optional<std::string_view> AnnotationReader::find(std::string_view name) {
  for (const auto prefix : prefixes_) {
    const auto it = values_.find(std::string(prefix).append(name));
    if (it != values_.end()) {
      return take(it->first, it->second);
    }
  }
  if (defaults_ != nullptr) {
    if (const auto it = defaults_->find(name); it != defaults_->end()) {
      return take(std::string(DefaultPrefix).append(name), it->second);
    }
  }
  return std::nullopt;
}

void AnnotationReader::judge(const std::string& key, std::string verdict) {
  Judged& judged = verdicts_[key];
  if (const auto it = values_.find(key); judged.value.empty() && it != values_.end()) {
    judged.value = it->second;
  }
  judged.verdict = std::move(verdict);
}

void AnnotationReader::warn(const std::string& key, std::string_view reason) {
  judge(key, "ignored: " + std::string(reason));
  log::warn("config", of_ingress() ? "annotation ignored" : "ConfigMap key ignored",
            {{owner_.first, owner_.second},
             {of_ingress() ? "annotation" : "key", key},
             {"reason", std::string(reason)}});
}

void AnnotationReader::refuse(std::string_view reason) {
  judge(source_, "fails closed (503): " + std::string(reason));
  log::warn("config",
            of_ingress() ? "annotation invalid: the Ingress answers 503 until it is fixed"
                         : "ConfigMap key invalid: what it would close answers 503 until it is "
                           "fixed",
            {{owner_.first, owner_.second},
             {of_ingress() ? "annotation" : "key", source_},
             {"reason", std::string(reason)}});
}

std::optional<bool> AnnotationReader::boolean(std::string_view name) {
  const auto value = find(name);
  if (!value) {
    return std::nullopt;
  }
  const auto parsed = parse_true_false(*value);
  if (!parsed) {
    reject(parsed.error());
    return std::nullopt;
  }
  return *parsed;
}

std::optional<long> AnnotationReader::integer(std::string_view name, long min, long max) {
  const auto value = find(name);
  if (!value) {
    return std::nullopt;
  }
  const auto parsed = parse_whole_number(*value, min, max);
  if (!parsed) {
    reject(parsed.error());
    return std::nullopt;
  }
  return *parsed;
}

std::optional<std::chrono::milliseconds> AnnotationReader::timeout(std::string_view name) {
  const auto value = find(name);
  if (!value) {
    return std::nullopt;
  }
  const auto parsed = parse_duration(*value);
  if (!parsed) {
    reject(parsed.error());
  } else if (*parsed <= std::chrono::milliseconds::zero() || *parsed > MaxTimeout) {
    reject("must be more than 0 and at most 24h");
  } else {
    return *parsed;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> AnnotationReader::size(std::string_view name) {
  const auto value = find(name);
  if (!value) {
    return std::nullopt;
  }
  const auto parsed = parse_size(*value);
  if (!parsed) {
    reject(parsed.error());
    return std::nullopt;
  }
  return *parsed;
}

void AnnotationReader::warn_unread(std::span<const std::string_view> supported) {
  for (const auto& entry : values_) {
    const std::string& key = entry.first;  // named: clang 14 cannot capture a binding
    const std::string& value = entry.second;
    const auto prefix = std::find_if(prefixes_.begin(), prefixes_.end(),
                                     [&](std::string_view p) { return key.starts_with(p); });
    if (prefix == prefixes_.end()) {
      continue;
    }
    const std::string_view name = std::string_view(key).substr(prefix->size());
    if (name.ends_with("snippet")) {
      warn(key, "snippets are never applied: Portico takes typed settings only");
    } else if (std::find(supported.begin(), supported.end(), name) == supported.end()) {
      if (!verdicts_.contains(key)) {  // one that fails closed was judged already
        warn(key, "not supported by Portico");
      }
    } else if (!verdicts_.contains(key)) {
      // Supported, but not consulted: the setting it refines is off, or ours overrides it.
      verdicts_[key] = {value, "not used: its setting is off or portico.dev/ overrides it"};
    }
  }
}

AnnotationNotes AnnotationReader::notes() const {
  AnnotationNotes out;
  for (const auto& [key, judged] : verdicts_) {
    out.push_back({key, judged.value, judged.verdict});
  }
  return out;
}

std::string_view AnnotationReader::take(const std::string& key, const std::string& value) {
  source_ = key;
  verdicts_.try_emplace(source_, Judged{value, "applied"});
  return value;
}

bool is_url_text(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 127; });
}

bool is_redirect_target(std::string_view s) {
  return is_url_text(s) &&
         (s.starts_with("/") || s.starts_with("https://") || s.starts_with("http://"));
}

std::string object_key_of(const AnnotationReader& reader, std::string_view name) {
  return name.find('/') == std::string_view::npos
             ? reader.namespace_of_owner() + "/" + std::string(name)
             : std::string(name);
}

}  // namespace portico
