/* test_loss.c - softmax cross-entropy and MSE: known values, stability, and gradients. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "gradcheck.h"
#include "nn/layers.h"

Test(loss, xent_known_value) {
    /* softmax(1,2,3) = (0.0900, 0.2447, 0.6652): -log of the label's probability. */
    const float logits[6] = {1, 2, 3, 1, 2, 3};
    const uint8_t labels[2] = {2, 0};
    float d[6];
    float l = softmax_xent(logits, labels, 2, 3, d);
    double want = (-log(0.66524096) - log(0.09003057)) / 2;
    cr_assert_float_eq(l, want, 1e-6, "loss %g want %g", l, want);
    /* d = (p - onehot) / n. */
    cr_assert_float_eq(d[2], (0.66524096f - 1) / 2, 1e-7f);
    cr_assert_float_eq(d[0], 0.09003057f / 2, 1e-7f);
    cr_assert_float_eq(d[3], (0.09003057f - 1) / 2, 1e-7f);
    /* Rows of the gradient sum to zero. */
    cr_assert_float_eq(d[0] + d[1] + d[2], 0.0f, 1e-7f);
}

Test(loss, xent_is_stable_for_huge_logits) {
    const float logits[3] = {1e4f, -1e4f, 0};
    const uint8_t label[1] = {1};
    float d[3];
    float l = softmax_xent(logits, label, 1, 3, d);
    cr_assert(isfinite(l));
    cr_assert_float_eq(l, 2e4f, 1.0f, "loss %g", l);
    cr_assert_float_eq(d[0], 1.0f, 1e-6f);
    cr_assert_float_eq(d[1], -1.0f, 1e-6f);
    /* The right label with a huge margin costs nothing and has no gradient. */
    const uint8_t right[1] = {0};
    cr_assert_float_eq(softmax_xent(logits, right, 1, 3, NULL), 0.0f, 0);
}

Test(loss, xent_in_place_gradient) {
    float logits[3] = {0.5f, -1, 2}, copy[3] = {0.5f, -1, 2}, d[3];
    const uint8_t label[1] = {1};
    float l1 = softmax_xent(copy, label, 1, 3, d);
    float l2 = softmax_xent(logits, label, 1, 3, logits);
    cr_assert_float_eq(l1, l2, 0);
    cr_assert_arr_eq(logits, d, sizeof d);
}

enum { N = 5, C = 7, LEN = N * C };

static double ref_xent(const double *z, const uint8_t *y) {
    double total = 0;
    for (int i = 0; i < N; i++) {
        double m = z[i * C], s = 0;
        for (int j = 1; j < C; j++) m = fmax(m, z[i * C + j]);
        for (int j = 0; j < C; j++) s += exp(z[i * C + j] - m);
        total += m + log(s) - z[i * C + y[i]];
    }
    return total / N;
}

static double ref_mse(const double *p, const float *t) {
    double s = 0;
    for (int i = 0; i < LEN; i++) s += (p[i] - t[i]) * (p[i] - t[i]);
    return s / LEN;
}

Test(loss, xent_gradient_matches_finite_differences) {
    nn_rng rng;
    rng_seed(&rng, 21);
    float z[LEN], d[LEN];
    uint8_t y[N];
    fill_uniform(&rng, z, LEN, -4, 4);
    for (int i = 0; i < N; i++) y[i] = (uint8_t)rng_below(&rng, C);
    double zd[LEN], g[LEN];
    for (int i = 0; i < LEN; i++) zd[i] = z[i];
    float l = softmax_xent(z, y, N, C, d);
    cr_assert(fabs(l - ref_xent(zd, y)) < 1e-5, "loss %g vs %g", l, ref_xent(zd, y));
    const double h = 1e-6;
    for (int j = 0; j < LEN; j++) {
        double keep = zd[j];
        zd[j] = keep + h;
        double lp = ref_xent(zd, y);
        zd[j] = keep - h;
        double lm = ref_xent(zd, y);
        zd[j] = keep;
        g[j] = (lp - lm) / (2 * h);
    }
    double e = max_rel_err(d, g, LEN, 1e-4);
    cr_assert(e < 1e-4, "rel err %g", e);
}

