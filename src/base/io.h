/* io.h - reading whole files into memory, gzip or not.
 *
 * Every dataset and model file nnlab reads is small enough to hold in memory at once (the
 * largest, a CIFAR-10 batch, is 30 MB), and parsing from a buffer is simpler and safer than
 * parsing from a stream: the parser always knows how many bytes really exist, so a header
 * that lies about sizes is caught by comparing against the true length *before* anything is
 * allocated from the header's numbers.
 *
 *   io_read_file   the whole file; gunzipped transparently when it starts with the gzip
 *                  magic (1f 8b). `max_bytes` bounds the (uncompressed) result, so neither a
 *                  corrupt gzip trailer nor a gzip bomb can make us allocate more than the
 *                  caller is prepared for.
 *   io_gunzip      the same decompression for a buffer already in memory.
 *   io_find_data   resolves `dir/name` or `dir/name.gz`, whichever exists, so loaders accept
 *                  datasets kept compressed or not.
 *   io_ensure_dir  makes a directory unless it exists (figures, model files).
 *
 * Errors name the file: "data/x.gz: truncated gzip data", "data/x: not found", ... */
#ifndef NN_IO_H
#define NN_IO_H

#include <stddef.h>
#include <stdint.h>

#include "base/nn_err.h"

/* Reads `path` into a new malloc'd buffer (*data, *len; the caller frees *data). The buffer
 * has one extra zero byte after the data (not counted in *len), so text can be parsed as a
 * C string. Fails when the file (or its uncompressed content) exceeds max_bytes. */
int io_read_file(const char *path, size_t max_bytes, uint8_t **data, size_t *len, nn_err *err);

/* Decompresses a gzip stream (one or more concatenated members, as gzip(1) allows) into a
 * new buffer, with the same trailing zero byte and size limit as io_read_file. `name` is
 * only used in error messages. */
int io_gunzip(const uint8_t *src, size_t src_len, size_t max_bytes, const char *name,
              uint8_t **data, size_t *len, nn_err *err);

/* Whether buf starts with the gzip magic bytes. */
int io_is_gzip(const uint8_t *buf, size_t len);

/* Writes into out (capacity cap) the path `dir/name` if that file exists, else `dir/name.gz`
 * if that exists; otherwise fails with a message naming both. */
int io_find_data(const char *dir, const char *name, char *out, size_t cap, nn_err *err);

/* Creates directory `dir` (one level) unless it already exists as a directory; fails naming
 * it when it cannot (no parent, a file in the way, no permission). */
int io_ensure_dir(const char *dir, nn_err *err);

#endif
