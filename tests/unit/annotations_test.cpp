#include <catch2/catch.hpp>

#include "config/annotations.hpp"
#include "proxy/common/quantity.hpp"
#include "tests/support/certificates.hpp"

using namespace portico;

namespace {

k8s::Ingress annotated(std::map<std::string, std::string> annotations) {
  k8s::Ingress ingress;
  ingress.meta.namespace_ = "default";
  ingress.meta.name = "web";
  ingress.meta.annotations = std::move(annotations);
  return ingress;
}

}  // namespace

TEST_CASE("Annotations: typed settings, ours winning over nginx's", "[annotations]") {
  const auto read = read_annotations(annotated({
      {"nginx.ingress.kubernetes.io/proxy-body-size", "8m"},
      {"nginx.ingress.kubernetes.io/proxy-read-timeout", "120"},
      {"portico.dev/proxy-read-timeout", "2s"},
      {"nginx.ingress.kubernetes.io/proxy-connect-timeout", "3"},
      {"nginx.ingress.kubernetes.io/ssl-redirect", "false"},
  }));
  REQUIRE(read.policy);
  CHECK(read.policy->max_body_bytes == 8u << 20);
  CHECK(read.policy->read_timeout == std::chrono::seconds(2));
  CHECK(read.policy->connect_timeout == std::chrono::seconds(3));
  CHECK_FALSE(read.policy->send_timeout);
  CHECK_FALSE(read.ssl_redirect);
}

TEST_CASE("Annotations: invalid values and snippets are ignored", "[annotations]") {
  const auto read = read_annotations(annotated({
      {"nginx.ingress.kubernetes.io/proxy-body-size", "lots"},
      {"nginx.ingress.kubernetes.io/proxy-read-timeout", "0"},
      {"nginx.ingress.kubernetes.io/proxy-send-timeout", "48h"},
      {"nginx.ingress.kubernetes.io/ssl-redirect", "yes"},
      {"nginx.ingress.kubernetes.io/configuration-snippet", "proxy_pass http://evil;"},
      {"unrelated.io/anything", "x"},
  }));
  CHECK_FALSE(read.policy);  // nothing valid: every default applies
  CHECK(read.ssl_redirect);
}

TEST_CASE("Quantities: durations and nginx sizes", "[annotations]") {
  CHECK(*parse_duration("90") == std::chrono::seconds(90));
  CHECK(*parse_duration("1.5s") == std::chrono::milliseconds(1500));
  CHECK(*parse_duration("250ms") == std::chrono::milliseconds(250));
  CHECK(*parse_duration("2m") == std::chrono::minutes(2));
  CHECK(*parse_duration("1h") == std::chrono::hours(1));
  CHECK_FALSE(parse_duration("5 parsecs"));
  CHECK_FALSE(parse_duration("-1s"));
  CHECK_FALSE(parse_duration("9999h"));
  CHECK(*parse_size("0") == 0);
  CHECK(*parse_size("512") == 512);
  CHECK(*parse_size("8k") == 8192);
  CHECK(*parse_size("8M") == 8u << 20);
  CHECK(*parse_size("1g") == 1u << 30);
  CHECK_FALSE(parse_size("1t"));
  CHECK_FALSE(parse_size("m"));
  CHECK_FALSE(parse_size("-1"));
  CHECK_FALSE(parse_size("99999999999g"));
}

TEST_CASE("Annotations: built-in ACME only for tls-acme Ingresses cert-manager does not own",
          "[annotations]") {
  CHECK(wants_builtin_acme(annotated({{"kubernetes.io/tls-acme", "true"}})));
  CHECK_FALSE(wants_builtin_acme(annotated({{"kubernetes.io/tls-acme", "false"}})));
  CHECK_FALSE(wants_builtin_acme(annotated({})));
  CHECK_FALSE(wants_builtin_acme(annotated(
      {{"kubernetes.io/tls-acme", "true"}, {"cert-manager.io/cluster-issuer", "letsencrypt"}})));
}

