/* live_stats.c - latency series and their quantiles (see live_stats.h). */
#include "live_stats.h"

#include <math.h>
#include <stdlib.h>

int ch06_series_add(ch06_series *s, double ms) {
    if (s->n == s->cap) {
        long cap = s->cap ? 2 * s->cap : 1024;
        float *grown = realloc(s->ms, sizeof(float) * (size_t)cap);
        if (!grown) return -1;
        s->ms = grown;
        s->cap = cap;
    }
    s->ms[s->n++] = (float)ms;
    return 0;
}

static int by_value(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

double ch06_series_quantile(ch06_series *s, double q) {
    if (s->n == 0) return NAN;
    qsort(s->ms, (size_t)s->n, sizeof(float), by_value);
    long rank = (long)ceil(q * (double)s->n); /* 1-based */
    if (rank < 1) rank = 1;
    if (rank > s->n) rank = s->n;
    return s->ms[rank - 1];
}

void ch06_series_free(ch06_series *s) {
    free(s->ms);
    *s = (ch06_series){0};
}
