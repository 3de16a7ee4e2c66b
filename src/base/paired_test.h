/* paired_test.h - McNemar's exact test: do two classifiers differ on the same test images?
 *
 * Two models are scored on the same n images. Only the images on which they disagree tell
 * them apart: b = images the first gets right and the second wrong, c = the reverse. If the
 * two are equally accurate, each disagreement falls either way with probability 1/2, so
 * under that hypothesis b ~ Binomial(b + c, 1/2). The exact two-sided p-value is
 *     p = min(1, 2 P(X <= min(b, c))),   X ~ Binomial(b + c, 1/2)
 * (McNemar 1947; the exact binomial form avoids the chi-square approximation, which is poor
 * for few disagreements). Comparing two accuracies as if they came from independent samples
 * would ignore that both were measured on the same images and overstate the noise.
 *
 *     long b, c;
 *     paired_discordant(standard_correct, robust_correct, 10000, &b, &c);
 *     double p = mcnemar_exact_p(b, c);
 *
 * Computed in log space (lgamma), so n may be in the millions without underflow; the
 * relative error of p is that of a few lgamma calls (about 1e-12 for n up to 1e6). */
#ifndef NN_PAIRED_TEST_H
#define NN_PAIRED_TEST_H

/* P(X <= k) for X ~ Binomial(n, 1/2); 0 for k < 0, 1 for k >= n. n >= 0. */
double binomial_half_cdf(long k, long n);

/* Exact two-sided McNemar p-value from the two discordant counts (1 when b + c = 0). */
double mcnemar_exact_p(long b, long c);

/* Counts the discordant pairs of two per-image correctness vectors (nonzero = correct):
 * *b = first right, second wrong; *c = first wrong, second right. */
void paired_discordant(const unsigned char *first, const unsigned char *second, long n, long *b,
                       long *c);

#endif
