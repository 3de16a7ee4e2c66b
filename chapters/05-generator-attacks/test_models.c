/* test_models.c - chapter 05's own code: finding a model by chapter 04's contract (the
 * newest done run of 04-cifar10/final with a 'model' artifact), reading its input convention
 * from the run's configuration, putting the normalisation in front of a CIFAR-shaped model
 * (outputs equal the model's on normalised input, residual marks shifted), refusing a model
 * file whose SHA-256 changed, and taking a program's own options out of argv. */
#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "../../tests/test_files.h"
#include "base/sha256.h"
#include "chapter.h"
#include "nn/model_io.h"

/* A small CIFAR-shaped network with batch norm and a residual block back to the input. */
static nn_model *small_cifar(nn_rng *rng) {
    nn_model *m = nn_model_new(3, 32, 32, NULL);
    int skip = nn_mark(m); /* -1: the input */
    nn_add_conv2d(m, 3, 3, 1, 1);
    nn_add_batchnorm(m);
    nn_add_residual(m, skip);
    nn_add_activation(m, NN_RELU);
    nn_add_maxpool(m, 4, 4);
    nn_add_dense(m, 10);
    cr_assert_eq(nn_model_build(m, 4, NULL), 0);
    nn_model_init(m, NN_INIT_HE_NORMAL, rng);
    float *st = nn_state(m);
    for (size_t i = 0; i < nn_state_count(m); i++)
        st[i] = 0.2f + 0.1f * (float)i; /* running statistics that matter in inference */
    return m;
}

typedef struct fixture {
    char dir[TEST_PATH_MAX], db_path[TEST_PATH_MAX];
    nn_results *db;
} fixture;

static void open_db(fixture *f) {
    test_mkdtemp(f->dir);
    test_path(f->db_path, f->dir, "r.sqlite");
    nn_err err;
    f->db = results_open(f->db_path, &err);
    cr_assert_not_null(f->db, "%s", err.msg);
}

static void close_db(fixture *f) {
    results_close(f->db);
    test_rmtree(f->dir);
}

/* A run of 04-cifar10/final with a config, ending done or failed, optionally with m saved. */
static int64_t chapter04_run(fixture *f, const char *config, nn_model *m, const char *name,
                             int done) {
    nn_err err;
    int64_t run = results_begin_run(
        f->db, &(nn_run_info){CH04_CHAPTER, CH04_EXPERIMENT, "smoke", config, 1}, &err);
    cr_assert(run > 0, "%s", err.msg);
    if (m) {
        char path[TEST_PATH_MAX], hex[SHA256_HEX_SIZE];
        test_path(path, f->dir, name);
        cr_assert_eq(nn_model_save(m, path, &err), 0, "%s", err.msg);
        cr_assert_eq(sha256_file_hex(path, hex, &err), 0);
        cr_assert_eq(results_log_artifact(f->db, run, "model", path, hex, &err), 0);
    }
    cr_assert_eq(results_finish_run(f->db, run, done ? NULL : "crashed", &err), 0);
    return run;
}

