/* test_lab_train.c - the shared training loop (lab/train.h), the label-smoothed loss and
 * schedules as data: what the loop logs, that it learns, that it is deterministic, and that
 * it refuses bad configurations and leaves no half-written epoch behind. */
#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/train.h"
#include "nn/layers.h"
#include "test_files.h"

/* ---- label smoothing ---------------------------------------------------------------------- */

Test(loss_smooth, zero_smoothing_is_plain_cross_entropy) {
    const float z[6] = {1.0f, -2.0f, 0.5f, 3.0f, 0.0f, -1.0f};
    const uint8_t y[2] = {2, 0};
    float d0[6], d1[6];
    float a = softmax_xent(z, y, 2, 3, d0), b = softmax_xent_smooth(z, y, 2, 3, 0.0f, d1);
    cr_assert_eq(a, b);
    for (int i = 0; i < 6; i++) cr_assert_eq(d0[i], d1[i]);
}

/* Against the definition, -sum_j t_j log softmax(z)_j, computed here in double. */
Test(loss_smooth, value_matches_the_definition) {
    const float z[4] = {2.0f, -1.0f, 0.25f, 0.5f};
    const uint8_t y[1] = {1};
    const double eps = 0.2;
    double lse = 0;
    for (int j = 0; j < 4; j++) lse += exp(z[j]);
    lse = log(lse);
    double expect = 0;
    for (int j = 0; j < 4; j++) {
        double t = eps / 4 + (j == 1 ? 1 - eps : 0);
        expect -= t * (z[j] - lse);
    }
    float got = softmax_xent_smooth(z, y, 1, 4, (float)eps, NULL);
    cr_assert_float_eq(got, expect, 1e-6, "%.8f vs %.8f", got, expect);
}

Test(loss_smooth, gradient_matches_finite_differences) {
    float z[6] = {0.3f, -0.7f, 1.1f, 0.0f, 2.0f, -0.4f};
    const uint8_t y[2] = {0, 2};
    float d[6];
    softmax_xent_smooth(z, y, 2, 3, 0.1f, d);
    for (int i = 0; i < 6; i++) {
        const float h = 1e-2f, keep = z[i];
        z[i] = keep + h;
        double up = softmax_xent_smooth(z, y, 2, 3, 0.1f, NULL);
        z[i] = keep - h;
        double down = softmax_xent_smooth(z, y, 2, 3, 0.1f, NULL);
        z[i] = keep;
        cr_assert_float_eq(d[i], (up - down) / (2 * h), 2e-4, "logit %d: %g vs %g", i, d[i],
                           (up - down) / (2 * h));
    }
}

Test(loss_smooth, gradient_may_overwrite_the_logits) {
    float z[3] = {0.3f, -0.7f, 1.1f}, d[3];
    const uint8_t y[1] = {1};
    float a = softmax_xent_smooth(z, y, 1, 3, 0.3f, d);
    float b = softmax_xent_smooth(z, y, 1, 3, 0.3f, z);
    cr_assert_eq(a, b);
    for (int i = 0; i < 3; i++) cr_assert_eq(z[i], d[i]);
}

/* ---- schedules as data -------------------------------------------------------------------- */

Test(schedule, data_form_gives_the_functions_values) {
    nn_schedule c = {NN_SCHEDULE_COSINE, .lr = 0.1f, .final_lr = 0.001f};
    nn_schedule w = {NN_SCHEDULE_WARMUP_COSINE, .lr = 0.1f, .final_lr = 0.0f, .warmup = 5};
    nn_schedule o = {NN_SCHEDULE_ONE_CYCLE, .lr = 0.4f, .pct_start = 0.3f, .div = 25,
                     .final_div = 1e4f};
    nn_schedule s = {NN_SCHEDULE_STEP_DECAY, .lr = 1.0f, .every = 10, .gamma = 0.5f};
    nn_schedule k = {NN_SCHEDULE_CONSTANT, .lr = 0.05f};
    for (long step = 0; step < 100; step += 7) {
        cr_assert_eq(nn_schedule_lr(&c, step, 100), nn_lr_cosine(0.1f, 0.001f, step, 100));
        cr_assert_eq(nn_schedule_lr(&w, step, 100), nn_lr_warmup_cosine(0.1f, 0.0f, step, 5, 100));
        cr_assert_eq(nn_schedule_lr(&o, step, 100), nn_lr_one_cycle(0.4f, step, 100, 0.3f, 25, 1e4f));
        cr_assert_eq(nn_schedule_lr(&s, step, 100), nn_lr_step_decay(1.0f, step, 10, 0.5f));
        cr_assert_eq(nn_schedule_lr(&k, step, 100), 0.05f);
    }
    cr_assert_str_eq(nn_schedule_name(NN_SCHEDULE_ONE_CYCLE), "one_cycle");
}

