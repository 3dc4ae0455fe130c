#include "config/annotations.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <map>
#include <optional>
#include <string_view>

#include <boost/beast/core/string.hpp>

#include "config/annotation_reader.hpp"
#include "config/header_annotations.hpp"
#include "config/setting_values.hpp"
#include "config/tls_annotations.hpp"
#include "k8swatch/decode_fields.hpp"
#include "proxy/common/http_chars.hpp"
#include "proxy/common/log.hpp"
#include "proxy/common/quantity.hpp"
#include "proxy/common/text.hpp"
#include "proxy/route/path.hpp"

namespace portico {
namespace {

constexpr std::string_view OurPrefix = "portico.dev/";
constexpr std::string_view NginxPrefix = "nginx.ingress.kubernetes.io/";

// Every setting read below, by its name after the prefix (a table: kept packed).
// clang-format off
constexpr std::array<std::string_view, 97> Supported = {
    "ssl-redirect", "force-ssl-redirect", "proxy-body-size", "proxy-connect-timeout",
    "proxy-read-timeout", "proxy-send-timeout", "rewrite-target", "use-regex", "app-root",
    "permanent-redirect", "permanent-redirect-code", "temporal-redirect",
    "temporal-redirect-code", "whitelist-source-range", "allowlist-source-range",
    "denylist-source-range", "upstream-vhost", "x-forwarded-prefix",
    "enable-cors", "cors-allow-origin", "cors-allow-methods", "cors-allow-headers",
    "cors-expose-headers", "cors-allow-credentials", "cors-max-age", "auth-type", "auth-secret",
    "auth-secret-type", "auth-realm", "affinity", "affinity-mode", "session-cookie-name",
    "session-cookie-path", "session-cookie-max-age", "session-cookie-expires",
    "session-cookie-secure", "session-cookie-samesite", "session-cookie-change-on-failure",
    "load-balance", "upstream-hash-by", "canary", "canary-weight", "canary-weight-total",
    "canary-by-header", "canary-by-header-value", "canary-by-cookie", "backend-protocol",
    "auth-url", "auth-signin", "auth-method", "auth-signin-redirect-param",
    "auth-response-headers", "auth-request-redirect", "auth-always-set-cookie",
    "auth-keepalive", "auth-keepalive-requests", "auth-keepalive-timeout", "limit-rps",
    "limit-rpm", "limit-connections", "limit-burst-multiplier", "limit-allowlist",
    "limit-whitelist", "server-alias", "from-to-www-redirect", "canary-by-header-pattern",
    "proxy-redirect-from", "proxy-redirect-to", "satisfy", "custom-http-errors",
    "default-backend", "mirror-target", "mirror-host", "mirror-request-body", "service-upstream",
    "connection-proxy-header", "auth-tls-secret", "auth-tls-verify-client",
    "auth-tls-verify-depth", "auth-tls-error-page", "auth-tls-pass-certificate-to-upstream",
    "auth-tls-match-cn", "ssl-passthrough", "proxy-ssl-verify", "proxy-ssl-secret",
    "proxy-ssl-name", "proxy-ssl-server-name", "proxy-ssl-verify-depth", "proxy-ssl-protocols",
    "proxy-ssl-ciphers", "custom-headers", "limit-rate", "limit-rate-after", "auth-cache-key",
    "auth-cache-duration", "enable-global-auth",
};
// clang-format on

// A path made of unreserved characters and slashes: safe in a header as it is.
bool is_path_text(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return chars::is_unreserved(static_cast<unsigned char>(c)) || c == '/';
  });
}

// A comma-separated list of tokens ("GET, POST"), for the CORS headers we send back.
bool is_token_list(std::string_view s) {
  return for_each_item(s, ',', [](std::string_view item) { return is_token(item); });
}

void read_redirects(AnnotationReader& reader, RoutePolicy& policy) {
  const auto redirect_code = [&](std::string_view name, unsigned fallback) {
    const auto code = reader.integer(name, 300, 308);
    return code ? static_cast<unsigned>(*code) : fallback;
  };
  if (auto to = reader.text("permanent-redirect", is_redirect_target,
                            "expected an http(s) URL or a path")) {
    policy.redirect =
        Redirect{redirect_code("permanent-redirect-code", 301), VariableText::parse(*to)};
  } else if (auto to = reader.text("temporal-redirect", is_redirect_target,
                                   "expected an http(s) URL or a path")) {
    policy.redirect =
        Redirect{redirect_code("temporal-redirect-code", 302), VariableText::parse(*to)};
  }
  policy.force_ssl_redirect = reader.boolean("force-ssl-redirect").value_or(false);
  policy.app_root =
      reader.text("app-root", [](std::string_view s) { return s.starts_with('/') && is_url_text(s); },
                  "expected a path starting with /")
          .value_or("");
}

