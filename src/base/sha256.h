/* sha256.h - SHA-256 (FIPS 180-4) of a buffer or a file, as bytes or lowercase hex.
 *
 * nnlab records every file it writes outside the database (arrays for NumPy, models) in the
 * `artifacts` table together with its SHA-256, so a reader can tell whether the file on disk
 * is the one the run produced. The digest is computed here rather than through a crypto
 * library because it is the only hash nnlab needs and the algorithm is short.
 *
 *     sha256_ctx c;
 *     sha256_init(&c);
 *     sha256_update(&c, buf, len);        any number of times, any lengths
 *     uint8_t digest[32];
 *     sha256_final(&c, digest);
 *
 * or in one call: sha256_file_hex("x.npy", hex, &err) with char hex[SHA256_HEX_SIZE]. */
#ifndef NN_SHA256_H
#define NN_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "base/nn_err.h"

#define SHA256_HEX_SIZE 65 /* 64 hex digits and a NUL */

typedef struct sha256_ctx {
    uint32_t state[8];
    uint64_t length; /* bytes hashed so far */
    uint8_t block[64];
    size_t used; /* bytes waiting in block */
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t len);
/* Pads, writes the 32-byte digest, and leaves the context to be initialised again. */
void sha256_final(sha256_ctx *c, uint8_t digest[32]);

/* The digest of a buffer, as 64 lowercase hex digits and a NUL. */
void sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_SIZE]);
/* The digest of a file's bytes as they are on disk (no gunzip); errors name the file. */
int sha256_file_hex(const char *path, char hex[SHA256_HEX_SIZE], nn_err *err);

#endif