/* ---- the loop ----------------------------------------------------------------------------- */

/* 4x4 one-channel images of 3 classes: class k has a bright row k (plus noise). */
static nn_images toy_set(int n, uint64_t seed) {
    nn_images im = {.n = n, .c = 1, .h = 4, .w = 4, .classes = 3};
    im.pixels = malloc((size_t)n * 16);
    im.labels = malloc((size_t)n);
    nn_rng rng;
    rng_seed(&rng, seed);
    for (int i = 0; i < n; i++) {
        int k = (int)rng_below(&rng, 3);
        im.labels[i] = (uint8_t)k;
        for (int p = 0; p < 16; p++)
            im.pixels[i * 16 + p] = (uint8_t)((p / 4 == k ? 160 : 0) + rng_below(&rng, 90));
    }
    return im;
}

static nn_model *toy_model(uint64_t seed) {
    nn_model *m = nn_model_new(1, 4, 4, NULL);
    nn_add_dense(m, 8);
    nn_add_activation(m, NN_TANH);
    nn_add_dense(m, 3);
    cr_assert_eq(nn_model_build(m, 16, NULL), 0);
    nn_rng rng;
    rng_seed(&rng, seed);
    nn_model_init(m, NN_INIT_GLOROT_UNIFORM, &rng);
    nn_set_input_grad(m, 0);
    return m;
}

typedef struct fixture {
    char dir[TEST_PATH_MAX], db_path[TEST_PATH_MAX];
    nn_results *db;
    int64_t run;
    nn_images train, test;
    nn_batches train_b, test_b;
    nn_rng order, aug;
    nn_image_source src;
    nn_model *m;
    nn_optim *opt;
} fixture;

static void fixture_open(fixture *f, uint64_t seed) {
    memset(f, 0, sizeof *f);
    test_mkdtemp(f->dir);
    test_path(f->db_path, f->dir, "r.sqlite");
    nn_err err;
    f->db = results_open(f->db_path, &err);
    cr_assert_not_null(f->db, "%s", err.msg);
    f->run = results_begin_run(f->db, &(nn_run_info){"test", "toy", "smoke", "{}", 1}, &err);
    cr_assert(f->run > 0, "%s", err.msg);
    f->train = toy_set(200, 11);
    f->test = toy_set(60, 12);
    cr_assert_eq(batches_init(&f->train_b, &f->train, 16, NULL), 0);
    cr_assert_eq(batches_init(&f->test_b, &f->test, 16, NULL), 0);
    rng_seed(&f->order, seed);
    rng_seed(&f->aug, seed + 1);
    f->src = (nn_image_source){&f->train_b, &f->order, &f->aug, .crop_pad = 0, .flip = 0};
    f->m = toy_model(seed);
    f->opt = nn_sgd_new(f->m, (nn_sgd_config){.momentum = 0.9f}, &err);
    cr_assert_not_null(f->opt, "%s", err.msg);
}

static void fixture_close(fixture *f) {
    nn_optim_free(f->opt);
    nn_model_free(f->m);
    batches_free(&f->train_b);
    batches_free(&f->test_b);
    images_free(&f->train);
    images_free(&f->test);
    results_close(f->db);
    test_rmtree(f->dir);
}

static long count(fixture *f, const char *sql) {
    sqlite3 *h = results_handle(f->db);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(h));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static double value(fixture *f, const char *sql) {
    sqlite3 *h = results_handle(f->db);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(h));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "no row for %s", sql);
    double v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    return v;
}

