#include "config/acme/acme_crypto.hpp"

#include "proxy/common/base64.hpp"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace portico::acme {
namespace {

using nlohmann::json;

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const noexcept { Free(p); }
};
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using Bignum = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using Request = std::unique_ptr<X509_REQ, Deleter<X509_REQ, X509_REQ_free>>;
using Certificate = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Signature = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;
using DigestContext = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;

std::string sha256(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), size);
}

std::string padded(const BIGNUM* n) {
  std::string out(32, '\0');
  BN_bn2binpad(n, reinterpret_cast<unsigned char*>(out.data()), 32);
  return out;
}

std::chrono::system_clock::time_point to_time_point(const ASN1_TIME* time) {
  struct tm parts {};
  ASN1_TIME_to_tm(time, &parts);
  return std::chrono::system_clock::from_time_t(timegm(&parts));
}

}  // namespace

std::string base64url(std::string_view bytes) {
  return base64_encode(bytes, /*url_safe=*/true);
}

EcKey::EcKey(EVP_PKEY* key) : key_(key, EVP_PKEY_free) {}

Expected<EcKey> EcKey::generate() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) {
    return fail("cannot generate a P-256 key");
  }
  return EcKey(key);
}

Expected<EcKey> EcKey::from_pem(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) {
    return fail("not a PEM private key");
  }
  EcKey out(key);
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC || EVP_PKEY_get_bits(key) != 256) {
    return fail("not a P-256 key");
  }
  return out;
}

std::string EcKey::private_pem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

json EcKey::jwk() const {
  BIGNUM* x = nullptr;
  BIGNUM* y = nullptr;
  EVP_PKEY_get_bn_param(key_.get(), OSSL_PKEY_PARAM_EC_PUB_X, &x);
  EVP_PKEY_get_bn_param(key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, &y);
  const Bignum owned_x(x);
  const Bignum owned_y(y);
  return {
      {"crv", "P-256"}, {"kty", "EC"}, {"x", base64url(padded(x))}, {"y", base64url(padded(y))}};
}

Expected<std::string> EcKey::sign(std::string_view data) const {
  const DigestContext context(EVP_MD_CTX_new());
  std::size_t size = 0;
  if (EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1 ||
      EVP_DigestSign(context.get(), nullptr, &size,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return fail("cannot sign");
  }
  std::string der(size, '\0');
  if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(der.data()), &size,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return fail("cannot sign");
  }
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const Signature signature(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(size)));
  if (!signature) {
    return fail("cannot sign");
  }
  return padded(ECDSA_SIG_get0_r(signature.get())) + padded(ECDSA_SIG_get0_s(signature.get()));
}

std::string jwk_thumbprint(const json& jwk) {
  json required;
  const std::string kty = jwk.value("kty", "");
  for (const char* member : kty == "RSA" ? std::vector<const char*>{"e", "kty", "n"}
                                         : std::vector<const char*>{"crv", "kty", "x", "y"}) {
    if (jwk.contains(member)) {
      required[member] = jwk[member];
    }
  }
  return base64url(sha256(required.dump()));  // nlohmann orders keys; dump() adds no spaces
}

Expected<std::string> sign_request(const EcKey& key, const std::string& kid,
                                   const std::string& nonce, const std::string& url,
                                   const json& payload, bool post_as_get) {
  json protected_header = {{"alg", "ES256"}, {"nonce", nonce}, {"url", url}};
  if (kid.empty()) {
    protected_header["jwk"] = key.jwk();
  } else {
    protected_header["kid"] = kid;
  }
  const std::string encoded_header = base64url(protected_header.dump());
  const std::string encoded_payload = post_as_get ? std::string() : base64url(payload.dump());
  auto signature = key.sign(encoded_header + "." + encoded_payload);
  if (!signature) {
    return fail(signature.error());
  }
  return json{{"protected", encoded_header},
              {"payload", encoded_payload},
              {"signature", base64url(*signature)}}
      .dump();
}

std::string key_authorization(const std::string& token, const EcKey& account_key) {
  return token + "." + jwk_thumbprint(account_key.jwk());
}

Expected<CertificateRequest> make_csr(const std::vector<std::string>& names) {
  if (names.empty()) {
    return fail("a certificate needs at least one name");
  }
  auto key = EcKey::generate();
  if (!key) {
    return fail(key.error());
  }
  const Request request(X509_REQ_new());
  X509_REQ_set_version(request.get(), 0);
  X509_NAME* subject = X509_REQ_get_subject_name(request.get());
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(names.front().c_str()), -1, -1,
                             0);
  std::string alt_names;
  for (const auto& name : names) {
    alt_names += (alt_names.empty() ? "DNS:" : ",DNS:") + name;
  }
  X509_EXTENSION* san =
      X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, alt_names.c_str());
  if (san == nullptr) {
    return fail("invalid names for a certificate: " + alt_names);
  }
  STACK_OF(X509_EXTENSION)* extensions = sk_X509_EXTENSION_new_null();
  sk_X509_EXTENSION_push(extensions, san);
  X509_REQ_add_extensions(request.get(), extensions);
  sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
  if (X509_REQ_set_pubkey(request.get(), key->native()) != 1 ||
      X509_REQ_sign(request.get(), key->native(), EVP_sha256()) <= 0) {
    return fail("cannot sign the certificate request");
  }
  const int size = i2d_X509_REQ(request.get(), nullptr);
  std::string der(static_cast<std::size_t>(size), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509_REQ(request.get(), &out);
  return CertificateRequest{std::move(der), key->private_pem()};
}

Expected<Validity> certificate_validity(const std::string& chain_pem) {
  Bio bio(BIO_new_mem_buf(chain_pem.data(), static_cast<int>(chain_pem.size())));
  const Certificate leaf(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!leaf) {
    return fail("not a PEM certificate");
  }
  Validity out{to_time_point(X509_get0_notBefore(leaf.get())),
               to_time_point(X509_get0_notAfter(leaf.get())),
               {}};
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(leaf.get(), NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_DNS) {
      const auto* text = ASN1_STRING_get0_data(name->d.dNSName);
      out.names.emplace_back(reinterpret_cast<const char*>(text),
                             static_cast<std::size_t>(ASN1_STRING_length(name->d.dNSName)));
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

}  // namespace portico::acme
