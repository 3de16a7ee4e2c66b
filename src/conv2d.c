/* conv2d.c - 2-D convolution by im2col and sgemm, forward and backward (see layers.h).
 *
 * Per sample i, with K = c k k rows of im2col and P = oh ow output positions:
 *     forward    y_i (out_c x P)  = w (out_c x K) * col_i (K x P)        [+ b per row]
 *     weights    dw  (out_c x K) += dy_i (out_c x P) * col_i^T (P x K)
 *     input      dcol (K x P)     = w^T (K x out_c) * dy_i (out_c x P);  dx_i = col2im(dcol)
 * Every product is row-major, and y_i and dy_i are already the NCHW blocks of sample i, so no
 * transposition or copy surrounds the sgemm calls. A 1 x 1 kernel with stride 1 and no
 * padding has col_i = x_i, and im2col is skipped.
 *
 * Threads: samples are split statically over `threads` OpenMP threads. Thread t uses the
 * column buffer scratch[t*K*P ...]; for the weight gradient, thread 0 accumulates straight
 * into dw and thread t > 0 into its own partial sum after the column buffers, and the
 * partials are added to dw in thread order afterwards. The summation order therefore
 * depends only on n and the thread count: results are reproducible for a thread count. */
#include <omp.h>
#include <string.h>

#include "layers.h"
#include "parallel.h"

conv2d_geom conv2d_make_geom(int c, int h, int w, int out_c, int k, int stride, int pad) {
    conv2d_geom g = {c, h, w, out_c, k, stride, pad, 0, 0};
    if (k >= 1 && stride >= 1 && pad >= 0) {
        g.oh = (h + 2 * pad - k) / stride + 1;
        g.ow = (w + 2 * pad - k) / stride + 1;
        if (h + 2 * pad < k || w + 2 * pad < k) g.oh = g.ow = 0;
    }
    return g;
}

static int is_pointwise(const conv2d_geom *g) {
    return g->k == 1 && g->stride == 1 && g->pad == 0;
}

static size_t col_floats(const conv2d_geom *g) {
    /* Rounded to 16 floats so every thread's buffer starts 64-byte aligned. */
    size_t len = (size_t)g->c * g->k * g->k * g->oh * g->ow;
    return (len + 15) & ~(size_t)15;
}

static size_t dw_floats(const conv2d_geom *g) {
    size_t len = (size_t)g->out_c * g->c * g->k * g->k;
    return (len + 15) & ~(size_t)15;
}

size_t conv2d_scratch_floats(const conv2d_geom *g, int threads) {
    if (threads < 1) threads = 1;
    return (size_t)threads * col_floats(g) + (size_t)(threads - 1) * dw_floats(g);
}

/* For filter column v, the output columns q whose input column q*stride - pad + v lies in
 * [0, w) form one range [*lo, *hi); outside it im2col reads padding. */
static void valid_cols(const conv2d_geom *g, int v, int *lo, int *hi) {
    const int s = g->stride, before = g->pad - v, last = g->w - 1 + g->pad - v;
    int a = before <= 0 ? 0 : (before + s - 1) / s;
    int b = last < 0 ? 0 : last / s + 1;
    if (a > g->ow) a = g->ow;
    if (b > g->ow) b = g->ow;
    if (b < a) b = a;
    *lo = a, *hi = b;
}

void conv2d_im2col(float *col, const float *x, const conv2d_geom *g) {
    const int k = g->k, s = g->stride, ow = g->ow;
    const size_t P = (size_t)g->oh * ow;
    for (int ch = 0; ch < g->c; ch++) {
        const float *plane = x + (size_t)ch * g->h * g->w;
        for (int u = 0; u < k; u++)
            for (int v = 0; v < k; v++) {
                float *row = col + ((size_t)(ch * k + u) * k + v) * P;
                int lo, hi;
                valid_cols(g, v, &lo, &hi);
                for (int r = 0; r < g->oh; r++) {
                    float *dst = row + (size_t)r * ow;
                    const int ir = r * s - g->pad + u;
                    if (ir < 0 || ir >= g->h) {
                        memset(dst, 0, (size_t)ow * sizeof *dst);
                        continue;
                    }
                    /* Input column of output column q is q*s + off; off may be negative, so
                     * indices are formed as integers, never as out-of-range pointers. */
                    const float *src = plane + (size_t)ir * g->w;
                    const int off = v - g->pad;
                    for (int q = 0; q < lo; q++) dst[q] = 0;
                    if (s == 1) {
                        if (hi > lo)
                            memcpy(dst + lo, src + lo + off, (size_t)(hi - lo) * sizeof *dst);
                    } else {
                        for (int q = lo; q < hi; q++) dst[q] = src[q * s + off];
                    }
                    for (int q = hi; q < ow; q++) dst[q] = 0;
                }
            }
    }
}

