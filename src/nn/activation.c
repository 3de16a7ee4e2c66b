/* activation.c - activation functions, forward and backward (see layers.h).
 *
 * Elementwise kinds are simple loops over n*dim values, so y == x and dx == dy (in place)
 * are fine; long ones are split over OpenMP threads (elementwise, so thread-count
 * independent). Each backward uses whichever of x or y gives the cheapest derivative:
 * tanh and sigmoid from y, ReLU from x (x > 0, the same mask as y > 0), LeCun's tanh and
 * tanh + 0.01x from x (the linear term means y does not determine the tanh), the scaled
 * tanh from x too (y / 1.7159 would round to just above 1 in the tails and give a slope
 * below 0), softmax from y.
 *
 * exp, tanh and sigmoid come from fastmath.h, not libm: straight-line float code that the
 * compiler vectorises, accurate to about 2e-7 relative (tests/test_fastmath.c), where
 * libm's scalar calls made these loops 5-10x slower than ReLU's. */
#include <stddef.h>

#include "base/fastmath.h"
#include "nn/layers.h"
#include "base/parallel.h"

/* LeCun's constants: f(x) = A tanh(B x) + C x, chosen so that f(+-1) ~ +-1. */
#define LECUN_A 1.7159f
#define LECUN_B (2.0f / 3.0f)
#define LECUN_C 0.01f

const char *activation_name(nn_activation kind) {
    switch (kind) {
    case NN_RELU: return "relu";
    case NN_TANH: return "tanh";
    case NN_SIGMOID: return "sigmoid";
    case NN_LECUN_TANH: return "lecun_tanh";
    case NN_SOFTMAX: return "softmax";
    case NN_TANH_LINEAR: return "tanh_linear";
    case NN_SCALED_TANH: return "scaled_tanh";
    }
    return "unknown";
}

static void softmax_rows(float *y, const float *x, int n, int dim) {
    for (int i = 0; i < n; i++) {
        const float *xr = x + (size_t)i * dim;
        float *yr = y + (size_t)i * dim;
        /* Subtracting the row max makes every exponent <= 0: no overflow, and the largest
         * term is exactly 1, so the sum is >= 1 and the division is safe. */
        float m = xr[0];
        for (int j = 1; j < dim; j++) m = xr[j] > m ? xr[j] : m;
        float s = 0;
        for (int j = 0; j < dim; j++) {
            yr[j] = nn_expf(xr[j] - m);
            s += yr[j];
        }
        float inv = 1.0f / s;
        for (int j = 0; j < dim; j++) yr[j] *= inv;
    }
}

void activation_forward(nn_activation kind, float *y, const float *x, int n, int dim) {
    size_t len = (size_t)n * dim;
    switch (kind) {
    case NN_RELU:
#pragma omp parallel for schedule(static) if (len >= NN_PAR_MIN_FLOATS)
        for (size_t i = 0; i < len; i++) y[i] = x[i] > 0 ? x[i] : 0.0f;
        break;
    case NN_TANH:
#pragma omp parallel for schedule(static) if (len >= NN_PAR_MIN_FLOATS)
        for (size_t i = 0; i < len; i++) y[i] = nn_tanhf(x[i]);
        break;
    case NN_SIGMOID:
#pragma omp parallel for schedule(static) if (len >= NN_PAR_MIN_FLOATS)
        for (size_t i = 0; i < len; i++) y[i] = nn_sigmoidf(x[i]);
        break;
    case NN_LECUN_TANH:
#pragma omp parallel for schedule(static) if (len >= NN_PAR_MIN_FLOATS)
        for (size_t i = 0; i < len; i++)
            y[i] = LECUN_A * nn_tanhf(LECUN_B * x[i]) + LECUN_C * x[i];
        break;
    case NN_TANH_LINEAR:
#pragma omp parallel for schedule(static) if (len >= NN_PAR_MIN_FLOATS)
        for (size_t i = 0; i < len; i++) y[i] = nn_tanhf(x[i]) + LECUN_C * x[i];
        break;
    case NN_SCALED_TANH:
#pragma omp parallel for schedule(static) if (len >= NN_PAR_MIN_FLOATS)
        for (size_t i = 0; i < len; i++) y[i] = LECUN_A * nn_tanhf(LECUN_B * x[i]);
        break;
    case NN_SOFTMAX:
        softmax_rows(y, x, n, dim);
        break;
    }
}

void activation_backward(nn_activation kind, float *dx, const float *dy, const float *x,
                         const float *y, int n, int dim) {
    size_t len = (size_t)n * dim;
    switch (kind) {
    case NN_RELU:
#pragma omp parallel for schedule(static) if (len >= NN_PAR_MIN_FLOATS)
        for (size_t i = 0; i < len; i++) dx[i] = x[i] > 0 ? dy[i] : 0.0f;
        break;
    case NN_TANH:
#pragma omp parallel for schedule(static) if (len >= NN_PAR_MIN_FLOATS)
        for (size_t i = 0; i < len; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
        break;
    case NN_SIGMOID:
#pragma omp parallel for schedule(static) if (len >= NN_PAR_MIN_FLOATS)
        for (size_t i = 0; i < len; i++) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
        break;
    case NN_LECUN_TANH:
#pragma omp parallel for schedule(static) if (len >= NN_PAR_MIN_FLOATS)
        for (size_t i = 0; i < len; i++) {
            float t = nn_tanhf(LECUN_B * x[i]);
            dx[i] = dy[i] * (LECUN_A * LECUN_B * (1.0f - t * t) + LECUN_C);
        }
        break;
    case NN_TANH_LINEAR:
#pragma omp parallel for schedule(static) if (len >= NN_PAR_MIN_FLOATS)
        for (size_t i = 0; i < len; i++) {
            float t = nn_tanhf(x[i]);
            dx[i] = dy[i] * (1.0f - t * t + LECUN_C);
        }
        break;
    case NN_SCALED_TANH:
#pragma omp parallel for schedule(static) if (len >= NN_PAR_MIN_FLOATS)
        for (size_t i = 0; i < len; i++) {
            float t = nn_tanhf(LECUN_B * x[i]);
            dx[i] = dy[i] * (LECUN_A * LECUN_B * (1.0f - t * t));
        }
        break;
    case NN_SOFTMAX:
        /* dx_j = y_j (dy_j - sum_k dy_k y_k): the Jacobian diag(y) - y y^T applied to dy.
         * The dot product is taken before any write, so dx may alias dy. */
        for (int i = 0; i < n; i++) {
            const float *yr = y + (size_t)i * dim, *dyr = dy + (size_t)i * dim;
            float *dxr = dx + (size_t)i * dim;
            float dot = 0;
            for (int j = 0; j < dim; j++) dot += dyr[j] * yr[j];
            for (int j = 0; j < dim; j++) dxr[j] = yr[j] * (dyr[j] - dot);
        }
        break;
    }
}
