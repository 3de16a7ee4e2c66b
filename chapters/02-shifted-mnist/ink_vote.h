/* ink_vote.h - what the total ink alone tells, estimated without a network.
 *
 * The ink-only control is a small network on one number; whether it gets all that number
 * tells depends on its training. This is the reference that needs none: the training images
 * are cut into `bins` groups of (nearly) equal size by their total ink, each group votes for
 * its most frequent label, and a test image gets the vote of the group its ink falls in. */
#ifndef CH02_INK_VOTE_H
#define CH02_INK_VOTE_H

#include "base/nn_err.h"
#include "data/images.h"

/* The vote's accuracy on test (its ink computed from its pixels, so a pixel permutation of
 * the test images changes nothing); -1 with err set for bins < 1, an empty training set, or
 * out of memory. Ties between labels go to the smaller label. */
double ink_vote_accuracy(const nn_images *train, const nn_images *test, int bins, nn_err *err);

#endif
