/* test_experiment.c - the shared chapter steps: evaluation, gradient probes and their
 * logging, and closing a run as done or failed. */
#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/experiment.h"
#include "test_files.h"

/* 6 one-pixel "images" with value v_i and label i % 2. A dense 1 -> 2 layer with weights
 * (+1, -1) and zero bias predicts class 0 for v > 0 (logit v vs -v) and class 1 for v = 0
 * (a tie goes to the first class), so here it is right on labels 0 only. */
static nn_images tiny_set(void) {
    nn_images im = {.n = 6, .c = 1, .h = 1, .w = 1, .classes = 2};
    im.pixels = malloc(6);
    im.labels = malloc(6);
    for (int i = 0; i < 6; i++) {
        im.pixels[i] = (uint8_t)(40 * (i + 1));
        im.labels[i] = (uint8_t)(i % 2);
    }
    return im;
}

static nn_model *tiny_model(int max_batch) {
    nn_model *m = nn_model_new(1, 1, 1, NULL);
    nn_add_dense(m, 2);
    cr_assert_eq(nn_model_build(m, max_batch, NULL), 0);
    size_t len;
    float *w = nn_layer_weights(m, 0, &len);
    cr_assert_eq(len, 2);
    w[0] = 1;
    w[1] = -1;
    return m;
}

Test(experiment, evaluate_counts_accuracy_loss_and_confusion) {
    nn_images im = tiny_set();
    nn_model *m = tiny_model(4);
    nn_batches b;
    cr_assert_eq(batches_init(&b, &im, 4, NULL), 0);
    nn_eval ev;
    int64_t confusion[4] = {0};
    nn_err err;
    cr_assert_eq(experiment_evaluate(m, &b, &ev, confusion, &err), 0, "%s", err.msg);
    cr_assert_eq(ev.count, 6);
    cr_assert_float_eq(ev.accuracy, 0.5, 1e-12);
    cr_assert_eq(confusion[0], 3, "labels 0 predicted 0");
    cr_assert_eq(confusion[2], 3, "labels 1 predicted 0");
    cr_assert_eq(confusion[1] + confusion[3], 0);
    /* Loss: mean of -log softmax; for z = (v, -v), -log p0 = log(1 + e^{-2v}). */
    double expect = 0;
    for (int i = 0; i < 6; i++) {
        double v = 40.0 * (i + 1) / 255.0;
        expect += i % 2 ? log1p(exp(2 * v)) : log1p(exp(-2 * v));
    }
    cr_assert_float_eq(ev.loss, expect / 6, 1e-5, "%.8f vs %.8f", ev.loss, expect / 6);
    batches_free(&b);
    nn_model_free(m);
    images_free(&im);
}

Test(experiment, evaluate_reports_a_batch_too_large_for_the_model) {
    nn_images im = tiny_set();
    nn_model *m = tiny_model(2);
    nn_batches b;
    cr_assert_eq(batches_init(&b, &im, 4, NULL), 0);
    nn_eval ev;
    nn_err err = {{0}};
    cr_assert_eq(experiment_evaluate(m, &b, &ev, NULL, &err), -1);
    cr_assert(strstr(err.msg, "at most 2") != NULL, "%s", err.msg);
    batches_free(&b);
    nn_model_free(m);
    images_free(&im);
}

