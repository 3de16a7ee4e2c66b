/* test_batchnorm.c - batch normalisation: normalised outputs, running statistics, inference
 * with running statistics, and gradients (training and inference) against finite
 * differences of a double-precision reference. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "nn/layers.h"

Test(batchnorm, training_normalises_and_updates_running_stats) {
    /* One channel of 4 values {1, 2, 3, 6}: mean 3, biased var 3.5, unbiased 14/3. */
    const float x[4] = {1, 2, 3, 6}, gamma[1] = {2}, beta[1] = {0.5f};
    float y[4], mean[1], inv_std[1], rm[1] = {1}, rv[1] = {2};
    batchnorm_forward(y, mean, inv_std, rm, rv, x, gamma, beta, 4, 1, 1, 0.1f, 0.0f, 1);
    cr_assert_float_eq(mean[0], 3.0f, 1e-6);
    cr_assert_float_eq(inv_std[0], 1 / sqrtf(3.5f), 1e-6);
    for (int i = 0; i < 4; i++)
        cr_assert_float_eq(y[i], 2 * (x[i] - 3) / sqrtf(3.5f) + 0.5f, 1e-5, "y[%d]", i);
    cr_assert_float_eq(rm[0], 0.9f * 1 + 0.1f * 3, 1e-6);
    cr_assert_float_eq(rv[0], 0.9f * 2 + 0.1f * 14.0f / 3, 1e-6);
}

Test(batchnorm, inference_uses_running_stats_and_leaves_them) {
    /* Two channels of 2x1 planes, batch 2: inference ignores the batch completely. */
    const float x[4] = {10, 20, 30, 40}, gamma[2] = {1, 3}, beta[2] = {0, -1};
    float y[4], mean[2], inv_std[2], rm[2] = {5, -1}, rv[2] = {4, 0.25f};
    batchnorm_forward(y, mean, inv_std, rm, rv, x, gamma, beta, 2, 2, 1, 0.1f, 0.0f, 0);
    cr_assert_float_eq(y[0], (10 - 5) / 2.0f, 1e-6);
    cr_assert_float_eq(y[1], 3 * (20 + 1) / 0.5f - 1, 1e-4);
    cr_assert_float_eq(y[2], (30 - 5) / 2.0f, 1e-6);
    cr_assert_float_eq(y[3], 3 * (40 + 1) / 0.5f - 1, 1e-4);
    cr_assert(rm[0] == 5 && rm[1] == -1 && rv[0] == 4 && rv[1] == 0.25f);
}

/* Reference in double: training mode (batch statistics) or fixed statistics. */
static void ref_bn(double *y, const double *x, const double *gamma, const double *beta, int n,
                   int c, int s, double eps, int training, const float *rm, const float *rv) {
    for (int ch = 0; ch < c; ch++) {
        double mean = rm[ch], var = rv[ch];
        if (training) {
            double sum = 0, ss = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < s; j++) sum += x[(i * c + ch) * s + j];
            mean = sum / (n * s);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < s; j++)
                    ss += (x[(i * c + ch) * s + j] - mean) * (x[(i * c + ch) * s + j] - mean);
            var = ss / (n * s);
        }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < s; j++) {
                size_t at = (size_t)(i * c + ch) * s + j;
                y[at] = gamma[ch] * (x[at] - mean) / sqrt(var + eps) + beta[ch];
            }
    }
}

