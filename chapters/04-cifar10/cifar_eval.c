/* cifar_eval.c - accuracy, confusion and speed of a trained model (see cifar_eval.h). */
#include "cifar_eval.h"

#include <cblas.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "data/augment.h"
#include "nn/layers.h"
#include "nn/metrics.h"

static int check_shape(const nn_model *m, const nn_images *set, nn_err *err) {
    int c, h, w;
    nn_input_shape(m, &c, &h, &w);
    if (c != set->c || h != set->h || w != set->w)
        return nn_fail(err, "the model takes %dx%dx%d images, the data are %dx%dx%d", c, h, w,
                       set->c, set->h, set->w);
    if (nn_output_size(m) != CIFAR_CLASSES)
        return nn_fail(err, "the model has %d outputs, CIFAR-10 has %d classes", nn_output_size(m),
                       CIFAR_CLASSES);
    return 0;
}

/* Logits of n images at x into sum (n x classes): one pass, or the mean of the image and its
 * mirror image. x is flipped in place by the second pass. */
static int logits_of(nn_model *m, float *x, int n, int tta, const nn_images *set, float *sum) {
    const float *out = nn_forward(m, x, n, 0);
    if (!out) return -1;
    size_t len = (size_t)n * CIFAR_CLASSES;
    memcpy(sum, out, len * sizeof *sum);
    if (!tta) return 0;
    size_t stride = images_stride(set);
    for (int k = 0; k < n; k++)
        augment_flip(x + k * stride, set->c, set->h, set->w);
    if (!(out = nn_forward(m, x, n, 0))) return -1;
    for (size_t i = 0; i < len; i++)
        sum[i] = 0.5f * (sum[i] + out[i]);
    return 0;
}

int cifar_evaluate(nn_model *m, const nn_images *set, int tta, uint8_t *pred, cifar_scores *out,
                   nn_err *err) {
    if (check_shape(m, set, err)) return -1;
    int batch = nn_max_batch(m);
    float *x = malloc(sizeof(float) * batch * images_stride(set));
    float *sum = malloc(sizeof(float) * batch * CIFAR_CLASSES);
    if (!x || !sum) {
        free(x), free(sum);
        return nn_fail(err, "evaluate: out of memory");
    }
    memset(out, 0, sizeof *out);
    double loss = 0;
    int rc = 0;
    for (int first = 0; first < set->n; first += batch) {
        int n = set->n - first < batch ? set->n - first : batch;
        images_to_float(set, first, n, x);
        if (logits_of(m, x, n, tta, set, sum)) {
            rc = nn_fail(err, "evaluate: the model refused a batch of %d", n);
            break;
        }
        const uint8_t *y = set->labels + first;
        loss += (double)softmax_xent(sum, y, n, CIFAR_CLASSES, NULL) * n;
        for (int k = 0; k < n; k++) {
            int p = nn_argmax(sum + (size_t)k * CIFAR_CLASSES, CIFAR_CLASSES);
            out->correct += p == y[k];
            out->confusion[y[k] * CIFAR_CLASSES + p]++;
            if (pred) pred[first + k] = (uint8_t)p;
        }
        out->count += n;
    }
    free(x);
    free(sum);
    if (rc) return rc;
    out->accuracy = out->count ? (double)out->correct / out->count : 0;
    out->loss = out->count ? loss / out->count : 0;
    return 0;
}

double confusion_class_accuracy(const int64_t *confusion, int classes, int k) {
    int64_t row = 0;
    for (int j = 0; j < classes; j++)
        row += confusion[k * classes + j];
    return row ? (double)confusion[k * classes + k] / (double)row : 0;
}

static int cell_before(const confusion_cell *a, const confusion_cell *b) {
    if (a->count != b->count) return a->count > b->count;
    if (a->truth != b->truth) return a->truth < b->truth;
    return a->predicted < b->predicted;
}

