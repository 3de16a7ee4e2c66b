/* test_gradcheck.c - the gradient checker itself is sensitive: a gradient wrong by 1% in one
 * entry, or a transposed weight gradient, is caught at the thresholds the other tests use. */
#include <criterion/criterion.h>

#include "gradcheck.h"
#include "nn/layers.h"

Test(gradcheck, one_percent_error_in_one_entry_fails) {
    float a[4] = {0.3f, -1.2f, 0.05f, 2.0f};
    double b[4] = {0.3, -1.2, 0.05, 2.0};
    cr_assert(max_rel_err(a, b, 4, 1e-3) < 1e-6);
    a[2] *= 1.01f;
    cr_assert(max_rel_err(a, b, 4, 1e-3) > 1e-4, "1%% error not detected");
    cr_assert(norm_rel_err(a, b, 4) > 1e-4, "1%% error not detected normwise");
}

Test(gradcheck, transposed_weight_gradient_fails) {
    /* dw computed as x^T dy instead of dy^T x (a classic layout bug) for a square layer. */
    const float x[4] = {1, 2, 3, 4}, w[4] = {1, -1, 2, 0.5f}, dy[4] = {0.5f, -1, 2, 1};
    float dw[4];
    dense_backward(NULL, dw, NULL, dy, x, w, 2, 2, 2);
    double right[4], wrong[4];
    for (int o = 0; o < 2; o++)
        for (int k = 0; k < 2; k++) {
            right[o * 2 + k] = dy[0 * 2 + o] * x[0 * 2 + k] + dy[1 * 2 + o] * x[1 * 2 + k];
            wrong[k * 2 + o] = right[o * 2 + k];
        }
    cr_assert(max_rel_err(dw, right, 4, 1e-3) < 1e-6);
    cr_assert(max_rel_err(dw, wrong, 4, 1e-3) > 1e-2);
}
