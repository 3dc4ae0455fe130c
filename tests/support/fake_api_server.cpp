#include "tests/support/fake_api_server.hpp"

#include <utility>

#include <httplib.h>
#include <openssl/pem.h>

#include <set>

#include "config/manifest_documents.hpp"
#include "tests/support/certificates.hpp"

namespace portico::test {
namespace {

using nlohmann::json;

constexpr const char* GatewayGroup = "gateway.networking.k8s.io";

// What a list of `plural` is called, and its apiVersion: {"IngressList", "networking.k8s.io/v1"}.
std::pair<std::string, std::string> list_kind_of(const std::string& plural) {
  if (plural == "ingresses")
    return {"IngressList", "networking.k8s.io/v1"};
  if (plural == "ingressclasses")
    return {"IngressClassList", "networking.k8s.io/v1"};
  if (plural == "endpointslices")
    return {"EndpointSliceList", "discovery.k8s.io/v1"};
  if (plural == "services")
    return {"ServiceList", "v1"};
  if (plural == "namespaces")
    return {"NamespaceList", "v1"};
  if (plural == "configmaps")
    return {"ConfigMapList", "v1"};
  if (plural == "gatewayclasses")
    return {"GatewayClassList", "gateway.networking.k8s.io/v1"};
  if (plural == "gateways")
    return {"GatewayList", "gateway.networking.k8s.io/v1"};
  if (plural == "httproutes")
    return {"HTTPRouteList", "gateway.networking.k8s.io/v1"};
  if (plural == "grpcroutes")
    return {"GRPCRouteList", "gateway.networking.k8s.io/v1"};
  if (plural == "referencegrants")
    return {"ReferenceGrantList", "gateway.networking.k8s.io/v1beta1"};
  return {"SecretList", "v1"};
}

std::string plural_of(const std::string& kind) {
  if (kind == "Ingress")
    return "ingresses";
  if (kind == "IngressClass")
    return "ingressclasses";
  if (kind == "Service")
    return "services";
  if (kind == "EndpointSlice")
    return "endpointslices";
  if (kind == "Secret")
    return "secrets";
  if (kind == "Lease")
    return "leases";
  if (kind == "Namespace")
    return "namespaces";
  if (kind == "ConfigMap")
    return "configmaps";
  if (kind == "GatewayClass")
    return "gatewayclasses";
  if (kind == "Gateway")
    return "gateways";
  if (kind == "HTTPRoute")
    return "httproutes";
  if (kind == "GRPCRoute")
    return "grpcroutes";
  if (kind == "ReferenceGrant")
    return "referencegrants";
  throw std::logic_error("the fake API server does not serve " + kind);
}

bool cluster_scoped(const std::string& plural) {
  return plural == "ingressclasses" || plural == "gatewayclasses" || plural == "namespaces";
}

bool plural_group_is_gateway(const std::string& plural) {
  return plural == "gatewayclasses" || plural == "gateways" || plural == "httproutes" ||
         plural == "grpcroutes" || plural == "referencegrants";
}

std::string key_of(const std::string& ns, const std::string& name) {
  return ns.empty() ? name : ns + "/" + name;
}

json status(int code, const std::string& reason, const std::string& message) {
  return {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", json::object()},
          {"status", "Failure"}, {"message", message}, {"reason", reason},
          {"code", code}};
}

std::unique_ptr<httplib::Server> make_server(FakeApiServer::Transport transport,
                                             std::string& ca_pem) {
  if (transport == FakeApiServer::Transport::Http) {
    return std::make_unique<httplib::Server>();
  }
  const TestCertificate identity = make_certificate("fake-apiserver", {"IP:127.0.0.1"});
  ca_pem = identity.certificate_pem;
  BIO* cert_bio = BIO_new_mem_buf(identity.certificate_pem.data(),
                                  static_cast<int>(identity.certificate_pem.size()));
  BIO* key_bio =
      BIO_new_mem_buf(identity.key_pem.data(), static_cast<int>(identity.key_pem.size()));
  X509* cert = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  auto server = std::make_unique<httplib::SSLServer>(cert, key);  // it keeps references
  X509_free(cert);
  EVP_PKEY_free(key);
  BIO_free(cert_bio);
  BIO_free(key_bio);
  return server;
}

std::string line(const std::string& type, const json& object) {
  return json{{"type", type}, {"object", object}}.dump() + "\n";
}

}  // namespace

FakeApiServer::FakeApiServer(std::string token, Transport transport)
    : token_(std::move(token)), server_(make_server(transport, ca_pem_)) {
  // Every open watch holds a thread: leave room for all of Portico's and the tests' calls.
  server_->new_task_queue = [] { return new httplib::ThreadPool(64); };
  server_->set_write_timeout(30, 0);
  server_->Get(
      R"(/(api/v1|apis/[^/]+/[^/]+)(/namespaces/([^/]+))?/([a-z]+))",
      [this](const httplib::Request& req, httplib::Response& res) {
        const std::string ns = req.matches[3];
        const std::string plural = req.matches[4];
        const bool watch = req.get_param_value("watch") == "true";
        // The namespace of the path, and the one fieldSelector the watcher sends
        // (metadata.name=NAME); the real server supports more, and refuses what it does not.
        const std::string selector = req.get_param_value("fieldSelector");
        if (!selector.empty() && !selector.starts_with("metadata.name=")) {
          res.status = 400;
          res.set_content(status(400, "BadRequest", "unsupported field selector").dump(),
                          "application/json");
          return;
        }
        const std::string only_name = selector.empty() ? "" : selector.substr(14);
        const auto in_scope = [ns, only_name](const json& object) {
          const json metadata = object.value("metadata", json::object());
          return (ns.empty() || ns == metadata.value("namespace", "")) &&
                 (only_name.empty() || only_name == metadata.value("name", ""));
        };
        std::unique_lock lock(mutex_);
        ++(watch ? watches_ : lists_)[plural];
        if (req.get_header_value("Authorization") !=
            "Bearer " + token_) {  // under the lock: rotates
          res.status = 401;
          res.set_content(status(401, "Unauthorized", "Unauthorized").dump(), "application/json");
          return;
        }
        if (!served_.contains(plural)) {
          res.status = 404;
          res.set_content(
              status(404, "NotFound", "the server could not find the requested resource").dump(),
              "application/json");
          return;
        }
        if (!watch) {
          const std::size_t limit =
              req.has_param("limit") ? std::stoul(req.get_param_value("limit")) : 0;
          if (limit > 0) {
            ++paged_lists_[plural];
          }
          // A continue token is "resourceVersion:last key"; one older than the history is gone.
          const std::string token = req.get_param_value("continue");
          std::string after;
          if (!token.empty()) {
            const auto colon = token.find(':');
            if (colon == std::string::npos || std::stoll(token.substr(0, colon)) < oldest_rv_ ||
                std::exchange(expire_next_continue_, false)) {
              res.status = 410;
              res.set_content(status(410, "Expired",
                                     "The provided continue parameter is too old to display a "
                                     "consistent list result.")
                                  .dump(),
                              "application/json");
              return;
            }
            after = token.substr(colon + 1);
          }
          json items = json::array();
          std::string next;
          const auto& objects = collections_[plural].objects;
          for (auto it = after.empty() ? objects.begin() : objects.upper_bound(after);
               it != objects.end(); ++it) {
            const auto& [key, object] = *it;
            if (!in_scope(object)) {
              continue;
            }
            if (limit > 0 && items.size() == limit) {
              next = std::to_string(rv_) + ":" + std::prev(it)->first;
              break;
            }
            json item = object;
            item.erase("kind");  // list items carry no kind or apiVersion
            item.erase("apiVersion");
            items.push_back(std::move(item));
          }
          const auto [list_kind, api_version] = list_kind_of(plural);
          json metadata = {{"resourceVersion", std::to_string(rv_)}};
          if (!next.empty()) {
            metadata["continue"] = next;
          }
          res.set_content(json{{"kind", list_kind},
                               {"apiVersion", api_version},
                               {"metadata", metadata},
                               {"items", items}}
                              .dump(),
                          "application/json");
          return;
        }
        const std::string from = req.get_param_value("resourceVersion");
        last_watch_from_[plural] = from;
        const int timeout = req.has_param("timeoutSeconds")
                                ? std::stoi(req.get_param_value("timeoutSeconds"))
                                : 1800;
        // The stream's opening: a 410, synthetic ADDED events, or a replay of what followed `from`.
        std::string opening;
        std::int64_t cursor = rv_;
        if (from.empty() || from == "0") {
          for (const auto& [key, object] : collections_[plural].objects) {
            if (in_scope(object)) {
              opening += line("ADDED", object);
            }
          }
        } else if (std::stoll(from) < oldest_rv_) {
          res.set_chunked_content_provider(
              "application/json", [from, this](std::size_t, httplib::DataSink& sink) {
                const std::string expired =
                    line("ERROR", status(410, "Expired",
                                         "too old resource version: " + from + " (" +
                                             std::to_string(oldest_rv_) + ")"));
                sink.write(expired.data(), expired.size());
                sink.done();
                return true;
              });
          return;
        } else {
          cursor = std::stoll(from);
        }
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
        const auto generation = stream_generation_;
        auto sent_opening = std::make_shared<bool>(false);
        res.set_chunked_content_provider(
            "application/json", [=, this](std::size_t, httplib::DataSink& sink) mutable {
              if (!*sent_opening) {
                *sent_opening = true;
                if (!opening.empty()) {
                  sink.write(opening.data(), opening.size());
                  return true;
                }
              }
              std::unique_lock lock(mutex_);
              changed_.wait_until(lock, deadline, [&] {
                return stopping_ || stream_generation_ != generation ||
                       (!history_.empty() && history_.back().rv > cursor);
              });
              if (stopping_ || stream_generation_ != generation ||
                  std::chrono::steady_clock::now() >= deadline) {
                sink.done();
                return true;
              }
              std::string batch;
              for (const auto& event : history_) {
                const bool ours =
                    event.type == "BOOKMARK" ||
                    (event.plural == plural && (!event.raw.empty() || in_scope(event.object)));
                if (event.rv > cursor && ours) {
                  batch +=
                      !event.raw.empty() ? event.raw + "\n"
                      : event.type == "BOOKMARK"
                          ? line("BOOKMARK",
                                 {{"kind", "Bookmark"},
                                  {"metadata", {{"resourceVersion", std::to_string(event.rv)}}}})
                          : line(event.type, event.object);
                }
              }
              cursor = history_.back().rv;
              lock.unlock();
              // Chunk boundaries carry no meaning on a real server: events share chunks, and one
              // event may be split across two. Cut the batch at an arbitrary point to show it.
              const std::size_t cut = batch.size() / 3 + 1;
              return batch.empty() ||
                     (sink.write(batch.data(), std::min(cut, batch.size())) &&
                      (cut >= batch.size() || sink.write(batch.data() + cut, batch.size() - cut)));
            });
      });
  // Every request, as it arrives (watches never complete while a test looks).
  server_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response&) {
    std::string query;
    for (const auto& [name, value] : req.params) {
      query += (query.empty() ? "?" : "&") + name + "=" + value;
    }
    std::lock_guard lock(mutex_);
    requests_.push_back(req.method + " " + req.path + query);
    return httplib::Server::HandlerResponse::Unhandled;
  });
  serve_writes();
  serve_discovery();
  serve_crud();
  port_ = static_cast<std::uint16_t>(server_->bind_to_any_port("127.0.0.1"));
  // The socket listens from bind on: early connections wait in its backlog.
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