static void check_bn(int n, int c, int s, int training, uint64_t seed) {
    const size_t len = (size_t)n * c * s;
    const float eps = 1e-5f;
    float *x = malloc(len * 4), *y = malloc(len * 4), *r = malloc(len * 4), *dx = malloc(len * 4);
    float gamma[8], beta[8], dg[8], dbt[8], mean[8], inv_std[8], rm[8], rv[8];
    double *xd = malloc(len * 8), *yd = malloc(len * 8), *gx = malloc(len * 8);
    double gd[8], bd[8], ggam[8], gbet[8];
    nn_rng rng;
    rng_seed(&rng, seed);
    fill_uniform(&rng, x, len, -2, 3);
    fill_uniform(&rng, gamma, c, 0.5f, 2);
    fill_uniform(&rng, beta, c, -1, 1);
    fill_uniform(&rng, rm, c, -0.5f, 0.5f);
    fill_uniform(&rng, rv, c, 0.5f, 2);
    fill_uniform(&rng, r, len, -1, 1);
    for (size_t j = 0; j < len; j++) xd[j] = x[j];
    for (int ch = 0; ch < c; ch++) gd[ch] = gamma[ch], bd[ch] = beta[ch];
    float rm0[8], rv0[8];
    memcpy(rm0, rm, sizeof rm), memcpy(rv0, rv, sizeof rv);

    batchnorm_forward(y, mean, inv_std, rm, rv, x, gamma, beta, n, c, s, 0.1f, eps, training);
    ref_bn(yd, xd, gd, bd, n, c, s, eps, training, rm0, rv0);
    cr_assert(max_rel_err(y, yd, len, 1e-3) < 1e-5, "forward");
    batchnorm_backward(dx, dg, dbt, r, x, gamma, mean, inv_std, n, c, s, training);

    /* Finite differences of L = sum r y with respect to x, gamma and beta. */
    const double h = 1e-6;
    double *vars[3] = {xd, gd, bd}, *grads[3] = {gx, ggam, gbet};
    size_t lens[3] = {len, (size_t)c, (size_t)c};
    for (int v = 0; v < 3; v++)
        for (size_t j = 0; j < lens[v]; j++) {
            double keep = vars[v][j], lp = 0, lm = 0;
            vars[v][j] = keep + h;
            ref_bn(yd, xd, gd, bd, n, c, s, eps, training, rm0, rv0);
            for (size_t o = 0; o < len; o++) lp += r[o] * yd[o];
            vars[v][j] = keep - h;
            ref_bn(yd, xd, gd, bd, n, c, s, eps, training, rm0, rv0);
            for (size_t o = 0; o < len; o++) lm += r[o] * yd[o];
            vars[v][j] = keep;
            grads[v][j] = (lp - lm) / (2 * h);
        }
    double ex = max_rel_err(dx, gx, len, 1e-3), eg = max_rel_err(dg, ggam, c, 1e-3),
           eb = max_rel_err(dbt, gbet, c, 1e-3);
    cr_assert(ex < 1e-3, "dx rel err %g (training %d)", ex, training);
    cr_assert(norm_rel_err(dx, gx, len) < 1e-5, "dx normwise %g", norm_rel_err(dx, gx, len));
    cr_assert(eg < 1e-4, "dgamma rel err %g", eg);
    cr_assert(eb < 1e-4, "dbeta rel err %g", eb);
    free(x), free(y), free(r), free(dx), free(xd), free(yd), free(gx);
}

Test(batchnorm, gradients_training_per_channel_of_conv_output) {
    check_bn(3, 2, 6, 1, 1);
}

Test(batchnorm, gradients_training_per_feature_of_dense_output) {
    check_bn(5, 4, 1, 1, 2);
}

Test(batchnorm, gradients_inference_mode) {
    check_bn(3, 3, 4, 0, 3);
}

Test(batchnorm, the_batch_term_matters) {
    /* dx in training differs from the inference formula with the same statistics: a
     * backward that forgot the mean/variance terms would fail the checks above. */
    float x[6] = {1, 5, 2, 8, 3, 4}, dy[6] = {1, 0, 0, 0, 0, 0}, g[1] = {1}, b[1] = {0};
    float y[6], m[1], is[1], rm[1] = {0}, rv[1] = {1}, dx_t[6], dx_i[6];
    batchnorm_forward(y, m, is, rm, rv, x, g, b, 6, 1, 1, 0.1f, 1e-5f, 1);
    batchnorm_backward(dx_t, NULL, NULL, dy, x, g, m, is, 6, 1, 1, 1);
    batchnorm_backward(dx_i, NULL, NULL, dy, x, g, m, is, 6, 1, 1, 0);
    cr_assert(fabsf(dx_t[0] - dx_i[0]) > 0.1f * fabsf(dx_i[0]));
    /* Normalisation is shift invariant: the training-mode gradient sums to zero. */
    float sum = 0;
    for (int i = 0; i < 6; i++) sum += dx_t[i];
    cr_assert(fabsf(sum) < 1e-6f, "sum %g", sum);
}