Test(experiment, probing_gradients_leaves_parameters_alone_and_logs_every_layer) {
    char path[] = "/tmp/nnlab-exp-XXXXXX";
    cr_assert_not_null(mkdtemp(path));
    char dbpath[64];
    snprintf(dbpath, sizeof dbpath, "%s/r.sqlite", path);
    nn_err err;
    nn_results *db = results_open(dbpath, &err);
    cr_assert_not_null(db, "%s", err.msg);
    int64_t run = results_begin_run(db,
                                    &(nn_run_info){"c", "e", "smoke", "{}", 0}, &err);

    nn_model *m = nn_model_new(1, 1, 1, NULL);
    nn_add_dense(m, 3);
    nn_add_activation(m, NN_TANH);
    nn_add_dense(m, 2);
    cr_assert_eq(nn_model_build(m, 4, NULL), 0);
    nn_rng r;
    rng_seed(&r, 1);
    nn_model_init(m, NN_INIT_GLOROT_UNIFORM, &r);
    float before[64];
    memcpy(before, nn_params(m), sizeof(float) * nn_param_count(m));
    float x[2] = {0.5f, -0.25f};
    uint8_t y[2] = {0, 1};
    float loss = -1;
    cr_assert_eq(experiment_probe_gradients(m, x, y, 2, &loss, &err), 0, "%s", err.msg);
    cr_assert_gt(loss, 0);
    cr_assert_eq(memcmp(before, nn_params(m), sizeof(float) * nn_param_count(m)), 0);
    cr_assert_eq(experiment_log_grad_stats(db, run, m, 0, 0, &err), 0, "%s", err.msg);
    cr_assert_eq(experiment_probe_gradients(m, x, y, 5, NULL, &err), -1, "batch of 5 > 4");

    sqlite3_stmt *st;
    sqlite3_prepare_v2(results_handle(db),
                       "SELECT sum(kind = 'weight'), sum(kind = 'activation'), "
                       "sum(max_abs > 0) FROM grad_stats",
                       -1, &st, NULL);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int(st, 0), 2, "two layers with weights");
    cr_assert_eq(sqlite3_column_int(st, 1), 3, "three layers");
    cr_assert_eq(sqlite3_column_int(st, 2), 5, "all gradients non-zero");
    sqlite3_finalize(st);

    nn_model_free(m);
    results_close(db);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", path);
    cr_assert_eq(system(cmd), 0);
}

/* A diverged network's gradients are NaN or infinite. The database cannot hold NaN as a
 * statistic (it reads back as NULL, and the columns are NOT NULL), so every non-finite
 * value is logged as +infinity and the run goes on: a diverged run shows as such. */
Test(experiment, non_finite_gradient_statistics_are_logged_as_infinity) {
    char path[] = "/tmp/nnlab-exp-XXXXXX";
    cr_assert_not_null(mkdtemp(path));
    char dbpath[64];
    snprintf(dbpath, sizeof dbpath, "%s/r.sqlite", path);
    nn_err err;
    nn_results *db = results_open(dbpath, &err);
    cr_assert_not_null(db, "%s", err.msg);
    int64_t run = results_begin_run(db, &(nn_run_info){"c", "e", "smoke", "{}", 0}, &err);
    nn_model *m = nn_model_new(1, 1, 1, NULL);
    nn_add_dense(m, 3);
    nn_add_activation(m, NN_TANH);
    nn_add_dense(m, 2);
    cr_assert_eq(nn_model_build(m, 4, NULL), 0);
    nn_rng r;
    rng_seed(&r, 1);
    nn_model_init(m, NN_INIT_GLOROT_UNIFORM, &r);
    size_t len;
    nn_layer_weights(m, 2, &len)[0] = NAN; /* the output layer: NaN logits, NaN gradients */
    float x[2] = {0.5f, -0.25f};
    uint8_t y[2] = {0, 1};
    cr_assert_eq(experiment_probe_gradients(m, x, y, 2, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(experiment_log_grad_stats(db, run, m, 1, 7, &err), 0, "%s", err.msg);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(results_handle(db),
                       "SELECT count(*), sum(max_abs IS NULL OR l2 IS NULL), "
                       "sum(max_abs > 1e308 OR l2 > 1e308) FROM grad_stats",
                       -1, &st, NULL);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int(st, 0), 5, "2 weight rows and 3 activation rows");
    cr_assert_eq(sqlite3_column_int(st, 1), 0, "nothing stored as NULL");
    cr_assert_gt(sqlite3_column_int(st, 2), 0, "the NaN statistics became +infinity");
    sqlite3_finalize(st);
    nn_model_free(m);
    results_close(db);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", path);
    cr_assert_eq(system(cmd), 0);
}

Test(experiment, end_run_marks_done_or_failed_with_the_reason) {
    char path[] = "/tmp/nnlab-exp-XXXXXX";
    cr_assert_not_null(mkdtemp(path));
    char dbpath[64];
    snprintf(dbpath, sizeof dbpath, "%s/r.sqlite", path);
    nn_err err = {{0}};
    nn_results *db = results_open(dbpath, &err);
    int64_t ok = results_begin_run(db, &(nn_run_info){"c", "ok", "smoke", "{}", 0}, &err);
    int64_t bad = results_begin_run(db, &(nn_run_info){"c", "bad", "smoke", "{}", 0}, &err);
    cr_assert_eq(experiment_end_run(db, ok, 0, &err), 0);
    /* Fail in the middle of a group of rows: they are dropped, the failure is recorded. */
    results_transaction_begin(db, NULL);
    results_log_metric(db, bad, "half-written", 1, NULL);
    nn_fail(&err, "data/x: truncated");
    cr_assert_eq(experiment_end_run(db, bad, -1, &err), -1);
    cr_assert_str_eq(err.msg, "data/x: truncated", "the original error is kept");
    sqlite3_stmt *st;
    sqlite3_prepare_v2(results_handle(db),
                       "SELECT group_concat(experiment || ':' || status || ':' || "
                       "coalesce(error, ''), ' ') FROM (SELECT * FROM runs ORDER BY id)",
                       -1, &st, NULL);
    sqlite3_step(st);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 0),
                     "ok:done: bad:failed:data/x: truncated");
    sqlite3_finalize(st);
    sqlite3_prepare_v2(results_handle(db), "SELECT count(*) FROM metrics", -1, &st, NULL);
    sqlite3_step(st);
    cr_assert_eq(sqlite3_column_int(st, 0), 0, "the half-written group was rolled back");
    sqlite3_finalize(st);
    results_close(db);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", path);
    cr_assert_eq(system(cmd), 0);
}

