#pragma once
// Decoding of API objects from JSON into the typed structs of resources.hpp, with the API
// server's own validation rules for the fields Portico relies on. Never throws: a bad object
// is a Failure whose reason names the field ("spec.rules[0].http.paths[1].pathType: ...").
#include <nlohmann/json_fwd.hpp>
#include <optional>

#include "k8swatch/resources.hpp"
#include "proxy/common/expected.hpp"

namespace portico::k8s {

// The kinds Portico reads; anything else (a Deployment in the same file) is not ours.
std::optional<Kind> kind_from_json(const nlohmann::json& document);

// Decodes one object. `document` must be of a kind that kind_from_json() recognises.
Expected<Object> decode_object(const nlohmann::json& document);

// Decodes an object known to be of `kind` (a list item or watch event object), filling in a
// missing kind and apiVersion first.
Expected<Object> decode_object_of(Kind kind, nlohmann::json& document);

// The API path of a kind's collection: all namespaces when `namespace_` is empty (and always
// for cluster-scoped kinds).
std::string collection_path(Kind kind, const std::string& namespace_);
// One page of that list: at most `limit` items, from `continue_token` on ("" for the first).
std::string list_page_path(Kind kind, const std::string& namespace_, int limit,
                           std::string_view continue_token);

// "Ingress default/blog" from whatever metadata the document has, for error messages.
std::string describe(const nlohmann::json& document);

}  // namespace portico::k8s
