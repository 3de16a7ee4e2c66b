/* clock.h - wall-clock time for measuring durations (monotonic, in seconds). */
#ifndef NN_CLOCK_H
#define NN_CLOCK_H

#include <time.h>

static inline double nn_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#endif
