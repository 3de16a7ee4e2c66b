/* test_train_fer.c - chapter 06's training pieces: square-root oversampling, the scores
 * (accuracy, recall, precision, F1, macro-F1) on a known confusion, flip averaging, the FLOP
 * count, and a whole (tiny) run: its rows, and that the model it returns is the epoch that
 * scored best on PublicTest. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "classify.h"
#include "data/augment.h"
#include "train_fer.h"

#include <omp.h>

/* n faces, class of face i = cls[i], pixels a pattern that depends on the class (so a
 * network can learn it) and on i. */
static void make_set(nn_images *s, int n, const uint8_t *cls) {
    s->n = n, s->c = 1, s->h = s->w = 48, s->classes = 7;
    s->pixels = malloc((size_t)n * CH06_PIXELS);
    s->labels = malloc((size_t)n);
    for (int i = 0; i < n; i++) {
        s->labels[i] = cls[i];
        for (int p = 0; p < CH06_PIXELS; p++) {
            int row = p / 48, col = p % 48;
            /* class k: a faint horizontal band at rows 6k..6k+5 under strong noise, so that a
             * tiny network learns it, but not perfectly */
            int v = (row / 6 == cls[i]) ? 45 : 30;
            unsigned h = (unsigned)(i * 7919 + p * 104729 + col);
            h ^= h >> 13, h *= 0x5bd1e995u, h ^= h >> 15;
            s->pixels[(size_t)i * CH06_PIXELS + p] = (uint8_t)(v + h % 120);
        }
    }
}

Test(train_fer, sqrt_oversampling_repeats_rare_classes) {
    uint8_t cls[400];
    int counts[7] = {100, 10, 50, 160, 40, 25, 15}, k = 0;
    for (int c = 0; c < 7; c++)
        for (int j = 0; j < counts[c]; j++)
            cls[k++] = (uint8_t)c;
    nn_images s, o;
    make_set(&s, k, cls);
    int factor[7];
    nn_err err = {{0}};
    cr_assert_eq(ch06_oversample(&s, CH06_BALANCE_SQRT, &o, factor, &err), 0, "%s", err.msg);
    /* floor(sqrt(160 / n_c)): 1, 4, 1, 1, 2, 2, 3 */
    int want[7] = {1, 4, 1, 1, 2, 2, 3}, total = 0;
    for (int c = 0; c < 7; c++) {
        cr_assert_eq(factor[c], want[c], "class %d", c);
        total += counts[c] * want[c];
    }
    cr_assert_eq(o.n, total);
    int seen[7] = {0};
    for (int i = 0; i < o.n; i++)
        seen[o.labels[i]]++;
    for (int c = 0; c < 7; c++)
        cr_assert_eq(seen[c], counts[c] * want[c]);
    /* the copies are the images: face 100 (the first disgust face) four times in a row */
    int first = 0;
    while (o.labels[first] != 1)
        first++;
    for (int r = 0; r < 4; r++)
        cr_assert_eq(memcmp(o.pixels + (size_t)(first + r) * CH06_PIXELS,
                            s.pixels + (size_t)100 * CH06_PIXELS, CH06_PIXELS),
                     0);
    images_free(&o);
    cr_assert_eq(ch06_oversample(&s, CH06_BALANCE_NONE, &o, factor, &err), 0);
    cr_assert_eq(o.n, s.n);
    for (int c = 0; c < 7; c++)
        cr_assert_eq(factor[c], 1);
    images_free(&o);
    images_free(&s);
}

