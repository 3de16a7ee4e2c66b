/* test_model_h5.c - Keras-layout .h5 files: nnlab reads its own files back with
 * bit-identical outputs; Debian's h5py, through tests/keras_h5_check.py, finds every name and
 * shape model_config implies and computes the same outputs with Keras' channels-last
 * semantics (which checks the kernel transposes and the flatten permutation independently);
 * and damaged, foreign or unsupported files fail with one line naming the file. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if __has_include(<hdf5/serial/hdf5.h>)
#include <hdf5/serial/hdf5.h>
#else
#include <hdf5.h>
#endif

#include "base/rng.h"
#include "data/npy.h"
#include "nn/model.h"
#include "nn/model_h5.h"
#include "test_files.h"

#define CHECKER "/usr/bin/python3 tests/keras_h5_check.py"

static char dir[TEST_PATH_MAX];
static void setup(void) {
    test_mkdtemp(dir);
}
static void teardown(void) {
    test_rmtree(dir);
}
TestSuite(model_h5, .init = setup, .fini = teardown);

/* Random weights, and batch-norm statistics far from their initial 0 and 1, so that a
 * mixed-up vector shows. */
static void randomise(nn_model *m, uint64_t seed) {
    nn_rng rng;
    rng_seed(&rng, seed);
    nn_model_init(m, NN_INIT_GLOROT_UNIFORM, &rng);
    float *p = nn_params(m);
    for (size_t i = 0; i < nn_param_count(m); i++)
        p[i] += 0.2f * (rng_uniform(&rng) - 0.5f);
    float *s = nn_state(m);
    for (int l = 0; l < nn_layer_count(m); l++) {
        size_t n;
        float *st = nn_layer_state(m, l, &n);
        for (size_t i = 0; st && i < n / 2; i++) {
            st[i] = rng_uniform(&rng) - 0.5f;                /* mean */
            st[n / 2 + i] = 0.5f + 1.5f * rng_uniform(&rng); /* variance */
        }
    }
    (void)s;
}

static nn_model *built(nn_model *m) {
    nn_err err = {{0}};
    cr_assert_eq(nn_model_build(m, 8, &err), 0, "%s", err.msg);
    return m;
}

/* Every layer kind: same, valid and odd-padded convolutions, both pools, a flatten of a
 * spatial tensor followed by a (permuted) batch norm, dropout, all activations. Input 2x9x8,
 * not square, so that mixing up height and width shows. */
static nn_model *model_everything(void) {
    nn_model *m = nn_model_new(2, 9, 8, NULL);
    nn_add_conv2d(m, 4, 3, 1, 1);
    nn_add_batchnorm(m);
    nn_add_activation(m, NN_RELU);
    nn_add_conv2d(m, 5, 3, 2, 0); /* -> 5 x 4 x 3 */
    nn_add_conv2d(m, 3, 3, 1, 2); /* ZeroPadding2D + valid: 3 x 6 x 5 */
    nn_add_activation(m, NN_TANH);
    nn_add_maxpool(m, 2, 1); /* 3 x 5 x 4 */
    nn_add_avgpool(m, 2, 2); /* 3 x 2 x 2 */
    nn_add_flatten(m);
    nn_add_batchnorm_opts(m, 0.01f, 1e-3f);
    nn_add_activation(m, NN_SIGMOID);
    nn_add_dropout(m, 0.3f);
    nn_add_dense(m, 6);
    nn_add_activation(m, NN_RELU);
    nn_add_dense(m, 4);
    nn_add_activation(m, NN_SOFTMAX);
    return built(m);
}

/* nnlab's implicit flatten: a dense layer straight after a convolution. */
static nn_model *model_implicit_flatten(void) {
    nn_model *m = nn_model_new(3, 5, 6, NULL);
    nn_add_conv2d(m, 4, 1, 1, 0);
    nn_add_activation(m, NN_RELU);
    nn_add_dense(m, 5);
    nn_add_batchnorm(m);
    nn_add_dense(m, 3);
    return built(m);
}

static nn_model *model_gap(void) {
    nn_model *m = nn_model_new(1, 7, 7, NULL);
    nn_add_conv2d(m, 6, 5, 1, 2);
    nn_add_batchnorm(m);
    nn_add_global_avgpool(m);
    nn_add_dense(m, 2);
    return built(m);
}

