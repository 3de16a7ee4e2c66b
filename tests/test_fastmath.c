/* test_fastmath.c - the vectorisable exp, tanh and sigmoid (src/fastmath.h) against
 * double-precision libm over dense grids: relative error below 1e-6 wherever the exact
 * value is a normal float, plus the exact values and symmetries the layers rely on. */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>

#include "base/fastmath.h"

/* Largest relative error of f against ref over [lo, hi] in `steps` equal steps; *at gets
 * the worst x. */
static double worst(float (*f)(float), double (*ref)(double), double lo, double hi, long steps,
                    double *at) {
    double e = 0;
    *at = lo;
    for (long i = 0; i <= steps; i++) {
        const float x = (float)(lo + (hi - lo) * (double)i / (double)steps);
        const double want = ref(x), got = f(x);
        const double rel = fabs(got - want) / fabs(want);
        if (rel > e) e = rel, *at = x;
    }
    return e;
}

static double sigmoid_ref(double x) {
    return 1 / (1 + exp(-x));
}

Test(fastmath, exp_relative_error_over_its_whole_normal_range) {
    double at, e = worst(nn_expf, exp, -87.0, 88.0, 4000000, &at);
    cr_assert(e < 1e-6, "exp: rel err %g at %g", e, at);
    /* Around 0 finely (the reduction's n = 0 and +-1 neighbourhood). */
    e = worst(nn_expf, exp, -1.0, 1.0, 2000000, &at);
    cr_assert(e < 1e-6, "exp: rel err %g at %g", e, at);
    cr_assert(nn_expf(0.0f) == 1.0f);
}

Test(fastmath, exp_overflows_to_infinity_and_flushes_underflow_to_zero) {
    cr_assert(nn_expf(88.7f) > 3e38f && isfinite(nn_expf(88.7f)));
    cr_assert(nn_expf(89.0f) == HUGE_VALF && nn_expf(1000.0f) == HUGE_VALF);
    cr_assert(nn_expf(-87.0f) > 1e-38f);
    cr_assert(nn_expf(-88.0f) == 0.0f && nn_expf(-1000.0f) == 0.0f);
    cr_assert(isnan(nn_expf(NAN)) && isnan(nn_tanhf(NAN)) && isnan(nn_sigmoidf(NAN)));
}

Test(fastmath, tanh_relative_error) {
    double at, e = worst(nn_tanhf, tanh, -12.0, 12.0, 4000000, &at);
    cr_assert(e < 1e-6, "tanh: rel err %g at %g", e, at);
    /* Either side of the switch from the series to the exponential form, finely. */
    e = worst(nn_tanhf, tanh, 0.3, 0.4, 1000000, &at);
    cr_assert(e < 1e-6, "tanh: rel err %g at %g", e, at);
    /* Tiny arguments, geometrically: tanh x = x to float precision. */
    for (double x = 1e-30; x < 1e-2; x *= 1.01) {
        const double rel = fabs(nn_tanhf((float)x) - tanh((float)x)) / tanh((float)x);
        cr_assert(rel < 1e-6, "tanh: rel err %g at %g", rel, x);
    }
}

Test(fastmath, tanh_is_odd_bounded_and_saturates) {
    cr_assert(nn_tanhf(0.0f) == 0.0f);
    for (float x = 0.001f; x < 50; x *= 1.1f) {
        cr_assert(nn_tanhf(-x) == -nn_tanhf(x), "odd at %g", x);
        cr_assert(nn_tanhf(x) <= 1.0f && nn_tanhf(x) > 0.0f, "bounded at %g", x);
    }
    cr_assert(nn_tanhf(20.0f) == 1.0f && nn_tanhf(-1e30f) == -1.0f);
}

Test(fastmath, sigmoid_relative_error_including_the_far_tails) {
    double at, e = worst(nn_sigmoidf, sigmoid_ref, -80.0, 80.0, 4000000, &at);
    cr_assert(e < 1e-6, "sigmoid: rel err %g at %g", e, at);
    cr_assert(nn_sigmoidf(0.0f) == 0.5f);
    cr_assert(nn_sigmoidf(100.0f) == 1.0f && nn_sigmoidf(-200.0f) >= 0.0f);
}
