/* test_activation.c - each activation against a double reference, by value and gradient. */
#include <criterion/criterion.h>
#include <string.h>

#include "gradcheck.h"
#include "nn/layers.h"

/* Independent double-precision references, row by row (softmax needs the whole row). */
static void ref_forward(nn_activation kind, double *y, const double *x, int n, int dim) {
    for (int i = 0; i < n; i++) {
        const double *xr = x + (size_t)i * dim;
        double *yr = y + (size_t)i * dim;
        if (kind == NN_SOFTMAX) {
            double m = xr[0], s = 0;
            for (int j = 1; j < dim; j++) m = xr[j] > m ? xr[j] : m;
            for (int j = 0; j < dim; j++) s += exp(xr[j] - m);
            for (int j = 0; j < dim; j++) yr[j] = exp(xr[j] - m) / s;
            continue;
        }
        for (int j = 0; j < dim; j++) {
            double v = xr[j];
            switch (kind) {
            case NN_RELU: yr[j] = v > 0 ? v : 0; break;
            case NN_TANH: yr[j] = tanh(v); break;
            case NN_SIGMOID: yr[j] = 1 / (1 + exp(-v)); break;
            case NN_LECUN_TANH: yr[j] = 1.7159 * tanh(2 * v / 3) + 0.01 * v; break;
            case NN_TANH_LINEAR: yr[j] = tanh(v) + 0.01 * v; break;
            case NN_SCALED_TANH: yr[j] = 1.7159 * tanh(2 * v / 3); break;
            default: cr_assert_fail("kind");
            }
        }
    }
}

enum { N = 4, DIM = 6, LEN = N * DIM };

static double ref_loss(nn_activation kind, const double *x, const float *r) {
    double y[LEN], l = 0;
    ref_forward(kind, y, x, N, DIM);
    for (int i = 0; i < LEN; i++) l += r[i] * y[i];
    return l;
}

static void check_kind(nn_activation kind) {
    nn_rng rng;
    rng_seed(&rng, 100 + kind);
    float x[LEN], y[LEN], r[LEN], dx[LEN];
    fill_uniform(&rng, x, LEN, -3, 3);
    fill_uniform(&rng, r, LEN, -1, 1);
    /* Keep ReLU inputs away from the kink, where the derivative is undefined. */
    for (int i = 0; i < LEN; i++)
        if (fabsf(x[i]) < 0.05f) x[i] = x[i] < 0 ? -0.05f : 0.05f;
    double xd[LEN], yd[LEN], g[LEN];
    for (int i = 0; i < LEN; i++) xd[i] = x[i];

    activation_forward(kind, y, x, N, DIM);
    ref_forward(kind, yd, xd, N, DIM);
    double ey = max_rel_err(y, yd, LEN, 1e-6);
    cr_assert(ey < 1e-5, "%s forward rel err %g", activation_name(kind), ey);

    activation_backward(kind, dx, r, x, y, N, DIM);
    const double h = 1e-6;
    for (int j = 0; j < LEN; j++) {
        double keep = xd[j];
        xd[j] = keep + h;
        double lp = ref_loss(kind, xd, r);
        xd[j] = keep - h;
        double lm = ref_loss(kind, xd, r);
        xd[j] = keep;
        g[j] = (lp - lm) / (2 * h);
    }
    double eg = max_rel_err(dx, g, LEN, 1e-4);
    cr_assert(eg < 1e-4, "%s backward rel err %g", activation_name(kind), eg);

    /* In place: forward with y == x, backward with dx == dy. */
    float xy[LEN], dd[LEN];
    memcpy(xy, x, sizeof xy);
    activation_forward(kind, xy, xy, N, DIM);
    cr_assert_arr_eq(xy, y, sizeof xy, "%s in-place forward differs", activation_name(kind));
    memcpy(dd, r, sizeof dd);
    activation_backward(kind, dd, dd, x, y, N, DIM);
    cr_assert_arr_eq(dd, dx, sizeof dd, "%s in-place backward differs", activation_name(kind));
}

Test(activation, relu_gradient) { check_kind(NN_RELU); }
Test(activation, tanh_gradient) { check_kind(NN_TANH); }
Test(activation, sigmoid_gradient) { check_kind(NN_SIGMOID); }
Test(activation, lecun_tanh_gradient) { check_kind(NN_LECUN_TANH); }
Test(activation, softmax_gradient) { check_kind(NN_SOFTMAX); }
/* The two halves of LeCun's change to tanh, for chapter 01's ablation: the linear term
 * alone, and the scaling alone. */
Test(activation, tanh_linear_gradient) { check_kind(NN_TANH_LINEAR); }
Test(activation, scaled_tanh_gradient) { check_kind(NN_SCALED_TANH); }

