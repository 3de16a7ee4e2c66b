/* test_eval.c - what the chapter measures: confusion-matrix arithmetic (per-class accuracy,
 * most-confused cells), evaluation with and without test-time flipping, and the training
 * recipe's augmentation (every training image is its original shifted by at most crop_pad
 * pixels, possibly mirrored). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cifar_eval.h"
#include "cifar_model.h"
#include "data/augment.h"
#include "data/batches.h"
#include "lab/train.h"
#include "nn/metrics.h"

Test(confusion, class_accuracy_is_the_diagonal_over_the_row) {
    /* 3 classes: truth 0 -> 8 right, 2 as class 1; truth 1 -> 1 right, 3 as 2; truth 2 empty. */
    const int64_t c[9] = {8, 2, 0, 0, 1, 3, 0, 0, 0};
    cr_assert_float_eq(confusion_class_accuracy(c, 3, 0), 0.8, 1e-12);
    cr_assert_float_eq(confusion_class_accuracy(c, 3, 1), 0.25, 1e-12);
    cr_assert_eq(confusion_class_accuracy(c, 3, 2), 0.0, "an empty row has accuracy 0");
}

Test(confusion, top_cells_are_the_largest_off_diagonal_counts_ties_by_truth_then_prediction) {
    const int64_t c[16] = {
        50, 7,  0,  3,  /* truth 0 */
        7,  40, 9,  0,  /* truth 1 */
        0,  2,  30, 7,  /* truth 2 */
        1,  0,  0,  99, /* truth 3 */
    };
    confusion_cell top[4];
    int n = confusion_top_cells(c, 4, top, 4);
    cr_assert_eq(n, 4);
    const int want[4][3] = {{1, 2, 9}, {0, 1, 7}, {1, 0, 7}, {2, 3, 7}};
    for (int k = 0; k < 4; k++) {
        cr_assert_eq(top[k].truth, want[k][0], "cell %d", k);
        cr_assert_eq(top[k].predicted, want[k][1], "cell %d", k);
        cr_assert_eq(top[k].count, want[k][2], "cell %d", k);
    }
    /* All non-zero off-diagonal cells: 7 of them; asking for 10 gives 7, in order. */
    confusion_cell all[10];
    cr_assert_eq(confusion_top_cells(c, 4, all, 10), 7);
    for (int k = 1; k < 7; k++)
        cr_assert_geq(all[k - 1].count, all[k].count);
    cr_assert_eq(all[6].count, 1);
    /* A diagonal matrix has no confused cells. */
    const int64_t d[4] = {5, 0, 0, 5};
    cr_assert_eq(confusion_top_cells(d, 2, all, 10), 0);
}

static nn_images fake_images(int n, uint64_t seed) {
    nn_images im = {n, 3, 32, 32, malloc((size_t)n * 3072), malloc((size_t)n), 10};
    nn_rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < (size_t)n * 3072; i++)
        im.pixels[i] = (uint8_t)rng_below(&r, 256);
    for (int i = 0; i < n; i++)
        im.labels[i] = (uint8_t)rng_below(&r, 10);
    return im;
}

static nn_model *small_model(int batch) {
    cifar_arch a = {4, {8, 8, 8}, {0, 0, 0}};
    nn_rng r;
    rng_seed(&r, 9);
    nn_err err;
    nn_model *m = cifar_model_new(&a, batch, &r, &err);
    cr_assert(m, "%s", err.msg);
    return m;
}

Test(evaluate, counts_add_up_and_match_a_plain_forward_pass) {
    nn_images im = fake_images(23, 4); /* 23: a last batch smaller than the others */
    nn_model *m = small_model(10);
    cifar_scores s;
    uint8_t pred[23];
    nn_err err;
    cr_assert_eq(cifar_evaluate(m, &im, 0, pred, &s, &err), 0, "%s", err.msg);
    cr_assert_eq(s.count, 23);
    int64_t total = 0, diagonal = 0;
    for (int t = 0; t < 10; t++)
        for (int p = 0; p < 10; p++) {
            total += s.confusion[t * 10 + p];
            if (t == p) diagonal += s.confusion[t * 10 + p];
        }
    cr_assert_eq(total, 23);
    cr_assert_eq(diagonal, s.correct);
    cr_assert_float_eq(s.accuracy, s.correct / 23.0, 1e-12);
    float x[3072];
    for (int i = 0; i < 23; i++) {
        images_to_float(&im, i, 1, x);
        const float *logits = nn_forward(m, x, 1, 0);
        cr_assert_eq(pred[i], nn_argmax(logits, 10), "image %d", i);
    }
    nn_model_free(m);
    images_free(&im);
}

