/* gemm.c - sgemm split over OpenMP threads by blocks of output columns (see parallel.h).
 *
 * Why not OpenBLAS's own threads: the conv kernels already run their own OpenMP team; two
 * pools on two cores take turns badly (an idle pool spins for a while after each call, and
 * steals the core the other needs). With every product run single-threaded inside OpenMP
 * regions, only one pool ever exists.
 *
 * Each thread computes C[:, j0:j1] = op(A) op(B)[:, j0:j1]: the whole of A against a slice
 * of B's columns, so no two threads write the same element and each element is the same
 * k-long sum as in one big call. Column blocks are multiples of 16 floats (64 bytes), so
 * threads never share a cache line of C except at row ends. */
#include <omp.h>

#include "base/parallel.h"

/* Below this many multiply-adds a product is not worth splitting (waking the team and
 * packing A twice cost more than they save). */
#define PAR_MIN_MACS (1L << 22)

void par_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a,
               int lda, const float *b, int ldb, float beta, float *c, int ldc) {
    const CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans;
    const CBLAS_TRANSPOSE tb = trans_b ? CblasTrans : CblasNoTrans;
    int threads = omp_get_max_threads();
    if (threads > n / 16) threads = n / 16;
    if (threads <= 1 || (long)m * n * k < PAR_MIN_MACS || omp_in_parallel()) {
        /* One call; still held to one thread when sibling threads may be calling BLAS. */
        const int held = blas_hold_single(1);
        cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        blas_release(held);
        return;
    }
    const int held = blas_hold_single(threads);
#pragma omp parallel num_threads(threads)
    {
        const int t = omp_get_thread_num(), team = omp_get_num_threads();
        /* Split n into `team` blocks of whole 16-column groups. */
        const int groups = (n + 15) / 16;
        const int g0 = (int)((long)groups * t / team), g1 = (int)((long)groups * (t + 1) / team);
        const int j0 = 16 * g0, j1 = 16 * g1 < n ? 16 * g1 : n;
        if (j1 > j0) {
            /* Column j of op(B) starts at b + j (B not transposed, k x n) or at row j of B
             * (transposed, stored n x k). */
            const float *bj = trans_b ? b + (size_t)j0 * ldb : b + j0;
            cblas_sgemm(CblasRowMajor, ta, tb, m, j1 - j0, k, alpha, a, lda, bj, ldb, beta,
                        c + j0, ldc);
        }
    }
    blas_release(held);
}
