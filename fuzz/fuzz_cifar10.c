/* fuzz_cifar10.c - libFuzzer target: the CIFAR-10 batch loader (cifar10_load,
 * src/data/cifar10.c).
 *
 * The first byte chooses how many batch files (1 to 4, its low two bits) the rest is cut
 * into, in equal parts (the last takes the remainder), so the appending of several batches
 * is fuzzed as well as a single one. On success the set's invariants are checked. */
#include <stdint.h>
#include <stdlib.h>

#include "data/images.h"
#include "fuzz_common.h"

static fuzz_file files[FUZZ_MAX_FILES];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const int nfiles = 1 + (data[0] & 3);
    data++, size--;
    const char *paths[FUZZ_MAX_FILES];
    const size_t part = size / (size_t)nfiles;
    for (int k = 0; k < nfiles; k++) {
        size_t len = k == nfiles - 1 ? size - part * (size_t)k : part;
        paths[k] = fuzz_file_set(&files[k], data + part * (size_t)k, len);
    }

    nn_images set;
    nn_err err;
    if (cifar10_load(paths, nfiles, &set, &err) == 0) {
        if (set.n < 1 || set.c != 3 || set.h != 32 || set.w != 32 || set.classes != 10) abort();
        for (int i = 0; i < set.n; i++)
            if (set.labels[i] >= set.classes) abort();
        fuzz_touch(set.pixels, (size_t)set.n * images_stride(&set));
        images_free(&set);
    }
    return 0;
}
