/* parallel.c - the counted hold on OpenBLAS's process-wide thread count (see parallel.h). */
#include "base/parallel.h"

#include <omp.h>
#include <pthread.h>

/* One lock for the count and the saved value. A pthread mutex rather than an OpenMP lock:
 * holds also come from threads that OpenMP did not start. */
static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
static int holds;       /* holds taken and not yet released */
static int saved_count; /* OpenBLAS's thread count before the first of them */

int blas_hold_single(int team) {
    if (team <= 1 && !omp_in_parallel()) return 0;
    pthread_mutex_lock(&hold_lock);
    if (holds++ == 0) {
        saved_count = openblas_get_num_threads();
        if (saved_count > 1) openblas_set_num_threads(1);
    }
    pthread_mutex_unlock(&hold_lock);
    return 1;
}

void blas_release(int held) {
    if (!held) return;
    pthread_mutex_lock(&hold_lock);
    if (--holds == 0 && saved_count > 1) openblas_set_num_threads(saved_count);
    pthread_mutex_unlock(&hold_lock);
}