static nn_model *model_flat_input(void) {
    nn_model *m = nn_model_new(10, 1, 1, NULL);
    nn_add_dense(m, 7);
    nn_add_activation(m, NN_TANH);
    nn_add_dense(m, 3);
    return built(m);
}

/* Saves m, reads it back, compares outputs bit for bit on a random batch, and has the
 * Python checker read the file and recompute the outputs. */
static void round_trip(nn_model *m, const char *name, uint64_t seed) {
    randomise(m, seed);
    char path[TEST_PATH_MAX], in_path[TEST_PATH_MAX], out_path[TEST_PATH_MAX];
    test_path(path, dir, name);
    nn_err err = {{0}};
    cr_assert_eq(nn_model_save_h5(m, path, &err), 0, "%s", err.msg);
    nn_model *back = nn_model_read_h5(path, 8, &err);
    cr_assert_not_null(back, "%s", err.msg);
    cr_assert_eq(nn_param_count(back), nn_param_count(m));
    cr_assert_eq(nn_output_size(back), nn_output_size(m));

    const int n = 5, d = nn_input_size(m), out = nn_output_size(m);
    float *x = malloc(sizeof(float) * n * d), *y = malloc(sizeof(float) * n * out);
    nn_rng rng;
    rng_seed(&rng, seed + 100);
    for (int i = 0; i < n * d; i++)
        x[i] = 2 * rng_uniform(&rng) - 1;
    memcpy(y, nn_forward(m, x, n, 0), sizeof(float) * n * out);
    const float *y2 = nn_forward(back, x, n, 0);
    cr_assert_not_null(y2);
    cr_assert_eq(memcmp(y, y2, sizeof(float) * n * out), 0, "%s: outputs differ after reading",
                 name);

    int c, h, w;
    nn_input_shape(m, &c, &h, &w);
    size_t xs[4] = {(size_t)n, (size_t)c, (size_t)h, (size_t)w}, ys[2] = {(size_t)n, (size_t)out};
    cr_assert_eq(npy_write(test_path(in_path, dir, "x.npy"), NPY_F32, 4, xs, x, &err), 0);
    cr_assert_eq(npy_write(test_path(out_path, dir, "y.npy"), NPY_F32, 2, ys, y, &err), 0);
    char cmd[4 * TEST_PATH_MAX];
    snprintf(cmd, sizeof cmd, CHECKER " '%s' '%s' '%s'", path, in_path, out_path);
    cr_assert_eq(system(cmd), 0,
                 "%s: the h5py check failed (python3-h5py installed? "
                 "scripts/ensure-deps.sh check)",
                 name);
    free(x);
    free(y);
    nn_model_free(back);
    nn_model_free(m);
}

Test(model_h5, every_layer_kind_round_trips_and_h5py_agrees) {
    round_trip(model_everything(), "everything.h5", 1);
}

Test(model_h5, implicit_flatten_round_trips_and_h5py_agrees) {
    round_trip(model_implicit_flatten(), "implicit.h5", 2);
}

Test(model_h5, global_pooling_round_trips_and_h5py_agrees) {
    round_trip(model_gap(), "gap.h5", 3);
}

Test(model_h5, flat_input_round_trips_and_h5py_agrees) {
    round_trip(model_flat_input(), "flat.h5", 4);
}

