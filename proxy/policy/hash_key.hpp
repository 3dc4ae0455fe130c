#pragma once
// HashKey: one nginx variable of a request, as Ingress settings name them: upstream-hash-by
// hashes it, auth-cache-key joins several. Data only; request_values.cpp reads it from a
// request.
#include <string>

namespace portico {

struct HashKey {
  // $remote_addr, $request_uri, $uri, $host, $http_NAME, $cookie_NAME, $arg_NAME and
  // $remote_user (read as the Basic credentials as sent: they name the user, and more).
  enum class Source {
    RemoteAddress,
    RequestUri,
    Uri,
    Host,
    Header,
    Cookie,
    QueryArgument,
    RemoteUser
  };
  Source source = Source::RequestUri;
  std::string name;  // the header, cookie or argument name
  bool operator==(const HashKey&) const = default;
};

}  // namespace portico
