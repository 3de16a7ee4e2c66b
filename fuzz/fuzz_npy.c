/* fuzz_npy.c - libFuzzer target: the .npy reader (src/data/npy.c).
 *
 * Every input goes through both entry points: npy_parse on the bytes in memory (exactly
 * `size` bytes: ASan catches any read past them) and npy_read on the same bytes as a file
 * (gzip detection, the in-place move of the data). Both must agree, and an accepted array
 * must hold exactly count elements of its dtype, with count the product of its shape. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/npy.h"
#include "fuzz_common.h"

static fuzz_file file;

static void check(const npy_array *a) {
    if (a->ndim < 0 || a->ndim > NPY_MAX_DIMS) abort();
    size_t count = 1;
    for (int k = 0; k < a->ndim; k++) count *= a->shape[k];
    if (count != a->count) abort();
    fuzz_touch(a->data, a->count * npy_dtype_size(a->dtype));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    nn_err err;
    npy_array mem, disk;
    int rc_mem = npy_parse(data, size, "fuzz.npy", &mem, &err);
    if (rc_mem == 0) check(&mem);
    int rc_disk = npy_read(fuzz_file_set(&file, data, size), &disk, &err);
    if (rc_disk == 0) check(&disk);
    /* A gzipped input is only readable as a file; otherwise both must say the same. */
    if (size < 2 || data[0] != 0x1f || data[1] != 0x8b) {
        if (rc_mem != rc_disk) abort();
        if (rc_mem == 0 &&
            (mem.dtype != disk.dtype || mem.ndim != disk.ndim || mem.count != disk.count ||
             memcmp(mem.data, disk.data, mem.count * npy_dtype_size(mem.dtype)) != 0))
            abort();
    }
    if (rc_mem == 0) npy_free(&mem);
    if (rc_disk == 0) npy_free(&disk);
    return 0;
}
