/* variants.h - the shifted-MNIST chapter's test sets: t1 (one fixed pixel permutation), t2 (a
 * permutation per image), t3 (inverted intensities) and t4 (a random translation of up to
 * MAX_SHIFT pixels), built from the clean test set with one seed. */
#ifndef CH02_VARIANTS_H
#define CH02_VARIANTS_H

#include "shifted.h"

/* Builds t1..t4 from ch->test[VARIANT_CLEAN] into ch->test (and t1's permutation, t4's
 * shifts and the recentring target into ch), writes all five sets as .npy files into
 * experiment_files_dir, records each with its SHA-256 in `artifacts` and a few sample digits in
 * `samples`, recovers t1's permutation from the test pairs (recover.h; the one from the
 * first recovery_n pairs into ch->perm_recovered), measures what the total ink alone tells
 * (ink_vote.h), and logs facts about the sets, all under run 'variants'. */
int make_variants(chapter *ch, nn_err *err);

/* How many of the first (clean, t1) test pairs the recovered permutation of the no-training
 * fix comes from: a tenth of the set (at least one), so that the rest can test it. */
static inline int recovery_n(int test_n) {
    return test_n / 10 > 0 ? test_n / 10 : 1;
}

#endif
