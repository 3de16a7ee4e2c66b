/* test_conv2d.c - conv2d: geometry, a hand-computed case, im2col/col2im as adjoints, and
 * forward and all three gradients against a direct double-precision convolution over several
 * kernel/stride/padding combinations, on one and on two threads. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "nn/layers.h"

Test(conv2d, geometry) {
    conv2d_geom g = conv2d_make_geom(3, 28, 28, 8, 5, 1, 2);
    cr_assert(g.oh == 28 && g.ow == 28);
    g = conv2d_make_geom(1, 7, 6, 1, 3, 2, 0);
    cr_assert(g.oh == 3 && g.ow == 2, "%d %d", g.oh, g.ow);
    g = conv2d_make_geom(1, 2, 2, 1, 5, 1, 1);
    cr_assert(g.oh <= 0 && g.ow <= 0, "kernel larger than the padded image");
}

Test(conv2d, hand_computed_3x3_on_4x4) {
    /* x = 1..16 row-major; the kernel picks (centre - left neighbour), bias 0.5. Valid conv
     * (no padding): y[r][q] = x[r+1][q+1] - x[r+1][q] + 0.5 = 1.5 everywhere. With padding
     * 1 the borders see zeros: y[0][0] = x[0][0] - 0 + 0.5 = 1.5; y[1][0] = x[1][0] + 0.5. */
    float x[16], w[9] = {0, 0, 0, -1, 1, 0, 0, 0, 0}, b[1] = {0.5f};
    for (int i = 0; i < 16; i++) x[i] = (float)(i + 1);
    conv2d_geom g = conv2d_make_geom(1, 4, 4, 1, 3, 1, 0);
    float y[16], scratch[256];
    conv2d_forward(y, x, w, b, 1, &g, scratch, 1);
    for (int i = 0; i < 4; i++) cr_assert_float_eq(y[i], 1.5f, 0, "y[%d] = %g", i, y[i]);
    g = conv2d_make_geom(1, 4, 4, 1, 3, 1, 1);
    conv2d_forward(y, x, w, b, 1, &g, scratch, 1);
    const float want[16] = {1.5f, 1.5f, 1.5f, 1.5f, 5.5f, 1.5f, 1.5f, 1.5f,
                            9.5f, 1.5f, 1.5f, 1.5f, 13.5f, 1.5f, 1.5f, 1.5f};
    for (int i = 0; i < 16; i++) cr_assert_float_eq(y[i], want[i], 0, "y[%d] = %g", i, y[i]);
    /* Stride 2 with padding 1 on the 4x4: outputs at (0,0) (0,2) (2,0) (2,2) of the above. */
    g = conv2d_make_geom(1, 4, 4, 1, 3, 2, 1);
    cr_assert(g.oh == 2 && g.ow == 2);
    conv2d_forward(y, x, w, b, 1, &g, scratch, 1);
    cr_assert(y[0] == 1.5f && y[1] == 1.5f && y[2] == 9.5f && y[3] == 1.5f);
}

/* Direct convolution in double. */
static void ref_conv(double *y, const double *x, const double *w, const double *b, int n,
                     const conv2d_geom *g) {
    for (int i = 0; i < n; i++)
        for (int o = 0; o < g->out_c; o++)
            for (int r = 0; r < g->oh; r++)
                for (int q = 0; q < g->ow; q++) {
                    double v = b[o];
                    for (int ch = 0; ch < g->c; ch++)
                        for (int u = 0; u < g->k; u++)
                            for (int t = 0; t < g->k; t++) {
                                int ir = r * g->stride - g->pad + u;
                                int ic = q * g->stride - g->pad + t;
                                if (ir < 0 || ir >= g->h || ic < 0 || ic >= g->w) continue;
                                v += w[((o * g->c + ch) * g->k + u) * g->k + t] *
                                     x[((i * g->c + ch) * g->h + ir) * g->w + ic];
                            }
                    y[((i * g->out_c + o) * g->oh + r) * g->ow + q] = v;
                }
}