// Source ranges: an allowlist (under either of its names, the newer winning) and a denylist,
// which ingress-nginx checks first. An invalid list closes the Ingress rather than open it.
void read_source_ranges(AnnotationReader& reader, RoutePolicy& policy) {
  const auto read = [&](const char* name, std::optional<SourceRanges>& into) {
    const auto value = reader.find(name);
    if (!value) {
      return false;
    }
    auto ranges = SourceRanges::parse(*value);
    if (!ranges) {
      reader.refuse(ranges.error());
      policy.fail_closed = true;
    } else {
      into = std::move(*ranges);
    }
    return true;
  };
  if (!read("allowlist-source-range", policy.allowed_sources)) {
    read("whitelist-source-range", policy.allowed_sources);
  }
  read("denylist-source-range", policy.denied_sources);
}

void read_cors(AnnotationReader& reader, RoutePolicy& policy) {
  if (!reader.boolean("enable-cors").value_or(false)) {
    return;
  }
  CorsPolicy cors;
  if (const auto origins = reader.find("cors-allow-origin")) {
    bool invalid = false;
    for_each_item(*origins, ',', [&](std::string_view origin) {
      if (origin == "*") {
        cors.origins.clear();
        return false;  // any origin: the rest of the list adds nothing
      }
      const auto scheme_end = origin.find("://");
      if (!is_url_text(origin) || scheme_end == std::string_view::npos ||
          origin.find('/', scheme_end + 3) != std::string_view::npos ||
          origin.find('*', scheme_end + 4) != std::string_view::npos) {
        invalid = true;
        return false;
      }
      cors.origins.emplace_back(origin);
      return true;
    });
    if (invalid) {
      reader.reject("expected \"*\" or a comma-separated list of scheme://host[:port]");
      cors.origins.clear();
    }
  }
  const auto tokens = [](std::string_view s) { return is_token_list(s); };
  cors.methods = reader.text("cors-allow-methods", tokens, "expected a list of methods")
                     .value_or(cors.methods);
  cors.headers = reader.text("cors-allow-headers", tokens, "expected a list of header names")
                     .value_or(cors.headers);
  cors.expose_headers =
      reader.text("cors-expose-headers", tokens, "expected a list of header names")
          .value_or("");
  cors.credentials = reader.boolean("cors-allow-credentials").value_or(true);
  cors.max_age_seconds = reader.integer("cors-max-age", 0, 31536000).value_or(cors.max_age_seconds);
  policy.cors = std::move(cors);
}

// limit-rps, limit-rpm, limit-connections (and the burst multiplier and allowlist that refine
// them), as ingress-nginx's parser reads them; nothing when no limit is set. An invalid
// allowlist is ignored with the rest of the limits' refinements, never widened: the limits
// then apply to every client.
std::optional<RateLimits::Settings> read_rate_limits(AnnotationReader& reader) {
  RateLimits::Settings limits;
  limits.rps = static_cast<unsigned>(reader.integer("limit-rps", 0, 1'000'000).value_or(0));
  limits.rpm = static_cast<unsigned>(reader.integer("limit-rpm", 0, 60'000'000).value_or(0));
  limits.connections =
      static_cast<unsigned>(reader.integer("limit-connections", 0, 1'000'000).value_or(0));
  if (limits.rps == 0 && limits.rpm == 0 && limits.connections == 0) {
    return std::nullopt;
  }
  limits.burst_multiplier =
      static_cast<unsigned>(reader.integer("limit-burst-multiplier", 1, 1000).value_or(5));
  auto allowlist = reader.find("limit-allowlist");
  if (!allowlist) {
    allowlist = reader.find("limit-whitelist");
  }
  if (allowlist) {
    auto ranges = SourceRanges::parse(*allowlist);
    if (ranges) {
      limits.allowlist = std::move(*ranges);
    } else {
      reader.reject(ranges.error() + ": the limits apply to every client");
    }
  }
  return limits;
}

