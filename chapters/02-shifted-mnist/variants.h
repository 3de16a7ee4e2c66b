/* variants.h - the shifted-MNIST chapter's test sets: t1 (one fixed pixel permutation), t2 (a
 * permutation per image), t3 (inverted intensities) and t4 (a random translation of up to
 * MAX_SHIFT pixels), built from the clean test set with one seed. */
#ifndef CH02_VARIANTS_H
#define CH02_VARIANTS_H

#include "shifted.h"

/* Builds t1..t4 from ch->test[VARIANT_CLEAN] into ch->test (and t1's permutation, t4's
 * shifts and the recentring target into ch), writes all five sets as .npy files into
 * experiment_files_dir, records each with its SHA-256 in `artifacts` and a few sample digits in
 * `samples`, and logs facts about the sets, all under run 'variants'. */
int make_variants(chapter *ch, nn_err *err);

#endif