/* L = sum r * y, whose gradient with respect to y is r. */
static double ref_loss(const double *x, const double *w, const double *b, const float *r, int n,
                       const conv2d_geom *g, double *ybuf) {
    ref_conv(ybuf, x, w, b, n, g);
    double l = 0;
    size_t len = (size_t)n * g->out_c * g->oh * g->ow;
    for (size_t j = 0; j < len; j++) l += r[j] * ybuf[j];
    return l;
}

static void fd(double *grad, double *v, size_t len, const double *x, const double *w,
               const double *b, const float *r, int n, const conv2d_geom *g, double *ybuf) {
    const double h = 1e-5;
    for (size_t j = 0; j < len; j++) {
        double keep = v[j];
        v[j] = keep + h;
        double lp = ref_loss(x, w, b, r, n, g, ybuf);
        v[j] = keep - h;
        double lm = ref_loss(x, w, b, r, n, g, ybuf);
        v[j] = keep;
        grad[j] = (lp - lm) / (2 * h);
    }
}

static double *to_double(const float *a, size_t n) {
    double *d = malloc(n * sizeof *d);
    for (size_t i = 0; i < n; i++) d[i] = a[i];
    return d;
}

static void check_conv(int n, int c, int h, int w, int out_c, int k, int stride, int pad,
                       int threads, uint64_t seed) {
    conv2d_geom g = conv2d_make_geom(c, h, w, out_c, k, stride, pad);
    cr_assert(g.oh > 0 && g.ow > 0);
    const size_t xl = (size_t)n * c * h * w, wl = (size_t)out_c * c * k * k;
    const size_t yl = (size_t)n * out_c * g.oh * g.ow;
    nn_rng rng;
    rng_seed(&rng, seed);
    float *x = malloc(xl * 4), *wt = malloc(wl * 4), *b = malloc(out_c * 4), *r = malloc(yl * 4);
    float *y = malloc(yl * 4), *dx = malloc(xl * 4), *dw = malloc(wl * 4), *db = malloc(out_c * 4);
    float *scratch = malloc(conv2d_scratch_floats(&g, threads) * 4);
    fill_uniform(&rng, x, xl, -1, 1);
    fill_uniform(&rng, wt, wl, -1, 1);
    fill_uniform(&rng, b, out_c, -1, 1);
    fill_uniform(&rng, r, yl, -1, 1);
    double *xd = to_double(x, xl), *wd = to_double(wt, wl), *bd = to_double(b, out_c);
    double *yref = malloc(yl * sizeof *yref), *gx = malloc(xl * 8), *gw = malloc(wl * 8),
           *gb = malloc(out_c * 8);

    conv2d_forward(y, x, wt, b, n, &g, scratch, threads);
    ref_conv(yref, xd, wd, bd, n, &g);
    /* Outputs are sums of up to c k k + 1 terms of size ~1: cancellation leaves float
     * round-off of ~1e-7 absolute, hence the floor of 0.1 in the elementwise error. */
    double ey = max_rel_err(y, yref, yl, 1e-1);
    cr_assert(ey < 1e-5, "forward rel err %g (k%d s%d p%d)", ey, k, stride, pad);

    /* Garbage in the outputs: backward must overwrite, not accumulate. */
    for (size_t j = 0; j < xl; j++) dx[j] = 1e6f;
    for (size_t j = 0; j < wl; j++) dw[j] = 1e6f;
    conv2d_backward(dx, dw, db, r, x, wt, n, &g, scratch, threads);
    fd(gx, xd, xl, xd, wd, bd, r, n, &g, yref);
    fd(gw, wd, wl, xd, wd, bd, r, n, &g, yref);
    fd(gb, bd, out_c, xd, wd, bd, r, n, &g, yref);
    double ex = max_rel_err(dx, gx, xl, 1e-2), ew = max_rel_err(dw, gw, wl, 1e-2),
           eb = max_rel_err(db, gb, out_c, 1e-2);
    cr_assert(norm_rel_err(dx, gx, xl) < 1e-5, "dx normwise %g", norm_rel_err(dx, gx, xl));
    cr_assert(norm_rel_err(dw, gw, wl) < 1e-5, "dw normwise %g", norm_rel_err(dw, gw, wl));
    cr_assert(ex < 1e-4, "dx rel err %g (k%d s%d p%d)", ex, k, stride, pad);
    cr_assert(ew < 1e-4, "dw rel err %g (k%d s%d p%d)", ew, k, stride, pad);
    cr_assert(eb < 1e-4, "db rel err %g (k%d s%d p%d)", eb, k, stride, pad);

    /* NULL outputs skip their work and leave the others unchanged. */
    float *dw2 = malloc(wl * 4), *dx2 = malloc(xl * 4);
    conv2d_backward(NULL, dw2, NULL, r, x, wt, n, &g, scratch, threads);
    conv2d_backward(dx2, NULL, NULL, r, x, wt, n, &g, scratch, threads);
    cr_assert_arr_eq(dw2, dw, wl * 4);
    cr_assert_arr_eq(dx2, dx, xl * 4);

    free(x), free(wt), free(b), free(r), free(y), free(dx), free(dw), free(db), free(scratch);
    free(xd), free(wd), free(bd), free(yref), free(gx), free(gw), free(gb), free(dw2), free(dx2);
}

