/* parallel.h - how the kernels (and a program that runs its own team of model-trainers)
 * share the cores between OpenMP and OpenBLAS.
 *
 * Kernels that split a batch over OpenMP threads call sgemm from inside the parallel region.
 * The OpenBLAS here is the pthread build, which does not know about OpenMP: left alone, each
 * of our threads would start OpenBLAS's own threads and the cores would be oversubscribed
 * (several times slower, see ../shared/DESIGN.md). So while several of our threads call
 * BLAS at once, OpenBLAS is held to one thread.
 *
 * OpenBLAS's thread count is one setting for the whole process, so holding it is counted:
 * the first hold saves the count and sets 1, the last release puts the saved count back, all
 * under one lock. Holds may therefore come from several threads at once, from inside OpenMP
 * regions, and nested (a chapter that trains one model per thread holds around its region;
 * the kernels inside hold again), and be released in any order: OpenBLAS gets its threads
 * back only when nobody is calling it from a team any more. This is the one place where the
 * library touches a process-wide setting; nothing else may call openblas_set_num_threads
 * while a hold is out (cli_parse sets it once, before any work).
 *
 * Usage:
 *     int held = blas_hold_single(threads);
 *     #pragma omp parallel num_threads(threads) if (threads > 1) ...
 *     blas_release(held); */
#ifndef NN_PARALLEL_H
#define NN_PARALLEL_H

#include <cblas.h>

/* Holds OpenBLAS to one thread if `team` > 1 threads will call BLAS at once, or if the
 * caller is itself inside an OpenMP parallel region (its siblings may be calling BLAS too).
 * Returns what to pass to blas_release: 1 if a hold was taken, 0 if not. */
int blas_hold_single(int team);
void blas_release(int held);

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