FakeApiServer::~FakeApiServer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  server_->stop();
  thread_.join();
}

void FakeApiServer::serve_writes() {
  const auto authorized = [this](const httplib::Request& req, httplib::Response& res) {
    std::unique_lock lock(mutex_);
    if (leases_failing_ && req.path.find("/leases") != std::string::npos) {
      res.status = 500;
      res.set_content(status(500, "InternalError", "etcd is unavailable").dump(),
                      "application/json");
      return false;
    }
    if (req.get_header_value("Authorization") == "Bearer " + token_) {
      return true;
    }
    res.status = 401;
    res.set_content(status(401, "Unauthorized", "Unauthorized").dump(), "application/json");
    return false;
  };
  // The status of Ingresses and Gateway API objects: a JSON merge patch of `status` only
  // (RFC 7386: arrays are replaced).
  server_->Patch(R"(/apis/[^/]+/[^/]+(/namespaces/([^/]+))?/([a-z]+)/([^/]+)/status)",
                 [=, this](const httplib::Request& req, httplib::Response& res) {
                   if (!authorized(req, res)) {
                     return;
                   }
                   std::lock_guard lock(mutex_);
                   const std::string plural = req.matches[3];
                   if (plural == "leases" || !served_.contains(plural)) {
                     res.status = 404;
                     return;
                   }
                   ++status_patches_;
                   auto& objects = collections_[plural].objects;
                   const auto it = objects.find(key_of(req.matches[2], req.matches[4]));
                   const json patch = json::parse(req.body, nullptr, false);
                   if (req.get_header_value("Content-Type") != "application/merge-patch+json") {
                     res.status = 415;
                     return;
                   }
                   if (it == objects.end() || !patch.is_object()) {
                     res.status = it == objects.end() ? 404 : 400;
                     return;
                   }
                   it->second["status"].merge_patch(patch.value("status", json::object()));
                   it->second["metadata"]["resourceVersion"] = std::to_string(++rv_);
                   record(plural, req.matches[2], "MODIFIED", it->second);
                   res.set_content(it->second.dump(), "application/json");
                 });
  // Leases: get, create, and update conditional on resourceVersion (409 when stale).
  const std::string leases = R"(/apis/coordination.k8s.io/v1/namespaces/([^/]+)/leases)";
  server_->Get(leases + "/([^/]+)", [=, this](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) {
      return;
    }
    std::lock_guard lock(mutex_);
    const auto& objects = collections_["leases"].objects;
    const auto it = objects.find(key_of(req.matches[1], req.matches[2]));
    if (it == objects.end()) {
      res.status = 404;
      res.set_content(
          status(404, "NotFound",
                 "leases.coordination.k8s.io \"" + std::string(req.matches[2]) + "\" not found")
              .dump(),
          "application/json");
      return;
    }
    res.set_content(it->second.dump(), "application/json");
  });
  server_->Post(leases, [=, this](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) {
      return;
    }
    std::lock_guard lock(mutex_);
    json lease = json::parse(req.body, nullptr, false);
    auto& objects = collections_["leases"].objects;
    const std::string key = key_of(req.matches[1], lease["metadata"].value("name", ""));
    if (objects.contains(key)) {
      res.status = 409;
      res.set_content(status(409, "AlreadyExists", "already exists").dump(), "application/json");
      return;
    }
    lease["metadata"]["resourceVersion"] = std::to_string(++rv_);
    objects[key] = lease;
    res.status = 201;
    res.set_content(lease.dump(), "application/json");
  });
  server_->Put(leases + "/([^/]+)", [=, this](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) {
      return;
    }
    std::lock_guard lock(mutex_);
    json lease = json::parse(req.body, nullptr, false);
    auto& objects = collections_["leases"].objects;
    const auto it = objects.find(key_of(req.matches[1], req.matches[2]));
    if (it == objects.end()) {
      res.status = 404;
      return;
    }
    const std::string sent = lease["metadata"].value("resourceVersion", "");
    if (!sent.empty() && sent != it->second["metadata"].value("resourceVersion", "")) {
      res.status = 409;
      res.set_content(status(409, "Conflict", "the object has been modified").dump(),
                      "application/json");
      return;
    }
    lease["metadata"]["resourceVersion"] = std::to_string(++rv_);
    it->second = lease;
    res.set_content(lease.dump(), "application/json");
  });
}