Test(conv2d, gradients_3x3_same_padding) {
    check_conv(2, 2, 5, 6, 3, 3, 1, 1, 1, 1);
}
Test(conv2d, gradients_3x3_stride2_valid) {
    check_conv(2, 3, 7, 6, 2, 3, 2, 0, 1, 2);
}
Test(conv2d, gradients_2x2_stride2_pad1) {
    check_conv(3, 2, 5, 5, 4, 2, 2, 1, 1, 3);
}
Test(conv2d, gradients_5x5_pad2) {
    check_conv(2, 1, 6, 7, 3, 5, 1, 2, 1, 4);
}
Test(conv2d, gradients_pointwise_1x1) {
    check_conv(2, 4, 3, 3, 3, 1, 1, 0, 1, 5);
}
Test(conv2d, gradients_3x3_stride3_pad2_overhang) {
    /* Windows that only partly cover the padded border. */
    check_conv(2, 2, 5, 4, 2, 3, 3, 2, 1, 6);
}
Test(conv2d, gradients_3x3_stride1_valid) {
    /* Stride 1 without padding: the fast path reads x itself and writes dx through its
     * padded buffer with no border. */
    check_conv(3, 2, 6, 5, 3, 3, 1, 0, 1, 12);
    check_conv(3, 2, 6, 5, 3, 3, 1, 0, 2, 13);
}
Test(conv2d, gradients_wide_rows) {
    /* Output rows longer than one 16-float vector (ow = 19 here) take the general row copy. */
    check_conv(2, 2, 4, 19, 2, 3, 1, 1, 1, 14);
}
Test(conv2d, gradients_on_two_threads) {
    check_conv(5, 2, 6, 6, 3, 3, 1, 1, 2, 7);
    check_conv(4, 3, 4, 4, 2, 1, 1, 0, 2, 8);
}

