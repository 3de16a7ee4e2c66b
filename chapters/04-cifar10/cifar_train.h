/* cifar_train.h - how the chapter trains its network: the recipe as data, its JSON, and one
 * call that builds, trains (through the shared loop, lab/train.h) and returns the model.
 *
 * Both `cifar-train` and the chapter's pipeline program (experiment.c) train through
 * cifar_train, so a model in the report is what the program would have made.
 *
 * The recipe follows the fast CIFAR-10 training line of work [Page 2018; Jordan 2024]:
 * SGD with Nesterov momentum 0.9, weight decay 5e-4 on weights (not on biases and batch-norm
 * parameters), a one-cycle learning rate (warm-up to the peak, then down to near zero) over
 * a fixed number of epochs, label smoothing 0.2, random crops (zero-filled shifts) and
 * horizontal flips. Inputs are pixels/255 (see cifar_model.h). */
#ifndef CH04_CIFAR_TRAIN_H
#define CH04_CIFAR_TRAIN_H

#include <stdint.h>

#include "base/nn_err.h"
#include "cifar_model.h"
#include "data/images.h"
#include "db/results.h"
#include "lab/config_json.h"
#include "lab/train.h"
#include "nn/model.h"

#define CHAPTER "04-cifar10"

typedef struct cifar_recipe {
    cifar_arch arch;
    int epochs, batch;
    float lr;              /* peak of the one-cycle schedule */
    float warmup;          /* fraction of the steps spent rising to the peak */
    float momentum;        /* Nesterov */
    float weight_decay;    /* weights only */
    float label_smoothing; /* in [0, 1) */
    int crop_pad;          /* random shift of up to crop_pad pixels, zero fill; 0: none */
    int flip;              /* random horizontal flips */
} cifar_recipe;

/* The chapter's default recipe (the final model's, full profile). */
cifar_recipe cifar_recipe_default(void);

/* Adds the recipe's keys to a run's configuration, including "input": "pixels/255", which
 * tells any program that loads the saved model how to feed it. */
void cifar_recipe_json(const cifar_recipe *r, nn_json *j);

/* Adds "layers": [{"name", "out" (c x h x w), "params", "macs"}, ...] for every layer of m,
 * plus "parameters" and "macs" totals: the per-layer table of the report comes from here. */
void cifar_layers_json(const nn_model *m, nn_json *j);

/* What to watch during training: a set evaluated after every epoch (its rows are split
 * 'test' in the epochs table, as lab/train.h logs them), or none. */
typedef struct cifar_train_opts {
    const char *label;      /* progress label */
    const nn_images *watch; /* may be NULL */
    int log_confusion;      /* confusion matrix of `watch` at the end */
} cifar_train_opts;

/* Builds the recipe's network with weights drawn from `seed`, trains it on `train` and logs
 * the epochs and the shared loop's metrics into run. On success *out is the trained model
 * (the caller frees it) and *res the loop's summary. */
int cifar_train(nn_results *db, int64_t run, const cifar_recipe *r, const nn_images *train,
                uint64_t seed, const cifar_train_opts *opts, nn_model **out, nn_train_result *res,
                nn_err *err);

#endif
