#pragma once
// Headers an administrator lists in a ConfigMap, as ingress-nginx takes them. custom-headers
// (an Ingress's annotation): response headers from a ConfigMap of the Ingress's namespace,
// each name allowed by the global ConfigMap's global-allowed-response-headers, else the
// Ingress fails closed, as ingress-nginx denies the location. add-headers and
// proxy-set-headers (global ConfigMap keys): headers from the ConfigMap they name set on every
// answer, and on every request to a backend.
#include <string>
#include <utility>
#include <vector>

#include "config/annotation_reader.hpp"

namespace portico {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Sets `policy.response_header_edits`, or `policy.fail_closed`.
void read_custom_headers(AnnotationReader& reader, const ConfigMapLookup& configmaps,
                         const std::vector<std::string>* allowed, RoutePolicy& policy);

// global-allowed-response-headers: the comma-separated names, the invalid ones left out.
std::vector<std::string> read_allowed_response_headers(AnnotationReader& reader);

// add-headers or proxy-set-headers (`name`): the headers of the ConfigMap it names
// ("namespace/name"), each one that could not be sent as written left out with a warning.
HeaderList read_header_configmap(AnnotationReader& reader, std::string_view name,
                                 const ConfigMapLookup& configmaps);

}  // namespace portico