static nn_train_config toy_config(fixture *f) {
    nn_train_config c = train_defaults();
    c.label = "toy";
    c.epochs = 4;
    c.classes = 3;
    c.schedule = (nn_schedule){NN_SCHEDULE_COSINE, .lr = 0.2f, .final_lr = 0.01f};
    c.test = &f->test_b;
    c.log_confusion = 1;
    c.window = 5;
    return c;
}

Test(train_loop, learns_and_logs_every_epoch_window_metric_and_the_confusion) {
    fixture f;
    fixture_open(&f, 3);
    nn_train_config c = toy_config(&f);
    batches_next(&f.test_b); /* a probe: the first test batch */
    c.probe_x = f.test_b.x;
    c.probe_y = f.test_b.y;
    c.probe_n = f.test_b.count;
    nn_train_result r;
    nn_err err;
    int rc = train_classifier(f.db, f.run, f.m, f.opt, train_source_images(&f.src), &c, &r, &err);
    cr_assert_eq(rc, 0, "%s", err.msg);
    cr_assert_gt(r.test.accuracy, 0.9, "a separable toy problem is learnt (%.3f)", r.test.accuracy);
    cr_assert_eq(r.steps, 4 * 13, "13 batches of at most 16 from 200 samples, 4 epochs");
    cr_assert_eq(r.nonfinite_batches, 0);
    cr_assert_eq(count(&f, "SELECT count(*) FROM epochs WHERE split = 'train'"), 4);
    cr_assert_eq(count(&f, "SELECT count(*) FROM epochs WHERE split = 'test'"), 4);
    cr_assert_eq(count(&f, "SELECT count(*) FROM epochs WHERE split = 'train_window'"), 52 / 5);
    cr_assert_eq(count(&f, "SELECT max(step) FROM epochs WHERE split = 'train'"), 52);
    cr_assert_eq(count(&f, "SELECT count(DISTINCT epoch) FROM grad_stats"), 5, "epochs 0..4");
    cr_assert_eq(count(&f, "SELECT sum(count) FROM confusion"), 60);
    cr_assert_float_eq(value(&f, "SELECT value FROM metrics WHERE name = 'test_accuracy'"),
                       r.test.accuracy, 1e-12);
    cr_assert_float_eq(value(&f, "SELECT sum(count) FROM confusion WHERE truth = predicted") / 60,
                       r.test.accuracy, 1e-12, "the confusion matrix agrees with the accuracy");
    cr_assert_eq(value(&f, "SELECT value FROM metrics WHERE name = 'parameters'"),
                 (double)nn_param_count(f.m));
    /* The last epoch's learning rate is the schedule's at the last step. */
    cr_assert_float_eq(value(&f, "SELECT lr FROM epochs WHERE split = 'train' AND epoch = 4"),
                       nn_lr_cosine(0.2f, 0.01f, 51, 52), 1e-7);
    /* The loss falls. */
    cr_assert_lt(value(&f, "SELECT loss FROM epochs WHERE split = 'train' AND epoch = 4"),
                 value(&f, "SELECT loss FROM epochs WHERE split = 'train' AND epoch = 1"));
    fixture_close(&f);
}

/* Every epoch row of two runs with the same seeds, as text. */
static char *dump_rows(fixture *f) {
    sqlite3 *h = results_handle(f->db);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(h,
                       "SELECT group_concat(split || quote(loss) || quote(accuracy), ';') FROM "
                       "(SELECT * FROM epochs WHERE split != 'train_window' ORDER BY rowid)",
                       -1, &st, NULL);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    char *s = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return s;
}

Test(train_loop, same_seeds_same_rows_bit_for_bit_with_augmentation) {
    char *rows[2];
    for (int k = 0; k < 2; k++) {
        fixture f;
        fixture_open(&f, 5);
        f.src.crop_pad = 1;
        f.src.flip = 1;
        nn_train_config c = toy_config(&f);
        nn_err err;
        cr_assert_eq(train_classifier(f.db, f.run, f.m, f.opt, train_source_images(&f.src), &c,
                                      NULL, &err),
                     0, "%s", err.msg);
        rows[k] = dump_rows(&f);
        fixture_close(&f);
    }
    cr_assert_str_eq(rows[0], rows[1]);
    free(rows[0]);
    free(rows[1]);
}