Test(chapter05, the_contract_finds_the_newest_done_run_and_its_normalisation) {
    fixture f;
    open_db(&f);
    nn_rng rng;
    rng_seed(&rng, 4);
    nn_model *old = small_cifar(&rng), *m = small_cifar(&rng);
    ch_model_ref ref;
    const char *why = NULL;
    nn_err err;
    cr_assert_eq(ch_find_model(f.db, CH04_CHAPTER, CH04_EXPERIMENT, &ref, &why, &err), 1);
    cr_assert_str_eq(why, "no done run");
    chapter04_run(&f, "{}", old, "old.nnm", 1);
    const char *config =
        "{\"input\":\"normalized\",\"mean\":[0.5,0.25,0.125],\"std\":[0.5,2,0.25]}";
    int64_t newest = chapter04_run(&f, config, m, "final.nnm", 1);
    chapter04_run(&f, "{}", m, "broken.nnm", 0); /* a later failed run is not the newest done */
    cr_assert_eq(ch_find_model(f.db, CH04_CHAPTER, CH04_EXPERIMENT, &ref, &why, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(ref.run, newest);
    cr_assert(strstr(ref.path, "final.nnm"), "%s", ref.path);
    cr_assert_eq(strlen(ref.sha256), 64);

    ch_input_norm norm;
    cr_assert_eq(ch_parse_input_norm(f.db, ref.config, &norm, &err), 0, "%s", err.msg);
    cr_assert(norm.normalized);
    cr_assert_float_eq(norm.mean[2], 0.125f, 0);
    cr_assert_float_eq(norm.std[1], 2.0f, 0);

    nn_model *loaded = ch_load_model(&ref, 4, &err);
    cr_assert_not_null(loaded, "%s", err.msg);
    nn_model *wrapped = ch_with_input_norm(loaded, &norm, 4, &err);
    cr_assert_not_null(wrapped, "%s", err.msg);
    cr_assert_eq(nn_layer_count(wrapped), nn_layer_count(m) + 1);
    cr_assert(nn_layer_frozen(wrapped, 0), "the normalisation is not trained");
    /* Same outputs as the original model on input normalised by hand. */
    enum { D = 3 * 32 * 32 };
    float *x = malloc(sizeof(float) * 2 * D), *xn = malloc(sizeof(float) * 2 * D);
    for (int i = 0; i < 2 * D; i++) {
        x[i] = rng_uniform(&rng);
        int c = (i % D) / 1024;
        xn[i] = (x[i] - norm.mean[c]) / norm.std[c];
    }
    float want[20];
    memcpy(want, nn_forward(m, xn, 2, 0), sizeof want);
    const float *got = nn_forward(wrapped, x, 2, 0);
    for (int k = 0; k < 20; k++)
        cr_assert_float_eq(got[k], want[k], 1e-4f * (1 + fabsf(want[k])), "logit %d: %g vs %g", k,
                           got[k], want[k]);
    free(x);
    free(xn);
    nn_model_free(wrapped);
    nn_model_free(loaded);
    nn_model_free(old);
    nn_model_free(m);
    close_db(&f);
}

Test(chapter05, a_done_run_without_a_model_artifact_is_reported) {
    fixture f;
    open_db(&f);
    chapter04_run(&f, "{}", NULL, NULL, 1);
    ch_model_ref ref;
    const char *why = NULL;
    cr_assert_eq(ch_find_model(f.db, CH04_CHAPTER, CH04_EXPERIMENT, &ref, &why, NULL), 1);
    cr_assert(strstr(why, "no 'model' artifact"), "%s", why);
    close_db(&f);
}

Test(chapter05, input_conventions) {
    fixture f;
    open_db(&f);
    ch_input_norm n;
    nn_err err = {{0}};
    cr_assert_eq(ch_parse_input_norm(f.db, "{}", &n, &err), 0);
    cr_assert_eq(n.normalized, 0, "no keys: pixels/255");
    cr_assert_eq(ch_parse_input_norm(f.db, "{\"input\":\"pixels/255\"}", &n, &err), 0);
    cr_assert_eq(n.normalized, 0);
    cr_assert_eq(ch_parse_input_norm(f.db, "{\"input\":\"zscore\"}", &n, &err), -1);
    cr_assert(strstr(err.msg, "zscore"), "%s", err.msg);
    cr_assert_eq(ch_parse_input_norm(f.db, "{\"mean\":[0,0,0]}", &n, &err), -1);
    cr_assert(strstr(err.msg, "without \"std\""), "%s", err.msg);
    cr_assert_eq(ch_parse_input_norm(f.db, "{\"mean\":[0,0],\"std\":[1,1]}", &n, &err), -1);
    cr_assert(strstr(err.msg, "arrays of 3"), "%s", err.msg);
    cr_assert_eq(ch_parse_input_norm(f.db, "{\"mean\":[0,0,0],\"std\":[1,0,1]}", &n, &err), -1);
    cr_assert(strstr(err.msg, "std[1]"), "%s", err.msg);
    cr_assert_eq(ch_parse_input_norm(f.db, "{\"input\":\"normalized\"}", &n, &err), -1);
    cr_assert_eq(ch_parse_input_norm(f.db, "not json", &n, &err), -1);
    close_db(&f);
}

Test(chapter05, a_model_file_that_changed_is_refused) {
    fixture f;
    open_db(&f);
    nn_rng rng;
    rng_seed(&rng, 1);
    nn_model *m = small_cifar(&rng);
    chapter04_run(&f, "{}", m, "final.nnm", 1);
    ch_model_ref ref;
    nn_err err = {{0}};
    cr_assert_eq(ch_find_model(f.db, CH04_CHAPTER, CH04_EXPERIMENT, &ref, NULL, &err), 0);
    nn_layer_bias(m, 5, &(size_t){0})[0] += 1; /* another model saved under the same name */
    cr_assert_eq(nn_model_save(m, ref.path, &err), 0);
    cr_assert_null(ch_load_model(&ref, 4, &err));
    cr_assert(strstr(err.msg, "SHA-256") && strstr(err.msg, "final.nnm"), "%s", err.msg);
    /* A path given by hand that the database knows gets the same check. */
    ch_model_ref by_path;
    cr_assert_eq(ch_ref_from_path(f.db, ref.path, &by_path, &err), 0);
    cr_assert_eq(by_path.run, ref.run);
    cr_assert_null(ch_load_model(&by_path, 4, &err));
    nn_model_free(m);
    close_db(&f);
}

Test(chapter05, own_options_are_taken_out_of_argv) {
    char *argv[] = {"prog",   "--db", "x", "--cifar-model", "m.nnm", "--standin",
                    "--seed", "2",    NULL};
    int argc = 8;
    const char *v = NULL, *flag = NULL;
    cr_assert_eq(ch_take_option(&argc, argv, "--cifar-model", 1, &v), 1);
    cr_assert_str_eq(v, "m.nnm");
    cr_assert_eq(ch_take_option(&argc, argv, "--standin", 0, &flag), 1);
    cr_assert_str_eq(flag, "1");
    cr_assert_eq(argc, 5);
    const char *rest[] = {"prog", "--db", "x", "--seed", "2"};
    for (int k = 0; k < 5; k++)
        cr_assert_str_eq(argv[k], rest[k]);
    cr_assert_null(argv[5]);
    cr_assert_eq(ch_take_option(&argc, argv, "--base", 1, &v), 0);
    char *bad[] = {"prog", "--base", NULL};
    int n = 2;
    cr_assert_eq(ch_take_option(&n, bad, "--base", 1, &v), -1, "a value is missing");
}