Test(evaluate, test_time_flip_averages_the_logits_of_the_image_and_its_mirror) {
    nn_images im = fake_images(12, 6);
    nn_model *m = small_model(12);
    cifar_scores s;
    uint8_t pred[12];
    nn_err err;
    cr_assert_eq(cifar_evaluate(m, &im, 1, pred, &s, &err), 0, "%s", err.msg);
    float x[3072], a[10];
    long correct = 0;
    for (int i = 0; i < 12; i++) {
        images_to_float(&im, i, 1, x);
        memcpy(a, nn_forward(m, x, 1, 0), sizeof a);
        augment_flip(x, 3, 32, 32);
        const float *b = nn_forward(m, x, 1, 0);
        for (int k = 0; k < 10; k++)
            a[k] = 0.5f * (a[k] + b[k]);
        cr_assert_eq(pred[i], nn_argmax(a, 10), "image %d", i);
        correct += pred[i] == im.labels[i];
    }
    cr_assert_eq(s.correct, correct);
    nn_model_free(m);
    images_free(&im);
}

Test(evaluate, a_model_of_the_wrong_shape_is_refused) {
    nn_err err;
    nn_model *m = nn_model_new(1, 28, 28, &err);
    nn_add_dense(m, 10);
    cr_assert_eq(nn_model_build(m, 4, &err), 0);
    nn_images im = fake_images(4, 1);
    cifar_scores s;
    cr_assert_eq(cifar_evaluate(m, &im, 0, NULL, &s, &err), -1);
    cr_assert(strstr(err.msg, "3x32x32"), "%s", err.msg);
    nn_model_free(m);
    images_free(&im);
}

/* Is y the image x shifted by (dy, dx), |dy|, |dx| <= pad, zeros filling in, and possibly
 * mirrored afterwards? */
static int is_shift_of(const float *y, const float *x, int pad) {
    float t[3072];
    for (int flip = 0; flip < 2; flip++)
        for (int dy = -pad; dy <= pad; dy++)
            for (int dx = -pad; dx <= pad; dx++) {
                memcpy(t, x, sizeof t);
                augment_shift(t, 3, 32, 32, dy, dx);
                if (flip) augment_flip(t, 3, 32, 32);
                if (!memcmp(t, y, sizeof t)) return 1;
            }
    return 0;
}

Test(augment, the_recipe_source_gives_shifted_and_mirrored_originals) {
    /* Pixels 1..255 only, so a zero can only come from the padding. */
    nn_images im = fake_images(40, 8);
    for (int i = 0; i < 40 * 3072; i++)
        im.pixels[i] = (uint8_t)(1 + im.pixels[i] % 255);
    nn_batches b;
    nn_err err;
    cr_assert_eq(batches_init(&b, &im, 8, &err), 0);
    nn_rng order, aug;
    rng_seed(&order, 1);
    rng_seed(&aug, 2);
    nn_image_source src = {
        .batches = &b, .order = &order, .augment = &aug, .crop_pad = 2, .flip = 1};
    nn_batch_source s = train_source_images(&src);
    s.begin_epoch(s.ctx, 1);
    const float *x;
    const uint8_t *y;
    int n, seen = 0, changed = 0;
    float orig[3072];
    while ((n = s.next(s.ctx, &x, &y, &err)) > 0) {
        for (int k = 0; k < n; k++) {
            int idx = b.order[b.first + k];
            images_to_float(&im, idx, 1, orig);
            cr_assert(is_shift_of(x + k * 3072, orig, 2), "sample %d is not a shift of image %d",
                      seen + k, idx);
            cr_assert_eq(y[k], im.labels[idx]);
            changed += memcmp(x + k * 3072, orig, sizeof orig) != 0;
        }
        seen += n;
    }
    cr_assert_eq(seen, 40);
    cr_assert_gt(changed, 20, "augmentation left %d of 40 images unchanged", 40 - changed);
    batches_free(&b);
    images_free(&im);
}

Test(peak, the_measured_peak_is_positive_and_finite) {
    double p = cifar_fma_peak_gflops(0.01);
    cr_assert(p > 0.1 && p < 1e5, "peak %g GFLOP/s", p);
}
