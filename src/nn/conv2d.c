/* conv2d.c - 2-D convolution by im2col and sgemm, forward and backward (see layers.h).
 *
 * Per sample i, with K = c k k rows of im2col and P = oh ow output positions:
 *     forward    y_i (out_c x P)  = w (out_c x K) * col_i (K x P)        [+ b per row]
 *     weights    dw^T (K x out_c) += col_i (K x P) * dy_i^T (P x out_c)
 *     input      dcol (K x P)     = w^T (K x out_c) * dy_i (out_c x P);  dx_i = col2im(dcol)
 *                (w^T transposed once per call into scratch, not by sgemm per sample)
 * Every product is row-major, and y_i and dy_i are already the NCHW blocks of sample i, so no
 * transposition or copy surrounds the sgemm calls. The weight gradient is accumulated
 * transposed, K x out_c (this shape ran 4-6% faster in OpenBLAS than dy_i col_i^T), and
 * transposed into dw once at the end. A 1 x 1 kernel with stride 1 and no padding has
 * col_i = x_i, and im2col is skipped.
 *
 * Stride 1 (every conv of the book's models) has a faster im2col and col2im: the sample is
 * first copied into a zero-bordered buffer xp of c x hp x wp, hp = h + 2 pad, wp = w + 2 pad
 * (41 KB for conv2 of the MNIST CNN), after which row (ch, u, v) of col is, for every output row r, the ow
 * floats of xp's row r + u from column v on: plain short copies with no bounds tests, done
 * with masked vector moves where AVX-512 is available. col2im runs the same moves backwards,
 * adding into a zeroed padded gradient and then copying its interior out to dx_i. Profiling
 * (perf, conv2 of the MNIST CNN) had the general version, with a memcpy/memset call per
 * output row of 14 floats, at about a quarter of the layer's time.
 *
 * Batching several samples per sgemm (im2col of a group side by side, G P columns) was
 * tried and measured with G = 1..16: no gain for conv2 (OpenBLAS's Cooperlake kernel already
 * runs a 64 x 196 x 800 product near its peak) and a 25% loss for conv1 (the copies to and
 * from the group layout cost more than its 25-deep products), so products stay per sample.
 * Keeping the forward's im2col for the backward pass was not done either: it would need
 * n K P floats (80 MB for conv2 at batch 128) written to and read back from DRAM, to save a
 * recomputation from a cache-resident sample that now costs about 3% of the layer.
 *
 * Threads: samples are handed to the `threads` OpenMP threads dynamically (a thread that
 * loses its core to another process does not hold the other back), each thread with its own
 * column and padded-sample buffers at scratch + t * thread_floats. Results still do not
 * depend on the thread count: every sample's forward and dx are the same calls whoever runs
 * them, and the weight gradient is summed per fixed chunk of samples, chunk c covering
 * samples [n c / C, n (c+1) / C) for C = min(n, DW_CHUNKS), each into its own partial sum,
 * and the partials are added in chunk order at the end. So the summation order depends on n
 * alone. */
#include <omp.h>
#include <string.h>

#include "nn/layers.h"
#include "base/parallel.h"

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

/* The stride-1 path's zero-bordered copy of one sample (or of its input gradient). */
static int use_padded(const conv2d_geom *g) {
    return g->stride == 1 && !is_pointwise(g);
}

static size_t pad_floats(const conv2d_geom *g) {
    if (!use_padded(g)) return 0;
    /* + 16: slack for col2im_s1's full-width vector read-modify-writes past the last row. */
    size_t len = (size_t)g->c * (g->h + 2 * g->pad) * (g->w + 2 * g->pad) + 16;
    return (len + 15) & ~(size_t)15;
}

/* Floats of each thread's own buffers: the columns, then the padded sample. */
static size_t thread_floats(const conv2d_geom *g) {
    return col_floats(g) + pad_floats(g);
}

/* Chunks of samples for the weight gradient's partial sums (see the top comment): enough
 * for two threads to even out their load in pieces of a few milliseconds. */
#define DW_CHUNKS 16

size_t conv2d_scratch_floats(const conv2d_geom *g, int threads) {
    if (threads < 1) threads = 1;
    /* Per-thread buffers, weight-gradient partials, and w transposed (see conv2d_backward). */
    return (size_t)threads * thread_floats(g) + (size_t)(DW_CHUNKS + 1) * dw_floats(g);
}

/* dst[0, len) = src[0, len) and dst[0, len) += src[0, len) for the short rows of the stride-1
 * path (len is ow, typically 14 or 28). */