Test(train_loop, refuses_bad_configurations_with_a_message) {
    fixture f;
    fixture_open(&f, 1);
    nn_err err = {{0}};
    nn_train_config c = toy_config(&f);
    c.epochs = 0;
    cr_assert_eq(train_classifier(f.db, f.run, f.m, f.opt, train_source_images(&f.src), &c, NULL, &err), -1);
    cr_assert(strstr(err.msg, "epoch") != NULL, "%s", err.msg);
    c = toy_config(&f);
    c.classes = 10;
    cr_assert_eq(train_classifier(f.db, f.run, f.m, f.opt, train_source_images(&f.src), &c, NULL, &err), -1);
    cr_assert(strstr(err.msg, "3 outputs") != NULL, "%s", err.msg);
    c = toy_config(&f);
    c.label_smoothing = 1.0f;
    cr_assert_eq(train_classifier(f.db, f.run, f.m, f.opt, train_source_images(&f.src), &c, NULL, &err), -1);
    cr_assert(strstr(err.msg, "smoothing") != NULL, "%s", err.msg);
    c = toy_config(&f);
    c.clip_norm = -1.0f;
    cr_assert_eq(train_classifier(f.db, f.run, f.m, f.opt, train_source_images(&f.src), &c, NULL, &err), -1);
    cr_assert(strstr(err.msg, "clipping") != NULL, "%s", err.msg);
    c = toy_config(&f);
    c.test = NULL;
    cr_assert_eq(train_classifier(f.db, f.run, f.m, f.opt, train_source_images(&f.src), &c, NULL, &err), -1);
    cr_assert(strstr(err.msg, "confusion") != NULL, "%s", err.msg);
    f.src.flip = 1;
    f.src.augment = NULL;
    c = toy_config(&f);
    cr_assert_eq(train_classifier(f.db, f.run, f.m, f.opt, train_source_images(&f.src), &c, NULL, &err), -1);
    cr_assert(strstr(err.msg, "generator") != NULL, "%s", err.msg);
    cr_assert_eq(count(&f, "SELECT count(*) FROM epochs WHERE split != 'train_window'"), 0);
    fixture_close(&f);
}

/* The hook of epoch 2 fails: epoch 1's rows stay, epoch 2's are rolled back whole. */
static int fail_in_epoch_2(void *ctx, nn_model *m, int epoch, long step, float lr, nn_err *err) {
    int *calls = ctx;
    (*calls)++;
    if (epoch == 2) return nn_fail(err, "hook refused epoch %d", epoch);
    return 0;
}

Test(train_loop, a_failing_epoch_hook_stops_training_and_rolls_back_that_epoch) {
    fixture f;
    fixture_open(&f, 2);
    nn_train_config c = toy_config(&f);
    c.window = 0;
    int calls = 0;
    c.hook_ctx = &calls;
    c.after_epoch = fail_in_epoch_2;
    nn_err err = {{0}};
    cr_assert_eq(train_classifier(f.db, f.run, f.m, f.opt, train_source_images(&f.src), &c, NULL, &err), -1);
    cr_assert_str_eq(err.msg, "hook refused epoch 2");
    cr_assert_eq(calls, 2);
    cr_assert_eq(count(&f, "SELECT count(*) FROM epochs WHERE epoch = 1"), 2, "train and test");
    cr_assert_eq(count(&f, "SELECT count(*) FROM epochs WHERE epoch = 2"), 0);
    cr_assert_eq(count(&f, "SELECT count(*) FROM metrics"), 0);
    fixture_close(&f);
}

/* Every step's loss and batch size, recorded by the after_step hook. */
typedef struct step_log {
    double loss[64];
} step_log;

static int record_step(void *ctx, nn_model *m, long step, float loss, nn_err *err) {
    step_log *s = ctx;
    if (step > 64) return nn_fail(err, "more steps than the test expects");
    s->loss[step - 1] = loss;
    return 0;
}

/* 13 batches an epoch (12 of 16, one of 8) and a window of 10: the window that ends at step
 * 20 holds steps 11..20, three from the end of epoch 1 (the last a batch of 8) and seven
 * from epoch 2. Its row must be their sample-weighted mean loss. */
