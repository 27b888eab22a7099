// OpenSSL's libcrypto (Debian libssl-dev): HMAC-SHA256, which signs the messages of
// the Jupyter protocol (Sources/MLPKernel/Wire.swift). Named CMLPCrypto so that it
// cannot clash with another package's CCrypto module.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