#ifdef __AVX512F__
#include <immintrin.h>
static inline void copy_row(float *dst, const float *src, int len) {
    int q = 0;
    for (; q + 16 <= len; q += 16) _mm512_storeu_ps(dst + q, _mm512_loadu_ps(src + q));
    if (q < len) {
        const __mmask16 m = (__mmask16)((1u << (len - q)) - 1);
        _mm512_mask_storeu_ps(dst + q, m, _mm512_maskz_loadu_ps(m, src + q));
    }
}
static inline void add_row(float *dst, const float *src, int len) {
    int q = 0;
    for (; q + 16 <= len; q += 16)
        _mm512_storeu_ps(dst + q,
                         _mm512_add_ps(_mm512_loadu_ps(dst + q), _mm512_loadu_ps(src + q)));
    if (q < len) {
        const __mmask16 m = (__mmask16)((1u << (len - q)) - 1);
        _mm512_mask_storeu_ps(dst + q, m,
                              _mm512_add_ps(_mm512_maskz_loadu_ps(m, dst + q),
                                            _mm512_maskz_loadu_ps(m, src + q)));
    }
}
#else
static inline void copy_row(float *dst, const float *src, int len) {
    for (int q = 0; q < len; q++) dst[q] = src[q];
}
static inline void add_row(float *dst, const float *src, int len) {
    for (int q = 0; q < len; q++) dst[q] += src[q];
}
#endif

/* xp (c x hp x wp) = x (c x h x w) with a border of `pad` zeros. */
static void pad_sample(float *xp, const float *x, const conv2d_geom *g) {
    const int p = g->pad, hp = g->h + 2 * p, wp = g->w + 2 * p;
    for (int ch = 0; ch < g->c; ch++) {
        float *dst = xp + (size_t)ch * hp * wp;
        const float *src = x + (size_t)ch * g->h * g->w;
        memset(dst, 0, (size_t)p * wp * sizeof *dst);
        for (int r = 0; r < g->h; r++) {
            float *row = dst + (size_t)(r + p) * wp;
            for (int q = 0; q < p; q++) row[q] = row[p + g->w + q] = 0;
            copy_row(row + p, src + (size_t)r * g->w, g->w);
        }
        memset(dst + (size_t)(p + g->h) * wp, 0, (size_t)p * wp * sizeof *dst);
    }
}

/* im2col for stride 1 from the padded sample (x itself when pad is 0). */
static void im2col_s1(float *col, const float *x, float *xp, const conv2d_geom *g) {
    const int k = g->k, oh = g->oh, ow = g->ow, wp = g->w + 2 * g->pad;
    const size_t P = (size_t)oh * ow, plane = (size_t)(g->h + 2 * g->pad) * wp;
    if (g->pad > 0) pad_sample(xp, x, g);
    else xp = (float *)x; /* only read below */
    for (int ch = 0; ch < g->c; ch++)
        for (int u = 0; u < k; u++)
            for (int v = 0; v < k; v++) {
                float *row = col + ((size_t)(ch * k + u) * k + v) * P;
                const float *src = xp + ch * plane + (size_t)u * wp + v;
#ifdef __AVX512F__
                if (ow <= 16) {
                    /* The block's rows are contiguous in col, so each row is stored as a
                     * full vector whose extra lanes the next row then overwrites; only the
                     * last row is stored masked. Loads are masked (x may end right there). */
                    const __mmask16 m = (__mmask16)((1u << ow) - 1);
                    for (int r = 0; r < oh - 1; r++)
                        _mm512_storeu_ps(row + (size_t)r * ow,
                                         _mm512_maskz_loadu_ps(m, src + (size_t)r * wp));
                    _mm512_mask_storeu_ps(row + (size_t)(oh - 1) * ow, m,
                                          _mm512_maskz_loadu_ps(m, src + (size_t)(oh - 1) * wp));
                    continue;
                }
#endif
                for (int r = 0; r < oh; r++)
                    copy_row(row + (size_t)r * ow, src + (size_t)r * wp, ow);
            }
}

/* dx_i = col2im(col) for stride 1: accumulate into the zeroed padded buffer dxp, then copy
 * its interior out (no zeroing of dx_i needed). */
static void col2im_s1(float *dx, const float *col, float *dxp, const conv2d_geom *g) {
    const int k = g->k, oh = g->oh, ow = g->ow, p = g->pad, wp = g->w + 2 * p;
    const size_t P = (size_t)oh * ow, plane = (size_t)(g->h + 2 * p) * wp;
    memset(dxp, 0, g->c * plane * sizeof *dxp);
    for (int ch = 0; ch < g->c; ch++)
        for (int u = 0; u < k; u++)
            for (int v = 0; v < k; v++) {
                const float *row = col + ((size_t)(ch * k + u) * k + v) * P;
                float *dst = dxp + ch * plane + (size_t)u * wp + v;
#ifdef __AVX512F__
                if (ow <= 16) {
                    /* Full-width read-modify-write of dxp (its slack covers the last row):
                     * the lanes past ow add 0 and store back what they read. */
                    const __mmask16 m = (__mmask16)((1u << ow) - 1);
                    for (int r = 0; r < oh; r++) {
                        float *d = dst + (size_t)r * wp;
                        const __m512 add = _mm512_maskz_loadu_ps(m, row + (size_t)r * ow);
                        _mm512_storeu_ps(d, _mm512_add_ps(_mm512_loadu_ps(d), add));
                    }
                    continue;
                }
#endif
                for (int r = 0; r < oh; r++)
                    add_row(dst + (size_t)r * wp, row + (size_t)r * ow, ow);
            }
    for (int ch = 0; ch < g->c; ch++)
        for (int r = 0; r < g->h; r++)
            copy_row(dx + ((size_t)ch * g->h + r) * g->w,
                     dxp + ch * plane + (size_t)(r + p) * wp + p, g->w);
}

