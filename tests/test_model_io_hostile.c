/* test_model_io_hostile.c - model files that are well formed on the outside (right magic,
 * size and checksum) but whose layer records ask for something the file does not hold.
 * Found by fuzz/fuzz_model.c (fuzz/regressions/model/): nn_model_read must refuse each one
 * with a one-line error, before building anything, without overflowing an int and without
 * allocating for a network the file does not describe. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "nn/model_io.h"

enum { HEADER = 52, RECORD = 56 };
/* Offsets inside a layer record (model_io.h). */
enum { F_UNITS = 4, F_KERNEL = 16, F_STRIDE = 20, F_PAD = 24, F_C = 44, F_H = 48, F_W = 52 };

static char path[64];
static uint8_t *bytes;
static size_t size;

static void setup(void) {
    snprintf(path, sizeof path, "/tmp/nnlab-test-hostile-%d.nnm", (int)getpid());
}
static void teardown(void) {
    free(bytes);
    bytes = NULL;
    remove(path);
}
TestSuite(model_io_hostile, .init = setup, .fini = teardown);

/* Saves m (then frees it) and loads the file's bytes for patching. */
static void save(nn_model *m) {
    nn_err err = {{0}};
    cr_assert_eq(nn_model_build(m, 1, &err), 0, "%s", err.msg);
    cr_assert_eq(nn_model_save(m, path, &err), 0, "%s", err.msg);
    nn_model_free(m);
    FILE *f = fopen(path, "rb");
    cr_assert(f);
    fseek(f, 0, SEEK_END);
    size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    bytes = malloc(size);
    cr_assert_eq(fread(bytes, 1, size, f), size);
    fclose(f);
}

static void put_i32(size_t offset, int32_t v) {
    for (int i = 0; i < 4; i++) bytes[offset + i] = (uint8_t)((uint32_t)v >> (8 * i));
}
static void put_field(int layer, int field, int32_t v) {
    put_i32(HEADER + (size_t)RECORD * layer + field, v);
}

/* Writes the patched bytes back with a correct checksum and reads them; must fail. */
static void expect_refused(const char *must_contain) {
    uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), bytes, (uInt)(size - 4));
    put_i32(size - 4, (int32_t)crc);
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    cr_assert_eq(fwrite(bytes, 1, size, f), size);
    fclose(f);
    nn_err err = {{0}};
    nn_model *m = nn_model_read(path, 1, &err);
    cr_assert_null(m, "a hostile file was accepted");
    cr_assert(strstr(err.msg, path), "error does not name the file: %s", err.msg);
    cr_assert(strstr(err.msg, must_contain), "expected '%s' in: %s", must_contain, err.msg);
    cr_assert_null(strchr(err.msg, '\n'), "error is not one line: %s", err.msg);
}

/* fuzz/regressions/model/dense-units-beyond-declared-shape: a dense layer with millions of
 * units that declares a 2-unit output. It used to be built (and its weights allocated and
 * zeroed) before the declared shape was compared; now the record itself is refused. */
Test(model_io_hostile, dense_units_beyond_declared_shape) {
    nn_model *m = nn_model_new(1, 2, 2, NULL);
    nn_add_flatten(m);
    nn_add_dense(m, 2);
    save(m);
    put_field(1, F_UNITS, 1 << 20);
    expect_refused("layer 1");
}

/* Padding and stride near 2^30: the output size h + 2 pad overflows an int. */
Test(model_io_hostile, conv_padding_overflows_int) {
    nn_model *m = nn_model_new(1, 4, 4, NULL);
    nn_add_conv2d(m, 1, 3, 1, 1);
    save(m);
    put_field(0, F_PAD, 1 << 30);
    put_field(0, F_STRIDE, 1 << 30);
    expect_refused("layer 0");
}

/* An input of 2^11 x 2^11 x 2^11 values: c * h * w overflows an int. */
Test(model_io_hostile, input_shape_overflows_int) {
    nn_model *m = nn_model_new(1, 2, 2, NULL);
    nn_add_flatten(m);
    save(m);
    put_i32(24, 1 << 11), put_i32(28, 1 << 11), put_i32(32, 1 << 11);
    expect_refused("input");
}

/* A consistent file of a few hundred bytes for a network with over 2^26 activations per
 * sample (a 1x1 convolution with 4096 of padding): reading it would allocate and zero more
 * than a gigabyte for a model no file of nnlab's describes. */
Test(model_io_hostile, activations_beyond_limit) {
    nn_model *m = nn_model_new(1, 2, 2, NULL);
    nn_add_conv2d(m, 1, 1, 1, 0);
    save(m);
    const int pad = 4096, side = 2 + 2 * pad;
    put_field(0, F_PAD, pad);
    put_field(0, F_H, side);
    put_field(0, F_W, side);
    expect_refused("too large");
}

/* The kernel size squared overflows 64 bits together with the channels. */
Test(model_io_hostile, conv_kernel_parameter_count_overflows) {
    nn_model *m = nn_model_new(1, 2, 2, NULL);
    nn_add_conv2d(m, 1, 1, 1, 0);
    save(m);
    put_field(0, F_KERNEL, 1 << 30);
    put_field(0, F_PAD, 1 << 29);
    put_field(0, F_STRIDE, 1 << 30);
    expect_refused("layer 0");
}