Test(model_h5, layout_matches_keras_names) {
    nn_model *m = model_everything();
    randomise(m, 5);
    char path[TEST_PATH_MAX];
    nn_err err = {{0}};
    cr_assert_eq(nn_model_save_h5(m, test_path(path, dir, "names.h5"), &err), 0, "%s", err.msg);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    cr_assert(f >= 0);
    cr_assert(H5Aexists(f, "keras_version") > 0);
    cr_assert(H5Aexists(f, "backend") > 0);
    cr_assert(H5Lexists(f, "model_weights/conv2d/conv2d/kernel:0", H5P_DEFAULT) > 0);
    cr_assert(H5Lexists(f, "model_weights/conv2d_2/conv2d_2/bias:0", H5P_DEFAULT) > 0);
    cr_assert(H5Lexists(f,
                        "model_weights/batch_normalization_1/batch_normalization_1/"
                        "moving_variance:0",
                        H5P_DEFAULT) > 0);
    cr_assert(H5Lexists(f, "model_weights/dense_1/dense_1/kernel:0", H5P_DEFAULT) > 0);
    cr_assert(H5Lexists(f, "model_weights/zero_padding2d", H5P_DEFAULT) > 0);
    /* the conv kernel is (kh, kw, in, out) and equals nnlab's [out][in][kh][kw] transposed */
    hid_t set = H5Dopen2(f, "model_weights/conv2d/conv2d/kernel:0", H5P_DEFAULT);
    hid_t space = H5Dget_space(set);
    hsize_t dims[4];
    cr_assert_eq(H5Sget_simple_extent_ndims(space), 4);
    H5Sget_simple_extent_dims(space, dims, NULL);
    cr_assert(dims[0] == 3 && dims[1] == 3 && dims[2] == 2 && dims[3] == 4);
    float k[3 * 3 * 2 * 4];
    cr_assert(H5Dread(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, k) >= 0);
    size_t nw;
    const float *w = nn_layer_weights(m, 0, &nw);
    for (int o = 0; o < 4; o++)
        for (int ci = 0; ci < 2; ci++)
            for (int y = 0; y < 3; y++)
                for (int x = 0; x < 3; x++)
                    cr_assert_eq(k[((y * 3 + x) * 2 + ci) * 4 + o],
                                 w[((o * 2 + ci) * 3 + y) * 3 + x]);
    H5Sclose(space);
    H5Dclose(set);
    H5Fclose(f);
    nn_model_free(m);
}

/* ---- refusals --------------------------------------------------------------------------- */

static void expect_read_error(const char *path, const char *fragment) {
    nn_err err = {{0}};
    nn_model *m = nn_model_read_h5(path, 4, &err);
    cr_assert_null(m, "read a bad file (%s)", fragment);
    assert_msg_has(err.msg, path);
    assert_msg_has(err.msg, fragment);
    cr_assert(strchr(err.msg, '\n') == NULL, "not one line: %s", err.msg);
}

/* A valid file of model_everything at dir/name. */
static const char *good_file(const char *name, char path[TEST_PATH_MAX]) {
    nn_model *m = model_everything();
    randomise(m, 9);
    nn_err err = {{0}};
    cr_assert_eq(nn_model_save_h5(m, test_path(path, dir, name), &err), 0, "%s", err.msg);
    nn_model_free(m);
    return path;
}

Test(model_h5, missing_empty_garbage_and_truncated_files_fail) {
    char path[TEST_PATH_MAX];
    expect_read_error(test_path(path, dir, "none.h5"), "cannot open");
    test_write(test_path(path, dir, "empty.h5"), "", 0);
    expect_read_error(path, "not an HDF5 file, or a damaged one");
    test_write(test_path(path, dir, "text.h5"), "hello, this is not HDF5\n", 24);
    expect_read_error(path, "not an HDF5 file, or a damaged one");
    good_file("whole.h5", path);
    size_t len;
    unsigned char *bytes = test_slurp(path, &len);
    char cut[TEST_PATH_MAX];
    test_write(test_path(cut, dir, "cut.h5"), bytes, len / 2);
    expect_read_error(cut, "damaged");
    free(bytes);
}