/* Sum of len floats in a fixed order that the compiler can vectorise (a plain running sum is
 * one long dependency chain): 16 running lanes, then the tail, then the lanes in order. */
static float sum_floats(const float *p, size_t len) {
    float lane[16] = {0};
    size_t j = 0;
    for (; j + 16 <= len; j += 16)
        for (int l = 0; l < 16; l++) lane[l] += p[j + l];
    float s = 0;
    for (; j < len; j++) s += p[j];
    for (int l = 0; l < 16; l++) s += lane[l];
    return s;
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
    const size_t per_thread = thread_floats(g);
    const int pointwise = is_pointwise(g), padded = use_padded(g);
    if (threads > n) threads = n;
    const int held = blas_hold_single(threads);
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(dynamic, 1)
    for (int i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * in_size;
        float *yi = y + (size_t)i * out_size;
        const float *col = xi;
        if (!pointwise) {
            float *buf = scratch + (size_t)omp_get_thread_num() * per_thread;
            if (padded) im2col_s1(buf, xi, buf + col_floats(g), g);
            else conv2d_im2col(buf, xi, g);
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
    const size_t per_thread = thread_floats(g), dw_len = (size_t)g->out_c * K;
    const int pointwise = is_pointwise(g), padded = use_padded(g);

    /* Bias: the sum of each output plane over the batch, in a fixed order. */
    if (db) {
        for (int o = 0; o < g->out_c; o++) {
            float acc = 0;
            for (int i = 0; i < n; i++)
                acc += sum_floats(dy + (size_t)i * out_size + (size_t)o * P, (size_t)P);
            db[o] = acc;
        }
    }
    if (!dx && !dw) return;

    if (threads > n) threads = n;
    if (threads < 1) threads = 1;
    const int oc = g->out_c, chunks = n < DW_CHUNKS ? n : DW_CHUNKS;
    const size_t part_len = dw_floats(g);
    float *partials = scratch + (size_t)threads * per_thread; /* `chunks` of them */
    /* w^T (K x out_c), made once per call: dcol = w^T dy_i is then a plain NoTrans product.
     * OpenBLAS's transposed-A path re-packs w for every sample, which profiling showed
     * costing more than the multiplication itself. */
    float *wt = partials + (size_t)DW_CHUNKS * part_len;
    if (dx)
        for (int o = 0; o < oc; o++)
            for (int j = 0; j < K; j++) wt[(size_t)j * oc + o] = w[(size_t)o * K + j];
    const int held = blas_hold_single(threads);
#pragma omp parallel num_threads(threads) if (threads > 1)
    {
        float *col = scratch + (size_t)omp_get_thread_num() * per_thread;
        float *xp = col + col_floats(g);
#pragma omp for schedule(dynamic, 1)
        for (int ck = 0; ck < chunks; ck++) {
            float *dwt = partials + (size_t)ck * part_len; /* K x out_c */
            if (dw) memset(dwt, 0, dw_len * sizeof *dwt);
            const int i0 = (int)((long)n * ck / chunks), i1 = (int)((long)n * (ck + 1) / chunks);
            for (int i = i0; i < i1; i++) {
                const float *xi = x + (size_t)i * in_size, *dyi = dy + (size_t)i * out_size;
                if (dw) {
                    const float *c = xi;
                    if (!pointwise) {
                        if (padded) im2col_s1(col, xi, xp, g);
                        else conv2d_im2col(col, xi, g);
                        c = col;
                    }
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, K, oc, P, 1.0f, c, P,
                                dyi, P, 1.0f, dwt, oc);
                }
                if (dx) {
                    float *dxi = dx + (size_t)i * in_size;
                    if (pointwise) {
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, K, P, oc, 1.0f,
                                    wt, oc, dyi, P, 0.0f, dxi, P);
                    } else {
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, K, P, oc, 1.0f,
                                    wt, oc, dyi, P, 0.0f, col, P);
                        if (padded) {
                            col2im_s1(dxi, col, xp, g);
                        } else {
                            memset(dxi, 0, in_size * sizeof *dxi);
                            conv2d_col2im(dxi, col, g);
                        }
                    }
                }
            }
        }
    }
    blas_release(held);
    if (dw) {
        /* The chunks' partials in chunk order, then dw = (their sum)^T. */
        for (int ck = 1; ck < chunks; ck++) {
            const float *part = partials + (size_t)ck * part_len;
            for (size_t j = 0; j < dw_len; j++) partials[j] += part[j];
        }
        for (int o = 0; o < oc; o++)
            for (int j = 0; j < K; j++) dw[(size_t)o * K + j] = partials[(size_t)j * oc + o];
    }
}
