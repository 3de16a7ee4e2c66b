/* fuzz_model.c - libFuzzer target: the model file (nn_model_read / nn_model_load,
 * src/nn/model_io.c).
 *
 * A model file ends in a CRC-32 of everything before it and declares its own size, so
 * random mutations almost never get past those two checks. Each input is therefore read
 * twice: as it is (the outer checks: magic, version, size, checksum), and "repaired" (the
 * declared size set to the real one and a correct CRC appended), so that the fuzzer reaches
 * what a checksum cannot vouch for: the header's counts, every layer record, the rebuilt
 * architecture and the comparison with an existing model (nn_model_load into the model the
 * seed corpus's model-conv.nnm was saved from).
 *
 * A model read successfully is then used the way a chapter would: one forward pass in
 * evaluation mode, one in training mode and a backward pass, on a zero input, when its
 * buffers are small (so a file that declares a huge but consistent network stays cheap). */
#include <cblas.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fuzz_common.h"
#include "nn/model_io.h"
#include "reference_model.h"

static fuzz_file file;
static nn_model *reference;
/* Activations beyond this many floats are not worth running at every execution. */
enum { MAX_RUN_FLOATS = 1 << 16 };

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    /* One thread: the fuzzer runs one input at a time on a shared machine. */
    omp_set_num_threads(1);
    openblas_set_num_threads(1);
    nn_err err;
    reference = fuzz_reference_model(&err);
    if (!reference) abort();
    return 0;
}

static void run(nn_model *m) {
    size_t floats = (size_t)nn_input_size(m);
    for (int i = 0; i < nn_layer_count(m); i++) {
        int c, h, w;
        nn_layer_shape(m, i, &c, &h, &w);
        floats += (size_t)c * (size_t)h * (size_t)w;
    }
    if (floats > MAX_RUN_FLOATS) return;
    float *x = calloc((size_t)nn_input_size(m), sizeof *x);
    if (!x) abort();
    if (!nn_forward(m, x, 1, 0) || !nn_forward(m, x, 1, 1)) abort();
    memset(nn_output_grad_buffer(m), 0, (size_t)nn_output_size(m) * sizeof(float));
    if (nn_backward(m, nn_output_grad_buffer(m), 1) != 0) abort();
    free(x);
}

static void read_and_load(const uint8_t *data, size_t size) {
    const char *path = fuzz_file_set(&file, data, size);
    nn_err err;
    nn_model *m = nn_model_read(path, 1, &err);
    if (m) {
        run(m);
        nn_model_free(m);
    }
    nn_model_load(reference, path, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    read_and_load(data, size);
    /* Repaired: declared size (offset 12) and CRC (the last 4 bytes) made right. */
    if (size < 56) return 0;
    uint8_t *fixed = malloc(size);
    if (!fixed) abort();
    memcpy(fixed, data, size);
    for (int i = 0; i < 8; i++) fixed[12 + i] = (uint8_t)((uint64_t)size >> (8 * i));
    uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), fixed, (uInt)(size - 4));
    for (int i = 0; i < 4; i++) fixed[size - 4 + i] = (uint8_t)(crc >> (8 * i));
    read_and_load(fixed, size);
    free(fixed);
    return 0;
}