// One nginx variable of a request ("$cookie_session"), as a HashKey; nothing for any other.
std::optional<HashKey> parse_request_variable(std::string_view variable) {
  using Source = HashKey::Source;
  static constexpr std::array<std::pair<std::string_view, Source>, 5> Whole = {{
      {"$remote_addr", Source::RemoteAddress},
      {"$request_uri", Source::RequestUri},
      {"$uri", Source::Uri},
      {"$host", Source::Host},
      {"$remote_user", Source::RemoteUser},
  }};
  static constexpr std::array<std::pair<std::string_view, Source>, 3> Named = {{
      {"$http_", Source::Header},
      {"$cookie_", Source::Cookie},
      {"$arg_", Source::QueryArgument},
  }};
  for (const auto& [name, source] : Whole) {
    if (variable == name) {
      return HashKey{source, ""};
    }
  }
  for (const auto& [prefix, source] : Named) {
    if (variable.starts_with(prefix) && is_token(variable.substr(prefix.size()))) {
      std::string name(variable.substr(prefix.size()));
      if (source == Source::Header) {
        std::replace(name.begin(), name.end(), '_', '-');  // nginx's $http_x_user -> X-User
      }
      return HashKey{source, std::move(name)};
    }
  }
  return std::nullopt;
}

// auth-cache-key: literal text and nginx variables ("$remote_user$http_authorization"); a
// variable is '$' and the letters, digits and '_' after it. Nothing when one is unknown.
std::optional<std::vector<AuthCaching::Part>> parse_cache_key(std::string_view text) {
  std::vector<AuthCaching::Part> parts;
  while (!text.empty()) {
    if (text.front() != '$') {
      const auto end = std::min(text.find('$'), text.size());
      parts.push_back({std::string(text.substr(0, end)), std::nullopt});
      text.remove_prefix(end);
      continue;
    }
    std::size_t end = 1;
    while (end < text.size() &&
           (std::isalnum(static_cast<unsigned char>(text[end])) != 0 || text[end] == '_')) {
      ++end;
    }
    auto value = parse_request_variable(text.substr(0, end));
    if (!value) {
      return std::nullopt;
    }
    parts.push_back({"", std::move(value)});
    text.remove_prefix(end);
  }
  return parts;
}

// auth-cache-duration: comma-separated nginx proxy_cache_valid values ("200 202 401 5m"):
// statuses (or "any") and a time. Nothing when one does not read.
std::optional<std::vector<AuthCaching::Rule>> parse_cache_durations(std::string_view text) {
  std::vector<AuthCaching::Rule> rules;
  const bool valid = for_each_item(text, ',', [&](std::string_view entry) {
    std::vector<std::string_view> words;
    for_each_item(entry, ' ', [&](std::string_view word) {
      if (!word.empty()) {
        words.push_back(word);
      }
      return true;
    });
    if (words.empty()) {
      return false;
    }
    const auto ttl = parse_duration(words.back());
    if (!ttl || *ttl <= std::chrono::milliseconds::zero()) {
      return false;
    }
    AuthCaching::Rule rule{.ttl = std::chrono::duration_cast<std::chrono::seconds>(*ttl)};
    words.pop_back();
    for (const auto word : words) {
      const auto status = parse_whole_number(word, 100, 599);
      if (word == "any") {
        rule.any = true;
      } else if (status) {
        rule.statuses.push_back(static_cast<unsigned>(*status));
      } else {
        return false;
      }
    }
    rules.push_back(std::move(rule));
    return true;
  });
  return valid && !rules.empty() ? std::optional(std::move(rules)) : std::nullopt;
}

// auth-cache-key and auth-cache-duration (ingress-nginx's default "200 202 401 5m"). Invalid:
// warned, and every request asks the service, as without them.
std::optional<AuthCaching> read_auth_caching(AnnotationReader& reader) {
  const auto key = reader.find("auth-cache-key");
  if (!key) {
    if (reader.find("auth-cache-duration")) {
      reader.reject("needs auth-cache-key; answers are not cached");
    }
    return std::nullopt;
  }
  auto parts = parse_cache_key(*key);
  if (!parts) {
    reader.reject(
        "expected text and $remote_addr, $remote_user, $request_uri, $uri, $host, $http_NAME, "
        "$cookie_NAME or $arg_NAME; answers are not cached");
    return std::nullopt;
  }
  const auto durations = reader.find("auth-cache-duration");
  auto rules = parse_cache_durations(durations.value_or("200 202 401 5m"));
  if (!rules) {
    reader.reject(
        "expected statuses and a time, such as \"200 202 401 5m\"; answers are not cached");
    return std::nullopt;
  }
  return AuthCaching{std::move(*parts), std::move(*rules)};
}