TEST_CASE("Annotations: the ingress-nginx set, typed", "[annotations]") {
  const auto read = read_annotations(annotated({
      {"nginx.ingress.kubernetes.io/rewrite-target", "/$2"},
      {"nginx.ingress.kubernetes.io/permanent-redirect", "https://new.example/"},
      {"nginx.ingress.kubernetes.io/permanent-redirect-code", "308"},
      {"nginx.ingress.kubernetes.io/upstream-hash-by", "$http_x_user_id"},
      {"nginx.ingress.kubernetes.io/load-balance", "ewma"},
      {"nginx.ingress.kubernetes.io/affinity", "cookie"},
      {"nginx.ingress.kubernetes.io/session-cookie-expires", "60"},
      {"nginx.ingress.kubernetes.io/enable-cors", "true"},
      {"nginx.ingress.kubernetes.io/cors-allow-origin", "https://a.com, https://*.b.com"},
  }));
  REQUIRE(read.policy);
  CHECK(read.use_regex);  // rewrite-target implies it, as in ingress-nginx
  CHECK(read.policy->rewrite_target == "/$2");
  CHECK(read.policy->redirect == Redirect{308, VariableText::parse("https://new.example/")});
  CHECK(read.policy->hash_by == HashKey{HashKey::Source::Header, "x-user-id"});
  CHECK(read.policy->balance == Balance::Ewma);
  CHECK(read.policy->affinity->name == "INGRESSCOOKIE");
  CHECK(read.policy->affinity->max_age == std::chrono::seconds(60));
  CHECK(read.policy->cors->origins == std::vector<std::string>{"https://a.com", "https://*.b.com"});
  CHECK_FALSE(read.policy->fail_closed);
  CHECK_FALSE(read.canary);
}

TEST_CASE("Annotations: backend-protocol names HTTP/1.1 or HTTP/2, in clear or over TLS",
          "[annotations]") {
  const auto protocol = [](const char* value) {
    const auto read =
        read_annotations(annotated({{"nginx.ingress.kubernetes.io/backend-protocol", value}}));
    return read.policy ? read.policy->backend_protocol : BackendProtocol::Http;
  };
  CHECK(protocol("HTTPS") == BackendProtocol::Https);
  CHECK(protocol("GRPC") == BackendProtocol::Grpc);
  CHECK(protocol("grpcs") == BackendProtocol::Grpcs);  // any case
  CHECK(protocol("FCGI") == BackendProtocol::Http);    // unsupported: a warning, then HTTP
  CHECK(upstream_protocol(BackendProtocol::Grpcs, false).name() == "h2");
  CHECK(upstream_protocol(BackendProtocol::Http, true).name() == "h2c");  // appProtocol h2c
  CHECK(upstream_protocol(BackendProtocol::Https, true).name() == "https");
}