Test(loss, mse_known_value_and_gradient) {
    const float p[4] = {1, 2, 3, 4}, t[4] = {1, 0, 3, 5};
    float d[4];
    /* (0 + 4 + 0 + 1) / 4 */
    cr_assert_float_eq(mse_loss(p, t, 2, 2, d), 1.25f, 1e-7f);
    cr_assert_float_eq(d[1], 2 * 2.0f / 4, 1e-7f);
    cr_assert_float_eq(d[3], 2 * -1.0f / 4, 1e-7f);
    cr_assert_float_eq(d[0], 0.0f, 0);

    nn_rng rng;
    rng_seed(&rng, 22);
    float pp[LEN], tt[LEN], dd[LEN];
    fill_uniform(&rng, pp, LEN, -2, 2);
    fill_uniform(&rng, tt, LEN, -2, 2);
    double pd[LEN], g[LEN];
    for (int i = 0; i < LEN; i++) pd[i] = pp[i];
    float l = mse_loss(pp, tt, N, C, dd);
    cr_assert(fabs(l - ref_mse(pd, tt)) < 1e-5);
    const double h = 1e-6;
    for (int j = 0; j < LEN; j++) {
        double keep = pd[j];
        pd[j] = keep + h;
        double lp = ref_mse(pd, tt);
        pd[j] = keep - h;
        double lm = ref_mse(pd, tt);
        pd[j] = keep;
        g[j] = (lp - lm) / (2 * h);
    }
    double e = max_rel_err(dd, g, LEN, 1e-4);
    cr_assert(e < 1e-4, "rel err %g", e);
}

/* A label >= classes used to index the logits out of bounds (a silent wrong loss, or a
 * crash). The logits sit in an exactly-sized heap block, so ASan catches any such read. */
Test(loss, xent_label_out_of_range_is_nan_not_a_read_out_of_bounds) {
    const int n = 3, classes = 4;
    float *z = malloc(sizeof *z * (size_t)(n * classes)), d[12];
    for (int k = 0; k < n * classes; k++) z[k] = 0.25f * (float)k;
    const uint8_t labels[3] = {1, 200, 3}; /* sample 1: far outside */
    float l = softmax_xent(z, labels, n, classes, d);
    cr_assert(isnan(l), "loss %g for a batch with a bad label", l);
    for (int j = 0; j < classes; j++) {
        cr_assert(isnan(d[classes + j]), "the bad sample's gradient is poisoned");
        cr_assert(isfinite(d[j]) && isfinite(d[2 * classes + j]), "other rows are computed");
    }
    cr_assert(isnan(softmax_xent(z, labels, n, classes, NULL)));
    const uint8_t edge[1] = {4}; /* == classes: the first index past the row */
    cr_assert(isnan(softmax_xent(z + 8, edge, 1, classes, NULL)));
    free(z);
}

Test(loss, xent_checked_names_the_bad_label_and_leaves_the_gradient_alone) {
    const float z[6] = {1, 2, 3, 1, 2, 3};
    const uint8_t bad[2] = {2, 3};
    float d[6] = {7, 7, 7, 7, 7, 7}, loss = -1;
    nn_err err = {{0}};
    cr_assert_eq(softmax_xent_checked(z, bad, 2, 3, d, &loss, &err), -1);
    cr_assert_str_eq(err.msg, "softmax_xent: label 3 of sample 1 is not below 3 classes");
    for (int k = 0; k < 6; k++) cr_assert_eq(d[k], 7.0f, "d untouched on error");
    cr_assert_eq(loss, -1.0f);
    const uint8_t good[2] = {2, 0};
    cr_assert_eq(softmax_xent_checked(z, good, 2, 3, d, &loss, &err), 0, "%s", err.msg);
    cr_assert_float_eq(loss, softmax_xent(z, good, 2, 3, NULL), 0);
}