Test(train_loop, a_window_runs_on_across_the_end_of_an_epoch) {
    fixture f;
    fixture_open(&f, 4);
    nn_train_config c = toy_config(&f);
    c.epochs = 2;
    c.window = 10;
    step_log log = {{0}};
    c.hook_ctx = &log;
    c.after_step = record_step;
    nn_err err = {{0}};
    cr_assert_eq(
        train_classifier(f.db, f.run, f.m, f.opt, train_source_images(&f.src), &c, NULL, &err), 0,
        "%s", err.msg);
    double sum = 0, seen = 0;
    for (int s = 11; s <= 20; s++) {
        int n = s == 13 ? 8 : 16;
        sum += (float)log.loss[s - 1] * (double)n; /* as the loop sums: float loss times n */
        seen += n;
    }
    cr_assert_eq(count(&f, "SELECT count(*) FROM epochs WHERE split = 'train_window'"), 2);
    cr_assert_eq(count(&f, "SELECT epoch FROM epochs WHERE split = 'train_window' AND step = 20"),
                 2);
    cr_assert_float_eq(
        value(&f, "SELECT loss FROM epochs WHERE split = 'train_window' AND step = 20"), sum / seen,
        1e-12);
    fixture_close(&f);
}

/* A source of its own: the toy images in batches of 4 (the model takes 16), clean. It says
 * how many steps an epoch has, so a cosine schedule reaches its end at the last step. */
typedef struct small_source {
    const nn_images *set;
    int next_i;
    float x[4 * 16];
    uint8_t y[4];
} small_source;

static void small_begin(void *ctx, int epoch) {
    ((small_source *)ctx)->next_i = 0;
}

static int small_next(void *ctx, const float **x, const uint8_t **y, nn_err *err) {
    small_source *s = ctx;
    int n = s->set->n - s->next_i < 4 ? s->set->n - s->next_i : 4;
    if (n <= 0) return 0;
    images_to_float(s->set, (size_t)s->next_i, (size_t)n, s->x);
    memcpy(s->y, s->set->labels + s->next_i, (size_t)n);
    s->next_i += n;
    *x = s->x, *y = s->y;
    return n;
}

Test(train_loop, a_source_of_its_own_sets_the_schedule_length) {
    fixture f;
    fixture_open(&f, 6);
    nn_train_config c = toy_config(&f);
    c.epochs = 2;
    c.window = 0;
    small_source s = {.set = &f.train};
    nn_batch_source src = {.ctx = &s,
                           .samples_per_epoch = f.train.n,
                           .steps_per_epoch = 50,
                           .begin_epoch = small_begin,
                           .next = small_next};
    nn_train_result r;
    nn_err err = {{0}};
    cr_assert_eq(train_classifier(f.db, f.run, f.m, f.opt, src, &c, &r, &err), 0, "%s", err.msg);
    cr_assert_eq(r.steps, 100, "200 samples in batches of 4, twice");
    cr_assert_float_eq(value(&f, "SELECT lr FROM epochs WHERE split = 'train' AND epoch = 2"),
                       nn_lr_cosine(0.2f, 0.01f, 99, 100), 1e-9,
                       "the schedule spans the source's 100 steps, not 2 x 13");
    fixture_close(&f);
}

/* measure_epoch runs once per epoch, before after_epoch, with no transaction open (slow
 * measurements must not hold the database's write lock). */
typedef struct order_log {
    sqlite3 *h;
    int calls[8];
    int n, outside_transaction;
} order_log;

static int note_measure(void *ctx, nn_model *m, int epoch, nn_err *err) {
    order_log *o = ctx;
    o->calls[o->n++] = 100 + epoch;
    o->outside_transaction += sqlite3_get_autocommit(o->h) != 0;
    return 0;
}

static int note_log(void *ctx, nn_model *m, int epoch, long step, float lr, nn_err *err) {
    order_log *o = ctx;
    o->calls[o->n++] = 200 + epoch;
    return 0;
}

