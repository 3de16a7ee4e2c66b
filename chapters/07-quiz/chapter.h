/* chapter.h - what the files of the quiz chapter share: the profile and its three
 * experiments (question 1 in q1_gradient.c, question 2 in q2_counting.c, question 3 in
 * q3_losses.c; experiment.c trains the MNIST classifier the first and third share). */
#ifndef CH07_CHAPTER_H
#define CH07_CHAPTER_H

#include <stdint.h>

#include "base/nn_err.h"
#include "data/images.h"
#include "db/results.h"
#include "lab/cli.h"
#include "nn/model.h"

#define CHAPTER "07-quiz"
/* Question 3's "cat" and "iguana": two MNIST digits. */
#define CAT_CLASS 3
#define IGUANA_CLASS 8
/* Question 1's steps along -dL/dx, by their L2 length (t = length / ||dL/dx||). */
#define Q1_STEPS 9
extern const double Q1_STEP_LENGTHS[Q1_STEPS];
/* Question 2's training-set sizes. */
#define Q2_SIZES 4

typedef struct profile_config {
    /* The MNIST classifier of questions 1 and 3: 784 -> hidden ReLU -> 10. */
    int train_n, test_n, epochs, hidden, batch, seeds;
    float lr; /* SGD with momentum 0.9, cosine-annealed to 0 */
    /* Question 1: the first test image of each of the first q1_images classes. */
    int q1_images;
    float q1_h; /* finite-difference step, in pixel units (images in [0, 1]) */
    /* Question 3: pairs (k-th test 3, k-th test 8), Adam steps, rate, logging interval. */
    int q3_pairs, q3_steps, q3_log_every;
    float q3_lr;
    /* Question 2: training sets (the first n of q2_sizes[-1] images drawn per seed), the
     * fixed test set, seeds, and the training budget in images (A) and patches (B) seen. */
    int q2_sizes[Q2_SIZES], q2_test_n, q2_seeds;
    long q2_budget_a, q2_budget_b;
    float q2_lr; /* Adam, cosine-annealed to 0 */
} profile_config;

/* Question 1: saliency maps of the classifier, the finite-difference check and the steps
 * along -dL/dx; run 'saliency' with the classifier's seed. */
int q1_gradient(nn_results *db, const nn_cli *cli, const profile_config *cfg, nn_model *m,
                const nn_images *test, int64_t seed, nn_err *err);

/* Question 3: the four losses (and C, D with logits) minimised over the image from each
 * pair's cat; run 'losses' with the classifier's seed. */
int q3_losses(nn_results *db, const nn_cli *cli, const profile_config *cfg, nn_model *m,
              const nn_images *test, int64_t seed, nn_err *err);

/* Question 2: the synthetic aquarium, approaches A (image -> count) and B (detect, then
 * count) for every training-set size and seed; runs 'count-A-nN' and 'count-B-nN'. */
int q2_counting(nn_results *db, const nn_cli *cli, const profile_config *cfg, nn_err *err);

/* Copies test image `index` as floats in [0, 1]. */
void ch_image(const nn_images *set, int index, float *x);
/* Index of the k-th (0-based) image of class c in set, or -1. */
int ch_find_class(const nn_images *set, int c, int k);

#endif
