#include "app/migrate.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>

#include "config/annotations.hpp"
#include "config/global_configmap.hpp"
#include "config/ingress_translator.hpp"
#include "config/manifest_source.hpp"
#include "config/object_cache.hpp"
#include "k8swatch/api_client.hpp"
#include "k8swatch/api_config.hpp"
#include "k8swatch/decode.hpp"
#include "k8swatch/watch_event.hpp"

namespace portico {
namespace {

// Annotations Portico honours with a difference an ingress-nginx user should know of (the
// operator guide's table says more).
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> Differences = {{
    {"affinity",
     "the cookie's value is Portico's own token: cookies ingress-nginx set stop "
     "pinning, once"},
    {"affinity-mode", "behaves as persistent"},
    {"upstream-hash-by",
     "rendezvous hashing, not nginx's ketama: keys move to other endpoints "
     "once at the switch"},
    {"auth-url", "answers are not cached and no X-Request-ID is sent"},
    {"load-balance", "ewma picks the faster of two random endpoints (10 s decay)"},
    {"satisfy",
     "denylist-source-range refuses whatever the credentials; Basic and auth-url together "
     "are both asked"},
    {"from-to-www-redirect",
     "the Location has no port and keeps a trailing slash (ingress-nginx writes the pod's "
     "port and drops it)"},
}};

// Every object of `kind` the API server lists, page by page.
Expected<std::vector<k8s::Object>> list_all(k8s::ApiClient& client, k8s::Kind kind,
                                            const std::string& namespace_) {
  std::vector<k8s::Object> out;
  std::string continue_token;
  do {
    const auto reply = client.get(k8s::list_page_path(kind, namespace_, 500, continue_token));
    if (!reply || reply->status != 200) {
      return fail("listing " + std::string(k8s::kind_name(kind)) + ": " + k8s::failure_text(reply));
    }
    auto page = k8s::parse_list_page(kind, reply->body, nullptr);
    if (!page) {
      return fail("listing " + std::string(k8s::kind_name(kind)) + ": " + page.error());
    }
    std::move(page->objects.begin(), page->objects.end(), std::back_inserter(out));
    continue_token = page->continue_token;
  } while (!continue_token.empty());
  return out;
}

// The object `key` ("namespace/name") of `kind` from the API server, or nothing.
std::optional<k8s::Object> get_object(k8s::ApiClient& client, k8s::Kind kind,
                                      const std::string& key) {
  const auto slash = key.find('/');
  const auto reply =
      client.get(k8s::collection_path(kind, key.substr(0, slash)) + "/" + key.substr(slash + 1));
  if (!reply || reply->status != 200) {
    return std::nullopt;
  }
  auto document = nlohmann::json::parse(reply->body, nullptr, false);
  auto object = k8s::decode_object_of(kind, document);
  return object ? std::optional(std::move(*object)) : std::nullopt;
}

// The Ingresses and IngressClasses to report on (and the ConfigMap), and a way to read the
// Secrets and ConfigMaps that settings name (all of them from manifests; one by one from the
// API server).
struct Inputs {
  ObjectCache cache;
  std::unique_ptr<k8s::ApiClient> client;
  std::map<std::pair<k8s::Kind, std::string>, std::optional<k8s::Object>> fetched;
};

Expected<std::unique_ptr<Inputs>> read_inputs(const Options& options) {
  auto inputs = std::make_unique<Inputs>();
  std::vector<k8s::Object> objects;
  if (!options.manifests.empty()) {
    auto source = ManifestSource::open(options.manifests);
    if (!source) {
      return fail(source.error());
    }
    objects = (*source)->read_once();
  } else if (!options.kubeconfig.empty()) {
    auto config = k8s::load_kubeconfig(options.kubeconfig);
    if (!config) {
      return fail(config.error());
    }
    inputs->client = std::make_unique<k8s::ApiClient>(*config);
    for (const auto kind : {k8s::Kind::Ingress, k8s::Kind::IngressClass}) {
      auto listed = list_all(*inputs->client, kind, options.namespace_);
      if (!listed) {
        return fail(listed.error());
      }
      std::move(listed->begin(), listed->end(), std::back_inserter(objects));
    }
  } else {
    return fail("migrate reads --manifests PATH or --kubeconfig PATH");
  }
  inputs->cache.replace_all(std::move(objects),
                            std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  return inputs;
}

// The Secret or ConfigMap (T, of `kind`) "namespace/name", or null.
template <class T>
const T* find_object(Inputs& inputs, k8s::Kind kind, const std::string& key) {
  if (!inputs.client) {
    return inputs.cache.find<T>(kind, key);
  }
  auto [it, added] = inputs.fetched.try_emplace({kind, key});
  if (added) {
    it->second = get_object(*inputs.client, kind, key);
  }
  return it->second ? &std::get<T>(*it->second) : nullptr;
}

// The first line of a value, shortened: snippets run to many lines.
std::string shown(const std::string& value) {
  std::string line = value.substr(0, value.find('\n'));
  if (line.size() > 60 || line.size() < value.size()) {
    line = line.substr(0, 57) + "...";
  }
  return line;
}

// One report line per note, counted in `totals`; true when a note fails closed.
bool report_notes(const AnnotationNotes& notes, std::map<std::string, int>& totals,
                  std::string& text) {
  bool closed = false;
  for (const auto& note : notes) {
    std::string_view name = note.annotation;
    name.remove_prefix(name.find_first_of("/)") + 1);  // "(ConfigMap) x" and "prefix/x": x
    name = name.substr(name.find_first_not_of(' '));
    std::string status;
    std::string why;
    if (note.verdict == "applied") {
      const auto difference = std::find_if(Differences.begin(), Differences.end(),
                                           [&](const auto& entry) { return entry.first == name; });
      status = difference == Differences.end() ? "honoured" : "honoured, differs";
      why = difference == Differences.end() ? "" : std::string(difference->second);
    } else if (note.verdict.starts_with("applied, differs")) {
      status = "honoured, differs";
      why = note.verdict.substr(note.verdict.find(':') + 2);
    } else if (note.verdict.starts_with("fails closed")) {
      status = "FAILS CLOSED (503)";
      why = note.verdict.substr(note.verdict.find(':') + 2);
      closed = true;
    } else {
      status = note.verdict.starts_with("not used") ? "not used" : "ignored";
      why = note.verdict.substr(note.verdict.find(':') + 2);
    }
    ++totals[status];
    status.resize(std::max<std::size_t>(status.size(), 20), ' ');
    text += "  " + status + " " + note.annotation + ": " + shown(note.value) +
            (why.empty() ? "" : "\n" + std::string(25, ' ') + why) + "\n";
  }
  return closed;
}

}  // namespace

Expected<MigrationReport> migration_report(const Options& options) {
  auto inputs = read_inputs(options);
  if (!inputs) {
    return fail(inputs.error());
  }
  const IngressTranslator translator(options.translation);
  MigrationReport report;
  std::map<std::string, int> totals;
  int ingresses = 0;
  int closed_ingresses = 0;
  bool configmap_closed = false;
  AnnotationContext context{.secrets =
                                [&](const std::string& key) {
                                  return find_object<k8s::Secret>(**inputs, k8s::Kind::Secret, key);
                                },
                            .configmaps =
                                [&](const std::string& key) {
                                  return find_object<k8s::ConfigMap>(**inputs, k8s::Kind::ConfigMap,
                                                                     key);
                                }};
  ConfigMapSettings configmap;
  if (const std::string& key = options.translation.configmap; !key.empty()) {
    const auto* found = context.configmaps(key);
    configmap = read_configmap(found, key, context.configmaps);
    context.defaults = &configmap.defaults;
    context.allowed_response_headers = &configmap.allowed_response_headers;
    report.text += "ConfigMap " + key +
                   (found == nullptr ? "  (not found: every key at its default)\n" : "\n");
    configmap_closed = report_notes(configmap.notes, totals, report.text);
    report.text += "\n";
  }
  for (const auto& [key, cached] : (*inputs)->cache.of(k8s::Kind::Ingress)) {
    const auto& ingress = std::get<k8s::Ingress>(*cached.object);
    ++ingresses;
    const bool served = translator.is_served(ingress, (*inputs)->cache);
    report.text += "Ingress " + key + "  (class " +
                   (ingress.class_name ? "\"" + *ingress.class_name + "\"" : std::string("none")) +
                   (served ? "; served with these flags)\n"
                           : "; not served with these flags: see --ingress-class, "
                             "--controller-name, --watch-ingress-without-class)\n");
    auto read = read_annotations(ingress, context);
    judge_ssl_passthrough(read, options.translation.ssl_passthrough, key);
    const bool closed = report_notes(read.notes, totals, report.text);
    if (read.notes.empty()) {
      report.text += "  (no ingress-nginx annotation)\n";
    }
    closed_ingresses += closed ? 1 : 0;
  }
  report.fails_closed = closed_ingresses > 0 || configmap_closed;
  report.text += "\n" + std::to_string(ingresses) + " Ingress" + (ingresses == 1 ? "" : "es") +
                 ": " + std::to_string(totals["honoured"]) + " annotations honoured, " +
                 std::to_string(totals["honoured, differs"]) + " honoured with a difference, " +
                 std::to_string(totals["ignored"]) + " ignored, " +
                 std::to_string(totals["FAILS CLOSED (503)"]) + " failing closed" +
                 (closed_ingresses > 0 ? " (" + std::to_string(closed_ingresses) +
                                             (closed_ingresses == 1 ? " Ingress" : " Ingresses") +
                                             " would answer 503 until fixed)"
                                       : "") +
                 "\n";
  return report;
}

}  // namespace portico
