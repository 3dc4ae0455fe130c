#include "config/acme/acme_client.hpp"

#include <httplib.h>

#include <algorithm>
#include <thread>

#include "k8swatch/json_fields.hpp"
#include "proxy/common/log.hpp"

namespace portico::acme {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr int MaxBadNonceRetries = 10;
constexpr auto PollDeadline = 120s;

// "https://host:port/path" -> {"https://host:port", "/path"}.
std::pair<std::string, std::string> split_url(const std::string& url) {
  const auto scheme = url.find("://");
  const auto path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (path == std::string::npos) {
    return {url, "/"};
  }
  return {url.substr(0, path), url.substr(path)};
}

std::string problem_of(const json& problem) {
  std::string text =
      k8s::string_field(problem, "type") + ": " + k8s::string_field(problem, "detail");
  for (const auto& sub : k8s::array_field(problem, "subproblems")) {
    text += "; " + k8s::string_field(sub, "detail");
  }
  return text;
}

std::string problem_text(const std::string& body) {
  const auto problem = json::parse(body, nullptr, false);
  return problem.is_object() ? problem_of(problem) : body.substr(0, 200);
}

}  // namespace

AcmeClient::AcmeClient(AcmeSettings settings, EcKey account_key)
    : settings_(std::move(settings)), key_(std::move(account_key)) {}

AcmeClient::~AcmeClient() = default;

Failure AcmeClient::unreachable(std::string reason) {
  rejected_ = false;
  return Failure{std::move(reason)};
}

Failure AcmeClient::rejected(const Reply& reply, const std::string& what) {
  // 5xx is the server having a bad moment: retried soon, like a network error.
  rejected_ = reply.status < 500;
  return Failure{what + ": HTTP " + std::to_string(reply.status) + " " + problem_text(reply.body)};
}

httplib::Client& AcmeClient::client_for(const std::string& origin) {
  auto& client = clients_[origin];
  if (!client) {
    client = std::make_unique<httplib::Client>(origin);
    if (!settings_.ca_file.empty()) {
      client->set_ca_cert_path(settings_.ca_file.c_str());
    }
    client->enable_server_certificate_verification(true);
    client->set_connection_timeout(10s);
    client->set_read_timeout(30s);
    client->set_default_headers({{"User-Agent", "portico-acme/0.1"}});
  }
  return *client;
}

Expected<AcmeClient::Reply> AcmeClient::get(const std::string& url, bool head) {
  const auto [origin, path] = split_url(url);
  auto result = head ? client_for(origin).Head(path) : client_for(origin).Get(path);
  if (!result) {
    return unreachable(url + ": " + httplib::to_string(result.error()));
  }
  if (result->has_header("Replay-Nonce")) {
    nonce_ = result->get_header_value("Replay-Nonce");
  }
  return Reply{result->status, result->body, result->get_header_value("Location")};
}

Expected<AcmeClient::Reply> AcmeClient::post(const std::string& url, const json& payload,
                                             bool post_as_get) {
  const auto [origin, path] = split_url(url);
  for (int attempt = 0;; ++attempt) {
    if (nonce_.empty()) {
      auto fresh = get(k8s::string_field(directory_, "newNonce"), true);
      if (!fresh) {
        return Failure{fresh.error()};
      }
      if (nonce_.empty()) {
        return unreachable("the ACME server sent no Replay-Nonce");
      }
    }
    auto body = sign_request(key_, kid_, std::exchange(nonce_, {}), url, payload, post_as_get);
    if (!body) {
      return unreachable(body.error());
    }
    auto result = client_for(origin).Post(path, *body, "application/jose+json");
    if (!result) {
      return unreachable(url + ": " + httplib::to_string(result.error()));
    }
    if (result->has_header("Replay-Nonce")) {
      nonce_ = result->get_header_value("Replay-Nonce");
    }
    Reply reply{result->status, result->body, result->get_header_value("Location")};
    const bool bad_nonce =
        reply.status == 400 &&
        problem_text(reply.body).starts_with("urn:ietf:params:acme:error:badNonce");
    if (bad_nonce && attempt < MaxBadNonceRetries) {
      log::debug("acme", "badNonce; retrying with the fresh nonce", {{"url", url}});
      continue;
    }
    return reply;
  }
}

Expected<json> AcmeClient::post_json(const std::string& url, const json& payload,
                                     bool post_as_get) {
  auto reply = post(url, payload, post_as_get);
  if (!reply) {
    return Failure{reply.error()};
  }
  if (reply->status >= 300) {
    return rejected(*reply, url);
  }
  auto body = json::parse(reply->body, nullptr, false);
  if (!body.is_object()) {
    return unreachable(url + ": the reply is not a JSON object");
  }
  if (!reply->location.empty()) {
    body["_location"] = reply->location;  // the order's URL, from its Location header
  }
  return body;
}

std::optional<Failure> AcmeClient::ensure_account() {
  if (directory_.empty()) {
    auto reply = get(settings_.directory_url);
    if (!reply) {
      return Failure{reply.error()};
    }
    auto parsed = json::parse(reply->body, nullptr, false);
    if (reply->status != 200 || k8s::string_field(parsed, "newAccount").empty() ||
        k8s::string_field(parsed, "newOrder").empty() ||
        k8s::string_field(parsed, "newNonce").empty()) {
      return rejected(*reply, "directory " + settings_.directory_url);
    }
    directory_ = std::move(parsed);
  }
  if (!kid_.empty()) {
    return std::nullopt;
  }
  // The same key finds the same account again (200 instead of 201): restarts reuse it.
  json account = {{"termsOfServiceAgreed", true}};
  if (!settings_.email.empty()) {
    account["contact"] = json::array({"mailto:" + settings_.email});
  }
  auto reply = post(k8s::string_field(directory_, "newAccount"), account);
  if (!reply) {
    return Failure{reply.error()};
  }
  if (reply->status >= 300 || reply->location.empty()) {
    return rejected(*reply, "newAccount");
  }
  kid_ = reply->location;
  log::info("acme", reply->status == 201 ? "account created" : "account found",
            {{"account", kid_}});
  return std::nullopt;
}