void FakeApiServer::serve_discovery() {
  const auto reply = [](httplib::Response& res, const json& body) {
    res.set_content(body.dump(), "application/json");  // plain JSON: legacy discovery
  };
  server_->Get("/version", [=](const httplib::Request&, httplib::Response& res) {
    reply(res, {{"major", "1"},
                {"minor", "32"},
                {"gitVersion", "v1.32.4"},
                {"gitCommit", "fake"},
                {"gitTreeState", "clean"},
                {"buildDate", "2026-01-01T00:00:00Z"},
                {"goVersion", "go1.23"},
                {"compiler", "gc"},
                {"platform", "linux/amd64"}});
  });
  server_->Get("/api", [=, this](const httplib::Request&, httplib::Response& res) {
    reply(res, {{"kind", "APIVersions"},
                {"versions", {"v1"}},
                {"serverAddressByClientCIDRs",
                 {{{"clientCIDR", "0.0.0.0/0"},
                   {"serverAddress", "127.0.0.1:" + std::to_string(port_)}}}}});
  });
  const std::vector<std::string> groups = {"networking.k8s.io", "discovery.k8s.io",
                                           "coordination.k8s.io"};
  server_->Get("/apis", [=, this](const httplib::Request&, httplib::Response& res) {
    json list = {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", json::array()}};
    for (const auto& group : groups) {
      const json version = {{"groupVersion", group + "/v1"}, {"version", "v1"}};
      list["groups"].push_back(
          {{"name", group}, {"versions", {version}}, {"preferredVersion", version}});
    }
    if (gateway_api_installed()) {
      const json v1 = {{"groupVersion", std::string(GatewayGroup) + "/v1"}, {"version", "v1"}};
      const json v1beta1 = {{"groupVersion", std::string(GatewayGroup) + "/v1beta1"},
                            {"version", "v1beta1"}};
      list["groups"].push_back(
          {{"name", GatewayGroup}, {"versions", {v1, v1beta1}}, {"preferredVersion", v1}});
    }
    reply(res, list);
  });
  const auto resource = [](const char* name, const char* singular, bool namespaced,
                           const char* kind) {
    return json{{"name", name},
                {"singularName", singular},
                {"namespaced", namespaced},
                {"kind", kind},
                {"verbs", {"create", "delete", "get", "list", "patch", "update", "watch"}}};
  };
  const std::map<std::string, json> resources = {
      {"/api/v1", json::array({resource("services", "service", true, "Service"),
                               resource("secrets", "secret", true, "Secret"),
                               resource("configmaps", "configmap", true, "ConfigMap"),
                               resource("namespaces", "namespace", false, "Namespace")})},
      {"/apis/networking.k8s.io/v1",
       json::array({resource("ingresses", "ingress", true, "Ingress"),
                    resource("ingressclasses", "ingressclass", false, "IngressClass")})},
      {"/apis/discovery.k8s.io/v1",
       json::array({resource("endpointslices", "endpointslice", true, "EndpointSlice")})},
      {"/apis/coordination.k8s.io/v1", json::array({resource("leases", "lease", true, "Lease")})},
      {"/apis/gateway.networking.k8s.io/v1",
       json::array({resource("gatewayclasses", "gatewayclass", false, "GatewayClass"),
                    resource("gateways", "gateway", true, "Gateway"),
                    resource("httproutes", "httproute", true, "HTTPRoute"),
                    resource("grpcroutes", "grpcroute", true, "GRPCRoute")})},
      {"/apis/gateway.networking.k8s.io/v1beta1",
       json::array({resource("referencegrants", "referencegrant", true, "ReferenceGrant")})}};
  for (const auto& [path, list] : resources) {
    const std::string group_version = path == "/api/v1" ? "v1" : path.substr(6);
    server_->Get(path, [=, this, list = list](const httplib::Request&, httplib::Response& res) {
      if (group_version.starts_with(GatewayGroup) && !gateway_api_installed()) {
        res.status = 404;
        return;
      }
      reply(res, {{"kind", "APIResourceList"},
                  {"apiVersion", "v1"},
                  {"groupVersion", group_version},
                  {"resources", list}});
    });
  }
}

void FakeApiServer::install_gateway_api() {
  std::lock_guard lock(mutex_);
  served_.insert({"gatewayclasses", "gateways", "httproutes", "grpcroutes", "referencegrants"});
}

bool FakeApiServer::gateway_api_installed() const {
  std::lock_guard lock(mutex_);
  return served_.contains("gateways");
}

void FakeApiServer::serve_crud() {
  const std::string collection = R"(/(api/v1|apis/[^/]+/[^/]+)(/namespaces/([^/]+))?/([a-z]+))";
  server_->Post(collection, [this](const httplib::Request& req, httplib::Response& res) {
    json object = json::parse(req.body, nullptr, false);
    if (!object.is_object() || !object.contains("metadata")) {
      res.status = 400;
      res.set_content(status(400, "BadRequest", "the body is not an object").dump(),
                      "application/json");
      return;
    }
    const std::string ns = req.matches[3];
    if (!ns.empty()) {
      object["metadata"]["namespace"] = ns;
    }
    const std::string plural = req.matches[4];
    const std::string object_ns =
        cluster_scoped(plural) ? "" : object["metadata"].value("namespace", "default");
    const std::string name = object["metadata"].value("name", "");
    if (this->object(plural, object_ns, name).is_object()) {
      res.status = 409;
      res.set_content(
          status(409, "AlreadyExists", plural + " \"" + name + "\" already exists").dump(),
          "application/json");
      return;
    }
    apply(object);
    res.status = 201;
    res.set_content(this->object(plural, object_ns, name).dump(), "application/json");
  });
  // Replace (unconditional without a resourceVersion, as for Secrets); 404 when absent.
  server_->Put(
      collection + "/([^/]+)", [this](const httplib::Request& req, httplib::Response& res) {
        json object = json::parse(req.body, nullptr, false);
        const std::string plural = req.matches[4];
        const std::string name = req.matches[5];
        const std::string ns = cluster_scoped(plural) ? "" : std::string(req.matches[3]);
        if (!object.is_object() || !object.contains("metadata") || !object.contains("kind")) {
          res.status = 400;
          res.set_content(status(400, "BadRequest", "the body is not an object").dump(),
                          "application/json");
          return;
        }
        if (!this->object(plural, ns, name).is_object()) {
          res.status = 404;
          res.set_content(status(404, "NotFound", plural + " \"" + name + "\" not found").dump(),
                          "application/json");
          return;
        }
        object["metadata"]["namespace"] = ns;
        object["metadata"]["name"] = name;
        apply(object);
        res.set_content(this->object(plural, ns, name).dump(), "application/json");
      });
  server_->Delete(
      collection + "/([^/]+)", [this](const httplib::Request& req, httplib::Response& res) {
        const std::string plural = req.matches[4];
        const std::string name = req.matches[5];
        const std::string ns = cluster_scoped(plural) ? "" : std::string(req.matches[3]);
        if (!object(plural, ns, name).is_object()) {
          res.status = 404;
          res.set_content(status(404, "NotFound", plural + " \"" + name + "\" not found").dump(),
                          "application/json");
          return;
        }
        remove(plural, ns, name);
        res.set_content(json{{"kind", "Status"},
                             {"apiVersion", "v1"},
                             {"metadata", json::object()},
                             {"status", "Success"},
                             {"details", {{"name", name}, {"kind", plural}}}}
                            .dump(),
                        "application/json");
      });
  // A single object, as kubectl get NAME and delete --wait read it.
  server_->Get(
      collection + "/([^/]+)", [this](const httplib::Request& req, httplib::Response& res) {
        const std::string plural = req.matches[4];
        const std::string name = req.matches[5];
        const json found =
            object(plural, cluster_scoped(plural) ? "" : std::string(req.matches[3]), name);
        if (!found.is_object()) {
          res.status = 404;
          res.set_content(status(404, "NotFound", plural + " \"" + name + "\" not found").dump(),
                          "application/json");
          return;
        }
        res.set_content(found.dump(), "application/json");
      });
}

std::vector<std::string> FakeApiServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

int FakeApiServer::status_patches() const {
  std::lock_guard lock(mutex_);
  return status_patches_;
}

json FakeApiServer::object(const std::string& plural, const std::string& ns,
                           const std::string& name) const {
  std::lock_guard lock(mutex_);
  const auto collection = collections_.find(plural);
  if (collection == collections_.end()) {
    return nullptr;
  }
  const auto it = collection->second.objects.find(key_of(ns, name));
  return it == collection->second.objects.end() ? json(nullptr) : it->second;
}

std::string FakeApiServer::kubeconfig() const {
  std::lock_guard lock(mutex_);
  std::string ca;
  if (!ca_pem_.empty()) {
    // certificate-authority-data is base64 of the PEM.
    std::string b64(4 * ((ca_pem_.size() + 2) / 3) + 1, '\0');
    EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                    reinterpret_cast<const unsigned char*>(ca_pem_.data()),
                    static_cast<int>(ca_pem_.size()));
    b64.resize(b64.find('\0'));
    ca = "    certificate-authority-data: " + b64 + "\n";
  }
  return "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
         "clusters:\n- name: fake\n  cluster:\n    server: " +
         std::string(ca_pem_.empty() ? "http" : "https") + "://127.0.0.1:" + std::to_string(port_) +
         "\n" + ca + "users:\n- name: tester\n  user:\n    token: " + token_ +
         "\n"
         "contexts:\n- name: test\n  context: {cluster: fake, user: tester}\n";
}