// limit-rate and limit-rate-after, as ingress-nginx's template writes them: nginx's
// "limit_rate Nk", so the numbers are KiB (its documentation says bytes; clusters got KiB).
// 0, or no limit-rate: no limit.
std::optional<BandwidthLimit> read_bandwidth(AnnotationReader& reader) {
  constexpr long MaxKiB = 1L << 30;  // 1 TiB/s: no real limit is near it
  const auto rate = reader.integer("limit-rate", 0, MaxKiB).value_or(0);
  const auto after = reader.integer("limit-rate-after", 0, MaxKiB).value_or(0);
  if (rate == 0) {
    return std::nullopt;
  }
  return BandwidthLimit{static_cast<std::uint64_t>(rate) * 1024,
                        static_cast<std::uint64_t>(after) * 1024};
}

// External authentication (auth-url), as ingress-nginx's parser judges it: what decides
// whether a request is let through (the URL, the method, the headers passed on) closes the
// Ingress when invalid; a sign-in URL that is invalid is ignored (401s are then answered as
// they are). Connections to the auth service are always kept alive and reused, so the
// auth-keepalive settings have nothing left to tune.
void read_external_auth(AnnotationReader& reader, RoutePolicy& policy) {
  const auto url = reader.find("auth-url");
  if (!url) {
    return;
  }
  auto parsed = ServiceUrl::parse(*url);
  if (!parsed) {
    reader.refuse("auth-url: " + parsed.error());
    policy.fail_closed = true;
    return;
  }
  auto auth = std::make_optional(ExternalAuth{.url = std::move(*parsed)});
  if (const auto method = reader.find("auth-method")) {
    static constexpr std::array<std::string_view, 9> Methods = {
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"};
    if (std::find(Methods.begin(), Methods.end(), *method) == Methods.end()) {
      reader.refuse("expected an HTTP method in capitals (GET, POST...)");
      policy.fail_closed = true;
      return;
    }
    auth->method = std::string(*method);
  }
  if (const auto headers = reader.find("auth-response-headers")) {
    const bool valid = for_each_item(*headers, ',', [&](std::string_view name) {
      auth->response_headers.emplace_back(name);
      return is_token(name);
    });
    if (!valid) {
      reader.refuse("expected a comma-separated list of header names");
      policy.fail_closed = true;
      return;
    }
  }
  if (const auto redirect = reader.find("auth-request-redirect")) {
    if (!is_url_text(*redirect)) {
      reader.refuse("expected a URL or a path without spaces");
      policy.fail_closed = true;
      return;
    }
    auth->request_redirect = VariableText::parse(*redirect);
  }
  if (const auto signin = reader.find("auth-signin")) {
    if (is_redirect_target(*signin)) {
      auth->signin = VariableText::parse(*signin);
    } else {
      reader.reject("expected an http(s) URL or a path");
    }
  }
  if (auto param =
          reader.text("auth-signin-redirect-param", is_token, "expected a parameter name")) {
    auth->redirect_param = std::move(*param);
  }
  auth->always_set_cookie = reader.boolean("auth-always-set-cookie").value_or(false);
  auth->caching = read_auth_caching(reader);
  for (const char* keepalive :
       {"auth-keepalive", "auth-keepalive-requests", "auth-keepalive-timeout"}) {
    if (reader.find(keepalive)) {
      reader.reject("connections to the auth service are always kept alive and reused");
    }
  }
  policy.external_auth = std::move(*auth);
}

// Basic authentication from an htpasswd Secret. Anything short of a usable user list closes
// the Ingress: serving it without the authentication its author asked for would expose it.
void read_auth(AnnotationReader& reader, const SecretLookup& secrets, RoutePolicy& policy) {
  read_external_auth(reader, policy);
  const auto type = reader.find("auth-type");
  if (!type) {
    return;
  }
  if (*type != "basic") {
    reader.refuse("only auth-type \"basic\" is supported");
    policy.fail_closed = true;
    return;
  }
  const auto name = reader.find("auth-secret");
  if (!name || name->empty()) {
    reader.refuse("auth-type basic needs auth-secret");
    policy.fail_closed = true;
    return;
  }
  const std::string secret_key = object_key_of(reader, *name);
  const k8s::Secret* secret = secrets(secret_key);
  if (secret == nullptr) {
    reader.refuse("Secret " + secret_key + " not found");
    policy.fail_closed = true;
    return;
  }
  const auto secret_type = reader.find("auth-secret-type").value_or("auth-file");
  Expected<Htpasswd> users = fail("auth-secret-type must be auth-file or auth-map");
  if (secret_type == "auth-map") {
    users = Htpasswd::parse_map(secret->data);
  } else if (secret_type == "auth-file") {
    const auto file = secret->data.find("auth");
    users = file == secret->data.end() ? fail("Secret " + secret_key + " has no \"auth\" key")
                                       : Htpasswd::parse_file(file->second);
  }
  if (!users) {
    reader.refuse(users.error());
    policy.fail_closed = true;
    return;
  }
  const auto realm = reader.text(
      "auth-realm",
      [](std::string_view s) {
        return std::all_of(s.begin(), s.end(),
                           [](char c) { return c >= ' ' && c < 127 && c != '"' && c != '\\'; });
      },
      "expected printable text without quotes or backslashes");
  policy.basic_auth = BasicAuth{std::make_shared<const Htpasswd>(std::move(*users)),
                                realm.value_or("Authentication Required")};
}

// backend-protocol: how the backend is spoken to. ingress-nginx writes the values in capitals;
// any case is taken. AJP and FCGI are nginx modules Portico has no counterpart for.
BackendProtocol read_backend_protocol(AnnotationReader& reader) {
  static constexpr std::array<std::pair<std::string_view, BackendProtocol>, 4> Known = {{
      {"HTTP", BackendProtocol::Http},
      {"HTTPS", BackendProtocol::Https},
      {"GRPC", BackendProtocol::Grpc},
      {"GRPCS", BackendProtocol::Grpcs},
  }};
  const auto known = [](std::string_view s) {
    return std::any_of(Known.begin(), Known.end(),
                       [&](const auto& entry) { return boost::beast::iequals(s, entry.first); });
  };
  const auto value = reader.text("backend-protocol", known, "expected HTTP, HTTPS, GRPC or GRPCS");
  for (const auto& [name, protocol] : Known) {
    if (value && boost::beast::iequals(*value, name)) {
      return protocol;
    }
  }
  return BackendProtocol::Http;
}

void read_balancing(AnnotationReader& reader, RoutePolicy& policy) {
  if (const auto mode = reader.text(
          "load-balance", [](std::string_view s) { return s == "round_robin" || s == "ewma"; },
          "expected round_robin or ewma")) {
    policy.balance = *mode == "ewma" ? Balance::Ewma : Balance::RoundRobin;
  }
  if (const auto by = reader.find("upstream-hash-by")) {
    std::optional<HashKey> key = parse_request_variable(*by);
    if (key) {
      policy.hash_by = std::move(key);
    } else {
      reader.reject(
          "expected one of $remote_addr, $remote_user, $request_uri, $uri, $host, $http_NAME, "
          "$cookie_NAME, $arg_NAME");
    }
  }
  const auto affinity = reader.find("affinity");
  if (!affinity) {
    return;
  }
  if (*affinity != "cookie") {
    reader.reject("only affinity \"cookie\" is supported");
    return;
  }
  // Read for its verdict only: every mode behaves as "persistent" (a difference the guide and
  // the migration report name).
  (void)reader.text(
      "affinity-mode", [](std::string_view s) { return s == "balanced" || s == "persistent"; },
      "expected balanced or persistent");
  StickyCookie cookie;
  cookie.name = reader.text("session-cookie-name", is_token, "expected a cookie name")
                    .value_or(cookie.name);
  cookie.path = reader.text(
                        "session-cookie-path",
                        [](std::string_view s) {
                          return s.starts_with('/') && is_url_text(s) &&
                                 s.find(';') == std::string_view::npos;
                        },
                        "expected a path starting with /")
                    .value_or("");
  auto max_age = reader.integer("session-cookie-max-age", 1, 315360000);
  if (!max_age) {
    max_age = reader.integer("session-cookie-expires", 1, 315360000);
  }
  if (max_age) {
    cookie.max_age = std::chrono::seconds(*max_age);
  }
  cookie.secure = reader.boolean("session-cookie-secure").value_or(false);
  cookie.same_site = reader.text(
                           "session-cookie-samesite",
                           [](std::string_view s) { return s == "None" || s == "Lax" || s == "Strict"; },
                           "expected None, Lax or Strict")
                         .value_or("");
  policy.affinity = std::move(cookie);
}

// proxy-redirect-from and -to, as ingress-nginx writes nginx's proxy_redirect: nothing unless
// both are set and neither is "off"; "default" rewrites nothing (it names nginx's internal
// upstream, which no backend's Location holds); a regular expression ("~") is not offered.
std::optional<ProxyRedirect> read_proxy_redirect(AnnotationReader& reader) {
  const auto from = reader.text("proxy-redirect-from", is_url_text, "expected a URL or a path");
  if (from && from->starts_with('~')) {
    reader.reject("regular expressions are not supported: Locations are not rewritten");
    return std::nullopt;
  }
  const auto to = reader.text("proxy-redirect-to", is_url_text, "expected a URL or a path");
  if (!from || !to || *from == "off" || *from == "default" || *to == "off") {
    return std::nullopt;
  }
  return ProxyRedirect{*from, VariableText::parse(*to)};
}

// server-alias: more names, comma-separated, for the hosts of the Ingress's rules; lowercase,
// each once, in order.
std::vector<std::string> read_server_aliases(AnnotationReader& reader) {
  std::vector<std::string> aliases;
  const auto value = reader.find("server-alias");
  if (!value) {
    return aliases;
  }
  std::string problem;
  for_each_item(*value, ',', [&](std::string_view item) {
    std::string alias(item);
    std::transform(alias.begin(), alias.end(), alias.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (alias.empty()) {
      return true;
    }
    if (k8s::fields::check_host(alias, "")) {
      problem = "expected comma-separated host names: \"" + alias + "\" is not one";
      return false;
    }
    if (std::find(aliases.begin(), aliases.end(), alias) == aliases.end()) {
      aliases.push_back(std::move(alias));
    }
    return true;
  });
  if (!problem.empty()) {
    reader.reject(problem);
    aliases.clear();
  }
  return aliases;
}

// mirror-target, with mirror-host and mirror-request-body. An invalid one mirrors nothing
// (warned): a mirror guards nothing.
std::optional<UrlMirror> read_url_mirror(AnnotationReader& reader) {
  const auto target = reader.find("mirror-target");
  if (!target) {
    return std::nullopt;
  }
  auto url = ServiceUrl::parse(*target);
  if (!url) {
    reader.reject(url.error());
    return std::nullopt;
  }
  UrlMirror mirror{.url = std::move(*url)};
  mirror.host =
      reader.text("mirror-host", valid_authority, "expected a host name, optionally with a port")
          .value_or("");
  mirror.without_body =
      reader
          .text(
              "mirror-request-body", [](std::string_view s) { return s == "on" || s == "off"; },
              "expected on or off")
          .value_or("on") == "off";
  return mirror;
}

// custom-http-errors: "404,503", statuses from 400 to 599 (the translator finds the Service
// that serves their pages).
std::optional<ErrorPages> read_error_pages(AnnotationReader& reader) {
  const auto list = reader.find("custom-http-errors");
  if (!list) {
    return std::nullopt;
  }
  ErrorPages pages;
  const bool valid = for_each_item(*list, ',', [&](std::string_view item) {
    unsigned code = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), code);
    pages.codes.push_back(code);
    return ec == std::errc() && end == item.data() + item.size() && code >= 400 && code <= 599;
  });
  if (!valid) {
    reader.reject("expected a comma-separated list of statuses from 400 to 599");
    return std::nullopt;
  }
  return pages;
}

