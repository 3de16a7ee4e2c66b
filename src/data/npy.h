/* npy.h - NumPy .npy files: read and write arrays of uint8, int32, int64, float32, float64.
 *
 * .npy is how nnlab exchanges arrays with Python (reference results from NumPy/PyTorch,
 * adversarial examples, weights): a 6-byte magic "\x93NUMPY", a version, a header length,
 * an ASCII Python-dict header such as
 *     {'descr': '<f4', 'fortran_order': False, 'shape': (10, 784), }
 * padded with spaces and a newline, then the raw elements in C order.
 *
 * Supported: versions 1.0 (written) and 2.0/3.0 (read); dtypes '|u1' (uint8), '<i4'
 * (little-endian int32), '<i8' (int64, NumPy's default for integer arrays such as labels),
 * '<f4' (float32) and '<f8' (float64, NumPy's default for real arrays); C order only; 0 to
 * NPY_MAX_DIMS dimensions. Any other dtype is refused by name ("'<i2' (int16)") rather than
 * reinterpreted, so a caller never sees one type's bytes as another's. The header is parsed
 * as untrusted input: bad magic, unknown or missing keys, malformed literals, Fortran order,
 * absurd shapes (overflowing products) and a shape that does not account for exactly the
 * bytes in the file are all rejected with a one-line error naming the file. The writer pads
 * the header so that the data starts at a multiple of 64 bytes and produces the same bytes as
 * numpy.save for the same array. */
#ifndef NN_NPY_H
#define NN_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "base/nn_err.h"

#define NPY_MAX_DIMS 8

typedef enum npy_dtype { NPY_U8 = 1, NPY_F32 = 2, NPY_I64 = 3, NPY_F64 = 4, NPY_I32 = 5 } npy_dtype;

typedef struct npy_array {
    npy_dtype dtype;
    int ndim;
    size_t shape[NPY_MAX_DIMS];
    size_t count; /* number of elements: the product of shape (1 when ndim is 0) */
    void *data;   /* count elements in C order (uint8_t, int32_t, int64_t, float or double);
                     owned, see npy_free */
} npy_array;

/* Bytes per element (0 for a value that is not an npy_dtype). */
size_t npy_dtype_size(npy_dtype dtype);
/* NumPy's name for the type: "uint8", "int32", "int64", "float32", "float64" ("?" else). */
const char *npy_dtype_name(npy_dtype dtype);

/* Reads a .npy file (gzipped or not, see io.h); at most NPY_MAX_FILE_BYTES. */
#define NPY_MAX_FILE_BYTES ((size_t)4 << 30)
int npy_read(const char *path, npy_array *out, nn_err *err);

/* Parses a .npy image held in memory; the data is copied, buf is not kept. `name` is only
 * used in error messages. */
int npy_parse(const uint8_t *buf, size_t len, const char *name, npy_array *out, nn_err *err);

/* Writes `data` (the product of shape elements of dtype, C order) as a version 1.0 .npy
 * file. The file is written under a temporary name and renamed, so a reader never sees a
 * half-written array. */
int npy_write(const char *path, npy_dtype dtype, int ndim, const size_t *shape, const void *data,
              nn_err *err);

/* Frees the data and zeroes the struct; safe on a zeroed or already freed array. */
void npy_free(npy_array *a);

#endif