void FakeApiServer::fail_leases(bool failing) {
  std::lock_guard lock(mutex_);
  leases_failing_ = failing;
}

void FakeApiServer::set_token(std::string token) {
  std::lock_guard lock(mutex_);
  token_ = std::move(token);
}

void FakeApiServer::record(const std::string& plural, const std::string& ns,
                           const std::string& type, const json& object) {
  history_.push_back({rv_, plural, ns, type, object});
  changed_.notify_all();
}

void FakeApiServer::apply(json object) {
  std::lock_guard lock(mutex_);
  const std::string plural = plural_of(object.at("kind").get<std::string>());
  auto& metadata = object["metadata"];
  if (!cluster_scoped(plural) && !metadata.contains("namespace")) {
    metadata["namespace"] = "default";
  }
  const std::string ns = metadata.value("namespace", "");
  const std::string key = key_of(ns, metadata.at("name").get<std::string>());
  auto& objects = collections_[plural].objects;
  const bool exists = objects.contains(key);
  metadata["resourceVersion"] = std::to_string(++rv_);
  // As the API server: generation counts changes of the spec, from 1.
  const json* before = exists ? &objects[key] : nullptr;
  const std::int64_t generation =
      before == nullptr ? 0 : before->at("metadata").value("generation", std::int64_t{0});
  metadata["generation"] =
      before != nullptr && before->value("spec", json()) == object.value("spec", json())
          ? generation
          : generation + 1;
  // Gateway API objects have a status subresource: writing the object keeps its status.
  if (before != nullptr && plural_group_is_gateway(plural) && before->contains("status")) {
    object["status"] = before->at("status");
  }
  if (!metadata.contains("creationTimestamp")) {
    metadata["creationTimestamp"] =
        exists ? objects[key]["metadata"]["creationTimestamp"]
               : json("2026-11-26T00:00:" + std::to_string(10 + rv_ % 50) + "Z");
  }
  objects[key] = object;
  record(plural, ns, exists ? "MODIFIED" : "ADDED", object);
}

