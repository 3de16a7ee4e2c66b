/* sha256.h - SHA-256 (FIPS 180-4) of memory and of files, for the artifacts table.
 *
 * Every figure or model a chapter writes is recorded with its hash, so a report can be
 * matched with the exact files it was built from. */
#ifndef NN_SHA256_H
#define NN_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "nn_err.h"

void sha256(const void *data, size_t len, uint8_t digest[32]);
/* The lowercase hex digest of a whole file (64 characters and a NUL). */
int sha256_file_hex(const char *path, char hex[65], nn_err *err);

#endif