Test(train_fer, scores_of_a_known_confusion) {
    /* truth 0 x4 (pred 0,0,0,1), truth 1 x2 (pred 1,0), truth 2 x1 (pred 2); 3..6 absent */
    uint8_t truth[7] = {0, 0, 0, 0, 1, 1, 2}, pred[7] = {0, 0, 0, 1, 1, 0, 2};
    ch06_scores s;
    ch06_score(truth, pred, 7, &s);
    cr_assert_eq(s.n, 7);
    cr_assert_float_eq(s.accuracy, 5.0 / 7, 1e-12);
    cr_assert_eq(s.confusion[0 * 7 + 1], 1);
    cr_assert_eq(s.confusion[1 * 7 + 0], 1);
    cr_assert_float_eq(s.recall[0], 0.75, 1e-12);
    cr_assert_float_eq(s.precision[0], 0.75, 1e-12);
    cr_assert_float_eq(s.recall[1], 0.5, 1e-12);
    cr_assert_float_eq(s.precision[1], 0.5, 1e-12);
    cr_assert_float_eq(s.f1[2], 1.0, 1e-12);
    cr_assert_float_eq(s.f1[3], 0.0, 1e-12);
    cr_assert_float_eq(s.macro_f1, (0.75 + 0.5 + 1.0) / 7, 1e-12);
}

static nn_model *tiny_model(int batch) {
    static const ch06_arch a = {"t", 2, {3, 4}, {1, 1}, 8, 0.0f};
    nn_rng rng;
    rng_seed(&rng, 3);
    nn_err err = {{0}};
    nn_model *m = ch06_build(&a, batch, &rng, &err);
    cr_assert_not_null(m, "%s", err.msg);
    return m;
}

Test(train_fer, flip_averaging_is_the_mean_of_face_and_mirror) {
    nn_model *m = tiny_model(4);
    uint8_t cls[3] = {1, 4, 6};
    nn_images s;
    make_set(&s, 3, cls);
    for (int i = 0; i < 3 * CH06_PIXELS; i++)
        s.pixels[i] = (uint8_t)((s.pixels[i] * 31 + i) % 256); /* not symmetric */
    uint8_t pred[3];
    float probs[3 * 7];
    nn_err err = {{0}};
    cr_assert_eq(ch06_predict(m, &s, 1, pred, probs, NULL, &err), 0, "%s", err.msg);
    for (int i = 0; i < 3; i++) {
        uint8_t face[CH06_PIXELS], mirror[CH06_PIXELS];
        memcpy(face, s.pixels + (size_t)i * CH06_PIXELS, CH06_PIXELS);
        for (int r = 0; r < 48; r++)
            for (int c = 0; c < 48; c++)
                mirror[r * 48 + c] = face[r * 48 + 47 - c];
        float a[7], b[7], both[7];
        ch06_classify_face(m, face, 0, a);
        ch06_classify_face(m, mirror, 0, b);
        int p = ch06_classify_face(m, face, 1, both);
        cr_assert_eq(p, pred[i]);
        for (int k = 0; k < 7; k++) {
            cr_assert_float_eq(both[k], 0.5f * (a[k] + b[k]), 1e-6f);
            cr_assert_float_eq(probs[i * 7 + k], both[k], 1e-6f);
        }
    }
    images_free(&s);
    nn_model_free(m);
}

Test(train_fer, mflops_counts_convolutions_and_dense_layers) {
    nn_model *m = tiny_model(1);
    /* conv 1->3 at 48x48: 2*9*1*3*2304; pool; conv 3->4 at 24x24: 2*9*3*4*576; pool -> 4x12x12;
     * dense 576->8: 2*576*8; dense 8->7: 2*8*7 */
    double want = (2.0 * 9 * 3 * 2304 + 2.0 * 9 * 12 * 576 + 2.0 * 576 * 8 + 2.0 * 8 * 7) / 1e6;
    cr_assert_float_eq(ch06_mflops(m), want, 1e-9);
    nn_model_free(m);
}

static double q(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sql);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sql);
    double v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int extra_called;
static int extra(void *ctx, nn_results *db, const ch06_outcome *o, nn_err *err) {
    (void)ctx;
    extra_called++;
    return results_log_metric(db, o->run, "extra", 1, err);
}