Test(train_loop, measure_epoch_runs_before_the_rows_outside_the_transaction) {
    fixture f;
    fixture_open(&f, 7);
    nn_train_config c = toy_config(&f);
    c.epochs = 2;
    order_log o = {.h = results_handle(f.db)};
    c.hook_ctx = &o;
    c.measure_epoch = note_measure;
    c.after_epoch = note_log;
    nn_err err = {{0}};
    cr_assert_eq(
        train_classifier(f.db, f.run, f.m, f.opt, train_source_images(&f.src), &c, NULL, &err), 0,
        "%s", err.msg);
    cr_assert_eq(o.n, 4);
    int want[4] = {101, 201, 102, 202};
    for (int k = 0; k < 4; k++)
        cr_assert_eq(o.calls[k], want[k], "call %d", k);
    cr_assert_eq(o.outside_transaction, 2);
    fixture_close(&f);
}

/* ---- gradient clipping -------------------------------------------------------------------- */

/* What a step did: the parameters before it (snapshot taken by the previous hook call) and
 * the norm of the move, for plain SGD lr times the applied gradient. */
typedef struct move_log {
    float before[512];
    double moved[64];
    size_t n;
} move_log;

static int record_move(void *ctx, nn_model *m, long step, float loss, nn_err *err) {
    (void)loss;
    move_log *s = ctx;
    if (step > 64 || nn_param_count(m) > 512) return nn_fail(err, "too large for the test");
    const float *p = nn_params(m);
    double d = 0;
    for (size_t i = 0; i < s->n; i++) d += ((double)p[i] - s->before[i]) * (p[i] - s->before[i]);
    s->moved[step - 1] = sqrt(d);
    memcpy(s->before, p, sizeof(float) * s->n);
    return 0;
}

/* With clip_norm c, every SGD step moves the parameters by at most lr * c, the steps whose
 * gradient was larger by exactly lr * c, and the run counts them; clip_norm 0 changes
 * nothing. */
Test(train_loop, clipping_caps_the_step_and_counts_the_clipped_ones) {
    double free_moves[64], clipped_moves[64];
    long clipped = -1;
    for (int k = 0; k < 2; k++) {
        fixture f;
        fixture_open(&f, 8);
        nn_optim_free(f.opt);
        f.opt = nn_sgd_new(f.m, (nn_sgd_config){0}, NULL);
        nn_train_config c = toy_config(&f);
        c.epochs = 2;
        c.schedule = (nn_schedule){NN_SCHEDULE_CONSTANT, .lr = 0.5f};
        c.clip_norm = k ? 0.05f : 0.0f;
        static move_log log;
        log.n = nn_param_count(f.m);
        memcpy(log.before, nn_params(f.m), sizeof(float) * log.n);
        c.hook_ctx = &log;
        c.after_step = record_move;
        nn_train_result r;
        nn_err err;
        cr_assert_eq(train_classifier(f.db, f.run, f.m, f.opt, train_source_images(&f.src), &c,
                                      &r, &err),
                     0, "%s", err.msg);
        memcpy(k ? clipped_moves : free_moves, log.moved, sizeof log.moved);
        if (k) {
            clipped = r.clipped_steps;
            cr_assert_eq(value(&f, "SELECT value FROM metrics WHERE name = 'clipped_steps'"),
                         (double)r.clipped_steps);
        } else {
            cr_assert_eq(r.clipped_steps, 0);
            cr_assert_eq(count(&f, "SELECT count(*) FROM metrics WHERE name = 'clipped_steps'"), 0,
                         "no clipping, no row");
        }
        fixture_close(&f);
    }
    /* Step 1 starts from the same parameters and batch in both runs. */
    cr_assert_gt(free_moves[0], 0.5 * 0.05 * 1.01, "the first gradient is above the cap");
    long at_cap = 0;
    for (int s = 0; s < 26; s++) {
        cr_assert_leq(clipped_moves[s], 0.5 * 0.05 * (1 + 1e-4), "step %d moved %g", s + 1,
                      clipped_moves[s]);
        at_cap += fabs(clipped_moves[s] - 0.5 * 0.05) < 1e-4 * 0.5 * 0.05;
    }
    cr_assert_eq(at_cap, clipped, "%ld steps at the cap, %ld counted", at_cap, clipped);
    cr_assert_gt(clipped, 0);
}