Test(conv2d, thread_count_does_not_change_forward_or_input_gradient) {
    conv2d_geom g = conv2d_make_geom(3, 9, 9, 4, 3, 1, 1);
    enum { N = 6 };
    const size_t xl = N * 3 * 81, yl = N * 4 * 81, wl = 4 * 3 * 9;
    float *x = malloc(xl * 4), *w = malloc(wl * 4), *dy = malloc(yl * 4);
    float *y1 = malloc(yl * 4), *y2 = malloc(yl * 4), *dx1 = malloc(xl * 4), *dx2 = malloc(xl * 4);
    float *s = malloc(conv2d_scratch_floats(&g, 2) * 4);
    nn_rng rng;
    rng_seed(&rng, 9);
    fill_uniform(&rng, x, xl, -1, 1);
    fill_uniform(&rng, w, wl, -1, 1);
    fill_uniform(&rng, dy, yl, -1, 1);
    conv2d_forward(y1, x, w, NULL, N, &g, s, 1);
    conv2d_forward(y2, x, w, NULL, N, &g, s, 2);
    cr_assert_arr_eq(y1, y2, yl * 4, "per-sample work must not depend on threads");
    conv2d_backward(dx1, NULL, NULL, dy, x, w, N, &g, s, 1);
    conv2d_backward(dx2, NULL, NULL, dy, x, w, N, &g, s, 2);
    cr_assert_arr_eq(dx1, dx2, xl * 4);
    free(x), free(w), free(dy), free(y1), free(y2), free(dx1), free(dx2), free(s);
}

Test(conv2d, weight_gradient_does_not_depend_on_the_thread_count) {
    /* The weight gradient is summed per fixed chunk of samples (conv2d.c), so it is the same
     * bits for any thread count; 37 samples make uneven chunks. */
    conv2d_geom g = conv2d_make_geom(2, 7, 7, 3, 3, 1, 1);
    enum { N = 37 };
    const size_t xl = N * 2 * 49, yl = N * 3 * 49, wl = 3 * 2 * 9;
    float *x = malloc(xl * 4), *w = malloc(wl * 4), *dy = malloc(yl * 4);
    float *dw1 = malloc(wl * 4), *dw2 = malloc(wl * 4);
    float *dx1 = malloc(xl * 4), *dx2 = malloc(xl * 4);
    float *s = malloc(conv2d_scratch_floats(&g, 3) * 4);
    nn_rng rng;
    rng_seed(&rng, 11);
    fill_uniform(&rng, x, xl, -1, 1);
    fill_uniform(&rng, w, wl, -1, 1);
    fill_uniform(&rng, dy, yl, -1, 1);
    conv2d_backward(dx1, dw1, NULL, dy, x, w, N, &g, s, 1);
    for (int t = 2; t <= 3; t++) {
        conv2d_backward(dx2, dw2, NULL, dy, x, w, N, &g, s, t);
        cr_assert_arr_eq(dw1, dw2, wl * 4, "dw differs with %d threads", t);
        cr_assert_arr_eq(dx1, dx2, xl * 4, "dx differs with %d threads", t);
    }
    free(x), free(w), free(dy), free(dw1), free(dw2), free(dx1), free(dx2), free(s);
}

Test(conv2d, col2im_is_the_adjoint_of_im2col) {
    /* <im2col(x), c> = <x, col2im(c)> for all x, c: the defining property of the pair, and
     * exactly what makes the input gradient right. */
    conv2d_geom g = conv2d_make_geom(2, 5, 4, 1, 3, 2, 1);
    const size_t xl = 2 * 5 * 4, cl = (size_t)2 * 9 * g.oh * g.ow;
    float x[40], col[200], c2[200], back[40];
    nn_rng rng;
    rng_seed(&rng, 10);
    fill_uniform(&rng, x, xl, -1, 1);
    fill_uniform(&rng, c2, cl, -1, 1);
    conv2d_im2col(col, x, &g);
    memset(back, 0, sizeof back);
    conv2d_col2im(back, c2, &g);
    double lhs = 0, rhs = 0;
    for (size_t j = 0; j < cl; j++) lhs += (double)col[j] * c2[j];
    for (size_t j = 0; j < xl; j++) rhs += (double)x[j] * back[j];
    cr_assert(fabs(lhs - rhs) < 1e-5, "%g vs %g", lhs, rhs);
}