/* Far in the tails the linear term is all that is left of tanh + 0.01x's slope, and the
 * scaled tanh without it is flat; at 0 their slopes are 1.01 and 1.7159 * 2/3. */
Test(activation, ablation_slopes_at_zero_and_in_the_tails) {
    float x[2] = {0, 30}, y[2], dy[2] = {1, 1}, dx[2];
    activation_forward(NN_TANH_LINEAR, y, x, 1, 2);
    activation_backward(NN_TANH_LINEAR, dx, dy, x, y, 1, 2);
    cr_assert_float_eq(dx[0], 1.01f, 1e-6f, "slope at 0: %g", (double)dx[0]);
    cr_assert_float_eq(dx[1], 0.01f, 1e-6f, "slope at 30: %g", (double)dx[1]);
    cr_assert_float_eq(y[1], 1.3f, 1e-5f, "f(30) = %g", (double)y[1]);
    activation_forward(NN_SCALED_TANH, y, x, 1, 2);
    activation_backward(NN_SCALED_TANH, dx, dy, x, y, 1, 2);
    cr_assert_float_eq(dx[0], 1.7159f * 2.0f / 3.0f, 1e-6f, "slope at 0: %g", (double)dx[0]);
    cr_assert(dx[1] >= 0 && dx[1] < 1e-6f, "slope at 30: %g", (double)dx[1]);
    cr_assert_float_eq(y[1], 1.7159f, 1e-5f, "f(30) = %g", (double)y[1]);
}

Test(activation, lecun_tanh_at_zero) {
    float x = 0, y, dy = 1, dx;
    activation_forward(NN_LECUN_TANH, &y, &x, 1, 1);
    activation_backward(NN_LECUN_TANH, &dx, &dy, &x, &y, 1, 1);
    cr_assert_float_eq(y, 0.0f, 0);
    cr_assert_float_eq(dx, 1.7159f * 2.0f / 3.0f + 0.01f, 1e-6f, "slope %g", dx);
    /* 1.7159 tanh(2/3) = 1.0000 (the scaling makes the tanh part of f(+-1) = +-1), +0.01. */
    x = 1;
    activation_forward(NN_LECUN_TANH, &y, &x, 1, 1);
    cr_assert_float_eq(y, 1.0100f, 1e-4f, "f(1) = %g", y);
}

Test(activation, known_values) {
    float x[3] = {-2, 0, 2}, y[3];
    activation_forward(NN_RELU, y, x, 1, 3);
    cr_assert(y[0] == 0 && y[1] == 0 && y[2] == 2);
    activation_forward(NN_SIGMOID, y, x, 1, 3);
    cr_assert_float_eq(y[1], 0.5f, 0);
    cr_assert_float_eq(y[0] + y[2], 1.0f, 1e-7f);
    float l[3] = {1, 2, 3};
    activation_forward(NN_SOFTMAX, y, l, 1, 3);
    cr_assert_float_eq(y[0], 0.09003057f, 1e-7f);
    cr_assert_float_eq(y[1], 0.24472847f, 1e-7f);
    cr_assert_float_eq(y[2], 0.66524096f, 1e-7f);
}

Test(activation, softmax_is_stable_for_huge_logits) {
    float l[4] = {1000, 1001, -1000, 1002}, y[4];
    activation_forward(NN_SOFTMAX, y, l, 1, 4);
    for (int i = 0; i < 4; i++) cr_assert(isfinite(y[i]));
    cr_assert_float_eq(y[3], 0.66524096f, 1e-6f);
    cr_assert_float_eq(y[2], 0.0f, 0);
}

Test(activation, sigmoid_saturates_without_nan) {
    float x[2] = {-200, 200}, y[2], dy[2] = {1, 1}, dx[2];
    activation_forward(NN_SIGMOID, y, x, 1, 2);
    activation_backward(NN_SIGMOID, dx, dy, x, y, 1, 2);
    cr_assert(y[0] == 0.0f && y[1] == 1.0f, "%g %g", y[0], y[1]);
    cr_assert(dx[0] == 0.0f && dx[1] == 0.0f);
}

Test(activation, names) {
    cr_assert_str_eq(activation_name(NN_RELU), "relu");
    cr_assert_str_eq(activation_name(NN_LECUN_TANH), "lecun_tanh");
    cr_assert_str_eq(activation_name(NN_SOFTMAX), "softmax");
    cr_assert_str_eq(activation_name(NN_TANH_LINEAR), "tanh_linear");
    cr_assert_str_eq(activation_name(NN_SCALED_TANH), "scaled_tanh");
}
