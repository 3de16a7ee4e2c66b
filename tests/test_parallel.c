/* test_parallel.c - OpenBLAS's thread count is one setting for the whole process; the
 * kernels hold it at one thread while their own threads call BLAS (base/parallel.h). These
 * tests check that holds from several threads, from inside OpenMP regions and nested
 * inside each other give it back only when the last hold is released, whatever the order,
 * and that the convolution (which holds it too) leaves it as it found it. */
#include <cblas.h>
#include <criterion/criterion.h>
#include <omp.h>
#include <pthread.h>
#include <stdlib.h>

#include "base/parallel.h"
#include "nn/layers.h"

/* OpenBLAS set to two threads for the test (skipped on a build that cannot). */
static void two_blas_threads(void) {
    openblas_set_num_threads(2);
    if (openblas_get_num_threads() != 2) cr_skip_test("this OpenBLAS cannot use 2 threads");
}

Test(blas_hold, a_team_holds_one_thread_and_gives_the_count_back) {
    two_blas_threads();
    int held = blas_hold_single(2);
    cr_assert_eq(openblas_get_num_threads(), 1, "held for a team of two");
    blas_release(held);
    cr_assert_eq(openblas_get_num_threads(), 2, "given back");
    held = blas_hold_single(1);
    cr_assert_eq(openblas_get_num_threads(), 2, "one thread outside any region: BLAS may thread");
    blas_release(held);
    cr_assert_eq(openblas_get_num_threads(), 2);
}

/* Two OpenMP threads each hold; thread 0 releases first. Thread 1 is still calling BLAS
 * from inside the region, so OpenBLAS must stay at one thread until it releases too. */
Test(blas_hold, two_threads_of_a_region_release_in_either_order) {
    two_blas_threads();
    int seen_after_first_release = -1, team = 0;
#pragma omp parallel num_threads(2)
    {
#pragma omp single
        team = omp_get_num_threads();
        int held = blas_hold_single(1); /* inside a region: always held */
#pragma omp barrier
        if (omp_get_thread_num() == 0) blas_release(held);
#pragma omp barrier
        if (omp_get_thread_num() == 1) {
            seen_after_first_release = openblas_get_num_threads();
            blas_release(held);
        }
    }
    if (team != 2) cr_skip_test("OpenMP gave a team of %d", team);
    cr_assert_eq(seen_after_first_release, 1, "still held while the other thread works");
    cr_assert_eq(openblas_get_num_threads(), 2, "given back after the last release");
}

/* A chapter holds around its own region (one model per thread), and the kernels inside
 * hold and release again: the inner releases must not give the threads back early. */
Test(blas_hold, holds_nest) {
    two_blas_threads();
    int outer = blas_hold_single(2);
    int wrong = 0;
#pragma omp parallel num_threads(2) reduction(+ : wrong)
    {
        for (int k = 0; k < 100; k++) {
            int inner = blas_hold_single(2);
            blas_release(inner);
            wrong += openblas_get_num_threads() != 1;
        }
    }
    cr_assert_eq(wrong, 0, "inner releases kept the outer hold");
    cr_assert_eq(openblas_get_num_threads(), 1);
    blas_release(outer);
    cr_assert_eq(openblas_get_num_threads(), 2);
}

/* The same with two plain threads (not OpenMP), e.g. two programs' worth of work in one
 * process: the first to release must not give the threads back under the second. */
typedef struct pair {
    pthread_barrier_t meet;
    int seen[2];
} pair;

static pair shared_pair;

static void *hold_and_release(void *arg) {
    int me = (int)(long)arg;
    int held = blas_hold_single(2);
    pthread_barrier_wait(&shared_pair.meet);
    if (me == 0) blas_release(held);
    pthread_barrier_wait(&shared_pair.meet);
    shared_pair.seen[me] = openblas_get_num_threads();
    pthread_barrier_wait(&shared_pair.meet);
    if (me == 1) blas_release(held);
    return NULL;
}

Test(blas_hold, two_plain_threads) {
    two_blas_threads();
    pthread_barrier_init(&shared_pair.meet, NULL, 2);
    pthread_t t[2];
    for (long k = 0; k < 2; k++) pthread_create(&t[k], NULL, hold_and_release, (void *)k);
    for (int k = 0; k < 2; k++) pthread_join(t[k], NULL);
    pthread_barrier_destroy(&shared_pair.meet);
    cr_assert_eq(shared_pair.seen[1], 1, "thread 1 still holds after thread 0 released");
    cr_assert_eq(openblas_get_num_threads(), 2);
}

/* The convolution called from every thread of a region (as when a chapter trains one model
 * per thread) computes what it computes alone, and leaves OpenBLAS as it found it. */
Test(blas_hold, convolution_inside_a_region_is_correct_and_gives_the_count_back) {
    two_blas_threads();
    conv2d_geom g = conv2d_make_geom(3, 12, 12, 8, 3, 1, 1);
    const int n = 4;
    const size_t in = (size_t)3 * 12 * 12, out = (size_t)8 * g.oh * g.ow;
    float *x = malloc(sizeof(float) * n * in), *w = malloc(sizeof(float) * 8 * 27);
    float b[8], *alone = malloc(sizeof(float) * n * out), *mine[2];
    float *scratch[3];
    size_t scratch_len = conv2d_scratch_floats(&g, 2);
    for (size_t i = 0; i < n * in; i++) x[i] = (float)((i * 37) % 101) / 101.0f - 0.5f;
    for (int i = 0; i < 8 * 27; i++) w[i] = (float)((i * 13) % 17) / 17.0f - 0.5f;
    for (int i = 0; i < 8; i++) b[i] = 0.1f * i;
    for (int k = 0; k < 3; k++) scratch[k] = malloc(sizeof(float) * scratch_len);
    for (int k = 0; k < 2; k++) mine[k] = malloc(sizeof(float) * n * out);
    conv2d_forward(alone, x, w, b, n, &g, scratch[2], 2);
#pragma omp parallel num_threads(2)
    {
        int t = omp_get_thread_num();
        conv2d_forward(mine[t], x, w, b, n, &g, scratch[t], 2);
    }
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < n * out; i++)
            cr_assert_eq(mine[k][i], alone[i], "thread %d, output %zu", k, i);
    cr_assert_eq(openblas_get_num_threads(), 2);
    for (int k = 0; k < 3; k++) free(scratch[k]);
    for (int k = 0; k < 2; k++) free(mine[k]);
    free(x);
    free(w);
    free(alone);
}
