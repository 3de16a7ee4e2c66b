/* gradcheck.h - helpers shared by the gradient tests (header-only; tests/ has no library).
 *
 * How the kernel tests check a backward pass: the test writes an independent reference of
 * the forward pass in double precision, differentiates *that* by central differences (in
 * double the truncation and rounding errors are ~1e-9, far below float noise), and compares
 * the float analytic gradient with it. A relative error around 1e-6 is float round-off; a
 * wrong formula gives errors of order 1, so thresholds of 1e-4 can really fail (and
 * test_gradcheck.c shows that they do). */
#ifndef NN_TEST_GRADCHECK_H
#define NN_TEST_GRADCHECK_H

#include <math.h>
#include <stddef.h>

#include "base/rng.h"

/* Elementwise relative error |a-b| / max(|a|+|b|, floor), maximised over the arrays. The
 * floor keeps near-zero entries from dominating with meaningless ratios. */
static inline double max_rel_err(const float *analytic, const double *ref, size_t n,
                                 double floor) {
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double a = analytic[i], b = ref[i];
        double den = fabs(a) + fabs(b);
        if (den < floor) den = floor;
        double e = fabs(a - b) / den;
        if (e > worst) worst = e;
    }
    return worst;
}

/* Normwise relative error ||a-b|| / (||a|| + ||b||): robust for float finite differences. */
static inline double norm_rel_err(const float *a, const double *b, size_t n) {
    double d = 0, na = 0, nb = 0;
    for (size_t i = 0; i < n; i++) {
        d += (a[i] - b[i]) * (a[i] - b[i]);
        na += (double)a[i] * a[i];
        nb += b[i] * b[i];
    }
    return sqrt(d) / (sqrt(na) + sqrt(nb) + 1e-30);
}

static inline void fill_uniform(nn_rng *r, float *x, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * rng_uniform(r);
}

#endif
