/* pool.c - max, average and global average pooling, forward and backward (see layers.h).
 *
 * Every pool treats the batch as n*c independent planes, so the outer loop is over planes
 * and goes parallel (OpenMP) for large batches; each plane is written by one thread only,
 * so the results do not depend on the thread count. */
#include <string.h>

#include "nn/layers.h"
#include "base/parallel.h"

int pool_out_size(int in, int k, int stride) {
    if (k < 1 || stride < 1 || in < k) return 0;
    return (in - k) / stride + 1;
}

/* Index within the plane of the first maximum of the window at output (r, q). Shared by
 * forward and backward so that both pick the same element on ties. */
static inline int window_argmax(const float *plane, int w, int k, int stride, int r, int q) {
    int best = r * stride * w + q * stride;
    float m = plane[best];
    for (int u = 0; u < k; u++) {
        const int row = (r * stride + u) * w + q * stride;
        for (int v = 0; v < k; v++)
            if (plane[row + v] > m) m = plane[row + v], best = row + v;
    }
    return best;
}

void maxpool_forward(float *y, const float *x, int n, int c, int h, int w, int k, int stride) {
    const int oh = pool_out_size(h, k, stride), ow = pool_out_size(w, k, stride);
    const long planes = (long)n * c;
#pragma omp parallel for schedule(static) if (planes * h * w >= NN_PAR_MIN_FLOATS)
    for (long pl = 0; pl < planes; pl++) {
        const float *xp = x + (size_t)pl * h * w;
        float *yp = y + (size_t)pl * oh * ow;
        if (k == 2 && stride == 2) {
            /* The common case, unrolled: the first maximum in order (0,0) (0,1) (1,0) (1,1). */
            for (int r = 0; r < oh; r++) {
                const float *a = xp + (size_t)2 * r * w, *b = a + w;
                for (int q = 0; q < ow; q++) {
                    float m = a[2 * q];
                    m = a[2 * q + 1] > m ? a[2 * q + 1] : m;
                    m = b[2 * q] > m ? b[2 * q] : m;
                    m = b[2 * q + 1] > m ? b[2 * q + 1] : m;
                    yp[r * ow + q] = m;
                }
            }
            continue;
        }
        for (int r = 0; r < oh; r++)
            for (int q = 0; q < ow; q++) yp[r * ow + q] = xp[window_argmax(xp, w, k, stride, r, q)];
    }
}

void maxpool_backward(float *dx, const float *dy, const float *x, int n, int c, int h, int w,
                      int k, int stride) {
    const int oh = pool_out_size(h, k, stride), ow = pool_out_size(w, k, stride);
    const long planes = (long)n * c;
#pragma omp parallel for schedule(static) if (planes * h * w >= NN_PAR_MIN_FLOATS)
    for (long pl = 0; pl < planes; pl++) {
        const float *xp = x + (size_t)pl * h * w, *dyp = dy + (size_t)pl * oh * ow;
        float *dxp = dx + (size_t)pl * h * w;
        memset(dxp, 0, (size_t)h * w * sizeof *dxp);
        for (int r = 0; r < oh; r++)
            for (int q = 0; q < ow; q++)
                dxp[window_argmax(xp, w, k, stride, r, q)] += dyp[r * ow + q];
    }
}

void avgpool_forward(float *y, const float *x, int n, int c, int h, int w, int k, int stride) {
    const int oh = pool_out_size(h, k, stride), ow = pool_out_size(w, k, stride);
    const long planes = (long)n * c;
    const float scale = 1.0f / (float)(k * k);
#pragma omp parallel for schedule(static) if (planes * h * w >= NN_PAR_MIN_FLOATS)
    for (long pl = 0; pl < planes; pl++) {
        const float *xp = x + (size_t)pl * h * w;
        float *yp = y + (size_t)pl * oh * ow;
        for (int r = 0; r < oh; r++)
            for (int q = 0; q < ow; q++) {
                float s = 0;
                for (int u = 0; u < k; u++)
                    for (int v = 0; v < k; v++) s += xp[(r * stride + u) * w + q * stride + v];
                yp[r * ow + q] = s * scale;
            }
    }
}

void avgpool_backward(float *dx, const float *dy, int n, int c, int h, int w, int k,
                      int stride) {
    const int oh = pool_out_size(h, k, stride), ow = pool_out_size(w, k, stride);
    const long planes = (long)n * c;
    const float scale = 1.0f / (float)(k * k);
#pragma omp parallel for schedule(static) if (planes * h * w >= NN_PAR_MIN_FLOATS)
    for (long pl = 0; pl < planes; pl++) {
        const float *dyp = dy + (size_t)pl * oh * ow;
        float *dxp = dx + (size_t)pl * h * w;
        memset(dxp, 0, (size_t)h * w * sizeof *dxp);
        for (int r = 0; r < oh; r++)
            for (int q = 0; q < ow; q++) {
                const float g = dyp[r * ow + q] * scale;
                for (int u = 0; u < k; u++)
                    for (int v = 0; v < k; v++) dxp[(r * stride + u) * w + q * stride + v] += g;
            }
    }
}

void global_avgpool_forward(float *y, const float *x, int n, int c, int hw) {
    const long planes = (long)n * c;
    const float scale = 1.0f / (float)hw;
    for (long pl = 0; pl < planes; pl++) {
        const float *xp = x + (size_t)pl * hw;
        float s = 0;
        for (int j = 0; j < hw; j++) s += xp[j];
        y[pl] = s * scale;
    }
}

void global_avgpool_backward(float *dx, const float *dy, int n, int c, int hw) {
    const long planes = (long)n * c;
    const float scale = 1.0f / (float)hw;
    for (long pl = 0; pl < planes; pl++) {
        const float g = dy[pl] * scale;
        float *dxp = dx + (size_t)pl * hw;
        for (int j = 0; j < hw; j++) dxp[j] = g;
    }
}
