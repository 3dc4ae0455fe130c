#pragma once
// The cryptography ACME needs (RFC 8555 §6.2, RFC 7515, RFC 7638), on OpenSSL 3: base64url,
// ES256 account keys and their JWK, JWK thumbprints, flattened JWS, key authorizations, and
// certificate signing requests with a fresh P-256 key. Pure functions and one key type;
// failures are values.
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/common/expected.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace portico::acme {

std::string base64url(std::string_view bytes);  // no padding (RFC 7515 §2)

// An ECDSA P-256 key: the ACME account key, and the key of each certificate.
class EcKey {
 public:
  static Expected<EcKey> generate();
  static Expected<EcKey> from_pem(const std::string& pem);
  std::string private_pem() const;
  // {"crv":"P-256","kty":"EC","x":...,"y":...}, coordinates padded to 32 bytes.
  nlohmann::json jwk() const;
  // ES256 over `data`: R || S, 64 bytes (RFC 7518 §3.4), not DER.
  Expected<std::string> sign(std::string_view data) const;
  EVP_PKEY* native() const noexcept { return key_.get(); }

 private:
  explicit EcKey(EVP_PKEY* key);
  std::shared_ptr<EVP_PKEY> key_;
};

// RFC 7638: base64url(SHA-256) of the JWK's required members in lexicographic order, with no
// whitespace. EC and RSA keys.
std::string jwk_thumbprint(const nlohmann::json& jwk);

// The flattened JWS of RFC 8555 §6.2: "protected" carries alg, nonce, url and either the
// account's "kid" or, before there is an account, its "jwk". An empty `payload` with
// `post_as_get` is a POST-as-GET.
Expected<std::string> sign_request(const EcKey& key, const std::string& kid,
                                   const std::string& nonce, const std::string& url,
                                   const nlohmann::json& payload, bool post_as_get = false);

// token "." thumbprint (RFC 8555 §8.1): what the HTTP-01 challenge URL must answer.
std::string key_authorization(const std::string& token, const EcKey& account_key);

struct CertificateRequest {
  std::string der;      // the CSR, DER
  std::string key_pem;  // its fresh private key
};
// A CSR for `names` (subjectAltName DNS entries; the first is also the common name).
Expected<CertificateRequest> make_csr(const std::vector<std::string>& names);

struct Validity {
  std::chrono::system_clock::time_point not_before;
  std::chrono::system_clock::time_point not_after;
  std::vector<std::string> names;  // the leaf's DNS subjectAltNames
};
// The validity of the first certificate of a PEM chain.
Expected<Validity> certificate_validity(const std::string& chain_pem);

}  // namespace portico::acme
