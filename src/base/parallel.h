/* parallel.h - how the kernels share the two cores between OpenMP and OpenBLAS (internal).
 *
 * Kernels that split a batch over OpenMP threads call sgemm from inside the parallel region.
 * The OpenBLAS here is the pthread build, which does not know about OpenMP: left alone, each
 * of our threads would start OpenBLAS's own threads and the cores would be oversubscribed
 * (several times slower, see ../shared/DESIGN.md). So for the duration of such a region
 * OpenBLAS is held to one thread and then given back whatever it had. This is the one place
 * where the library touches a process-wide setting; it is restored before the kernel returns,
 * and only changed when the region really runs on more than one thread.
 *
 * Usage:
 *     int held = blas_hold_single(threads);
 *     #pragma omp parallel num_threads(threads) if (threads > 1) ...
 *     blas_release(held); */
#ifndef NN_PARALLEL_H
#define NN_PARALLEL_H

#include <cblas.h>

/* Returns the thread count to restore (0: nothing was changed). */
static inline int blas_hold_single(int threads) {
    if (threads <= 1) return 0;
    int was = openblas_get_num_threads();
    if (was <= 1) return 0;
    openblas_set_num_threads(1);
    return was;
}

static inline void blas_release(int held) {
    if (held > 1) openblas_set_num_threads(held);
}

/* Row-major C (m x n) = alpha op(A) op(B) + beta C, like cblas_sgemm with CblasRowMajor,
 * but with the columns of C split into blocks over the OpenMP threads (each block one
 * single-threaded sgemm). Small products (or one thread) make one ordinary call. This is
 * how the dense layer uses both cores without OpenBLAS's own thread pool, whose idle
 * workers would otherwise spin against ours (gemm.c). */
void par_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a,
               int lda, const float *b, int ldb, float beta, float *c, int ldc);

/* Elementwise or per-plane loops go parallel only when there is enough work to pay for
 * waking the team (a few microseconds): below this many floats they run on one thread. */
#define NN_PAR_MIN_FLOATS (1 << 16)

#endif
