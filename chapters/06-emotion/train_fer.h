/* train_fer.h - one training run of chapter 06: a VGG-style network on FER2013's Training
 * split through the shared loop (lab/train.h), the epoch chosen on PublicTest, the final
 * numbers on PrivateTest.
 *
 * What a run logs (chapter 06-emotion, experiment = the run's name):
 *   epochs: the loop's 'train' rows and, after every epoch, a 'public' row (PublicTest loss
 *     and accuracy of the network at that point);
 *   metrics: best_epoch (highest PublicTest accuracy; its weights are the run's result),
 *     public_accuracy and public_accuracy_flip (that epoch, without / with flip averaging),
 *     flip (1 when flip averaging scored higher on PublicTest, and is then used for the
 *     PrivateTest numbers), private_accuracy, private_macro_f1, recall_C, precision_C, f1_C
 *     (C = 0..6) on PrivateTest, private_accuracy_plain, private_accuracy_flip, mflops (forward
 *     multiply-adds x 2 per face), train_images (faces per epoch after oversampling),
 *     images_per_second (training), and the loop's own (train_seconds, parameters, ...);
 *   confusion: the PrivateTest confusion matrix. */
#ifndef CH06_TRAIN_FER_H
#define CH06_TRAIN_FER_H

#include <stdint.h>

#include "base/nn_err.h"
#include "classify.h"
#include "data/images.h"
#include "db/results.h"
#include "nn/model.h"
#include "nn/schedule.h"

/* Blocks of 3x3 convolutions (each with batch norm and ReLU) followed by a 2x2 max pool,
 * then flatten, a hidden dense layer (batch norm, ReLU, dropout) and 7 outputs. */
typedef struct ch06_arch {
    const char *name;
    int blocks;
    int width[4]; /* channels of each block */
    int convs[4]; /* convolutions in each block */
    int dense;
    float dropout;
} ch06_arch;

/* Square-root oversampling: class c is repeated floor(sqrt(n_max / n_c)) times per epoch
 * (at least once), so the rarest classes gain most without copying any class up to the
 * size of the largest. */
typedef enum ch06_balance { CH06_BALANCE_NONE, CH06_BALANCE_SQRT } ch06_balance;

typedef struct ch06_run {
    const char *experiment;
    const ch06_arch *arch;
    int epochs, batch;
    nn_schedule schedule;
    float momentum, weight_decay, label_smoothing;
    int crop_pad, flip; /* augmentation: random shift with zero fill, horizontal flip */
    ch06_balance balance;
} ch06_run;

typedef struct ch06_data {
    const nn_images *train, *public_test, *private_test;
} ch06_data;

typedef struct ch06_outcome {
    int64_t run;
    nn_model *model;       /* the best-by-PublicTest network (max batch = the run's batch) */
    int flip;              /* flip averaging chosen on PublicTest */
    uint8_t *private_pred; /* PrivateTest predictions of the reported variant */
    ch06_scores private_scores;
    double public_accuracy;
    int best_epoch;
} ch06_outcome;

/* The network of an architecture, built for batches of max_batch and initialised (He). */
nn_model *ch06_build(const ch06_arch *a, int max_batch, nn_rng *rng, nn_err *err);
/* Forward floating-point operations per face, in millions (2 per multiply-add of the
 * convolutions and dense layers; the elementwise layers are not counted). */
double ch06_mflops(const nn_model *m);
/* The oversampled training set and each class's repeat count (factor[7]). */
int ch06_oversample(const nn_images *train, ch06_balance b, nn_images *out, int factor[7],
                    nn_err *err);

/* What a caller adds to a run before it is closed (rows of its own, files); a failure marks
 * the run failed. May be NULL. */
typedef int (*ch06_extra)(void *ctx, nn_results *db, const ch06_outcome *o, nn_err *err);

/* Trains run r with seed; fills *out (free with ch06_outcome_free). */
int ch06_train_run(nn_results *db, const char *profile, const ch06_run *r, const ch06_data *d,
                   int64_t seed, ch06_extra extra, void *extra_ctx, ch06_outcome *out, nn_err *err);
void ch06_outcome_free(ch06_outcome *o);

#endif