// A Service name: an RFC 1035 label.
bool is_service_name(std::string_view s) {
  return !s.empty() && s.size() <= 63 && std::islower(static_cast<unsigned char>(s.front())) &&
         s.back() != '-' && std::all_of(s.begin(), s.end(), [](char c) {
           return std::islower(static_cast<unsigned char>(c)) ||
                  std::isdigit(static_cast<unsigned char>(c)) || c == '-';
         });
}

std::optional<Canary> read_canary(AnnotationReader& reader) {
  if (!reader.boolean("canary").value_or(false)) {
    return std::nullopt;
  }
  Canary canary;
  canary.weight_total = static_cast<std::uint32_t>(
      reader.integer("canary-weight-total", 1, 1000000).value_or(100));
  canary.weight = static_cast<std::uint32_t>(
      reader.integer("canary-weight", 0, canary.weight_total).value_or(0));
  canary.header = reader.text("canary-by-header", is_token, "expected a header name").value_or("");
  canary.header_value = reader.text("canary-by-header-value",
                                    [](std::string_view s) {
                                      return std::all_of(s.begin(), s.end(), [](char c) {
                                        return c >= ' ' && c < 127;
                                      });
                                    },
                                    "expected printable text")
                            .value_or("");
  if (canary.header_value.empty()) {  // the value wins when both are set
    if (const auto pattern = reader.find("canary-by-header-pattern")) {
      auto regex = PathRegex::compile(*pattern, RegexStyle::Search);
      if (regex) {
        canary.header_pattern = std::make_shared<const PathRegex>(std::move(*regex));
      } else {
        reader.reject(regex.error());
      }
    }
  }
  canary.cookie = reader.text("canary-by-cookie", is_token, "expected a cookie name").value_or("");
  return canary;
}

}  // namespace

