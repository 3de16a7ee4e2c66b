/* test_model_io.c - save/load: bit-identical round trips (parameters and batch-norm running
 * statistics, through both nn_model_read and nn_model_load), and a clear error naming the
 * file for every kind of bad file. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gradcheck.h"
#include "nn/model_io.h"

/* A model with every layer kind that has parameters or state, trained a few steps so the
 * running statistics are not their initial values. */
static nn_model *make_model(int channels2) {
    nn_model *m = nn_model_new(2, 8, 8, NULL);
    nn_add_conv2d(m, 4, 3, 1, 1);
    nn_add_batchnorm(m);
    nn_add_activation(m, NN_RELU);
    int mark = nn_mark(m);
    nn_add_conv2d(m, 4, 3, 1, 1);
    nn_add_residual(m, mark);
    nn_add_maxpool(m, 2, 2);
    nn_add_conv2d(m, channels2, 3, 2, 1);
    nn_add_avgpool(m, 2, 2);
    nn_add_flatten(m);
    nn_add_dropout(m, 0.25f);
    nn_add_dense(m, 6);
    nn_add_batchnorm_opts(m, 0.2f, 1e-3f);
    nn_add_activation(m, NN_TANH);
    nn_add_dense(m, 3);
    nn_err err = {{0}};
    cr_assert_eq(nn_model_build(m, 8, &err), 0, "%s", err.msg);
    return m;
}

static void train_a_little(nn_model *m, const float *x) {
    nn_rng rng;
    rng_seed(&rng, 3);
    nn_model_init(m, NN_INIT_GLOROT_UNIFORM, &rng);
    const uint8_t y[8] = {0, 1, 2, 0, 1, 2, 0, 1};
    for (int s = 0; s < 3; s++) {
        softmax_xent(nn_forward(m, x, 8, 1), y, 8, 3, nn_output_grad_buffer(m));
        nn_backward(m, nn_output_grad_buffer(m), 8);
        float *p = nn_params(m), *g = nn_grads(m);
        for (size_t j = 0; j < nn_param_count(m); j++) p[j] -= 0.1f * g[j];
    }
}

static char path[64];

static void setup(void) {
    snprintf(path, sizeof path, "/tmp/nnlab-test-io-%d.nnm", (int)getpid());
}
static void teardown(void) {
    remove(path);
}

TestSuite(model_io, .init = setup, .fini = teardown);

static void save_trained(float *x) {
    nn_rng rng;
    rng_seed(&rng, 1);
    fill_uniform(&rng, x, 8 * 128, -1, 1);
    nn_model *m = make_model(8);
    train_a_little(m, x);
    nn_err err = {{0}};
    cr_assert_eq(nn_model_save(m, path, &err), 0, "%s", err.msg);
    nn_model_free(m);
}

Test(model_io, round_trip_gives_identical_outputs_and_state) {
    float x[8 * 128];
    nn_rng rng;
    rng_seed(&rng, 1);
    fill_uniform(&rng, x, 8 * 128, -1, 1);
    nn_model *m = make_model(8);
    train_a_little(m, x);
    size_t len;
    const float *st = nn_layer_state(m, 1, &len);
    cr_assert(st[0] != 0 && st[4] != 1, "running statistics moved during training");
    float want[8 * 3];
    memcpy(want, nn_forward(m, x, 8, 0), sizeof want);
    nn_err err = {{0}};
    cr_assert_eq(nn_model_save(m, path, &err), 0, "%s", err.msg);

    /* Rebuilt from the file alone, with another max batch. */
    nn_model *r = nn_model_read(path, 16, &err);
    cr_assert_not_null(r, "%s", err.msg);
    cr_assert_eq(nn_max_batch(r), 16);
    cr_assert_eq(nn_layer_count(r), nn_layer_count(m));
    for (int l = 0; l < nn_layer_count(m); l++)
        cr_assert_str_eq(nn_layer_name(r, l), nn_layer_name(m, l));
    cr_assert_arr_eq(nn_params(r), nn_params(m), nn_param_count(m) * sizeof(float));
    cr_assert_arr_eq(nn_state(r), nn_state(m), nn_state_count(m) * sizeof(float));
    cr_assert_arr_eq(nn_forward(r, x, 8, 0), want, sizeof want, "outputs differ after read");

    /* Loaded into a freshly built model of the same architecture. */
    nn_model *fresh = make_model(8);
    cr_assert_eq(nn_model_load(fresh, path, &err), 0, "%s", err.msg);
    cr_assert_arr_eq(nn_forward(fresh, x, 8, 0), want, sizeof want, "outputs differ after load");
    nn_model_free(fresh);
    nn_model_free(r);
    nn_model_free(m);
}

/* Reads the saved file, lets `edit` change its bytes (and maybe its length), writes it back
 * and returns the message nn_model_read gives for it, checking that it names the file. */
