/* test_pool.c - max, average and global average pooling: hand-computed picks and gradients
 * against finite differences of double references. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "nn/layers.h"

Test(pool, out_size) {
    cr_assert_eq(pool_out_size(28, 2, 2), 14);
    cr_assert_eq(pool_out_size(7, 3, 2), 3);
    cr_assert_eq(pool_out_size(5, 2, 2), 2, "floor: the last column is dropped");
    cr_assert_eq(pool_out_size(1, 2, 2), 0);
}

Test(pool, max_2x2_picks_and_routes) {
    /* One 4x4 plane; each 2x2 window's maximum sits in a different corner, and the
     * bottom-right window has a tie (two 7s) that must go to the first in row-major order. */
    const float x[16] = {9, 1, 2, 3,   /* */
                         0, 4, 8, 5,   /* */
                         6, 1, 0, 7,   /* */
                         2, 3, 7, 1};
    float y[4], dx[16];
    maxpool_forward(y, x, 1, 1, 4, 4, 2, 2);
    cr_assert(y[0] == 9 && y[1] == 8 && y[2] == 6 && y[3] == 7);
    const float dy[4] = {1, 2, 3, 4};
    maxpool_backward(dx, dy, x, 1, 1, 4, 4, 2, 2);
    const float want[16] = {1, 0, 0, 0, 0, 0, 2, 0, 3, 0, 0, 4, 0, 0, 0, 0};
    cr_assert_arr_eq(dx, want, sizeof want);
}

Test(pool, avg_and_global_hand_computed) {
    const float x[8] = {1, 2, 3, 4, 5, 6, 7, 8}; /* two channels of 2x2 */
    float y[2], g[2], dx[8];
    avgpool_forward(y, x, 1, 2, 2, 2, 2, 2);
    cr_assert(y[0] == 2.5f && y[1] == 6.5f);
    global_avgpool_forward(g, x, 1, 2, 4);
    cr_assert(g[0] == 2.5f && g[1] == 6.5f);
    const float dy[2] = {4, -8};
    global_avgpool_backward(dx, dy, 1, 2, 4);
    for (int i = 0; i < 8; i++) cr_assert_float_eq(dx[i], i < 4 ? 1.0f : -2.0f, 0);
    avgpool_backward(dx, dy, 1, 2, 2, 2, 2, 2);
    for (int i = 0; i < 8; i++) cr_assert_float_eq(dx[i], i < 4 ? 1.0f : -2.0f, 0);
}

enum { KIND_MAX, KIND_AVG, KIND_GLOBAL };

static void ref_pool(int kind, double *y, const double *x, int planes, int h, int w, int k,
                     int s) {
    if (kind == KIND_GLOBAL) {
        for (int p = 0; p < planes; p++) {
            double acc = 0;
            for (int j = 0; j < h * w; j++) acc += x[p * h * w + j];
            y[p] = acc / (h * w);
        }
        return;
    }
    int oh = (h - k) / s + 1, ow = (w - k) / s + 1;
    for (int p = 0; p < planes; p++)
        for (int r = 0; r < oh; r++)
            for (int q = 0; q < ow; q++) {
                double m = -1e300, acc = 0;
                for (int u = 0; u < k; u++)
                    for (int v = 0; v < k; v++) {
                        double e = x[(p * h + r * s + u) * w + q * s + v];
                        m = e > m ? e : m;
                        acc += e;
                    }
                y[(p * oh + r) * ow + q] = kind == KIND_MAX ? m : acc / (k * k);
            }
}

/* Gradient check of one pool kind; max pooling is piecewise linear, so the inputs are
 * distinct values spaced far more than the finite-difference step (no window has a near
 * tie that the step could flip). */