bool wants_builtin_acme(const k8s::Ingress& ingress) {
  const auto& annotations = ingress.meta.annotations;
  const auto acme = annotations.find("kubernetes.io/tls-acme");
  if (acme == annotations.end() || acme->second != "true") {
    return false;
  }
  return std::none_of(annotations.begin(), annotations.end(), [](const auto& entry) {
    return entry.first.starts_with("cert-manager.io/");
  });
}

RateLimitsPtr RateLimitKeeper::get(const std::string& ingress,
                                   const RateLimits::Settings& settings) {
  auto& kept = kept_[ingress];
  if (auto limits = kept.lock(); limits && limits->settings() == settings) {
    return limits;
  }
  auto limits = std::make_shared<RateLimits>(settings);
  kept = limits;
  // Only a new RateLimits may leave an entry behind: the time to drop the ones no snapshot
  // holds any more, not on every translation of every Ingress.
  std::erase_if(kept_, [](const auto& entry) { return entry.second.expired(); });
  return limits;
}

namespace {

// Every setting, from `reader`; `owner`: whose limits `keeper` keeps.
IngressAnnotations read_settings(AnnotationReader& reader, const std::string& owner,
                                 const AnnotationContext& context, RateLimitKeeper* keeper) {
  IngressAnnotations out;
  // Every Secret or ConfigMap looked up is remembered, found or not: a change to it re-reads
  // the Ingress.
  const SecretLookup secrets = [&](const std::string& key) -> const k8s::Secret* {
    out.secrets_read.push_back(key);
    return context.secrets ? context.secrets(key) : nullptr;
  };
  const ConfigMapLookup configmaps = [&](const std::string& key) -> const k8s::ConfigMap* {
    out.configmaps_read.push_back(key);
    return context.configmaps ? context.configmaps(key) : nullptr;
  };
  out.ssl_redirect = reader.boolean("ssl-redirect").value_or(true);
  RoutePolicy policy;
  policy.max_body_bytes = reader.size("proxy-body-size");
  policy.connect_timeout = reader.timeout("proxy-connect-timeout");
  policy.read_timeout = reader.timeout("proxy-read-timeout");
  policy.send_timeout = reader.timeout("proxy-send-timeout");
  policy.rewrite_target =
      reader.text("rewrite-target",
                  [](std::string_view s) {
                    return is_url_text(s) && (s.starts_with('/') || s.starts_with('$'));
                  },
                  "expected a path starting with / or $");
  out.use_regex = reader.boolean("use-regex").value_or(false) || policy.rewrite_target;
  read_redirects(reader, policy);
  read_source_ranges(reader, policy);
  read_client_auth(reader, secrets, policy, out);
  read_cors(reader, policy);
  if (auto limits = read_rate_limits(reader)) {
    policy.rate_limits = keeper != nullptr ? keeper->get(owner, *limits)
                                           : std::make_shared<RateLimits>(std::move(*limits));
  }
  policy.bandwidth = read_bandwidth(reader);
  read_auth(reader, secrets, policy);
  // ingress-nginx's shouldApplyGlobalAuth: no auth-url of its own, and not opted out.
  if (reader.boolean("enable-global-auth").value_or(true) && !policy.external_auth &&
      context.global_auth != nullptr) {
    policy.external_auth = *context.global_auth;
  }
  read_balancing(reader, policy);
  policy.backend_protocol = read_backend_protocol(reader);
  read_backend_tls(reader, secrets, policy);
  policy.upstream_host =
      reader.text("upstream-vhost", valid_authority, "expected a host name, optionally with a port")
          .value_or("");
  policy.forwarded_prefix =
      reader
          .text("x-forwarded-prefix", is_path_text,
                "expected a path of letters, digits, '/', '-', '.', '_' and '~'")
          .value_or("");
  policy.proxy_redirect = read_proxy_redirect(reader);
  policy.satisfy_any =
      reader
          .text(
              "satisfy", [](std::string_view s) { return s == "any" || s == "all"; },
              "expected any or all")
          .value_or("all") == "any";
  out.canary = read_canary(reader);
  out.server_aliases = read_server_aliases(reader);
  out.from_to_www_redirect = reader.boolean("from-to-www-redirect").value_or(false);
  out.ssl_passthrough = reader.boolean("ssl-passthrough").value_or(false);
  policy.error_pages = read_error_pages(reader);
  read_custom_headers(reader, configmaps, context.allowed_response_headers, policy);
  policy.url_mirror = read_url_mirror(reader);
  out.service_upstream = reader.boolean("service-upstream").value_or(false);
  policy.connection_header =
      reader
          .text("connection-proxy-header", is_token_list, "expected a list of tokens (keep-alive)")
          .value_or("");
  out.default_backend =
      reader.text("default-backend", is_service_name, "expected the name of a Service")
          .value_or("");
  if (policy != RoutePolicy{}) {
    out.policy = std::make_shared<const RoutePolicy>(policy);
  }
  reader.warn_unread(Supported);
  out.notes = reader.notes();
  return out;
}

// The ConfigMap keys ingress-nginx takes as the defaults of the annotations of the same name
// (its defaults.Backend), among those Portico reads.
// clang-format off
constexpr std::array<std::string_view, 17> DefaultKeys = {
    "app-root", "proxy-body-size", "proxy-connect-timeout", "proxy-read-timeout",
    "proxy-send-timeout", "proxy-redirect-from", "proxy-redirect-to", "ssl-redirect",
    "force-ssl-redirect", "upstream-hash-by", "load-balance", "whitelist-source-range",
    "denylist-source-range", "custom-http-errors", "service-upstream", "limit-rate",
    "limit-rate-after"};
// clang-format on

}  // namespace