TEST_CASE("Annotations: invalid values fall back, except where that would open access",
          "[annotations]") {
  const auto lenient = read_annotations(annotated({
      {"nginx.ingress.kubernetes.io/rewrite-target", "http://elsewhere/"},
      {"nginx.ingress.kubernetes.io/upstream-hash-by", "$host$request_uri"},
      {"nginx.ingress.kubernetes.io/load-balance", "least_conn"},
      {"nginx.ingress.kubernetes.io/permanent-redirect", "javascript:alert(1)"},
      {"nginx.ingress.kubernetes.io/affinity", "ip"},
      {"nginx.ingress.kubernetes.io/backend-protocol", "AJP"},
  }));
  CHECK_FALSE(lenient.policy);
  CHECK_FALSE(lenient.use_regex);

  const auto closed = [](std::map<std::string, std::string> annotations) {
    const auto read = read_annotations(annotated(std::move(annotations)));
    return read.policy && read.policy->fail_closed;
  };
  CHECK(closed({{"nginx.ingress.kubernetes.io/whitelist-source-range", "10.0.0.0/8, nonsense"}}));
  CHECK(closed({{"nginx.ingress.kubernetes.io/auth-type", "basic"}}));
  CHECK(closed({{"nginx.ingress.kubernetes.io/auth-type", "basic"},
                {"nginx.ingress.kubernetes.io/auth-secret", "missing"}}));
  CHECK(closed({{"nginx.ingress.kubernetes.io/auth-type", "digest"}}));
  // auth-url is served; one that cannot be used (or whose method or headers cannot) closes.
  CHECK_FALSE(closed({{"nginx.ingress.kubernetes.io/auth-url", "http://auth/"}}));
  CHECK(closed({{"nginx.ingress.kubernetes.io/auth-url", "ftp://auth/"}}));
  // Only $scheme, $host, $best_http_host, $request_uri and $escaped_request_uri are variables:
  // any other "$" text is literal, so it is no reason to close.
  CHECK_FALSE(closed({{"nginx.ingress.kubernetes.io/auth-url", "http://auth/?u=$remote_user"}}));
  CHECK(closed({{"nginx.ingress.kubernetes.io/auth-url", "http://auth:99999/"}}));
  CHECK(closed({{"nginx.ingress.kubernetes.io/auth-url", "http://auth/"},
                {"nginx.ingress.kubernetes.io/auth-method", "get"}}));
  CHECK(closed({{"nginx.ingress.kubernetes.io/auth-url", "http://auth/"},
                {"nginx.ingress.kubernetes.io/auth-response-headers", "X-User, Bad Header"}}));
  CHECK_FALSE(closed({{"nginx.ingress.kubernetes.io/auth-url", "http://auth/"},
                      {"nginx.ingress.kubernetes.io/auth-signin", "javascript:alert(1)"}}));
  CHECK_FALSE(closed({{"nginx.ingress.kubernetes.io/whitelist-source-range", "10.0.0.0/8"}}));
  CHECK(closed({{"nginx.ingress.kubernetes.io/denylist-source-range", "10.0.0.0/8, 300.1.1.1"}}));
  CHECK_FALSE(closed({{"nginx.ingress.kubernetes.io/denylist-source-range", "10.0.0.0/8"}}));
  // Client certificates from a Secret that is not there: closed, unless nothing is asked.
  CHECK(closed({{"nginx.ingress.kubernetes.io/auth-tls-secret", "default/ca"}}));
  CHECK(closed({{"nginx.ingress.kubernetes.io/auth-tls-secret", "default/ca"},
                {"nginx.ingress.kubernetes.io/auth-tls-verify-client", "optional"}}));
  CHECK_FALSE(closed({{"nginx.ingress.kubernetes.io/auth-tls-secret", "default/ca"},
                      {"nginx.ingress.kubernetes.io/auth-tls-verify-client", "off"}}));
  // Verifying backends with nothing to verify against closes rather than skip the check.
  CHECK(closed({{"nginx.ingress.kubernetes.io/proxy-ssl-verify", "on"},
                {"nginx.ingress.kubernetes.io/proxy-ssl-name", "backend.internal"}}));
  CHECK(closed({{"nginx.ingress.kubernetes.io/proxy-ssl-verify", "on"},
                {"nginx.ingress.kubernetes.io/proxy-ssl-secret", "missing"}}));
  CHECK(closed({{"nginx.ingress.kubernetes.io/proxy-ssl-verify", "true"}}));
  CHECK_FALSE(closed({{"nginx.ingress.kubernetes.io/proxy-ssl-verify", "off"}}));
}

TEST_CASE("Annotations: auth-tls reads its CAs from the Secret and closes when it cannot",
          "[annotations]") {
  k8s::Secret ca;
  ca.data["ca.crt"] = test::make_certificate("Test CA", {}).certificate_pem;
  k8s::Secret garbage;
  garbage.data["ca.crt"] = "not a certificate";
  const SecretLookup secrets = [&](const std::string& key) -> const k8s::Secret* {
    return key == "default/ca" ? &ca : key == "other/garbage" ? &garbage : nullptr;
  };
  const std::string tls = "nginx.ingress.kubernetes.io/auth-tls-";
  const auto read = [&](std::map<std::string, std::string> annotations) {
    return read_annotations(annotated(std::move(annotations)), {.secrets = secrets});
  };
  const auto strict = read({{tls + "secret", "ca"},
                            {tls + "verify-client", "sometimes"},
                            {tls + "verify-depth", "0"},
                            {tls + "match-cn", "CN=(alice|bob)$"}});
  REQUIRE(strict.client_auth);
  CHECK(strict.secrets_read == std::vector<std::string>{"default/ca"});
  CHECK_FALSE(strict.policy);  // nothing else: the host, not the route, judges certificates
  // ingress-nginx's defaults for what is invalid: "on" and a depth of 1.
  CHECK(strict.client_auth->settings().verify == ClientVerify::On);
  CHECK(strict.client_auth->settings().depth == 1);
  PathCaptures captures;
  CHECK(strict.client_auth->settings().match_cn->match("CN=bob", captures));
  CHECK_FALSE(strict.client_auth->settings().match_cn->match("CN=bobby,O=x", captures));
  // The same CAs and mode are the same identity, whatever else differs.
  const auto optional = read({{tls + "secret", "default/ca"}, {tls + "verify-client", "optional"}});
  REQUIRE(optional.client_auth);
  CHECK(optional.client_auth->identity() != strict.client_auth->identity());
  CHECK(read({{tls + "secret", "ca"}, {tls + "pass-certificate-to-upstream", "true"}})
            .client_auth->identity() == strict.client_auth->identity());

  const auto closes = [&](std::map<std::string, std::string> annotations) {
    const auto judged = read(std::move(annotations));
    return !judged.client_auth && judged.policy && judged.policy->fail_closed;
  };
  CHECK(closes({{tls + "secret", "other/garbage"}}));
  CHECK(closes({{tls + "secret", "ca"}, {tls + "match-cn", "alice"}}));
  CHECK(closes({{tls + "secret", "ca"}, {tls + "match-cn", "CN=(alice"}}));
  CHECK(closes({{tls + "secret", "ca"}, {tls + "error-page", "javascript:alert(1)"}}));
}

