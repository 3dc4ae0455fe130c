#pragma once
// Decoders of the Gateway API kinds, called by decode_object() (decode.hpp) once the kind,
// apiVersion and metadata are read. The specification's defaults are filled in here.
#include <nlohmann/json_fwd.hpp>

#include "k8swatch/resources.hpp"
#include "proxy/common/expected.hpp"

namespace portico::k8s {

Expected<Object> decode_gateway_class(const nlohmann::json& document, ObjectMeta meta);
Expected<Object> decode_gateway(const nlohmann::json& document, ObjectMeta meta);
Expected<Object> decode_http_route(const nlohmann::json& document, ObjectMeta meta);
Expected<Object> decode_grpc_route(const nlohmann::json& document, ObjectMeta meta);
Expected<Object> decode_reference_grant(const nlohmann::json& document, ObjectMeta meta);

}  // namespace portico::k8s