IngressAnnotations read_annotations(const k8s::Ingress& ingress, const AnnotationContext& context,
                                    RateLimitKeeper* keeper) {
  const std::string key = k8s::key_of(ingress.meta);
  AnnotationReader reader(ingress.meta.annotations, {OurPrefix, NginxPrefix}, {"ingress", key},
                          context.defaults, ingress.meta.namespace_);
  return read_settings(reader, key, context, keeper);
}

void judge_ssl_passthrough(IngressAnnotations& read, bool enabled, const std::string& ingress) {
  if (!read.ssl_passthrough || enabled) {
    return;
  }
  read.ssl_passthrough = false;
  constexpr std::string_view Why = "Portico runs without --enable-ssl-passthrough";
  for (AnnotationNote& note : read.notes) {
    if (note.annotation.ends_with("/ssl-passthrough") && note.verdict == "applied") {
      note.verdict = "ignored: " + std::string(Why);
      log::warn(
          "config", "annotation ignored",
          {{"ingress", ingress}, {"annotation", note.annotation}, {"reason", std::string(Why)}});
    }
  }
}

std::optional<ExternalAuth> read_global_auth(const std::map<std::string, std::string>& data,
                                             const std::string& configmap, AnnotationNotes& notes,
                                             bool& fails_closed) {
  // The auth-* readers, looking each NAME up as global-NAME.
  AnnotationReader reader(data, {"global-"}, {"configmap", configmap}, nullptr, "");
  RoutePolicy read;
  read_external_auth(reader, read);
  const AnnotationNotes judged = reader.notes();
  notes.insert(notes.end(), judged.begin(), judged.end());
  fails_closed = read.fail_closed;
  return read.external_auth;
}

bool is_annotation_default(std::string_view key) {
  return std::find(DefaultKeys.begin(), DefaultKeys.end(), key) != DefaultKeys.end();
}

AnnotationDefaults read_annotation_defaults(const std::map<std::string, std::string>& data,
                                            const std::string& configmap, AnnotationNotes& notes) {
  std::map<std::string, std::string> candidates;
  for (const auto& [key, value] : data) {
    if (is_annotation_default(key)) {
      candidates.emplace(key, value);
    }
  }
  AnnotationReader reader(candidates, {""}, {"configmap", configmap}, nullptr, "");
  const IngressAnnotations judged = read_settings(reader, configmap, {}, nullptr);
  AnnotationDefaults out;
  for (const AnnotationNote& note : judged.notes) {
    // One that fails closed stays: every Ingress without a value of its own then fails closed,
    // as the ConfigMap's author meant to close them all.
    if (!note.verdict.starts_with("ignored")) {
      out.emplace(note.annotation, note.value);
    }
    notes.push_back(note);
  }
  return out;
}

}  // namespace portico
