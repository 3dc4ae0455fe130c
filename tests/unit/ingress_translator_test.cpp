#include <catch2/catch.hpp>

#include "config/ingress_translator.hpp"
#include "tests/support/harness.hpp"
#include "tests/unit/yaml_objects.hpp"

using namespace portico;
using namespace portico::test;

namespace {

const std::string OurClass = ingress_class_yaml("portico", "portico.dev/ingress-controller");

std::string with_class(const std::string& name, const std::string& host, const std::string& cls) {
  return ingress_yaml(name, host, {{"/", "Prefix", name, "80"}},
                      cls.empty() ? "" : "  ingressClassName: " + cls + "\n");
}

// The Ingresses (namespace/name) that serve some route, given the objects and settings.
std::set<std::string> served(const std::string& yaml, TranslationSettings settings = {}) {
  ObjectCache cache;
  cache.replace_all(objects_from(yaml), 1000);
  IngressTranslator translator(std::move(settings));
  std::set<std::string> out;
  for (const auto& [key, cached] : cache.of(k8s::Kind::Ingress)) {
    if (translator.is_served(std::get<k8s::Ingress>(*cached.object), cache)) {
      out.insert(key);
    }
  }
  return out;
}

// The translation of `yaml` (objects without a creationTimestamp are created "now", 0).
struct Translated {
  explicit Translated(const std::string& yaml) {
    ObjectCache cache;
    cache.replace_all(objects_from(yaml), 0);
    ClusterIds ids;
    translation = IngressTranslator({}).translate(cache, ids);
  }
  // The Service a request for `host` and `path` reaches, or "none".
  std::string service_for(const char* host, const char* path) const {
    const auto m = translation.routes->match(host, path);
    return m.action ? translation.clusters.at(m.action->cluster_id).service : std::string("none");
  }
  Translation translation;
};

}  // namespace

TEST_CASE("Class filter: ingressClassName must name a class with our controller", "[translate]") {
  const std::string yaml = OurClass + "---\n" + ingress_class_yaml("other", "example.com/other") +
                           "---\n" + with_class("ours", "a.com", "portico") + "---\n" +
                           with_class("theirs", "b.com", "other") + "---\n" +
                           with_class("dangling", "c.com", "missing") + "---\n" +
                           with_class("classless", "d.com", "");
  CHECK(served(yaml) == std::set<std::string>{"default/ours"});
  SECTION("--watch-ingress-without-class adds the class-less one") {
    CHECK(served(yaml, {.watch_without_class = true}) ==
          std::set<std::string>{"default/ours", "default/classless"});
  }
  SECTION("another controller name serves the other class") {
    CHECK(served(yaml, {.controller_name = "example.com/other"}) ==
          std::set<std::string>{"default/theirs"});
  }
}

TEST_CASE("Class filter: our default IngressClass takes class-less Ingresses", "[translate]") {
  const std::string yaml = ingress_class_yaml("portico", "portico.dev/ingress-controller", true) +
                           "---\n" + with_class("classless", "d.com", "");
  CHECK(served(yaml) == std::set<std::string>{"default/classless"});
  // Someone else's default class does not make it ours.
  const std::string theirs = ingress_class_yaml("x", "example.com/other", true) + "---\n" +
                             with_class("classless", "d.com", "");
  CHECK(served(theirs).empty());
}

TEST_CASE("Class filter: the legacy annotation decides alone", "[translate]") {
  const auto legacy = [](const std::string& name, const std::string& value) {
    return ingress_yaml(name, "x.com", {{"/", "Prefix", "svc", "80"}}, "",
                        "  annotations:\n    kubernetes.io/ingress.class: " + value + "\n");
  };
  const std::string yaml = ingress_class_yaml("portico", "portico.dev/ingress-controller", true) +
                           "---\n" + legacy("mine", "portico") + "---\n" + legacy("nginx", "nginx");
  // Naming another class keeps it out even though our class is the default.
  CHECK(served(yaml) == std::set<std::string>{"default/mine"});
  CHECK(served(yaml, {.ingress_class = "nginx"}) == std::set<std::string>{"default/nginx"});
}

