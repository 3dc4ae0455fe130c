#include "config/acme/acme_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "config/acme/acme_crypto.hpp"
#include "proxy/common/base64.hpp"
#include "k8swatch/json_fields.hpp"
#include "proxy/common/log.hpp"
#include "proxy/common/read_file.hpp"

namespace portico::acme {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* AccountSecret = "portico-acme-account";

// Writes atomically (temporary file, then rename), readable only by the owner when `secret`.
std::optional<Failure> write_file(const fs::path& path, const std::string& text, bool secret) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  const fs::path temporary = path.string() + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, secret ? 0600 : 0644);
  if (fd < 0) {
    return Failure{"cannot write " + temporary.string()};
  }
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  fs::rename(temporary, path, ec);
  if (!written || ec) {
    return Failure{"cannot write " + path.string()};
  }
  return std::nullopt;
}

std::pair<std::string, std::string> split_key(const std::string& key) {
  const auto slash = key.find('/');
  return {key.substr(0, slash), key.substr(slash + 1)};
}

k8s::Secret secret_of(const std::string& key, const char* type,
                      std::map<std::string, std::string> data) {
  k8s::Secret secret;
  std::tie(secret.meta.namespace_, secret.meta.name) = split_key(key);
  secret.type = type;
  secret.data = std::move(data);
  return secret;
}

}  // namespace

// --- FileStore ---

FileStore::FileStore(std::string dir, std::string challenge_secret_key, Deliver deliver)
    : dir_(std::move(dir)),
      challenge_secret_key_(std::move(challenge_secret_key)),
      deliver_(std::move(deliver)) {}

Expected<std::string> FileStore::account_key(const std::function<std::string()>& make) {
  const fs::path file = fs::path(dir_) / "account.key";
  if (auto pem = read_file(file.string())) {
    return *pem;
  }
  std::string pem = make();
  if (auto failure = write_file(file, pem, true)) {
    return *failure;
  }
  log::info("acme", "account key made", {{"file", file.string()}});
  return pem;
}

std::optional<StoredCertificate> FileStore::certificate(const std::string& secret_key) {
  const fs::path dir = fs::path(dir_) / "certificates" / secret_key;
  auto chain = read_file((dir / "tls.crt").string());
  auto key = read_file((dir / "tls.key").string());
  if (!chain || !key) {
    return std::nullopt;
  }
  return StoredCertificate{std::move(*chain), std::move(*key)};
}

std::optional<Failure> FileStore::save(const std::string& secret_key,
                                       const StoredCertificate& certificate) {
  const fs::path dir = fs::path(dir_) / "certificates" / secret_key;
  deliver_(secret_of(secret_key, "kubernetes.io/tls",
                     {{"tls.crt", certificate.chain_pem}, {"tls.key", certificate.key_pem}}));
  if (auto failure = write_file(dir / "tls.crt", certificate.chain_pem, false)) {
    return failure;
  }
  return write_file(dir / "tls.key", certificate.key_pem, true);
}

std::optional<Failure> FileStore::publish_challenges(
    const std::map<std::string, std::string>& answers) {
  deliver_(secret_of(challenge_secret_key_, "Opaque", answers));
  return std::nullopt;
}

// certificates/NAMESPACE/NAME/tls.crt and tls.key.
void FileStore::serve_stored() {
  std::error_code ec;
  for (const auto& ns : fs::directory_iterator(fs::path(dir_) / "certificates", ec)) {
    for (const auto& entry : fs::directory_iterator(ns.path(), ec)) {
      const std::string key =
          ns.path().filename().string() + "/" + entry.path().filename().string();
      const auto stored = certificate(key);
      if (!stored || !certificate_validity(stored->chain_pem)) {
        log::warn("acme", "stored certificate unreadable; it will be ordered again",
                  {{"secret", key}, {"dir", entry.path().string()}});
        continue;
      }
      deliver_(secret_of(key, "kubernetes.io/tls",
                         {{"tls.crt", stored->chain_pem}, {"tls.key", stored->key_pem}}));
    }
  }
}