// POST-as-GET `url` while its status is one of `waiting`.
Expected<json> AcmeClient::poll(const std::string& url,
                                std::initializer_list<std::string_view> waiting) {
  const auto deadline = std::chrono::steady_clock::now() + PollDeadline;
  auto interval = std::chrono::milliseconds(250);
  for (;;) {
    auto object = post_json(url, json(), true);
    if (!object) {
      return object;
    }
    const std::string status = k8s::string_field(*object, "status");
    if (std::find(waiting.begin(), waiting.end(), status) == waiting.end()) {
      return object;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return unreachable(url + ": still " + status + " after " +
                         std::to_string(PollDeadline.count()) + " s");
    }
    std::this_thread::sleep_for(interval);
    interval = std::min(interval * 2, std::chrono::milliseconds(2s));
  }
}

Expected<IssuedCertificate> AcmeClient::issue(const std::vector<std::string>& names,
                                              const PublishChallenges& publish) {
  if (auto failure = ensure_account()) {
    return *failure;
  }
  json identifiers = json::array();
  for (const auto& name : names) {
    identifiers.push_back({{"type", "dns"}, {"value", name}});
  }
  auto order = post_json(k8s::string_field(directory_, "newOrder"), {{"identifiers", identifiers}});
  if (!order) {
    return Failure{order.error()};
  }
  const std::string order_url = k8s::string_field(*order, "_location");
  if (order_url.empty() || k8s::array_field(*order, "authorizations").empty() ||
      k8s::string_field(*order, "finalize").empty()) {
    return unreachable("newOrder: the reply lacks the order's URL, authorizations or finalize");
  }

  // Answer every authorization that is not valid yet with its HTTP-01 challenge.
  std::map<std::string, std::string> answers;
  std::vector<std::pair<std::string, std::string>> pending;  // authorization, challenge URL
  for (const auto& authorization_url : k8s::array_field(*order, "authorizations")) {
    const std::string url =
        authorization_url.is_string() ? authorization_url.get<std::string>() : "";
    auto authorization = post_json(url, json(), true);
    if (!authorization) {
      return Failure{authorization.error()};
    }
    if (k8s::string_field(*authorization, "status") == "valid") {
      continue;
    }
    const json* http01 = nullptr;
    for (const auto& challenge : k8s::array_field(*authorization, "challenges")) {
      if (k8s::string_field(challenge, "type") == "http-01") {
        http01 = &challenge;
      }
    }
    if (http01 == nullptr) {
      rejected_ = true;
      return Failure{"no http-01 challenge offered for " +
                     k8s::string_field(k8s::object_field(*authorization, "identifier"), "value") +
                     " (wildcard names need dns-01, which Portico does not solve)"};
    }
    const std::string token = k8s::string_field(*http01, "token");
    answers[token] = key_authorization(token, key_);
    pending.emplace_back(url, k8s::string_field(*http01, "url"));
  }
  if (!pending.empty()) {
    publish(answers);
    for (const auto& [authorization_url, challenge_url] : pending) {
      if (auto ready = post_json(challenge_url, json::object()); !ready) {
        publish({});
        return Failure{ready.error()};
      }
    }
    for (const auto& [authorization_url, challenge_url] : pending) {
      auto done = poll(authorization_url, {"pending"});
      if (!done) {
        publish({});
        return Failure{done.error()};
      }
      if (k8s::string_field(*done, "status") != "valid") {
        publish({});
        std::string detail;
        for (const auto& challenge : k8s::array_field(*done, "challenges")) {
          if (!k8s::object_field(challenge, "error").empty()) {
            detail = problem_of(k8s::object_field(challenge, "error"));
          }
        }
        rejected_ = true;
        return Failure{"authorization " + k8s::string_field(*done, "status") + " for " +
                       k8s::string_field(k8s::object_field(*done, "identifier"), "value") + ": " +
                       detail};
      }
    }
    publish({});
  }

  auto request = make_csr(names);
  if (!request) {
    return unreachable(request.error());
  }
  auto finalized =
      post_json(k8s::string_field(*order, "finalize"), {{"csr", base64url(request->der)}});
  if (!finalized) {
    return Failure{finalized.error()};
  }
  auto done = poll(order_url, {"ready", "processing"});
  if (!done) {
    return Failure{done.error()};
  }
  if (k8s::string_field(*done, "status") != "valid" ||
      k8s::string_field(*done, "certificate").empty()) {
    rejected_ = true;
    return Failure{"order " + k8s::string_field(*done, "status") + ": " +
                   problem_of(k8s::object_field(*done, "error"))};
  }
  auto certificate = post(k8s::string_field(*done, "certificate"), json(), true);
  if (!certificate) {
    return Failure{certificate.error()};
  }
  if (certificate->status != 200) {
    return rejected(*certificate, "certificate download");
  }
  return IssuedCertificate{certificate->body, request->key_pem};
}

}  // namespace portico::acme
