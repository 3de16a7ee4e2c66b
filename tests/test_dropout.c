/* test_dropout.c - inverted dropout: the mask, gradients through the mask forward drew (in a
 * model, checked against the forward output, not the mask), in-place kernels, and the
 * expectation E[y] = x checked statistically with a tolerance that a non-inverted dropout
 * (E[y] = (1-p) x) or a wrong keep rate fails by dozens of standard deviations. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "gradcheck.h"
#include "nn/layers.h"
#include "nn/model.h"

Test(dropout, mask_values_and_determinism) {
    enum { N = 1000 };
    float a[N], b[N];
    nn_rng r1, r2;
    rng_seed(&r1, 4), rng_seed(&r2, 4);
    dropout_mask(a, N, 0.25f, &r1);
    dropout_mask(b, N, 0.25f, &r2);
    cr_assert_arr_eq(a, b, sizeof a, "same generator state, same mask");
    for (int i = 0; i < N; i++) cr_assert(a[i] == 0.0f || a[i] == 1.0f / 0.75f, "%g", a[i]);
    dropout_mask(a, N, 0.0f, &r1);
    for (int i = 0; i < N; i++) cr_assert(a[i] == 1.0f, "p = 0 keeps everything");
}

/* What backward must do cannot be read off the mask (that would restate dx = dy * mask):
 * inside a model in training mode, the gradient must flow exactly through the values the
 * forward pass kept, scaled as they were scaled, using the mask forward drew (not a fresh
 * one, not none). Checked against the forward output alone: for L = sum r * y,
 * dL/dx_i = r_i * y_i / x_i, and 0 where y_i = 0. */
Test(dropout, model_backward_follows_the_values_forward_kept) {
    enum { N = 4, D = 200 };
    const float p = 0.4f;
    nn_model *m = nn_model_new(1, 1, D, NULL);
    nn_add_dropout(m, p);
    cr_assert_eq(nn_model_build(m, N, NULL), 0);
    nn_rng rng;
    rng_seed(&rng, 5);
    nn_model_set_rng(m, &rng);
    float x[N * D], r[N * D];
    fill_uniform(&rng, x, N * D, 0.5f, 2.0f); /* away from 0, so y / x is exact enough */
    fill_uniform(&rng, r, N * D, -1, 1);
    const float *y = nn_forward(m, x, N, 1);
    cr_assert_not_null(y);
    float kept[N * D];
    for (int i = 0; i < N * D; i++) kept[i] = y[i];
    cr_assert_eq(nn_backward(m, r, N), 0);
    const float *dx = nn_input_grad(m);
    cr_assert_not_null(dx);
    int zeros = 0;
    for (int i = 0; i < N * D; i++) {
        if (kept[i] == 0.0f) {
            zeros++;
            cr_assert_eq(dx[i], 0.0f, "value %d was dropped but passes gradient %g", i, dx[i]);
        } else {
            cr_assert_float_eq(kept[i] / x[i], 1.0f / (1.0f - p), 1e-6f, "value %d scaled", i);
            cr_assert_float_eq(dx[i], r[i] * kept[i] / x[i], 1e-6f, "gradient %d", i);
        }
    }
    /* The mask is a real draw (40% of 800 dropped, give or take 5 standard deviations). */
    cr_assert(zeros > 250 && zeros < 390, "%d of %d dropped", zeros, N * D);
    /* A second forward draws a new mask, and backward follows that one. */
    y = nn_forward(m, x, N, 1);
    int differs = 0;
    for (int i = 0; i < N * D; i++) differs += (y[i] == 0.0f) != (kept[i] == 0.0f);
    cr_assert_gt(differs, 0, "every training forward draws a fresh mask");
    for (int i = 0; i < N * D; i++) kept[i] = y[i];
    cr_assert_eq(nn_backward(m, r, N), 0);
    dx = nn_input_grad(m);
    for (int i = 0; i < N * D; i++)
        cr_assert((kept[i] == 0.0f) == (dx[i] == 0.0f), "gradient %d follows the new mask", i);
    /* Inference is the identity, and so is its gradient. */
    y = nn_forward(m, x, N, 0);
    for (int i = 0; i < N * D; i++) cr_assert_eq(y[i], x[i]);
    cr_assert_eq(nn_backward(m, r, N), 0);
    dx = nn_input_grad(m);
    for (int i = 0; i < N * D; i++) cr_assert_eq(dx[i], r[i]);
    nn_model_free(m);
}

/* The header promises y may equal x and dx may equal dy (in place). */
Test(dropout, kernels_work_in_place) {
    enum { N = 64 };
    float x[N], mask[N], y[N], inplace[N];
    nn_rng rng;
    rng_seed(&rng, 8);
    fill_uniform(&rng, x, N, -1, 1);
    dropout_mask(mask, N, 0.5f, &rng);
    dropout_forward(y, x, mask, N);
    for (int i = 0; i < N; i++) inplace[i] = x[i];
    dropout_forward(inplace, inplace, mask, N);
    cr_assert_arr_eq(inplace, y, sizeof y);
    dropout_backward(y, x, mask, N);
    for (int i = 0; i < N; i++) inplace[i] = x[i];
    dropout_backward(inplace, inplace, mask, N);
    cr_assert_arr_eq(inplace, y, sizeof y);
}

Test(dropout, keeps_the_expectation) {
    /* x = 1 everywhere, p = 0.3: each y is 0 or 1/0.7, mean 1 and standard deviation
     * sqrt(p/(1-p)) = 0.65. Over 200000 values the sample mean has standard deviation
     * 0.0015; the tolerance 0.01 is ~7 of those (a false failure is out of the question)
     * while non-inverted dropout would be 0.3 off. */
    enum { N = 200000 };
    float *x = malloc(N * sizeof *x), *m = malloc(N * sizeof *m), *y = malloc(N * sizeof *y);
    for (int i = 0; i < N; i++) x[i] = 1.0f;
    nn_rng rng;
    rng_seed(&rng, 6);
    dropout_mask(m, N, 0.3f, &rng);
    dropout_forward(y, x, m, N);
    double sum = 0;
    long kept = 0;
    for (int i = 0; i < N; i++) sum += y[i], kept += y[i] != 0;
    cr_assert(fabs(sum / N - 1.0) < 0.01, "mean %g", sum / N);
    /* Keep rate 0.7 with std sqrt(0.21/N) = 0.001. */
    cr_assert(fabs((double)kept / N - 0.7) < 0.01, "kept %g", (double)kept / N);
    free(x), free(m), free(y);
}