// --- SecretStore ---

SecretStore::SecretStore(const k8s::ApiConfig& config, std::string own_namespace,
                         std::string challenge_secret_key)
    : client_(config),
      own_namespace_(std::move(own_namespace)),
      challenge_secret_key_(std::move(challenge_secret_key)) {}

Expected<std::optional<std::map<std::string, std::string>>> SecretStore::read(
    const std::string& key) {
  const auto [ns, name] = split_key(key);
  auto reply = client_.get("/api/v1/namespaces/" + ns + "/secrets/" + name);
  if (!reply) {
    return Failure{reply.error()};
  }
  if (reply->status == 404) {
    return std::optional<std::map<std::string, std::string>>();
  }
  const auto secret = json::parse(reply->body, nullptr, false);
  if (reply->status != 200 || !secret.is_object()) {
    return Failure{"reading Secret " + key + ": HTTP " + std::to_string(reply->status)};
  }
  std::map<std::string, std::string> data;
  for (const auto& [field, value] : k8s::object_field(secret, "data").items()) {
    if (value.is_string()) {
      data[field] = base64_decode(value.get<std::string>()).value_or("");
    }
  }
  return std::optional(std::move(data));
}

std::optional<Failure> SecretStore::write(const std::string& key, const std::string& type,
                                          const std::map<std::string, std::string>& data) {
  const auto [ns, name] = split_key(key);
  json encoded = json::object();
  for (const auto& [field, value] : data) {
    encoded[field] = base64_encode(value);
  }
  const json secret = {{"apiVersion", "v1"},
                       {"kind", "Secret"},
                       {"metadata",
                        {{"name", name},
                         {"namespace", ns},
                         {"labels", {{"app.kubernetes.io/managed-by", "portico"}}}}},
                       {"type", type},
                       {"data", encoded}};
  const std::string collection = "/api/v1/namespaces/" + ns + "/secrets";
  // Replace (unconditionally: ours is the newest), or create when it does not exist yet.
  auto reply = client_.send("PUT", collection + "/" + name, secret.dump());
  if (reply && reply->status == 404) {
    reply = client_.send("POST", collection, secret.dump());
  }
  if (!reply) {
    return Failure{reply.error()};
  }
  if (reply->status >= 300) {
    return Failure{"writing Secret " + key + ": HTTP " + std::to_string(reply->status) + " " +
                   reply->body.substr(0, 200)};
  }
  return std::nullopt;
}

Expected<std::string> SecretStore::account_key(const std::function<std::string()>& make) {
  const std::string key = own_namespace_ + "/" + AccountSecret;
  auto stored = read(key);
  if (!stored) {
    return Failure{stored.error()};
  }
  if (*stored && (*stored)->contains("account.key")) {
    return (*stored)->at("account.key");
  }
  std::string pem = make();
  if (auto failure = write(key, "Opaque", {{"account.key", pem}})) {
    return *failure;
  }
  log::info("acme", "account key made", {{"secret", key}});
  return pem;
}

std::optional<StoredCertificate> SecretStore::certificate(const std::string& secret_key) {
  auto stored = read(secret_key);
  if (!stored || !*stored || !(*stored)->contains("tls.crt") || !(*stored)->contains("tls.key")) {
    return std::nullopt;
  }
  return StoredCertificate{(*stored)->at("tls.crt"), (*stored)->at("tls.key")};
}

std::optional<Failure> SecretStore::save(const std::string& secret_key,
                                         const StoredCertificate& certificate) {
  return write(secret_key, "kubernetes.io/tls",
               {{"tls.crt", certificate.chain_pem}, {"tls.key", certificate.key_pem}});
}

std::optional<Failure> SecretStore::publish_challenges(
    const std::map<std::string, std::string>& answers) {
  return write(challenge_secret_key_, "Opaque", answers);
}

}  // namespace portico::acme
