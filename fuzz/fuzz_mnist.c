/* fuzz_mnist.c - libFuzzer target: the MNIST IDX loader (mnist_load, src/data/mnist.c).
 *
 * mnist_load reads two files, so one input carries both:
 *     u16 little-endian L | images file | labels file (the last L bytes)
 * (L larger than what is left means "all of it"). Both files may be gzipped: io_read_file's
 * gunzip is fuzzed along the way. On success the set's invariants are checked (labels in
 * range, every pixel readable); a violation aborts, which libFuzzer reports as a crash. */
#include <stdint.h>
#include <stdlib.h>

#include "data/images.h"
#include "fuzz_common.h"

static fuzz_file images_file, labels_file;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    size_t labels_len = (size_t)data[0] | (size_t)data[1] << 8;
    data += 2, size -= 2;
    if (labels_len > size) labels_len = size;
    const char *images = fuzz_file_set(&images_file, data, size - labels_len);
    const char *labels = fuzz_file_set(&labels_file, data + size - labels_len, labels_len);

    nn_images set;
    nn_err err;
    if (mnist_load(images, labels, &set, &err) == 0) {
        if (set.n < 1 || set.c != 1 || set.h < 1 || set.w < 1 || set.classes != 10) abort();
        for (int i = 0; i < set.n; i++)
            if (set.labels[i] >= set.classes) abort();
        fuzz_touch(set.pixels, (size_t)set.n * images_stride(&set));
        /* The first image as floats: what every consumer does next. */
        float *x = malloc(images_stride(&set) * sizeof *x);
        if (!x) abort();
        images_to_float(&set, 0, 1, x);
        free(x);
        images_free(&set);
    }
    return 0;
}