static const char *error_for(void (*edit)(unsigned char *, long *)) {
    static nn_err err;
    float x[8 * 128];
    save_trained(x);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    static unsigned char buf[1 << 16];
    long n = (long)fread(buf, 1, sizeof buf, f);
    fclose(f);
    cr_assert(n > 0 && n < (long)sizeof buf);
    edit(buf, &n);
    f = fopen(path, "wb");
    fwrite(buf, 1, (size_t)n, f);
    fclose(f);
    memset(&err, 0, sizeof err);
    cr_assert_null(nn_model_read(path, 8, &err), "a bad file was accepted");
    cr_assert(strstr(err.msg, path) != NULL, "message does not name the file: %s", err.msg);
    cr_assert(strchr(err.msg, '\n') == NULL);
    /* The same through nn_model_load, which leaves the model untouched. */
    nn_model *m = make_model(8);
    float before = nn_params(m)[0];
    nn_err err2 = {{0}};
    cr_assert_eq(nn_model_load(m, path, &err2), -1);
    cr_assert_str_eq(err2.msg, err.msg);
    cr_assert(nn_params(m)[0] == before);
    nn_model_free(m);
    return err.msg;
}

static void wrong_magic(unsigned char *b, long *n) {
    (void)n;
    b[0] = 'X';
}
static void wrong_version(unsigned char *b, long *n) {
    (void)n;
    b[8] = 2;
}
static void truncated(unsigned char *b, long *n) {
    (void)b;
    *n /= 2;
}
static void tiny(unsigned char *b, long *n) {
    (void)b;
    *n = 20;
}
static void trailing(unsigned char *b, long *n) {
    b[*n] = 0;
    *n += 1;
}
static void flipped_parameter_byte(unsigned char *b, long *n) {
    b[*n - 100] ^= 0x10;
}
static void flipped_record_byte(unsigned char *b, long *n) {
    (void)n;
    b[52 + 4] ^= 0x01; /* the first layer's `units` field */
}

Test(model_io, wrong_magic) {
    const char *msg = error_for(wrong_magic);
    cr_assert(strstr(msg, "bad magic"), "%s", msg);
}
Test(model_io, wrong_version) {
    const char *msg = error_for(wrong_version);
    cr_assert(strstr(msg, "unsupported format version 2"), "%s", msg);
}
Test(model_io, truncated) {
    const char *msg = error_for(truncated);
    cr_assert(strstr(msg, "truncated"), "%s", msg);
    msg = error_for(tiny);
    cr_assert(strstr(msg, "truncated"), "%s", msg);
}
Test(model_io, trailing_bytes) {
    const char *msg = error_for(trailing);
    cr_assert(strstr(msg, "unexpected bytes"), "%s", msg);
}
Test(model_io, flipped_byte) {
    const char *msg = error_for(flipped_parameter_byte);
    cr_assert(strstr(msg, "checksum mismatch"), "%s", msg);
    msg = error_for(flipped_record_byte);
    cr_assert(strstr(msg, "checksum mismatch"), "%s", msg);
}

Test(model_io, architecture_mismatch) {
    float x[8 * 128];
    save_trained(x);
    nn_err err = {{0}};
    nn_model *other = make_model(6); /* conv3 has 6 channels instead of 8 */
    cr_assert_eq(nn_model_load(other, path, &err), -1);
    cr_assert(strstr(err.msg, path) && strstr(err.msg, "architecture mismatch at layer 6 (conv3)") &&
                  strstr(err.msg, "conv2d(out 8"),
              "%s", err.msg);
    nn_model_free(other);

    nn_model *small = nn_model_new(2, 8, 8, NULL);
    nn_add_dense(small, 3);
    cr_assert_eq(nn_model_build(small, 2, NULL), 0);
    cr_assert_eq(nn_model_load(small, path, &err), -1);
    cr_assert(strstr(err.msg, "architecture mismatch") && strstr(err.msg, "layers"), "%s", err.msg);
    nn_model_free(small);

    nn_model *input = nn_model_new(1, 8, 8, NULL);
    nn_add_dense(input, 3);
    cr_assert_eq(nn_model_build(input, 2, NULL), 0);
    cr_assert_eq(nn_model_load(input, path, &err), -1);
    cr_assert(strstr(err.msg, "input (2, 8, 8) in the file"), "%s", err.msg);
    nn_model_free(input);
}

Test(model_io, missing_file_and_unwritable_path) {
    nn_err err = {{0}};
    cr_assert_null(nn_model_read("/nonexistent/dir/m.nnm", 4, &err));
    cr_assert(strstr(err.msg, "/nonexistent/dir/m.nnm: cannot open"), "%s", err.msg);
    nn_model *m = make_model(8);
    cr_assert_eq(nn_model_save(m, "/nonexistent/dir/m.nnm", &err), -1);
    cr_assert(strstr(err.msg, "/nonexistent/dir/m.nnm") && strstr(err.msg, "cannot write"), "%s",
              err.msg);
    nn_model_free(m);
    nn_model *unbuilt = nn_model_new(1, 2, 2, NULL);
    cr_assert_eq(nn_model_save(unbuilt, path, &err), -1);
    cr_assert(strstr(err.msg, "not built"), "%s", err.msg);
    nn_model_free(unbuilt);
}