TEST_CASE("Annotations: canary settings", "[annotations]") {
  const auto read = read_annotations(annotated({
      {"nginx.ingress.kubernetes.io/canary", "true"},
      {"nginx.ingress.kubernetes.io/canary-weight", "30"},
      {"nginx.ingress.kubernetes.io/canary-weight-total", "1000"},
      {"nginx.ingress.kubernetes.io/canary-by-header", "X-Canary"},
  }));
  REQUIRE(read.canary);
  CHECK(read.canary->weight == 30);
  CHECK(read.canary->weight_total == 1000);
  CHECK(read.canary->header == "X-Canary");
  CHECK_FALSE(read_annotations(annotated({{"nginx.ingress.kubernetes.io/canary-weight", "30"}}))
                  .canary);
}

TEST_CASE("Annotations: custom-headers only from the Ingress's namespace and allowed names",
          "[annotations]") {
  k8s::ConfigMap headers;
  headers.data = {{"X-Frame-Options", "DENY"}, {"X-Team", "blog (v2)"}};
  k8s::ConfigMap bad_value;
  bad_value.data = {{"X-Frame-Options", "DENY\r\nSet-Cookie: a=b"}};
  const std::vector<std::string> allowed = {"X-Frame-Options", "X-Team"};
  AnnotationContext context{.configmaps = [&](const std::string& key) -> const k8s::ConfigMap* {
    return key == "default/headers" ? &headers
           : key == "default/bad"   ? &bad_value
           : key == "other/headers" ? &headers
                                    : nullptr;
  }};
  context.allowed_response_headers = &allowed;
  const auto read = [&](std::string configmap) {
    return read_annotations(annotated({{"nginx.ingress.kubernetes.io/custom-headers", configmap}}),
                            context);
  };
  const auto set = read("headers");
  REQUIRE(set.policy);
  CHECK_FALSE(set.policy->fail_closed);
  REQUIRE(set.policy->response_header_edits);
  CHECK(set.policy->response_header_edits->set ==
        std::vector<std::pair<std::string, std::string>>{{"X-Frame-Options", "DENY"},
                                                         {"X-Team", "blog (v2)"}});
  CHECK(set.configmaps_read == std::vector<std::string>{"default/headers"});
  CHECK(read("default/headers").policy->response_header_edits == set.policy->response_header_edits);

  const auto closes = [&](std::string configmap) {
    const auto judged = read(std::move(configmap));
    return judged.policy && judged.policy->fail_closed && !judged.policy->response_header_edits;
  };
  CHECK(closes("other/headers"));  // another namespace's
  CHECK(closes("missing"));
  CHECK(closes("bad"));  // a value that would split the head
  const std::vector<std::string> only_one = {"X-Frame-Options"};
  context.allowed_response_headers = &only_one;
  CHECK(closes("headers"));
  context.allowed_response_headers = nullptr;  // ingress-nginx's default: none allowed
  CHECK(closes("headers"));
}

TEST_CASE("Annotations: limit-rate in KiB as ingress-nginx's template writes it", "[annotations]") {
  const auto bandwidth = [](std::map<std::string, std::string> annotations) {
    const auto read = read_annotations(annotated(std::move(annotations)));
    return read.policy ? read.policy->bandwidth : std::nullopt;
  };
  const std::string prefix = "nginx.ingress.kubernetes.io/";
  CHECK(bandwidth({{prefix + "limit-rate", "10"}, {prefix + "limit-rate-after", "100"}}) ==
        BandwidthLimit{10 * 1024, 100 * 1024});
  CHECK_FALSE(bandwidth({{prefix + "limit-rate", "0"}, {prefix + "limit-rate-after", "100"}}));
  CHECK_FALSE(bandwidth({{prefix + "limit-rate", "-1"}}));
  CHECK_FALSE(bandwidth({{prefix + "limit-rate", "fast"}}));
}

