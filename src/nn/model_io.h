/* model_io.h - saving and loading a model: one versioned, checksummed binary file.
 *
 *     nn_model_save(m, "build/mnist-cnn.nnm", &err);
 *     nn_model *copy = nn_model_read("build/mnist-cnn.nnm", 128, &err);   rebuilds it
 *     nn_model_load(m2, "build/mnist-cnn.nnm", &err);   into an existing model, verified
 *
 * The file holds the architecture (every layer's kind, hyper-parameters and output shape),
 * the parameter block and the state block (batch-norm running statistics), so a read model
 * computes bit-identical outputs. Not saved: gradients, optimiser state, frozen flags, the
 * dropout generator, max_batch (chosen when reading).
 *
 * Format, version 1. Every field is little-endian; i32/u32/u64 are integers, f32 IEEE-754.
 *     offset    size   field
 *     0         8      magic "NNLABMOD"
 *     8         4      u32  format version = 1
 *     12        8      u64  total file size in bytes, checksum included
 *     20        4      u32  layer count L
 *     24        12     i32  input shape c, h, w
 *     36        8      u64  parameter count P (floats)
 *     44        8      u64  state count S (floats)
 *     52        56 L   layer records, in order, each 14 fields of 4 bytes:
 *                        u32 kind (nn_layer_kind), i32 units, i32 act (nn_activation),
 *                        i32 channels, i32 kernel, i32 stride, i32 pad, i32 mark,
 *                        f32 p, f32 momentum, f32 eps, i32 output c, h, w
 *     52+56L    4 P    f32  parameters, in nn_params order
 *     ...       4 S    f32  state, in nn_state order
 *     end-4     4      u32  CRC-32 (zlib's crc32, the ISO-HDLC polynomial) of all bytes
 *                           before it
 * A new field or layer kind means a new version; readers refuse versions they do not know.
 *
 * Checks when reading, in order, each failing with a one-line message naming the file:
 * cannot open/read; bad magic (not a model file); unsupported version; truncated (fewer
 * bytes than the header declares, or than any model file has) or trailing bytes; checksum
 * mismatch (corrupted); a header inconsistent with its layer count and sizes; and for
 * nn_model_load, any difference between the file's architecture and the model's (input
 * shape, layer count, a layer's description or shape, parameter or state count).
 * Files are written to "<path>.tmp" and renamed into place, so a crash mid-write never
 * leaves a half-written model under the real name. */
#ifndef NN_MODEL_IO_H
#define NN_MODEL_IO_H

#include "nn/model.h"
#include "base/nn_err.h"

#define NN_MODEL_FORMAT_VERSION 1

/* Writes a built model to path. 0, or -1 with a message. */
int nn_model_save(nn_model *m, const char *path, nn_err *err);
/* Reads path into a built model of the same architecture. 0, or -1 with a message; on
 * error the model is unchanged. */
int nn_model_load(nn_model *m, const char *path, nn_err *err);
/* Rebuilds the model saved in path, built for batches of up to max_batch; NULL with a
 * message on error. */
nn_model *nn_model_read(const char *path, int max_batch, nn_err *err);

#endif
