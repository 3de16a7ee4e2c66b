/* mnist.c - the MNIST IDX files (see images.h).
 *
 * IDX format (LeCun): a big-endian 32-bit magic 0x00000800 | type << 8 | ndim, where type
 * 0x08 means unsigned bytes, then ndim big-endian 32-bit sizes, then the data in row-major
 * order. Images are idx3 (count, rows, cols), labels idx1 (count). */
#include "data/images.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/io.h"

/* The real files are 47 MB (train images) and smaller; an IDX file larger than this is not
 * a dataset we mean to load, and the limit keeps a corrupt gzip from allocating without end. */
#define IDX_MAX_BYTES ((size_t)256 << 20)
#define MNIST_CLASSES 10

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Checks an unsigned-byte IDX file with `ndim` dimensions against its real length and
 * stores the sizes in dims. On success the data starts at buf + 4 + 4 * ndim. */
static int idx_parse(const char *path, const uint8_t *buf, size_t len, int ndim, uint32_t *dims,
                     nn_err *err) {
    uint32_t want = 0x00000800u | (uint32_t)ndim;
    if (len < 4)
        return nn_fail(err, "%s: truncated: %zu bytes, too short for an IDX header", path, len);
    uint32_t magic = be32(buf);
    if ((magic & 0xffffff00u) != 0x00000800u)
        return nn_fail(err, "%s: bad magic 0x%08x, expected 0x%08x (IDX of unsigned bytes)", path,
                       magic, want);
    if ((int)(magic & 0xff) != ndim)
        return nn_fail(err, "%s: wrong dimension count %u, expected %d (magic 0x%08x)", path,
                       magic & 0xff, ndim, want);
    size_t header = 4 + 4 * (size_t)ndim;
    if (len < header)
        return nn_fail(err, "%s: truncated: %zu bytes, the header alone needs %zu", path, len,
                       header);
    /* The product of the sizes may exceed 64 bits for a hostile header, so it is computed
     * with overflow checks; nothing is allocated from it until it matches the file. */
    size_t have = len - header;
    uint64_t need = 1;
    int overflow = 0;
    char shape[64] = "";
    for (int k = 0; k < ndim; k++) {
        dims[k] = be32(buf + 4 + 4 * k);
        if (dims[k] == 0) return nn_fail(err, "%s: dimension %d is zero", path, k);
        if (dims[k] > INT_MAX)
            return nn_fail(err, "%s: dimension %d is too large (%u)", path, k, dims[k]);
        size_t used = strlen(shape);
        snprintf(shape + used, sizeof shape - used, "%s%u", k ? "x" : "", dims[k]);
        overflow |= __builtin_mul_overflow(need, (uint64_t)dims[k], &need);
    }
    if (overflow)
        return nn_fail(err,
                       "%s: truncated: the header claims %s bytes of data (over 2^64), "
                       "the file has %zu",
                       path, shape, have);
    if (need > have)
        return nn_fail(err,
                       "%s: truncated: the header claims %s = %llu bytes of data, the file "
                       "has %zu",
                       path, shape, (unsigned long long)need, have);
    if (need < have)
        return nn_fail(err, "%s: %zu bytes of data, but the header (%s) describes %llu", path, have,
                       shape, (unsigned long long)need);
    return 0;
}

/* Reads an IDX file and moves its data to the start of the buffer, which the caller owns. */
static int idx_load(const char *path, int ndim, uint32_t *dims, uint8_t **data, nn_err *err) {
    uint8_t *buf;
    size_t len;
    if (io_read_file(path, IDX_MAX_BYTES, &buf, &len, err) != 0) return -1;
    if (idx_parse(path, buf, len, ndim, dims, err) != 0) {
        free(buf);
        return -1;
    }
    size_t header = 4 + 4 * (size_t)ndim;
    memmove(buf, buf + header, len - header);
    *data = buf;
    return 0;
}

int mnist_load(const char *images_path, const char *labels_path, nn_images *out, nn_err *err) {
    memset(out, 0, sizeof *out);
    uint32_t idims[3], ldims[1];
    uint8_t *pixels = NULL, *labels = NULL;
    if (idx_load(images_path, 3, idims, &pixels, err) != 0) return -1;
    if (idx_load(labels_path, 1, ldims, &labels, err) != 0) {
        free(pixels);
        return -1;
    }
    if (idims[0] != ldims[0]) {
        free(pixels);
        free(labels);
        return nn_fail(err, "%s: %u labels, but %s holds %u images", labels_path, ldims[0],
                       images_path, idims[0]);
    }
    for (uint32_t i = 0; i < ldims[0]; i++) {
        if (labels[i] >= MNIST_CLASSES) {
            unsigned bad = labels[i];
            free(pixels);
            free(labels);
            return nn_fail(err, "%s: label %u at index %u is out of range 0..%d", labels_path, bad,
                           i, MNIST_CLASSES - 1);
        }
    }
    *out = (nn_images){.n = (int)idims[0],
                       .c = 1,
                       .h = (int)idims[1],
                       .w = (int)idims[2],
                       .pixels = pixels,
                       .labels = labels,
                       .classes = MNIST_CLASSES};
    return 0;
}

int mnist_load_split(const char *data_dir, const char *split, nn_images *out, nn_err *err) {
    memset(out, 0, sizeof *out);
    const char *prefix;
    if (strcmp(split, "train") == 0)
        prefix = "train";
    else if (strcmp(split, "test") == 0)
        prefix = "t10k";
    else
        return nn_fail(err, "mnist: unknown split '%s' (train or test)", split);
    char dir[4096], name[64], images[4096], labels[4096];
    if (snprintf(dir, sizeof dir, "%s/mnist", data_dir) >= (int)sizeof dir)
        return nn_fail(err, "%s/mnist: path too long", data_dir);
    snprintf(name, sizeof name, "%s-images-idx3-ubyte", prefix);
    if (io_find_data(dir, name, images, sizeof images, err) != 0) return -1;
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte", prefix);
    if (io_find_data(dir, name, labels, sizeof labels, err) != 0) return -1;
    return mnist_load(images, labels, out, err);
}
