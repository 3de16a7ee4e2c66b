/* test_step_trace.c - the step-by-step trace of a run: what it records after each
 * optimiser step (the batch's loss, the gradient's and the parameters' norms, the flattest
 * layer), where an epoch's largest gradient was, and the rows it writes. */
#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "nn/layers.h"
#include "nn/model.h"
#include "nn/optim.h"
#include "step_trace.h"

enum { DEPTH = 3, UNITS = 4, IN = 5, BATCH = 4, TRAIN_N = 10, EPOCHS = 2 };

static nn_model *small_model(nn_rng *rng) {
    nn_model *m = nn_model_new(IN, 1, 1, NULL);
    for (int k = 0; k < DEPTH; k++) {
        nn_add_dense(m, UNITS);
        nn_add_activation(m, NN_RELU);
    }
    nn_add_dense(m, 3);
    cr_assert_eq(nn_model_build(m, BATCH, NULL), 0);
    nn_model_init(m, NN_INIT_HE_NORMAL, rng);
    return m;
}

static double norm2(const float *v, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)v[i] * v[i];
    return sqrt(s);
}

/* Trains EPOCHS epochs of TRAIN_N random samples in batches of BATCH (the last batch of an
 * epoch has 2), checking each recorded step against the model itself. */
static void train(step_trace *t, nn_model *m, nn_rng *rng) {
    nn_optim *opt = nn_sgd_new(m, (nn_sgd_config){0}, NULL);
    float x[BATCH * IN];
    uint8_t y[BATCH];
    long step = 0;
    for (int e = 0; e < EPOCHS; e++)
        for (int done = 0; done < TRAIN_N; done += BATCH) {
            int n = TRAIN_N - done < BATCH ? TRAIN_N - done : BATCH;
            for (int i = 0; i < n * IN; i++) x[i] = rng_uniform(rng);
            for (int i = 0; i < n; i++) y[i] = (uint8_t)rng_below(rng, 3);
            const float *logits = nn_forward(m, x, n, 1);
            float *d = nn_output_grad_buffer(m);
            float loss = softmax_xent(logits, y, n, 3, d);
            nn_backward(m, d, n);
            nn_optim_step(opt, 0.1f);
            step++;
            cr_assert_eq(step_trace_after_step(t, m, step, loss, NULL), 0);
            size_t np = nn_param_count(m);
            cr_assert_float_eq(t->loss[step - 1], loss, 0);
            cr_assert_float_eq(t->grad_norm[step - 1], norm2(nn_grads(m), np), 1e-5 * norm2(nn_grads(m), np));
            cr_assert_float_eq(t->param_norm[step - 1], norm2(nn_params(m), np), 1e-5 * norm2(nn_params(m), np));
            network_units u = unit_stats_network(m, DEPTH, &t->rule, n, UNITS);
            cr_assert_float_eq(t->stuck_max[step - 1], u.stuck_max, 1e-7);
            cr_assert_eq(t->stuck_layer[step - 1], u.stuck_max_layer);
        }
    nn_optim_free(opt);
}

Test(step_trace, records_every_step_and_finds_peaks) {
    nn_rng rng;
    rng_seed(&rng, 3);
    nn_model *m = small_model(&rng);
    step_trace t;
    cr_assert_eq(step_trace_init(&t, EPOCHS, TRAIN_N, BATCH, DEPTH, UNITS, NN_RELU, NULL), 0);
    cr_assert_eq(t.steps_per_epoch, 3);
    cr_assert_eq(t.last_batch, 2);
    cr_assert_eq(t.capacity, 6);
    train(&t, m, &rng);
    cr_assert_eq(t.steps, 6);
    cr_assert_eq(step_trace_epoch(&t, 3), 1);
    cr_assert_eq(step_trace_epoch(&t, 4), 2);

    /* Make step 5 the largest of epoch 2 and check the peak and the medians. */
    for (int i = 0; i < 6; i++) t.grad_norm[i] = (float)(i + 1);
    t.grad_norm[4] = 100;
    cr_assert_eq(step_trace_peak(&t, 2), 5);
    cr_assert_eq(step_trace_peak(&t, 1), 3);
    cr_assert_float_eq(step_trace_median_grad(&t, 1, 1), 2.0, 0);
    cr_assert_float_eq(step_trace_median_grad(&t, 1, 2), 3.5, 0, "median of 1 2 3 4 6 100");

    /* A step out of order, or past the capacity, is refused. */
    nn_err err = {{0}};
    cr_assert_eq(step_trace_after_step(&t, m, 7, 1.0f, &err), -1);
    cr_assert(err.msg[0]);
    step_trace_free(&t);
    nn_model_free(m);
}

static long long count(nn_results *db, const char *sql) {
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(results_handle(db), sql, -1, &st, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

Test(step_trace, writes_steps_and_windows) {
    char dir[] = "/tmp/nnlab-trace-XXXXXX", path[64], cmd[96];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/r.sqlite", dir);
    nn_err err = {{0}};
    nn_results *db = results_open(path, &err);
    cr_assert_not_null(db, "%s", err.msg);
    int64_t run = results_begin_run(
        db, &(nn_run_info){"01-test", "trace", "smoke", "{}", 1}, &err);
    cr_assert_gt(run, 0, "%s", err.msg);

    nn_rng rng;
    rng_seed(&rng, 4);
    nn_model *m = small_model(&rng);
    step_trace t;
    cr_assert_eq(step_trace_init(&t, EPOCHS, TRAIN_N, BATCH, DEPTH, UNITS, NN_RELU, NULL), 0);
    train(&t, m, &rng);
    /* Epoch 2's steps (4 .. 6), asked for a range that runs past the end. */
    cr_assert_eq(step_trace_log(&t, db, run, 4, 9, &err), 0, "%s", err.msg);
    cr_assert_eq(step_trace_log_windows(&t, db, run, 4, &err), 0, "%s", err.msg);
    cr_assert_eq(results_finish_run(db, run, NULL, &err), 0, "%s", err.msg);

    cr_assert_eq(count(db, "SELECT count(*) FROM step_stats WHERE name = 'grad_norm'"), 3);
    cr_assert_eq(count(db, "SELECT min(step) * 10 + max(step) FROM step_stats WHERE name = 'loss'"),
                 46);
    cr_assert_eq(count(db, "SELECT count(DISTINCT epoch) FROM step_stats WHERE name = 'loss'"), 1);
    cr_assert_eq(count(db, "SELECT count(DISTINCT name) FROM step_stats WHERE name NOT LIKE 'window%'"),
                 4);
    /* One full window of 4 steps in 6: its rows at step 4, in epoch 2. */
    cr_assert_eq(count(db, "SELECT count(*) FROM step_stats WHERE name LIKE 'window%'"), 4);
    cr_assert_eq(count(db, "SELECT step * 10 + epoch FROM step_stats WHERE name = 'window_grad_norm_max'"),
                 42);
    char sql[160];
    float g = 0;
    for (int i = 0; i < 4; i++) g = t.grad_norm[i] > g ? t.grad_norm[i] : g;
    snprintf(sql, sizeof sql,
             "SELECT abs(value - %.9g) < 1e-6 * %.9g FROM step_stats WHERE name = 'window_grad_norm_max'",
             (double)g, (double)g);
    cr_assert_eq(count(db, sql), 1, "the window's largest gradient norm");
    cr_assert_eq(step_trace_log_windows(&t, db, run, 0, &err), -1, "a window of 0 steps");

    step_trace_free(&t);
    nn_model_free(m);
    results_close(db);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}
