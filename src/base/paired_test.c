/* paired_test.c - McNemar's exact test (see the header). */
#include "base/paired_test.h"

#include <math.h>

/* log of C(n, i) 2^-n. */
static double log_term(long i, long n) {
    return lgamma((double)n + 1) - lgamma((double)i + 1) - lgamma((double)(n - i) + 1) -
           (double)n * log(2.0);
}

double binomial_half_cdf(long k, long n) {
    if (k < 0) return 0;
    if (k >= n) return 1;
    /* The terms grow with i up to n / 2, so the last one (i = k <= n / 2 when it matters)
     * is the largest of the sum when k < n / 2: factor it out and add the ratios, which
     * are all <= 1. For k >= n / 2 the complement is summed the same way. */
    if (k >= n - k) return 1 - binomial_half_cdf(n - k - 1, n);
    double top = log_term(k, n), sum = 0;
    for (long i = k; i >= 0; i--) {
        double r = exp(log_term(i, n) - top);
        sum += r;
        if (r < 1e-17 * sum) break; /* the remaining terms shrink faster than this */
    }
    return exp(top) * sum;
}

double mcnemar_exact_p(long b, long c) {
    long n = b + c, k = b < c ? b : c;
    if (n == 0) return 1;
    double p = 2 * binomial_half_cdf(k, n);
    return p < 1 ? p : 1;
}

void paired_discordant(const unsigned char *first, const unsigned char *second, long n, long *b,
                       long *c) {
    long only_first = 0, only_second = 0;
    for (long i = 0; i < n; i++) {
        only_first += first[i] && !second[i];
        only_second += !first[i] && second[i];
    }
    *b = only_first, *c = only_second;
}
