#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>

#include "config/acme/acme_crypto.hpp"
#include "proxy/common/base64.hpp"

using namespace portico::acme;
using nlohmann::json;

namespace {

// base64url back to bytes, through the standard alphabet the project already decodes.
std::string from_base64url(std::string text) {
  for (char& c : text) {
    c = c == '-' ? '+' : c == '_' ? '/' : c;
  }
  text.append((4 - text.size() % 4) % 4, '=');
  return portico::base64_decode(text).value();
}

// Verifies an ES256 signature (R || S) as an ACME server would, with OpenSSL alone.
bool verifies(const EcKey& key, const std::string& data, const std::string& signature) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(
      sig, BN_bin2bn(reinterpret_cast<const unsigned char*>(signature.data()), 32, nullptr),
      BN_bin2bn(reinterpret_cast<const unsigned char*>(signature.data()) + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int der_size = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  const bool ok =
      EVP_DigestVerifyInit(context, nullptr, EVP_sha256(), nullptr, key.native()) == 1 &&
      EVP_DigestVerify(context, der, static_cast<std::size_t>(der_size),
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(context);
  OPENSSL_free(der);
  return ok;
}

}  // namespace

TEST_CASE("ACME: base64url as RFC 4648 section 10 and RFC 7515 want it", "[acme]") {
  CHECK(base64url("") == "");
  CHECK(base64url("f") == "Zg");
  CHECK(base64url("fo") == "Zm8");
  CHECK(base64url("foo") == "Zm9v");
  CHECK(base64url("foob") == "Zm9vYg");
  CHECK(base64url("fooba") == "Zm9vYmE");
  CHECK(base64url("foobar") == "Zm9vYmFy");
  CHECK(base64url("\xfb\xff") == "-_8");  // the URL-safe alphabet, no padding
}

TEST_CASE("ACME: the JWK thumbprint of RFC 7638's example", "[acme]") {
  const json jwk = {
      {"kty", "RSA"},
      {"n",
       "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
       "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
       "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
       "bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"},
      {"e", "AQAB"},
      {"alg", "RS256"},
      {"kid", "2011-04-29"}};
  CHECK(jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST_CASE("ACME: ES256 keys, their JWK, and signed requests a server can verify", "[acme]") {
  auto key = EcKey::generate();
  REQUIRE(key.ok());
  const json jwk = key->jwk();
  CHECK(jwk["kty"] == "EC");
  CHECK(jwk["crv"] == "P-256");
  CHECK(from_base64url(jwk["x"]).size() == 32);  // coordinates padded to the field size
  CHECK(from_base64url(jwk["y"]).size() == 32);
  // The key survives PEM, as the stored account key does.
  auto again = EcKey::from_pem(key->private_pem());
  REQUIRE(again.ok());
  CHECK(again->jwk() == jwk);
  CHECK_FALSE(EcKey::from_pem("not a key").ok());

  SECTION("before an account: the jwk in the protected header") {
    const auto body = json::parse(
        sign_request(*key, "", "nonce-1", "https://ca/new-acct", {{"termsOfServiceAgreed", true}})
            .value());
    const json header = json::parse(from_base64url(body["protected"]));
    CHECK(
        header ==
        json{{"alg", "ES256"}, {"nonce", "nonce-1"}, {"url", "https://ca/new-acct"}, {"jwk", jwk}});
    CHECK(json::parse(from_base64url(body["payload"])) == json{{"termsOfServiceAgreed", true}});
    const std::string signature = from_base64url(body["signature"]);
    REQUIRE(signature.size() == 64);
    CHECK(verifies(*key,
                   body["protected"].get<std::string>() + "." + body["payload"].get<std::string>(),
                   signature));
    CHECK_FALSE(verifies(*key, "tampered", signature));
  }
  SECTION("with an account: its kid, and POST-as-GET has an empty payload") {
    const auto body = json::parse(
        sign_request(*key, "https://ca/acct/1", "n", "https://ca/order/1", json(), true).value());
    const json header = json::parse(from_base64url(body["protected"]));
    CHECK(header["kid"] == "https://ca/acct/1");
    CHECK_FALSE(header.contains("jwk"));
    CHECK(body["payload"] == "");
  }
  SECTION("the key authorization is token.thumbprint") {
    CHECK(key_authorization("tok", *key) == "tok." + jwk_thumbprint(jwk));
  }
}

TEST_CASE("ACME: a CSR carries every name and is signed by its fresh key", "[acme]") {
  auto request = make_csr({"a.example.com", "b.example.com"});
  REQUIRE(request.ok());
  const auto* der = reinterpret_cast<const unsigned char*>(request->der.data());
  X509_REQ* csr = d2i_X509_REQ(nullptr, &der, static_cast<long>(request->der.size()));
  REQUIRE(csr != nullptr);
  auto key = EcKey::from_pem(request->key_pem);
  REQUIRE(key.ok());
  CHECK(X509_REQ_verify(csr, key->native()) == 1);
  STACK_OF(X509_EXTENSION)* extensions = X509_REQ_get_extensions(csr);
  std::vector<std::string> names;
  for (int i = 0; i < sk_X509_EXTENSION_num(extensions); ++i) {
    X509_EXTENSION* extension = sk_X509_EXTENSION_value(extensions, i);
    if (OBJ_obj2nid(X509_EXTENSION_get_object(extension)) != NID_subject_alt_name) {
      continue;
    }
    auto* alt = static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(extension));
    for (int j = 0; j < sk_GENERAL_NAME_num(alt); ++j) {
      const auto* text = ASN1_STRING_get0_data(sk_GENERAL_NAME_value(alt, j)->d.dNSName);
      names.emplace_back(reinterpret_cast<const char*>(text));
    }
    GENERAL_NAMES_free(alt);
  }
  sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
  X509_REQ_free(csr);
  CHECK(names == std::vector<std::string>{"a.example.com", "b.example.com"});
  CHECK_FALSE(make_csr({}).ok());
}
