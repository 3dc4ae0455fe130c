#pragma once
// for_each_pem: every object of one kind (certificates, CRLs) in a PEM text, for the trust
// stores client and backend certificates are verified with.
#include <openssl/err.h>
#include <openssl/pem.h>

#include <string_view>

namespace portico {

// Hands each object `read` (PEM_read_bio_X509...) finds in `pem` to `take`, which owns it
// then; the count.
template <class Object, class Read, class Take>
int for_each_pem(std::string_view pem, Read read, Take take) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  int count = 0;
  while (Object* object = read(bio, nullptr, nullptr, nullptr)) {
    take(object);
    ++count;
  }
  BIO_free(bio);
  ERR_clear_error();  // the read past the last object
  return count;
}

}  // namespace portico