void FakeApiServer::apply_yaml(const std::string& yaml) {
  auto documents = parse_manifest(yaml, false);
  if (!documents) {
    throw std::invalid_argument(documents.error());
  }
  for (auto& document : *documents) {
    apply(std::move(document.json));
  }
}

void FakeApiServer::remove(const std::string& plural, const std::string& ns,
                           const std::string& name) {
  std::lock_guard lock(mutex_);
  auto& objects = collections_[plural].objects;
  const auto it = objects.find(key_of(ns, name));
  if (it == objects.end()) {
    return;
  }
  json last = it->second;
  objects.erase(it);
  last["metadata"]["resourceVersion"] = std::to_string(++rv_);
  record(plural, ns, "DELETED", last);
}

void FakeApiServer::remove_silently(const std::string& plural, const std::string& ns,
                                    const std::string& name) {
  std::lock_guard lock(mutex_);
  collections_[plural].objects.erase(key_of(ns, name));
  ++rv_;
}

void FakeApiServer::compact_and_end_watches() {
  {
    std::lock_guard lock(mutex_);
    history_.clear();
    oldest_rv_ = ++rv_;
    ++stream_generation_;
  }
  changed_.notify_all();
}

void FakeApiServer::expire_next_continue() {
  std::lock_guard lock(mutex_);
  expire_next_continue_ = true;
}

