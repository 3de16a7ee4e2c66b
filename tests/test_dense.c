/* test_dense.c - the dense layer: a hand-computed case and finite-difference gradients. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "gradcheck.h"
#include "nn/layers.h"

Test(dense, hand_computed_2x3) {
    /* Two samples of three inputs, two outputs; w is out x in. */
    const float x[6] = {1, 2, 3, 4, 5, 6};
    const float w[6] = {1, 0, -1, 0.5f, 0.5f, 0.5f};
    const float b[2] = {0.1f, -0.2f};
    float y[4];
    dense_forward(y, x, w, b, 2, 3, 2);
    const float want[4] = {-1.9f, 2.8f, -1.9f, 7.3f};
    for (int i = 0; i < 4; i++) cr_assert_float_eq(y[i], want[i], 1e-6f, "y[%d]=%g", i, y[i]);

    /* dy = identity picks rows: dx_i = w_i, dw_o = x_o, db = (1, 1). */
    const float dy[4] = {1, 0, 0, 1};
    float dx[6], dw[6], db[2];
    dense_backward(dx, dw, db, dy, x, w, 2, 3, 2);
    for (int i = 0; i < 6; i++) {
        cr_assert_float_eq(dx[i], w[i], 1e-7f);
        cr_assert_float_eq(dw[i], x[i], 1e-7f);
    }
    cr_assert_float_eq(db[0], 1.0f, 0);
    cr_assert_float_eq(db[1], 1.0f, 0);
}

/* Double-precision reference of L = sum_io r[i][o] * y[i][o]. */
static double ref_loss(const double *x, const double *w, const double *b, const float *r, int n,
                       int in, int out) {
    double loss = 0;
    for (int i = 0; i < n; i++)
        for (int o = 0; o < out; o++) {
            double y = b[o];
            for (int k = 0; k < in; k++) y += x[i * in + k] * w[o * in + k];
            loss += r[i * out + o] * y;
        }
    return loss;
}

/* Central difference of ref_loss with respect to every entry of v (one of x, w, b). */
static void fd_grad(double *g, double *v, int len, const double *x, const double *w,
                    const double *b, const float *r, int n, int in, int out) {
    const double h = 1e-5;
    for (int j = 0; j < len; j++) {
        double keep = v[j];
        v[j] = keep + h;
        double lp = ref_loss(x, w, b, r, n, in, out);
        v[j] = keep - h;
        double lm = ref_loss(x, w, b, r, n, in, out);
        v[j] = keep;
        g[j] = (lp - lm) / (2 * h);
    }
}

Test(dense, forward_and_gradients_match_double_reference) {
    enum { N = 7, IN = 13, OUT = 5 };
    nn_rng rng;
    rng_seed(&rng, 1);
    float x[N * IN], w[OUT * IN], b[OUT], r[N * OUT], y[N * OUT];
    fill_uniform(&rng, x, N * IN, -1, 1);
    fill_uniform(&rng, w, OUT * IN, -1, 1);
    fill_uniform(&rng, b, OUT, -1, 1);
    fill_uniform(&rng, r, N * OUT, -1, 1);
    double xd[N * IN], wd[OUT * IN], bd[OUT];
    for (int i = 0; i < N * IN; i++) xd[i] = x[i];
    for (int i = 0; i < OUT * IN; i++) wd[i] = w[i];
    for (int i = 0; i < OUT; i++) bd[i] = b[i];

    dense_forward(y, x, w, b, N, IN, OUT);
    for (int i = 0; i < N; i++)
        for (int o = 0; o < OUT; o++) {
            double want = bd[o];
            for (int k = 0; k < IN; k++) want += xd[i * IN + k] * wd[o * IN + k];
            cr_assert(fabs(y[i * OUT + o] - want) < 1e-5, "y mismatch %g vs %g", y[i * OUT + o],
                      want);
        }

    float dx[N * IN], dw[OUT * IN], db[OUT];
    dense_backward(dx, dw, db, r, x, w, N, IN, OUT);
    double gx[N * IN], gw[OUT * IN], gb[OUT];
    fd_grad(gx, xd, N * IN, xd, wd, bd, r, N, IN, OUT);
    fd_grad(gw, wd, OUT * IN, xd, wd, bd, r, N, IN, OUT);
    fd_grad(gb, bd, OUT, xd, wd, bd, r, N, IN, OUT);
    double ex = max_rel_err(dx, gx, N * IN, 1e-3);
    double ew = max_rel_err(dw, gw, OUT * IN, 1e-3);
    double eb = max_rel_err(db, gb, OUT, 1e-3);
    cr_assert(ex < 1e-4, "dx rel err %g", ex);
    cr_assert(ew < 1e-4, "dw rel err %g", ew);
    cr_assert(eb < 1e-4, "db rel err %g", eb);
}

