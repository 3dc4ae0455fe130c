#pragma once
// Standard base64 (with padding, as Go encodes []byte in JSON), for Secret data, kubeconfig
// *-data fields and Basic credentials. Line breaks are tolerated; anything else outside the
// alphabet is an error.
#include <optional>
#include <string>
#include <string_view>

namespace portico {

std::optional<std::string> base64_decode(std::string_view in);
// Standard base64 with padding, or (`url_safe`) RFC 4648 §5's URL alphabet without padding,
// as JWS wants it (RFC 7515 §2).
std::string base64_encode(std::string_view in, bool url_safe = false);

}  // namespace portico
