/* test_paired_test.c - McNemar's exact test against values computed by hand from binomial
 * coefficients, its symmetry and edge cases, and the discordant-pair count. */
#include <criterion/criterion.h>
#include <math.h>

#include "base/paired_test.h"

static void assert_rel(double got, double want, const char *what) {
    cr_assert(fabs(got - want) <= 1e-12 * fabs(want), "%s: %.17g, want %.17g", what, got, want);
}

Test(paired_test, binomial_cdf_matches_sums_of_binomial_coefficients) {
    /* n = 10: C(10, i) = 1, 10, 45, 120, 210, 252, ... over 1024. */
    assert_rel(binomial_half_cdf(0, 10), 1.0 / 1024, "P(X <= 0 | 10)");
    assert_rel(binomial_half_cdf(2, 10), 56.0 / 1024, "P(X <= 2 | 10)");
    assert_rel(binomial_half_cdf(5, 10), 638.0 / 1024, "P(X <= 5 | 10)");
    assert_rel(binomial_half_cdf(7, 10), 968.0 / 1024, "P(X <= 7 | 10)");
    /* n = 20, k = 5: 1 + 20 + 190 + 1140 + 4845 + 15504 = 21700 over 2^20. */
    assert_rel(binomial_half_cdf(5, 20), 21700.0 / 1048576, "P(X <= 5 | 20)");
    cr_assert_eq(binomial_half_cdf(-1, 10), 0);
    cr_assert_eq(binomial_half_cdf(10, 10), 1);
    cr_assert_eq(binomial_half_cdf(0, 0), 1);
}

Test(paired_test, mcnemar_exact_p_values_by_hand) {
    assert_rel(mcnemar_exact_p(0, 5), 2.0 / 32, "b 0, c 5");
    assert_rel(mcnemar_exact_p(1, 9), 22.0 / 1024, "b 1, c 9");
    assert_rel(mcnemar_exact_p(2, 8), 112.0 / 1024, "b 2, c 8");
    assert_rel(mcnemar_exact_p(5, 15), 43400.0 / 1048576, "b 5, c 15");
    cr_assert_eq(mcnemar_exact_p(3, 3), 1, "equal counts: no evidence, p capped at 1");
    cr_assert_eq(mcnemar_exact_p(4, 5), 1, "2 P(X <= 4 | 9) = 1 exactly");
    cr_assert_eq(mcnemar_exact_p(0, 0), 1, "no disagreement at all");
}

Test(paired_test, mcnemar_is_symmetric_and_shrinks_with_imbalance) {
    for (long b = 0; b < 30; b++)
        for (long c = 0; c < 30; c++)
            cr_assert_eq(mcnemar_exact_p(b, c), mcnemar_exact_p(c, b), "b %ld, c %ld", b, c);
    double last = 1;
    for (long b = 50; b >= 0; b -= 5) {
        double p = mcnemar_exact_p(b, 100 - b);
        cr_assert(p <= last, "p must not grow as the split gets more uneven (b %ld)", b);
        last = p;
    }
}

Test(paired_test, large_counts_do_not_underflow) {
    /* 5000 disagreements split 2400 / 2600: with the continuity correction the normal
     * approximation gives z = (200 - 1) / sqrt(5000) = 2.814 and a two-sided p of 0.00489;
     * the exact value is within 2% of it at this size. */
    double p = mcnemar_exact_p(2400, 2600);
    cr_assert(fabs(p - 0.00489) < 0.02 * 0.00489, "p %g", p);
    /* n = 1500 > 1074, so 2^-n alone underflows a double, yet p is an ordinary number:
     * 2 sum_{i <= 500} C(1500, i) / 2^1500 = 1.1133430401244e-38 (exact integer arithmetic,
     * Python's math.comb and fractions). */
    double tiny = mcnemar_exact_p(500, 1000);
    cr_assert(fabs(tiny - 1.1133430401244e-38) < 1e-9 * 1.1133430401244e-38, "p %g", tiny);
    cr_assert_eq(mcnemar_exact_p(3000, 3000), 1);
}

Test(paired_test, discordant_pairs_are_counted_each_way) {
    const unsigned char a[8] = {1, 1, 0, 0, 1, 0, 1, 1};
    const unsigned char b[8] = {1, 0, 1, 0, 0, 0, 1, 2}; /* any nonzero is "correct" */
    long only_a, only_b;
    paired_discordant(a, b, 8, &only_a, &only_b);
    cr_assert_eq(only_a, 2, "images 1 and 4");
    cr_assert_eq(only_b, 1, "image 2");
}
