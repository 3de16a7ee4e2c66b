/* train.h - the one training loop: epochs of mini-batches with a progress bar, evaluation
 * after every epoch, and the run's rows in the results database.
 *
 * Every chapter trains its classifiers through train_classifier; a chapter says what is
 * different about its experiment (the model, the data source, the schedule, extra rows to
 * log after an epoch), not how to train:
 *
 *     nn_image_source src = {.batches = &train_b, .order = &order_rng, .augment = &aug_rng,
 *                            .crop_pad = 4, .flip = 1};
 *     nn_train_config tc = train_defaults();
 *     tc.label = "resnet seed 1";
 *     tc.epochs = 30;
 *     tc.schedule = (nn_schedule){NN_SCHEDULE_COSINE, .lr = 0.1f, .final_lr = 0.0f};
 *     tc.test = &test_batches;
 *     nn_train_result r;
 *     if (train_classifier(db, run, m, opt, train_source_images(&src), &tc, &r, &err)) ...
 *
 * What it logs into run `run` (chapter code adds its own rows around it):
 *   - epochs: per epoch a 'train' row (mean loss and accuracy over the epoch's batches, the
 *     learning rate of its last step, the epoch's training seconds) and, with a test set, a
 *     'test' row; with cfg.window > 0 also a 'train_window' row every `window` steps.
 *   - grad_stats: with a probe batch, the statistics of one forward/backward pass on it
 *     (nothing changes the parameters) before training (epoch 0) and after every epoch,
 *     through cfg.log_grads (default: experiment_log_grad_stats).
 *   - metrics at the end: test_accuracy and test_loss (with a test set), train_loss,
 *     train_accuracy (last epoch), train_seconds, epoch_seconds, parameters,
 *     nonfinite_batches, clipped_steps (only with cfg.clip_norm); and the test confusion
 *     matrix with cfg.log_confusion.
 * Each epoch's rows are written in one short transaction after the epoch, so the database's
 * write lock is never held while training (other programs write to the same file).
 *
 * Loss: softmax cross-entropy over cfg.classes logits, with optional label smoothing.
 * Batches whose loss is not finite are counted (nonfinite_batches) and still stepped, as
 * any framework would: a diverging run shows as such in the database instead of stopping.
 *
 * Nothing is allocated per step; the loop holds no state between calls, and the same
 * inputs (model, optimiser state, generators) give the same rows bit for bit. */
#ifndef NN_TRAIN_H
#define NN_TRAIN_H

#include <stdint.h>

#include "base/nn_err.h"
#include "base/rng.h"
#include "data/batches.h"
#include "db/results.h"
#include "lab/experiment.h"
#include "nn/model.h"
#include "nn/optim.h"
#include "nn/schedule.h"

/* Where training batches come from. next() hands out the epoch's batches one by one
 * (*x: n samples of the model's input size, *y: their labels; both stay valid until the next
 * call) and returns n, 0 at the end of the epoch, or -1 with err set. begin_epoch (may be
 * NULL) is called before each epoch, e.g. to shuffle. */
typedef struct nn_batch_source {
    void *ctx;
    long samples_per_epoch; /* rows handed out per epoch, for the progress bar */
    /* Optimiser steps per epoch, for the schedule's length; 0: samples_per_epoch in batches
     * of the model's max batch (a source whose batches are smaller must say). */
    long steps_per_epoch;
    void (*begin_epoch)(void *ctx, int epoch);
    int (*next)(void *ctx, const float **x, const uint8_t **y, nn_err *err);
} nn_batch_source;

/* The usual source: an image set's mini-batches, reshuffled from *order every epoch, and
 * optionally augmented in place (random crop with zero padding crop_pad, random horizontal
 * flip) with draws from *augment (which may be NULL when neither is on). */
typedef struct nn_image_source {
    nn_batches *batches;
    nn_rng *order;
    nn_rng *augment;
    int crop_pad;
    int flip;
} nn_image_source;

nn_batch_source train_source_images(nn_image_source *s);

typedef struct nn_train_config {
    const char *label; /* progress label, e.g. "mlp seed 3" */
    int epochs;        /* >= 1 */
    int classes;       /* logits per sample */
    nn_schedule schedule;
    float label_smoothing; /* in [0, 1): 0 is plain cross-entropy */
    /* > 0: before each optimiser step, a gradient whose L2 norm (over all parameters) is
     * above clip_norm is scaled down to that norm (Pascanu et al. 2013); 0: never. */
    float clip_norm;
    int window;            /* log a 'train_window' row every `window` steps; 0: none */
    nn_batches *test;      /* evaluated after every epoch and at the end; NULL: none */
    int log_confusion;     /* log the final test confusion matrix (needs test) */
    /* A fixed probe batch for gradient statistics; probe_n = 0: none. */
    const float *probe_x;
    const uint8_t *probe_y;
    int probe_n;
    /* Hooks, all optional, all given hook_ctx. measure_epoch runs after an epoch's training
     * and test evaluation, before its rows are written and outside any transaction: slow
     * measurements (an attack on the test set) go there, so the database is not locked
     * while they run. after_epoch runs inside the epoch's transaction, after the standard
     * rows: log rows of other test sets (or what measure_epoch measured) there. log_grads
     * replaces experiment_log_grad_stats for the probe's statistics. after_step runs after
     * every optimiser step (e.g. a chapter's own window statistics). */
    void *hook_ctx;
    int (*measure_epoch)(void *ctx, nn_model *m, int epoch, nn_err *err);
    int (*after_epoch)(void *ctx, nn_model *m, int epoch, long step, float lr, nn_err *err);
    int (*log_grads)(void *ctx, nn_results *db, int64_t run, const nn_model *m, int epoch,
                     long step, nn_err *err);
    int (*after_step)(void *ctx, nn_model *m, long step, float loss, nn_err *err);
} nn_train_config;

/* epochs 1, 10 classes, constant learning rate 0.01, no smoothing, no window, no test set. */
nn_train_config train_defaults(void);

typedef struct nn_train_result {
    double train_seconds;                /* training steps only, not evaluation */
    double train_loss, train_accuracy;   /* of the last epoch */
    long steps;                          /* optimiser steps taken */
    long nonfinite_batches;              /* batches whose loss was NaN or infinite */
    long clipped_steps;                  /* steps whose gradient clip_norm scaled down */
    nn_eval test;                        /* final evaluation (zero without a test set) */
} nn_train_result;

/* Trains m with opt on src for cfg->epochs epochs, logging into run (see the top comment).
 * out may be NULL. Returns 0, or -1 with err set (a bad configuration, a batch the model
 * rejects, a database error); on error the open transaction, if any, is rolled back. */
int train_classifier(nn_results *db, int64_t run, nn_model *m, nn_optim *opt,
                     nn_batch_source src, const nn_train_config *cfg, nn_train_result *out,
                     nn_err *err);

#endif
