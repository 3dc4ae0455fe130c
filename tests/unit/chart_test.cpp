#include <catch2/catch.hpp>

#include <regex>

#include "app/options.hpp"
#include "k8swatch/yaml.hpp"
#include "proxy/admin/metrics.hpp"
#include "proxy/common/read_file.hpp"
#include "tests/chart/chart_renderer.hpp"

using namespace portico;
using nlohmann::json;

namespace {

const std::filesystem::path Source = PORTICO_SOURCE_DIR;

std::vector<json> documents(const std::string& yaml) {
  auto parsed = k8s::parse_yaml(yaml);
  REQUIRE(parsed.ok());
  std::vector<json> out;
  for (auto& document : *parsed) {
    if (!document.is_null()) {
      out.push_back(std::move(document));
    }
  }
  return out;
}

json only(const std::vector<json>& all, const std::string& kind) {
  for (const auto& document : all) {
    if (document["kind"] == kind) {
      return document;
    }
  }
  FAIL("no " << kind);
  return {};
}

}  // namespace

TEST_CASE("Chart: deploy/portico.yaml is the chart rendered with its default values", "[chart]") {
  const auto rendered = chart::render_chart(Source / "charts/portico", {});
  REQUIRE(rendered.ok());
  // When this fails after a chart change: script/render-chart, and review the diff.
  CHECK(*rendered == read_file((Source / "deploy/portico.yaml").string()).value_or(""));
}

TEST_CASE("Chart: every document is an object Kubernetes can take, and the flags parse",
          "[chart]") {
  const auto all = documents(chart::render_chart(Source / "charts/portico", {}).value());
  for (const auto& document : all) {
    INFO(document.dump());
    CHECK(document.contains("apiVersion"));
    CHECK(document.contains("kind"));
    CHECK_FALSE(document["metadata"].value("name", "").empty());
  }
  const auto deployment = only(all, "Deployment");
  CHECK(deployment["spec"]["replicas"] == 2);
  const auto& pod = deployment["spec"]["template"]["spec"];
  const auto& container = pod["containers"][0];
  std::vector<std::string> args;
  for (const auto& arg : container["args"]) {
    args.push_back(arg.get<std::string>());
  }
  const auto options = parse_options(args);
  REQUIRE(options.ok());  // the chart passes only flags Portico has, with valid values
  CHECK(options->workers == 2);
  CHECK(options->publish_service == "portico/portico");
  // The grace period covers the shutdown delay and timeout.
  CHECK(pod["terminationGracePeriodSeconds"].get<int>() * 1000 >=
        (options->shutdown_delay + options->shutdown_timeout).count());
  CHECK(container["securityContext"]["readOnlyRootFilesystem"] == true);
  CHECK(container["securityContext"]["capabilities"]["drop"] == json::array({"ALL"}));
  CHECK(container["readinessProbe"]["httpGet"]["path"] == "/readyz");
  CHECK(container["livenessProbe"]["httpGet"]["path"] == "/healthz");
  CHECK(only(all, "Service")["spec"]["type"] == "LoadBalancer");
}

TEST_CASE("Chart: values switch the optional parts", "[chart]") {
  const auto all = documents(chart::render_chart(Source / "charts/portico", {},
                                                 {{"daemonset", true},
                                                  {"ingressClass", {{"default", true}}},
                                                  {"acme", {{"enabled", true}}},
                                                  {"dashboard", {{"enabled", false}}},
                                                  {"defaultBackendService", "web/fallback"},
                                                  {"metrics", {{"serviceMonitor", true}}}})
                                 .value());
  const auto daemonset = only(all, "DaemonSet");
  CHECK_FALSE(daemonset["spec"].contains("replicas"));
  CHECK(only(all, "IngressClass")["metadata"]["annotations"]
                                 ["ingressclass.kubernetes.io/is-default-class"] == "true");
  CHECK(only(all, "ServiceMonitor")["spec"]["endpoints"][0]["port"] == "admin");
  const auto& args = daemonset["spec"]["template"]["spec"]["containers"][0]["args"];
  CHECK(std::find(args.begin(), args.end(),
                  "--acme-directory=https://acme-v02.api.letsencrypt.org/directory") != args.end());
  CHECK(std::find(args.begin(), args.end(), "--no-dashboard") != args.end());
  CHECK(std::find(args.begin(), args.end(), "--default-backend-service=web/fallback") !=
        args.end());
  const auto hpa = documents(
      chart::render_chart(Source / "charts/portico", {}, {{"autoscaling", {{"enabled", true}}}})
          .value());
  CHECK(only(hpa, "HorizontalPodAutoscaler")["spec"]["maxReplicas"] == 10);
  CHECK_FALSE(only(hpa, "Deployment")["spec"].contains("replicas"));
}

TEST_CASE("Chart: the template subset renders as helm does", "[chart]") {
  const json context = {
      {"Values", {{"on", true}, {"off", false}, {"n", 3}, {"s", "x"}, {"blank", ""}}}};
  CHECK(chart::render_template("a: {{ .Values.s }}\nb: {{ .Values.n }}\n", context).value() ==
        "a: x\nb: 3\n");
  CHECK(chart::render_template("a\n{{- if .Values.on }}\nb\n{{- end }}\nc\n", context).value() ==
        "a\nb\nc\n");
  CHECK(chart::render_template("a\n{{- if .Values.blank }}\nb\n{{- end }}\nc\n", context).value() ==
        "a\nc\n");
  CHECK(chart::render_template("a\n{{- if .Values.off }}\nb\n{{- else }}\nd\n{{- end }}\nc\n",
                               context)
            .value() == "a\nd\nc\n");
  CHECK(chart::render_template("{{- if not .Values.missing }}x{{ end }}", context).value() == "x");
  CHECK_FALSE(chart::render_template("{{ if .Values.on }}", context).ok());
  CHECK_FALSE(chart::render_template("{{ toYaml .Values }}", context).ok());
}

TEST_CASE("Chart: the Grafana dashboard asks only for metrics Portico exports", "[chart]") {
  const auto dashboard =
      json::parse(read_file((Source / "charts/portico/dashboards/portico.json").string()).value());
  WorkerStats stats;
  stats.count_request("default/blog", "blog.example.com", 200, 0.01);
  WorkerStats::entry(stats.services, "default/api:80").retries = 1;
  // What /metrics renders, plus the families only cluster mode adds (app/application.cpp).
  const CertTable certs(TlsContext::self_signed());
  std::string exported = render_metrics(stats, {1, 1, true}, &certs) +
                         "# TYPE portico_watch_events_total counter\n"
                         "# TYPE portico_leader gauge\n";
  const std::regex name("portico_[a-z_]+");
  std::size_t checked = 0;
  for (const auto& panel : dashboard["panels"]) {
    for (const auto& target : panel["targets"]) {
      const std::string expr = target["expr"];
      for (auto it = std::sregex_iterator(expr.begin(), expr.end(), name);
           it != std::sregex_iterator(); ++it) {
        std::string family = it->str();
        for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
          if (family.ends_with(suffix) && exported.find("# TYPE " + family) == std::string::npos) {
            family.resize(family.size() - suffix.size());
          }
        }
        INFO(panel["title"] << ": " << family);
        CHECK(exported.find("# TYPE " + family + " ") != std::string::npos);
        ++checked;
      }
    }
  }
  CHECK(checked >= 10);
}