int confusion_top_cells(const int64_t *confusion, int classes, confusion_cell *out, int max) {
    int n = 0;
    for (int t = 0; t < classes; t++)
        for (int p = 0; p < classes; p++) {
            confusion_cell c = {t, p, confusion[t * classes + p]};
            if (t == p || c.count <= 0) continue;
            /* insertion into the sorted prefix, keeping at most max cells */
            int at = n < max ? n : max;
            while (at > 0 && cell_before(&c, &out[at - 1]))
                at--;
            if (at >= max) continue;
            int last = n < max ? n : max - 1;
            memmove(out + at + 1, out + at, sizeof *out * (size_t)(last - at));
            out[at] = c;
            if (n < max) n++;
        }
    return n;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Holds OpenMP and OpenBLAS at `threads` until restore_threads. */
typedef struct thread_setting {
    int omp, blas;
} thread_setting;

static thread_setting set_threads(int threads) {
    thread_setting was = {omp_get_max_threads(), openblas_get_num_threads()};
    omp_set_num_threads(threads);
    openblas_set_num_threads(threads);
    return was;
}

static void restore_threads(thread_setting was) {
    omp_set_num_threads(was.omp);
    openblas_set_num_threads(was.blas);
}

int cifar_measure_latency(nn_model *m, const nn_images *set, int warmup, int count, int tta,
                          cifar_latency *out, nn_err *err) {
    if (check_shape(m, set, err)) return -1;
    if (warmup < 0 || count < 1 || warmup + count > set->n)
        return nn_fail(err, "latency: %d warm-up and %d timed images need a set of %d, it has %d",
                       warmup, count, warmup + count, set->n);
    float *x = malloc(sizeof(float) * images_stride(set));
    float sum[CIFAR_CLASSES];
    double *ms = malloc(sizeof(double) * count);
    if (!x || !ms) {
        free(x), free(ms);
        return nn_fail(err, "latency: out of memory");
    }
    thread_setting was = set_threads(1);
    int rc = 0;
    for (int i = 0; i < warmup + count && !rc; i++) {
        double t0 = nn_seconds();
        images_to_float(set, i, 1, x);
        if (logits_of(m, x, 1, tta, set, sum))
            rc = nn_fail(err, "latency: the model refused an image");
        double t = (nn_seconds() - t0) * 1e3;
        if (i >= warmup) ms[i - warmup] = t;
    }
    restore_threads(was);
    if (!rc) {
        double total = 0;
        for (int i = 0; i < count; i++)
            total += ms[i];
        qsort(ms, count, sizeof *ms, cmp_double);
        /* Nearest-rank percentiles: the value below which that share of the timings lie. */
        *out = (cifar_latency){.count = count,
                               .median_ms = ms[(count - 1) / 2],
                               .p90_ms = ms[(int)((count - 1) * 0.9 + 0.5)],
                               .mean_ms = total / count,
                               .min_ms = ms[0]};
    }
    free(x);
    free(ms);
    return rc;
}

int cifar_measure_throughput(nn_model *m, const nn_images *set, int batch, int threads, int count,
                             double *images_per_second, nn_err *err) {
    if (check_shape(m, set, err)) return -1;
    if (batch < 1 || batch > nn_max_batch(m))
        return nn_fail(err, "throughput: batch %d is outside [1, %d]", batch, nn_max_batch(m));
    if (count < batch || threads < 1 || set->n < batch)
        return nn_fail(err,
                       "throughput: %d images of a set of %d on %d threads cannot time "
                       "batches of %d",
                       count, set->n, threads, batch);
    float *x = malloc(sizeof(float) * batch * images_stride(set));
    if (!x) return nn_fail(err, "throughput: out of memory");
    thread_setting was = set_threads(threads);
    int rc = 0;
    double t0 = 0;
    long done = 0;
    /* Batch -1 is the untimed warm-up; images wrap around the set. */
    for (int b = -1; done < count && !rc; b++) {
        if (b == 0) t0 = nn_seconds();
        int first = (int)(((long)(b < 0 ? 0 : b) * batch) % (set->n - batch + 1));
        images_to_float(set, first, batch, x);
        if (!nn_forward(m, x, batch, 0)) rc = nn_fail(err, "throughput: the model refused a batch");
        if (b >= 0) done += batch;
    }
    double seconds = nn_seconds() - t0;
    restore_threads(was);
    free(x);
    if (!rc) *images_per_second = done / seconds;
    return rc;
}

/* ---- peak ---------------------------------------------------------------------------- */

#if defined(__AVX512F__)
#include <immintrin.h>
typedef __m512 vec;
#define VEC_FLOATS 16
#define vec_set1 _mm512_set1_ps
#define vec_fma _mm512_fmadd_ps
#define vec_add _mm512_add_ps
static float vec_first(vec v) {
    return _mm512_cvtss_f32(v);
}
#elif defined(__FMA__) && defined(__AVX__)
#include <immintrin.h>
typedef __m256 vec;
#define VEC_FLOATS 8
#define vec_set1 _mm256_set1_ps
#define vec_fma _mm256_fmadd_ps
#define vec_add _mm256_add_ps
static float vec_first(vec v) {
    return _mm256_cvtss_f32(v);
}
#else
#include <math.h>
typedef float vec;
#define VEC_FLOATS 1
static vec vec_set1(float x) {
    return x;
}
static vec vec_fma(vec a, vec b, vec c) {
    return fmaf(a, b, c);
}
static vec vec_add(vec a, vec b) {
    return a + b;
}
static float vec_first(vec v) {
    return v;
}
#endif

static double thread_cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* 12 independent accumulators: more than latency (4 cycles) x FMA ports (2) on the cores
 * nnlab runs on, so the loop is bound by throughput, not by a dependency chain. */
#define CHAINS 12
static float fma_block(long iterations, float seed) {
    vec a[CHAINS];
    vec m = vec_set1(0.9999999f), c = vec_set1(1e-7f);
    for (int k = 0; k < CHAINS; k++)
        a[k] = vec_set1(seed + (float)k);
    for (long i = 0; i < iterations; i++) {
        a[0] = vec_fma(a[0], m, c), a[1] = vec_fma(a[1], m, c), a[2] = vec_fma(a[2], m, c);
        a[3] = vec_fma(a[3], m, c), a[4] = vec_fma(a[4], m, c), a[5] = vec_fma(a[5], m, c);
        a[6] = vec_fma(a[6], m, c), a[7] = vec_fma(a[7], m, c), a[8] = vec_fma(a[8], m, c);
        a[9] = vec_fma(a[9], m, c), a[10] = vec_fma(a[10], m, c), a[11] = vec_fma(a[11], m, c);
    }
    vec s = a[0];
    for (int k = 1; k < CHAINS; k++)
        s = vec_add(s, a[k]);
    return vec_first(s);
}

int cifar_fma_vector_bits(void) {
    return VEC_FLOATS * 32;
}

double cifar_fma_peak_gflops(double seconds) {
    long iterations = 1 << 20;
    double best = 0, spent = 0;
    volatile float sink = 0;
    /* Repeat blocks until `seconds` are spent; keep the fastest block (the least disturbed). */
    while (spent < seconds) {
        double t0 = thread_cpu_seconds();
        sink = sink + fma_block(iterations, sink);
        double t = thread_cpu_seconds() - t0;
        spent += t;
        if (t < 1e-3) {
            iterations *= 4;
            continue;
        }
        double gflops = 2.0 * CHAINS * VEC_FLOATS * (double)iterations / t / 1e9;
        if (gflops > best) best = gflops;
    }
    return best;
}
