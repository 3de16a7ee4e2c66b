/* fuzz_fer2013.c - libFuzzer target: the FER2013 CSV loader (fer2013_load,
 * src/data/fer2013.c).
 *
 * One input is one CSV file. On success every split's invariants are checked (48x48 grey,
 * labels < 7, every pixel readable); a violation aborts, which libFuzzer reports as a crash.
 * On failure the loader must leave every split empty, as fer2013.h promises. */
#include <stdint.h>
#include <stdlib.h>

#include "data/fer2013.h"
#include "fuzz_common.h"

static fuzz_file csv_file;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *csv = fuzz_file_set(&csv_file, data, size);
    nn_images split[FER2013_SPLITS];
    nn_err err;
    if (fer2013_load(csv, split, &err) != 0) {
        for (int s = 0; s < FER2013_SPLITS; s++)
            if (split[s].n != 0 || split[s].pixels || split[s].labels) abort();
        return 0;
    }
    for (int s = 0; s < FER2013_SPLITS; s++) {
        nn_images *im = &split[s];
        if (im->n < 0) abort();
        if (im->n > 0) {
            if (im->c != 1 || im->h != FER2013_SIDE || im->w != FER2013_SIDE ||
                im->classes != FER2013_CLASSES)
                abort();
            for (int i = 0; i < im->n; i++)
                if (im->labels[i] >= FER2013_CLASSES) abort();
            fuzz_touch(im->pixels, (size_t)im->n * images_stride(im));
        }
        images_free(im);
    }
    return 0;
}