TEST_CASE("Annotations: auth-cache-key and auth-cache-duration as nginx reads them",
          "[annotations]") {
  const std::string prefix = "nginx.ingress.kubernetes.io/";
  const auto caching = [&](std::map<std::string, std::string> annotations) {
    annotations[prefix + "auth-url"] = "http://auth.example.com/check";
    const auto read = read_annotations(annotated(std::move(annotations)));
    REQUIRE(read.policy);
    REQUIRE(read.policy->external_auth);
    return read.policy->external_auth->caching;
  };
  using Part = AuthCaching::Part;
  using Source = HashKey::Source;
  const auto kept = caching({{prefix + "auth-cache-key", "u:$remote_user$http_x_api_key"}});
  REQUIRE(kept);
  CHECK(kept->key == std::vector<Part>{{"u:", std::nullopt},
                                       {"", HashKey{Source::RemoteUser, ""}},
                                       {"", HashKey{Source::Header, "x-api-key"}}});
  // ingress-nginx's default duration: 200, 202 and 401 for 5 minutes.
  CHECK(kept->ttl_for(202) == std::chrono::minutes(5));
  CHECK(kept->ttl_for(401) == std::chrono::minutes(5));
  CHECK(kept->ttl_for(403) == std::chrono::seconds(0));
  const auto rules = caching({{prefix + "auth-cache-key", "$cookie__oauth2_proxy"},
                              {prefix + "auth-cache-duration", "401 30s, 10m, any 1s"}});
  REQUIRE(rules);
  CHECK(rules->ttl_for(401) == std::chrono::seconds(30));
  CHECK(rules->ttl_for(200) == std::chrono::minutes(10));  // a time alone: 200, 301, 302
  CHECK(rules->ttl_for(500) == std::chrono::seconds(1));
  // Unknown variables or unreadable durations cache nothing (each request asks).
  CHECK_FALSE(caching({{prefix + "auth-cache-key", "$ssl_client_s_dn"}}));
  CHECK_FALSE(
      caching({{prefix + "auth-cache-key", "$host"}, {prefix + "auth-cache-duration", "5m 200"}}));
  CHECK_FALSE(caching({{prefix + "auth-cache-duration", "200 5m"}}));
}

TEST_CASE("Annotations: global-auth-* read as the auth-* annotations, failing closed",
          "[annotations]") {
  AnnotationNotes notes;
  bool closed = false;
  const auto global = read_global_auth({{"global-auth-url", "http://auth.example.com/check"},
                                        {"global-auth-signin", "https://login.example.com/"},
                                        {"global-auth-cache-key", "$cookie__oauth2_proxy"}},
                                       "ns/cm", notes, closed);
  REQUIRE(global);
  CHECK_FALSE(closed);
  CHECK(global->signin);
  CHECK(global->caching);
  REQUIRE(notes.size() == 3);
  CHECK(notes[0].annotation == "global-auth-cache-key");
  CHECK(notes[0].verdict == "applied");
  notes.clear();
  CHECK_FALSE(
      read_global_auth({{"global-auth-url", "ftp://auth.example.com/"}}, "ns/cm", notes, closed));
  CHECK(closed);  // no request may go unchecked
  CHECK_FALSE(read_global_auth({}, "ns/cm", notes, closed));
  CHECK_FALSE(closed);
  // An Ingress takes it unless it has its own auth-url or opts out.
  const ExternalAuth* taken = &*global;
  const auto auth_of = [&](std::map<std::string, std::string> annotations) {
    const auto read = read_annotations(annotated(std::move(annotations)), {.global_auth = taken});
    return read.policy ? read.policy->external_auth : std::nullopt;
  };
  CHECK(auth_of({}) == *global);
  CHECK_FALSE(auth_of({{"nginx.ingress.kubernetes.io/enable-global-auth", "false"}}));
  CHECK(auth_of({{"nginx.ingress.kubernetes.io/auth-url", "http://own.example.com/"}})->url !=
        global->url);
}