Test(train_fer, a_tiny_run_logs_its_rows_and_returns_the_best_epoch) {
    uint8_t cls[300];
    for (int i = 0; i < 300; i++)
        cls[i] = (uint8_t)(i % 7 == 1 && i % 3 ? 0 : i % 7); /* class 1 rarer */
    nn_images train, pub, priv;
    make_set(&train, 300, cls);
    make_set(&pub, 70, cls + 100);
    make_set(&priv, 70, cls + 200);
    nn_err err = {{0}};
    nn_results *db = results_open(":memory:", &err);
    cr_assert_not_null(db, "%s", err.msg);
    static const ch06_arch a = {"t", 2, {3, 4}, {1, 1}, 8, 0.2f};
    /* A constant rate high enough that PublicTest accuracy falls again after its best
     * epoch, so that returning the best weights differs from returning the last. */
    ch06_run r = {.experiment = "tiny",
                  .arch = &a,
                  .epochs = 5,
                  .batch = 16,
                  .schedule = {NN_SCHEDULE_CONSTANT, .lr = 0.5f},
                  .momentum = 0.9f,
                  .weight_decay = 5e-4f,
                  .crop_pad = 2,
                  .flip = 1,
                  .balance = CH06_BALANCE_SQRT};
    ch06_data d = {&train, &pub, &priv};
    ch06_outcome o;
    omp_set_num_threads(1); /* results depend on the thread count; the scenario needs one */
    cr_assert_eq(ch06_train_run(db, "smoke", &r, &d, 5, extra, NULL, &o, &err), 0, "%s", err.msg);
    cr_assert_eq(extra_called, 1);
    sqlite3 *h = results_handle(db);
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM epochs WHERE run_id = %lld AND split = 'public'",
             (long long)o.run);
    cr_assert_eq(q(h, sql), 5);
    snprintf(sql, sizeof sql, "SELECT status = 'done' FROM runs WHERE id = %lld", (long long)o.run);
    cr_assert_eq(q(h, sql), 1);
    /* best_epoch is the epoch of the highest 'public' row, and the returned model scores it */
    snprintf(sql, sizeof sql,
             "SELECT epoch FROM epochs WHERE run_id = %lld AND split = 'public' "
             "ORDER BY accuracy DESC, epoch LIMIT 1",
             (long long)o.run);
    double best = q(h, sql);
    cr_assert_eq(o.best_epoch, (int)best);
    cr_assert_lt(o.best_epoch, 5, "the best epoch is the last: restoring is not tested");
    uint8_t pred[70];
    cr_assert_eq(ch06_predict(o.model, &pub, 0, pred, NULL, NULL, &err), 0);
    long right = 0;
    for (int i = 0; i < 70; i++)
        right += pred[i] == pub.labels[i];
    snprintf(sql, sizeof sql,
             "SELECT accuracy FROM epochs WHERE run_id = %lld AND split = 'public' AND epoch = %d",
             (long long)o.run, o.best_epoch);
    cr_assert_float_eq(q(h, sql), right / 70.0, 1e-12);
    /* the PrivateTest numbers are those of the returned predictions */
    ch06_scores s;
    ch06_score(priv.labels, o.private_pred, 70, &s);
    snprintf(sql, sizeof sql,
             "SELECT value FROM metrics WHERE run_id = %lld AND name = 'private_accuracy'",
             (long long)o.run);
    cr_assert_float_eq(q(h, sql), s.accuracy, 1e-12);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM metrics WHERE run_id = %lld AND (name LIKE 'recall_%%' OR "
             "name LIKE 'precision_%%' OR name LIKE 'f1_%%' OR name = 'extra')",
             (long long)o.run);
    cr_assert_eq(q(h, sql), 22);
    snprintf(sql, sizeof sql, "SELECT sum(count) FROM confusion WHERE run_id = %lld",
             (long long)o.run);
    cr_assert_eq(q(h, sql), 70);
    snprintf(sql, sizeof sql,
             "SELECT json_extract(config_json, '$.class_repeats[1]') FROM runs WHERE id = %lld",
             (long long)o.run);
    cr_assert_geq(q(h, sql), 1);
    ch06_outcome_free(&o);
    results_close(db);
    images_free(&train);
    images_free(&pub);
    images_free(&priv);
}
