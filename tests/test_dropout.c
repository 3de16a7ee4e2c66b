/* test_dropout.c - inverted dropout: the mask, gradients through a fixed mask, and the
 * expectation E[y] = x checked statistically with a tolerance that a non-inverted dropout
 * (E[y] = (1-p) x) or a wrong keep rate fails by dozens of standard deviations. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "gradcheck.h"
#include "nn/layers.h"

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

Test(dropout, gradients_through_a_fixed_mask) {
    /* y = x * mask is linear in x with the mask fixed: dL/dx = mask * dL/dy exactly, checked
     * against central differences of L = sum r y. */
    enum { N = 50 };
    float x[N], mask[N], y[N], r[N], dx[N];
    double gx[N];
    nn_rng rng;
    rng_seed(&rng, 5);
    fill_uniform(&rng, x, N, -1, 1);
    fill_uniform(&rng, r, N, -1, 1);
    dropout_mask(mask, N, 0.4f, &rng);
    dropout_forward(y, x, mask, N);
    dropout_backward(dx, r, mask, N);
    const double h = 1e-3;
    for (int j = 0; j < N; j++) {
        double lp = 0, lm = 0;
        for (int o = 0; o < N; o++) {
            double xo = x[o] + (o == j ? h : 0), xm = x[o] - (o == j ? h : 0);
            lp += r[o] * xo * mask[o];
            lm += r[o] * xm * mask[o];
        }
        gx[j] = (lp - lm) / (2 * h);
    }
    cr_assert(max_rel_err(dx, gx, N, 1e-3) < 1e-4);
    for (int j = 0; j < N; j++) cr_assert(y[j] == x[j] * mask[j]);
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