static void check_pool(int kind, int n, int c, int h, int w, int k, int s, uint64_t seed) {
    const int planes = n * c;
    const int oh = kind == KIND_GLOBAL ? 1 : pool_out_size(h, k, s);
    const int ow = kind == KIND_GLOBAL ? 1 : pool_out_size(w, k, s);
    const size_t xl = (size_t)planes * h * w, yl = (size_t)planes * oh * ow;
    float *x = malloc(xl * 4), *y = malloc(yl * 4), *r = malloc(yl * 4), *dx = malloc(xl * 4);
    double *xd = malloc(xl * 8), *yd = malloc(yl * 8), *gx = malloc(xl * 8);
    nn_rng rng;
    rng_seed(&rng, seed);
    int *perm = malloc(xl * sizeof *perm);
    for (size_t j = 0; j < xl; j++) perm[j] = (int)j;
    rng_shuffle(&rng, perm, xl);
    for (size_t j = 0; j < xl; j++) x[j] = 0.01f * (float)perm[j] - 1.0f, xd[j] = x[j];
    fill_uniform(&rng, r, yl, -1, 1);

    if (kind == KIND_MAX) maxpool_forward(y, x, n, c, h, w, k, s);
    else if (kind == KIND_AVG) avgpool_forward(y, x, n, c, h, w, k, s);
    else global_avgpool_forward(y, x, n, c, h * w);
    ref_pool(kind, yd, xd, planes, h, w, k, s);
    cr_assert(max_rel_err(y, yd, yl, 1e-3) < 1e-6, "forward");

    for (size_t j = 0; j < xl; j++) dx[j] = 1e6f;
    if (kind == KIND_MAX) maxpool_backward(dx, r, x, n, c, h, w, k, s);
    else if (kind == KIND_AVG) avgpool_backward(dx, r, n, c, h, w, k, s);
    else global_avgpool_backward(dx, r, n, c, h * w);
    const double hstep = 1e-4;
    for (size_t j = 0; j < xl; j++) {
        double keep = xd[j], lp = 0, lm = 0;
        xd[j] = keep + hstep;
        ref_pool(kind, yd, xd, planes, h, w, k, s);
        for (size_t o = 0; o < yl; o++) lp += r[o] * yd[o];
        xd[j] = keep - hstep;
        ref_pool(kind, yd, xd, planes, h, w, k, s);
        for (size_t o = 0; o < yl; o++) lm += r[o] * yd[o];
        xd[j] = keep;
        gx[j] = (lp - lm) / (2 * hstep);
    }
    double e = max_rel_err(dx, gx, xl, 1e-3);
    cr_assert(e < 1e-4, "kind %d k%d s%d: dx rel err %g", kind, k, s, e);
    free(x), free(y), free(r), free(dx), free(xd), free(yd), free(gx), free(perm);
}

Test(pool, max_gradients) {
    check_pool(KIND_MAX, 2, 3, 6, 6, 2, 2, 1);
    check_pool(KIND_MAX, 2, 2, 7, 5, 3, 2, 2); /* overlapping windows, ragged edge */
    check_pool(KIND_MAX, 1, 2, 5, 5, 3, 1, 3);
}

Test(pool, avg_gradients) {
    check_pool(KIND_AVG, 2, 3, 6, 6, 2, 2, 4);
    check_pool(KIND_AVG, 2, 2, 7, 5, 3, 2, 5);
}

Test(pool, global_avg_gradients) {
    check_pool(KIND_GLOBAL, 3, 4, 3, 5, 0, 0, 6);
}

Test(pool, large_batch_parallel_path_matches_serial_reference) {
    /* Big enough to take the OpenMP path; every plane must still be exact. */
    enum { N = 64, C = 8, H = 16, W = 16 };
    const size_t xl = (size_t)N * C * H * W, yl = xl / 4;
    float *x = malloc(xl * 4), *y = malloc(yl * 4);
    nn_rng rng;
    rng_seed(&rng, 7);
    fill_uniform(&rng, x, xl, -1, 1);
    maxpool_forward(y, x, N, C, H, W, 2, 2);
    for (size_t p = 0; p < (size_t)N * C; p++)
        for (int r = 0; r < H / 2; r++)
            for (int q = 0; q < W / 2; q++) {
                const float *a = x + p * H * W + 2 * r * W + 2 * q;
                float m = fmaxf(fmaxf(a[0], a[1]), fmaxf(a[W], a[W + 1]));
                cr_assert(y[p * H * W / 4 + r * W / 2 + q] == m);
            }
    free(x), free(y);
}
