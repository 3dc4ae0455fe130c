#include "config/header_annotations.hpp"

#include <algorithm>
#include <cctype>

#include "config/setting_values.hpp"
#include "proxy/common/http_chars.hpp"
#include "proxy/common/text.hpp"

namespace portico {
namespace {

// ingress-nginx's customheaders.ValidHeader: letters, digits, '-' and '_'.
bool is_custom_header_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
  });
}

// ingress-nginx's customheaders.ValidValue: printable ASCII but for a few quoting characters
// nginx's configuration would trip on; never a control character.
bool is_custom_header_value(std::string_view value) {
  constexpr std::string_view Others = "_ :;.,\\/\"'?!(){}[]@<>=-+*#$&`|~^%";
  return !value.empty() && std::all_of(value.begin(), value.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           Others.find(c) != std::string_view::npos;
  });
}

// What a header's value may hold as sent (RFC 9110): visible characters, spaces and tabs.
bool is_field_value(std::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char c) {
    return chars::is_vchar_or_obs_text(static_cast<unsigned char>(c)) ||
           chars::is_blank(static_cast<unsigned char>(c));
  });
}

// "a, b, c".
std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) {
    out += (out.empty() ? "" : ", ") + name;
  }
  return out;
}

}  // namespace

void read_custom_headers(AnnotationReader& reader, const ConfigMapLookup& configmaps,
                         const std::vector<std::string>* allowed, RoutePolicy& policy) {
  const auto name = reader.find("custom-headers");
  if (!name) {
    return;
  }
  const auto refuse = [&](const std::string& reason) {
    reader.refuse(reason);
    policy.fail_closed = true;
  };
  const std::string key = object_key_of(reader, *name);
  if (!key.starts_with(reader.namespace_of_owner() + "/")) {
    refuse("only a ConfigMap of the Ingress's own namespace may be named");
    return;
  }
  const k8s::ConfigMap* configmap = configmaps ? configmaps(key) : nullptr;
  if (configmap == nullptr) {
    refuse("ConfigMap " + key + " not found");
    return;
  }
  HeaderEdits edits;
  for (const auto& [header, value] : configmap->data) {
    if (!is_custom_header_name(header) || !is_custom_header_value(value)) {
      refuse("ConfigMap " + key + ": header " + header + " is not a valid name and value");
      return;
    }
    if (allowed == nullptr ||
        std::find(allowed->begin(), allowed->end(), header) == allowed->end()) {
      refuse("header " + header +
             " is not in the global ConfigMap's global-allowed-response-headers");
      return;
    }
    edits.set.emplace_back(header, value);
  }
  if (!edits.set.empty()) {
    policy.response_header_edits = std::move(edits);
  }
}

std::vector<std::string> read_allowed_response_headers(AnnotationReader& reader) {
  std::vector<std::string> out;
  const auto list = reader.find("global-allowed-response-headers");
  if (!list) {
    return out;
  }
  std::vector<std::string> refused;
  for_each_item(*list, ',', [&](std::string_view name) {
    if (!name.empty()) {
      (is_custom_header_name(name) ? out : refused).emplace_back(name);
    }
    return true;
  });
  if (!refused.empty()) {
    reader.judge("global-allowed-response-headers",
                 "applied, differs: left out as invalid names: " + joined(refused));
  }
  return out;
}

HeaderList read_header_configmap(AnnotationReader& reader, std::string_view name,
                                 const ConfigMapLookup& configmaps) {
  HeaderList out;
  const auto key = reader.find(name);
  if (!key) {
    return out;
  }
  const auto slash = key->find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == key->size()) {
    reader.reject("expected the ConfigMap's namespace/name");
    return out;
  }
  const k8s::ConfigMap* configmap = configmaps ? configmaps(std::string(*key)) : nullptr;
  if (configmap == nullptr) {
    reader.reject("ConfigMap " + std::string(*key) + " not found");
    return out;
  }
  std::vector<std::string> skipped;
  for (const auto& [header, value] : configmap->data) {
    // nginx would expand $variables; Portico sends no header rather than a wrong one.
    if (!is_token(header) || !is_field_value(value) || value.find('$') != std::string::npos) {
      skipped.push_back(header);
      continue;
    }
    out.emplace_back(header, value);
  }
  if (!skipped.empty()) {
    reader.judge(std::string(name),
                 "applied, differs: left out (an invalid name or value, or an nginx $variable, "
                 "which Portico does not expand): " +
                     joined(skipped));
  }
  return out;
}

}  // namespace portico
