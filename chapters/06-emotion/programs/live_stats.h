/* live_stats.h - the live program's latencies: every measurement kept (a float of
 * milliseconds each; an hour at 30 frames per second is under half a megabyte), summarised as
 * the median and the 90th percentile when the program ends. */
#ifndef CH06_LIVE_STATS_H
#define CH06_LIVE_STATS_H

typedef struct ch06_series {
    float *ms;
    long n, cap;
} ch06_series;

/* Appends one measurement; 0, or -1 when out of memory. */
int ch06_series_add(ch06_series *s, double ms);
/* The nearest-rank quantile q in [0, 1] (0.5: median, 0.9: 90th percentile): the smallest
 * value with at least q of the values at or below it. Sorts s->ms. NaN when s is empty. */
double ch06_series_quantile(ch06_series *s, double q);
void ch06_series_free(ch06_series *s);

#endif