Test(experiment, load_mnist_takes_the_first_images_of_each_split) {
    const char *data = test_require_dataset("mnist");
    nn_images train, test;
    nn_err err;
    cr_assert_eq(experiment_load_mnist(data, 100, 0, &train, &test, &err), 0, "%s", err.msg);
    cr_assert_eq(train.n, 100);
    cr_assert_eq(test.n, 10000, "0 means the whole split");
    cr_assert_eq(train.labels[0], 5, "the first training image of MNIST is a 5");
    images_free(&train);
    images_free(&test);
    cr_assert_eq(experiment_load_mnist("/nonexistent", 1, 1, &train, &test, &err), -1);
    cr_assert(strstr(err.msg, "/nonexistent") != NULL, "%s", err.msg);
}

/* A missing dataset fails before a database is made: no empty results file is left behind
 * for a run that never started. */
Test(experiment, open_fails_on_missing_data_before_making_a_database) {
    char path[] = "/tmp/nnlab-exp-XXXXXX";
    cr_assert_not_null(mkdtemp(path));
    char dbpath[64];
    snprintf(dbpath, sizeof dbpath, "%s/r.sqlite", path);
    nn_cli cli = {.db = dbpath, .data_dir = "/nonexistent", .profile = "smoke"};
    nn_mnist_inputs in;
    nn_err err = {{0}};
    cr_assert_eq(experiment_open(&cli, 10, 10, &in, &err), -1);
    cr_assert(strstr(err.msg, "/nonexistent") != NULL, "%s", err.msg);
    cr_assert_null(in.db);
    cr_assert_neq(access(dbpath, F_OK), 0, "no database was made");
    experiment_close(&in); /* safe after a failure */
    cr_assert_eq(rmdir(path), 0);
}

Test(experiment, files_dir_sits_next_to_the_database_and_is_created) {
    char tmp[TEST_PATH_MAX], db[TEST_PATH_MAX], want[TEST_PATH_MAX], dir[TEST_PATH_MAX];
    test_mkdtemp(tmp);
    test_path(db, tmp, "results.sqlite");
    test_path(want, tmp, "04-cifar10");
    nn_err err = {0};
    cr_assert_eq(experiment_files_dir(db, "04-cifar10", dir, sizeof dir, &err), 0, "%s", err.msg);
    cr_assert_str_eq(dir, want);
    struct stat st;
    cr_assert(stat(dir, &st) == 0 && S_ISDIR(st.st_mode), "%s was not created", dir);
    /* a second call finds it there */
    cr_assert_eq(experiment_files_dir(db, "04-cifar10", dir, sizeof dir, &err), 0, "%s", err.msg);
    /* too small a buffer is an error, not a truncated path */
    char small[8];
    cr_assert_eq(experiment_files_dir(db, "04-cifar10", small, sizeof small, &err), -1);
    cr_assert(strstr(err.msg, "too long"), "%s", err.msg);
    test_rmtree(tmp);
}
