/* dense.c - the fully connected layer, forward and backward (see layers.h).
 *
 * All three products are single sgemm calls on row-major arrays, so the work per batch is
 * three matrix products and one pass for the bias: the same as any framework. They go
 * through par_sgemm, which splits large products over the OpenMP threads (parallel.h).
 * A single sample (n = 1, e.g. inference one image at a time) uses sgemv instead: sgemm
 * would first copy ("pack") the whole weight matrix to multiply it by one vector, which
 * doubles the memory traffic of an operation that is nothing but memory traffic. */
#include <cblas.h>
#include <string.h>

#include "nn/layers.h"
#include "base/parallel.h"

void dense_forward(float *y, const float *x, const float *w, const float *b, int n, int in,
                   int out) {
    /* Seed y with the bias and let sgemm accumulate into it (beta = 1): one pass over y
     * instead of a write by sgemm followed by a read-modify-write for the bias. */
    float beta = 0.0f;
    if (b) {
        for (int i = 0; i < n; i++) memcpy(y + (size_t)i * out, b, (size_t)out * sizeof *y);
        beta = 1.0f;
    }
    /* y (n x out) = x (n x in) * w^T, w stored out x in. */
    if (n == 1)
        cblas_sgemv(CblasRowMajor, CblasNoTrans, out, in, 1.0f, w, in, x, 1, beta, y, 1);
    else
        par_sgemm(0, 1, n, out, in, 1.0f, x, in, w, in, beta, y, out);
}

void dense_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                    const float *w, int n, int in, int out) {
    /* dx (n x in) = dy (n x out) * w (out x in). */
    if (dx) par_sgemm(0, 0, n, in, out, 1.0f, dy, out, w, in, 0.0f, dx, in);
    /* dw (out x in) = dy^T (out x n) * x (n x in). */
    if (dw) par_sgemm(1, 0, out, in, n, 1.0f, dy, out, x, in, 0.0f, dw, in);
    /* db = sum over the batch of dy, row by row so the inner loop is contiguous and
     * vectorises; the summation order is fixed, so the result is deterministic. */
    if (db) {
        memset(db, 0, (size_t)out * sizeof *db);
        for (int i = 0; i < n; i++) {
            const float *row = dy + (size_t)i * out;
            for (int o = 0; o < out; o++) db[o] += row[o];
        }
    }
}