TEST_CASE("Translation: oldest Ingress wins conflicts and provides the default backend",
          "[translate]") {
  const auto stamped = [](const std::string& name, const std::string& ts, const std::string& svc,
                          bool default_backend) {
    const std::string spec =
        "  ingressClassName: portico\n" +
        (default_backend ? "  defaultBackend:\n    service:\n      name: " + svc +
                               "-default\n      port:\n        number: 80\n"
                         : std::string());
    return ingress_yaml(name, "blog.com",
                        {{"/api", "Prefix", svc, "80"}, {"/" + name, "Exact", svc, "80"}}, spec,
                        "  creationTimestamp: \"" + ts + "\"\n");
  };
  const std::string yaml = OurClass + "---\n" +
                           stamped("young", "2026-01-02T00:00:00Z", "young-svc", true) + "---\n" +
                           stamped("old", "2025-01-01T00:00:00Z", "old-svc", true) + "---\n" +
                           stamped("middle", "2025-06-01T00:00:00Z", "middle-svc", false);
  const Translated t(yaml);
  CHECK(t.service_for("blog.com", "/api/x") == "old-svc");
  // Paths that do not conflict merge onto the same host from every Ingress.
  CHECK(t.service_for("blog.com", "/young") == "young-svc");
  CHECK(t.service_for("blog.com", "/middle") == "middle-svc");
  // Unmatched paths on a matched host, and unknown hosts, go to the oldest default backend.
  CHECK(t.service_for("blog.com", "/nothing") == "old-svc-default");
  CHECK(t.service_for("unknown.com", "/") == "old-svc-default");
}

TEST_CASE("Translation: ties on creation time break by namespace/name", "[translate]") {
  const std::string yaml =
      OurClass + "---\n" +
      ingress_yaml("b", "x.com", {{"/", "Prefix", "b-svc", "80"}},
                   "  ingressClassName: portico\n") +
      "---\n" +
      ingress_yaml("a", "x.com", {{"/", "Prefix", "a-svc", "80"}}, "  ingressClassName: portico\n");
  ObjectCache cache;
  cache.replace_all(objects_from(yaml), 500);  // neither has a creationTimestamp: both "now"
  ClusterIds ids;
  const auto t = IngressTranslator({}).translate(cache, ids);
  CHECK(t.clusters.at(t.routes->match("x.com", "/").action->cluster_id).service == "a-svc");
}

TEST_CASE("Translation: ImplementationSpecific is Prefix, and resource backends are skipped",
          "[translate]") {
  const std::string yaml =
      OurClass + "---\n" +
      ingress_yaml("i", "x.com", {{"/docs", "ImplementationSpecific", "docs", "http"}},
                   "  ingressClassName: portico\n") +
      R"(---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: r, namespace: default}
spec:
  ingressClassName: portico
  rules:
  - host: x.com
    http:
      paths:
      - path: /bucket
        pathType: Prefix
        backend:
          resource: {apiGroup: k8s.example.com, kind: StorageBucket, name: static}
)";
  ObjectCache cache;
  cache.replace_all(objects_from(yaml), 0);
  ClusterIds ids;
  const auto t = IngressTranslator({}).translate(cache, ids);
  const auto m = t.routes->match("x.com", "/docs/page");
  REQUIRE(m.action != nullptr);
  CHECK(t.clusters.at(m.action->cluster_id).port_name == "http");
  CHECK(t.routes->match("x.com", "/bucket").action == nullptr);
}

TEST_CASE(
    "Translation: server-alias serves a host's rules from every Ingress under more names, "
    "as ingress-nginx assigns them",
    "[translate]") {
  const auto ingress = [](const std::string& name, const std::string& ts, const std::string& host,
                          const std::string& path, const std::string& aliases) {
    return ingress_yaml(name, host, {{path, "Prefix", name + "-svc", "80"}},
                        "  ingressClassName: portico\n",
                        "  creationTimestamp: \"" + ts + "\"\n" +
                            (aliases.empty() ? std::string()
                                             : annotations_yaml({{"nginx.ingress.kubernetes.io/"
                                                                  "server-alias",
                                                                  aliases}}))) +
           "---\n";
  };
  const std::string yaml =
      OurClass + "---\n" +
      ingress("first", "2025-01-01T00:00:00Z", "blog.com", "/",
              "www.blog.com, shop.com, blog.com") +
      // A later Ingress of the same host: its rules are served under the aliases too, its own
      // aliases are not taken (the first Ingress's win).
      ingress("second", "2025-02-01T00:00:00Z", "blog.com", "/api", "late.blog.com") +
      // Another host claiming an alias already taken.
      ingress("third", "2025-03-01T00:00:00Z", "news.com", "/", "www.blog.com, news.example") +
      ingress("shop", "2025-04-01T00:00:00Z", "shop.com", "/", "");
  const Translated t(yaml);
  CHECK(t.service_for("www.blog.com", "/") == "first-svc");
  CHECK(t.service_for("www.blog.com", "/api/x") == "second-svc");
  CHECK(t.service_for("late.blog.com", "/") == "none");
  CHECK(t.service_for("shop.com", "/") == "shop-svc");  // a host of its own is never an alias
  CHECK(t.service_for("news.example", "/") == "third-svc");
  CHECK(t.translation.aliases.at("blog.com") == std::vector<std::string>{"www.blog.com"});
  CHECK(t.translation.aliases.at("news.com") == std::vector<std::string>{"news.example"});
}