void FakeApiServer::send_raw_event(const std::string& plural, std::string line) {
  std::lock_guard lock(mutex_);
  ++rv_;
  history_.push_back({rv_, plural, "", "RAW", json(), std::move(line)});
  changed_.notify_all();
}

void FakeApiServer::end_watches() {
  {
    std::lock_guard lock(mutex_);
    ++stream_generation_;
  }
  changed_.notify_all();
}

std::string FakeApiServer::send_bookmarks() {
  std::lock_guard lock(mutex_);
  ++rv_;
  record("", "", "BOOKMARK", json::object());
  return std::to_string(rv_);
}

std::string FakeApiServer::last_watch_from(const std::string& plural) const {
  std::lock_guard lock(mutex_);
  const auto it = last_watch_from_.find(plural);
  return it == last_watch_from_.end() ? std::string() : it->second;
}

int FakeApiServer::lists(const std::string& plural) const {
  std::lock_guard lock(mutex_);
  const auto it = lists_.find(plural);
  return it == lists_.end() ? 0 : it->second;
}

int FakeApiServer::paged_lists(const std::string& plural) const {
  std::lock_guard lock(mutex_);
  const auto it = paged_lists_.find(plural);
  return it == paged_lists_.end() ? 0 : it->second;
}

int FakeApiServer::watches(const std::string& plural) const {
  std::lock_guard lock(mutex_);
  const auto it = watches_.find(plural);
  return it == watches_.end() ? 0 : it->second;
}

}  // namespace portico::test