Test(dense, null_outputs_are_skipped) {
    /* dx = NULL (first layer) and dw = db = NULL (frozen layer) must not be touched and must
     * leave the other products unchanged. */
    const float x[6] = {1, 2, 3, 4, 5, 6}, w[6] = {1, 2, 3, 4, 5, 6}, dy[4] = {1, 2, 3, 4};
    float dx_all[6], dw_all[6], db_all[2], dx[6], dw[6], db[2];
    dense_backward(dx_all, dw_all, db_all, dy, x, w, 2, 3, 2);
    dense_backward(NULL, dw, db, dy, x, w, 2, 3, 2);
    dense_backward(dx, NULL, NULL, dy, x, w, 2, 3, 2);
    cr_assert_arr_eq(dx, dx_all, sizeof dx);
    cr_assert_arr_eq(dw, dw_all, sizeof dw);
    cr_assert_arr_eq(db, db_all, sizeof db);
}

Test(dense, backward_overwrites_instead_of_accumulating) {
    const float x[2] = {1, 2}, w[2] = {3, 4}, dy[1] = {1};
    float dx[2] = {100, 100}, dw[2] = {100, 100}, db[1] = {100};
    dense_backward(dx, dw, db, dy, x, w, 1, 2, 1);
    cr_assert_float_eq(dx[0], 3, 0);
    cr_assert_float_eq(dw[1], 2, 0);
    cr_assert_float_eq(db[0], 1, 0);
}

/* One sample takes another code path (sgemv instead of sgemm, dense.c): with and without a
 * bias, it must write every output (y is filled with NaN first: sgemv with beta = 0 must not
 * read it), match a double reference, and agree with the same sample inside a batch. */
Test(dense, forward_of_one_sample_matches_the_batched_product) {
    enum { IN = 300, OUT = 70, N = 3 };
    nn_rng rng;
    rng_seed(&rng, 17);
    float *x = malloc(sizeof(float) * N * IN), *w = malloc(sizeof(float) * OUT * IN);
    float b[OUT], y1[OUT], yb[N * OUT];
    fill_uniform(&rng, x, N * IN, -1, 1);
    fill_uniform(&rng, w, OUT * IN, -0.2f, 0.2f);
    fill_uniform(&rng, b, OUT, -1, 1);
    for (int with_bias = 0; with_bias < 2; with_bias++) {
        const float *bias = with_bias ? b : NULL;
        for (int o = 0; o < OUT; o++) y1[o] = NAN;
        dense_forward(y1, x + IN, w, bias, 1, IN, OUT); /* sample 1 alone */
        dense_forward(yb, x, w, bias, N, IN, OUT);
        for (int o = 0; o < OUT; o++) {
            double want = with_bias ? b[o] : 0;
            for (int k = 0; k < IN; k++) want += (double)x[IN + k] * w[o * IN + k];
            cr_assert(fabs(y1[o] - want) < 1e-5, "bias %d, output %d: %g, want %g", with_bias,
                      o, (double)y1[o], want);
            cr_assert(fabs(y1[o] - yb[OUT + o]) < 1e-5, "bias %d, output %d: alone %g, in a "
                      "batch %g", with_bias, o, (double)y1[o], (double)yb[OUT + o]);
        }
    }
    free(x);
    free(w);
}