Test(model_h5, foreign_hdf5_files_fail) {
    char path[TEST_PATH_MAX];
    hid_t f =
        H5Fcreate(test_path(path, dir, "foreign.h5"), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dim = 3;
    hid_t space = H5Screate_simple(1, &dim, NULL);
    hid_t set = H5Dcreate2(f, "data", H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(set);
    H5Sclose(space);
    H5Fclose(f);
    expect_read_error(path, "no model_config attribute: not a Keras model file");
}

/* Replaces the root attribute model_config of the file at path by `json`. */
static void set_config(const char *path, const char *json) {
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    cr_assert(f >= 0);
    cr_assert(H5Adelete(f, "model_config") >= 0);
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, strlen(json));
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, "model_config", type, space, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert(H5Awrite(a, type, json) >= 0);
    H5Aclose(a);
    H5Sclose(space);
    H5Tclose(type);
    H5Fclose(f);
}

Test(model_h5, bad_or_unsupported_model_config_fails) {
    char path[TEST_PATH_MAX];
    good_file("json.h5", path);
    set_config(path, "{\"class_name\": \"Sequential\", ");
    expect_read_error(path, "model_config is not valid JSON: at byte");
    set_config(path, "{\"class_name\": \"Functional\", \"config\": {}}");
    expect_read_error(path, "only Sequential models are supported");
    set_config(path, "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": "
                     "\"InputLayer\", \"config\": {\"name\": \"in\", \"batch_input_shape\": "
                     "[null, 9, 8, 2]}}, {\"class_name\": \"LSTM\", \"config\": {\"name\": "
                     "\"lstm\"}}]}}");
    expect_read_error(path, "layer lstm: layer class 'LSTM' is not supported");
    set_config(path, "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": "
                     "\"Dense\", \"config\": {\"name\": \"d\", \"units\": 3}}]}}");
    expect_read_error(path, "no input shape");
    set_config(path, "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": "
                     "\"InputLayer\", \"config\": {\"name\": \"in\", \"batch_input_shape\": "
                     "[null, 9, 8, 2]}}, {\"class_name\": \"Conv2D\", \"config\": {\"name\": "
                     "\"conv2d\", \"filters\": 4, \"kernel_size\": [3, 3], \"strides\": [1, 1], "
                     "\"padding\": \"same\", \"activation\": \"gelu\"}}]}}");
    expect_read_error(path, "activation 'gelu' is not supported");
    /* a model that parses but whose weights do not fit: filters 5 instead of 4 */
    set_config(path, "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": "
                     "\"InputLayer\", \"config\": {\"name\": \"in\", \"batch_input_shape\": "
                     "[null, 9, 8, 2]}}, {\"class_name\": \"Conv2D\", \"config\": {\"name\": "
                     "\"conv2d\", \"filters\": 5, \"kernel_size\": [3, 3], \"strides\": [1, 1], "
                     "\"padding\": \"same\"}}]}}");
    expect_read_error(path, "layer conv2d: dataset conv2d/kernel:0 has shape (3, 3, 2, 4), "
                            "expected (3, 3, 2, 5)");
    /* absurd sizes are refused before anything is allocated from them */
    set_config(path, "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": "
                     "\"InputLayer\", \"config\": {\"name\": \"in\", \"batch_input_shape\": "
                     "[null, 100000, 8, 2]}}]}}");
    expect_read_error(path, "input shape");
}

Test(model_h5, missing_or_misshapen_weights_fail) {
    char path[TEST_PATH_MAX];
    good_file("weights.h5", path);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    cr_assert(H5Ldelete(f, "model_weights/dense_1/dense_1/kernel:0", H5P_DEFAULT) >= 0);
    hsize_t dims[2] = {6, 5};
    hid_t space = H5Screate_simple(2, dims, NULL);
    hid_t set = H5Dcreate2(f, "model_weights/dense_1/dense_1/kernel:0", H5T_IEEE_F32LE, space,
                           H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(set);
    H5Sclose(space);
    H5Fclose(f);
    expect_read_error(path, "layer dense_1: dataset dense_1/kernel:0 has shape (6, 5), "
                            "expected (6, 4)");
    good_file("weights2.h5", path);
    f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    cr_assert(H5Ldelete(f, "model_weights/batch_normalization", H5P_DEFAULT) >= 0);
    H5Fclose(f);
    expect_read_error(path, "no weights for layer batch_normalization");
    good_file("weights3.h5", path);
    f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    cr_assert(H5Ldelete(f, "model_weights/conv2d/conv2d/bias:0", H5P_DEFAULT) >= 0);
    H5Fclose(f);
    expect_read_error(path, "layer conv2d: no dataset conv2d/bias:0");
}

Test(model_h5, models_without_a_keras_form_are_not_saved) {
    char path[TEST_PATH_MAX];
    nn_err err = {{0}};
    nn_model *m = nn_model_new(1, 4, 4, NULL);
    int mark = nn_mark(m);
    nn_add_conv2d(m, 1, 3, 1, 1);
    nn_add_residual(m, mark);
    nn_add_dense(m, 2);
    built(m);
    cr_assert_eq(nn_model_save_h5(m, test_path(path, dir, "res.h5"), &err), -1);
    assert_msg_has(err.msg, "cannot be part of a Keras Sequential model");
    FILE *leftover = fopen(path, "rb");
    cr_assert_null(leftover, "a failed save left a file");
    nn_model_free(m);
    m = nn_model_new(3, 1, 1, NULL);
    nn_add_dense(m, 2);
    nn_add_activation(m, NN_LECUN_TANH);
    built(m);
    cr_assert_eq(nn_model_save_h5(m, path, &err), -1);
    assert_msg_has(err.msg, "has no Keras equivalent");
    nn_model_free(m);
}