void conv2d_col2im(float *dx, const float *col, const conv2d_geom *g) {
    const int k = g->k, s = g->stride, ow = g->ow;
    const size_t P = (size_t)g->oh * ow;
    for (int ch = 0; ch < g->c; ch++) {
        float *plane = dx + (size_t)ch * g->h * g->w;
        for (int u = 0; u < k; u++)
            for (int v = 0; v < k; v++) {
                const float *row = col + ((size_t)(ch * k + u) * k + v) * P;
                int lo, hi;
                valid_cols(g, v, &lo, &hi);
                for (int r = 0; r < g->oh; r++) {
                    const int ir = r * s - g->pad + u;
                    if (ir < 0 || ir >= g->h) continue;
                    const float *src = row + (size_t)r * ow;
                    float *dst = plane + (size_t)ir * g->w;
                    const int off = v - g->pad;
                    for (int q = lo; q < hi; q++) dst[q * s + off] += src[q];
                }
            }
    }
}

void conv2d_forward(float *y, const float *x, const float *w, const float *b, int n,
                    const conv2d_geom *g, float *scratch, int threads) {
    const int K = g->c * g->k * g->k, P = g->oh * g->ow;
    const size_t in_size = (size_t)g->c * g->h * g->w, out_size = (size_t)g->out_c * P;
    const size_t col_len = col_floats(g);
    const int pointwise = is_pointwise(g);
    if (threads > n) threads = n;
    const int held = blas_hold_single(threads);
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
    for (int i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * in_size;
        float *yi = y + (size_t)i * out_size;
        const float *col = xi;
        if (!pointwise) {
            float *buf = scratch + (size_t)omp_get_thread_num() * col_len;
            conv2d_im2col(buf, xi, g);
            col = buf;
        }
        /* Seed each output plane with its bias and let sgemm add onto it (beta = 1). */
        float beta = 0.0f;
        if (b) {
            for (int o = 0; o < g->out_c; o++)
                for (int p = 0; p < P; p++) yi[(size_t)o * P + p] = b[o];
            beta = 1.0f;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g->out_c, P, K, 1.0f, w, K, col,
                    P, beta, yi, P);
    }
    blas_release(held);
}

void conv2d_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                     const float *w, int n, const conv2d_geom *g, float *scratch, int threads) {
    const int K = g->c * g->k * g->k, P = g->oh * g->ow;
    const size_t in_size = (size_t)g->c * g->h * g->w, out_size = (size_t)g->out_c * P;
    const size_t col_len = col_floats(g), dw_len = (size_t)g->out_c * K;
    const int pointwise = is_pointwise(g);

    /* Bias: the sum of each output plane over the batch, in a fixed order. */
    if (db) {
        for (int o = 0; o < g->out_c; o++) {
            float acc = 0;
            for (int i = 0; i < n; i++) {
                const float *plane = dy + (size_t)i * out_size + (size_t)o * P;
                for (int p = 0; p < P; p++) acc += plane[p];
            }
            db[o] = acc;
        }
    }
    if (!dx && !dw) return;

    if (threads > n) threads = n;
    if (threads < 1) threads = 1;
    float *partials = scratch + (size_t)threads * col_len; /* threads - 1 of them */
    int team = 1;
    const int held = blas_hold_single(threads);
#pragma omp parallel num_threads(threads) if (threads > 1)
    {
        const int t = omp_get_thread_num();
#pragma omp single
        team = omp_get_num_threads();
        float *col = scratch + (size_t)t * col_len;
        float *dw_t = NULL;
        if (dw) {
            dw_t = t == 0 ? dw : partials + (size_t)(t - 1) * dw_floats(g);
            memset(dw_t, 0, dw_len * sizeof *dw_t);
        }
#pragma omp for schedule(static)
        for (int i = 0; i < n; i++) {
            const float *xi = x + (size_t)i * in_size, *dyi = dy + (size_t)i * out_size;
            if (dw_t) {
                const float *c = xi;
                if (!pointwise) {
                    conv2d_im2col(col, xi, g);
                    c = col;
                }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, g->out_c, K, P, 1.0f, dyi,
                            P, c, P, 1.0f, dw_t, K);
            }
            if (dx) {
                float *dxi = dx + (size_t)i * in_size;
                if (pointwise) {
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, P, g->out_c, 1.0f, w,
                                K, dyi, P, 0.0f, dxi, P);
                } else {
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, P, g->out_c, 1.0f, w,
                                K, dyi, P, 0.0f, col, P);
                    memset(dxi, 0, in_size * sizeof *dxi);
                    conv2d_col2im(dxi, col, g);
                }
            }
        }
    }
    blas_release(held);
    if (dw)
        for (int t = 1; t < team; t++) {
            const float *part = partials + (size_t)(t - 1) * dw_floats(g);
            for (size_t j = 0; j < dw_len; j++) dw[j] += part[j];
        }
}
