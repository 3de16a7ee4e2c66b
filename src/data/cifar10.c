/* cifar10.c - the CIFAR-10 binary batches (see images.h).
 *
 * A batch file is a plain sequence of 3073-byte records: one label byte (0..9), then the
 * 32x32 image as three 1024-byte planes R, G, B, each row-major. There is no header, so the
 * only structural checks are that the length is a whole, non-zero number of records and that
 * every label is a class. The official files hold 10,000 records each. */
#include "data/images.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/io.h"

#define CIFAR_CLASSES 10
#define CIFAR_SIDE 32
#define CIFAR_PIXELS (3 * CIFAR_SIDE * CIFAR_SIDE)
#define CIFAR_RECORD (1 + CIFAR_PIXELS)
/* An official batch is 30.7 MB; a file much larger than that is not one. */
#define CIFAR_MAX_BYTES ((size_t)256 << 20)

const char *cifar10_class_name(int label) {
    static const char *const names[CIFAR_CLASSES] = {
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
    return label >= 0 && label < CIFAR_CLASSES ? names[label] : "?";
}

/* Appends the records of one batch file to out (whose buffers grow). */
static int append_batch(const char *path, nn_images *out, nn_err *err) {
    uint8_t *buf;
    size_t len;
    if (io_read_file(path, CIFAR_MAX_BYTES, &buf, &len, err) != 0) return -1;
    if (len == 0 || len % CIFAR_RECORD != 0) {
        free(buf);
        return nn_fail(err,
                       "%s: length %zu is not a whole number of %d-byte records "
                       "(truncated or not a CIFAR-10 batch)",
                       path, len, CIFAR_RECORD);
    }
    size_t count = len / CIFAR_RECORD;
    for (size_t i = 0; i < count; i++) {
        unsigned label = buf[i * CIFAR_RECORD];
        if (label >= CIFAR_CLASSES) {
            free(buf);
            return nn_fail(err, "%s: label %u in record %zu is out of range 0..%d", path, label, i,
                           CIFAR_CLASSES - 1);
        }
    }
    size_t n = (size_t)out->n;
    if (count > (size_t)INT_MAX - n) {
        free(buf);
        return nn_fail(err, "%s: too many images in total", path);
    }
    uint8_t *pixels = realloc(out->pixels, (n + count) * CIFAR_PIXELS);
    if (pixels) out->pixels = pixels;
    uint8_t *labels = pixels ? realloc(out->labels, n + count) : NULL;
    if (labels) out->labels = labels;
    if (!pixels || !labels) {
        free(buf);
        return nn_fail(err, "%s: out of memory for %zu images", path, n + count);
    }
    for (size_t i = 0; i < count; i++) {
        const uint8_t *rec = buf + i * CIFAR_RECORD;
        out->labels[n + i] = rec[0];
        memcpy(out->pixels + (n + i) * CIFAR_PIXELS, rec + 1, CIFAR_PIXELS);
    }
    out->n = (int)(n + count);
    free(buf);
    return 0;
}

int cifar10_load(const char *const *paths, int npaths, nn_images *out, nn_err *err) {
    memset(out, 0, sizeof *out);
    if (npaths <= 0) return nn_fail(err, "cifar10_load: no batch files given");
    out->c = 3;
    out->h = out->w = CIFAR_SIDE;
    out->classes = CIFAR_CLASSES;
    for (int k = 0; k < npaths; k++) {
        if (append_batch(paths[k], out, err) != 0) {
            images_free(out);
            return -1;
        }
    }
    return 0;
}

int cifar10_load_split(const char *data_dir, const char *split, nn_images *out, nn_err *err) {
    memset(out, 0, sizeof *out);
    enum { MAX_BATCHES = 5 };
    char names[MAX_BATCHES][32];
    int nbatches;
    if (strcmp(split, "train") == 0) {
        nbatches = MAX_BATCHES;
        for (int k = 0; k < nbatches; k++)
            snprintf(names[k], sizeof names[k], "data_batch_%d.bin", k + 1);
    } else if (strcmp(split, "test") == 0) {
        nbatches = 1;
        snprintf(names[0], sizeof names[0], "test_batch.bin");
    } else {
        return nn_fail(err, "cifar-10: unknown split '%s' (train or test)", split);
    }
    char dir[4096], paths[MAX_BATCHES][4096];
    const char *path_ptrs[MAX_BATCHES];
    if (snprintf(dir, sizeof dir, "%s/cifar-10", data_dir) >= (int)sizeof dir)
        return nn_fail(err, "%s/cifar-10: path too long", data_dir);
    for (int k = 0; k < nbatches; k++) {
        if (io_find_data(dir, names[k], paths[k], sizeof paths[k], err) != 0) return -1;
        path_ptrs[k] = paths[k];
    }
    return cifar10_load(path_ptrs, nbatches, out, err);
}
