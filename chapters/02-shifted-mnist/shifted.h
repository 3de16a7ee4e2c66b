/* shifted.h - what the files of the shifted-MNIST chapter share: the model specifications
 * (which training-time change and which input stage each model has), the chapter's state
 * (the five test sets, t1's permutation, the recentring target), and the input pipeline
 * (augment, stage, place into the model's input; evaluate a model on a set).
 *
 * The files depend one way: experiment.c (training, main) and evaluate.c (--evaluate) use
 * variants.h and this file; inputs.c implements this file. */
#ifndef CH02_SHIFTED_H
#define CH02_SHIFTED_H

#include <stddef.h>
#include <stdint.h>

#include "data/images.h"
#include "data/mnist_variants.h"
#include "db/results.h"
#include "lab/cli.h"
#include "lab/experiment.h"
#include "lab/train.h"
#include "nn/model.h"

#define CHAPTER "02-shifted-mnist"
#define SIDE 28
#define PIXELS (SIDE * SIDE)
#define CLASSES 10
#define MAX_SHIFT 4
#define PATH_CAP 4096

/* How training images are changed, freshly for every image in every epoch. */
typedef enum augmentation {
    AUG_NONE,
    AUG_T1,      /* the fixed permutation of t1 */
    AUG_T2,      /* a fresh random permutation */
    AUG_T3_HALF, /* inverted with probability 1/2 */
    AUG_T4,      /* a random translation */
    AUG_ALL,     /* a random variant (uniform over the five) */
} augmentation;

/* A parameter-free stage in front of the first layer, for training and testing alike. */
typedef enum input_stage {
    STAGE_NONE,
    STAGE_SORT,        /* intensities in decreasing order */
    STAGE_RECENTRE,    /* centre of mass moved to the training set's mean centre */
    STAGE_PER_VARIANT, /* t2: sort, t4: recentre, others: none (the all-variants model) */
    STAGE_INK,         /* one feature: the total ink (ink_feature) */
    STAGE_HISTOGRAM,   /* HISTOGRAM_BINS features: the grey-level histogram (histogram_features) */
} input_stage;

/* The network behind the input stage. */
typedef enum model_arch {
    ARCH_MLP8,  /* the chapter's 8-layer MLP */
    ARCH_CNN,   /* a narrow convolutional network (nn/convnet.h): CNN_SHAPE in inputs.c */
    ARCH_SMALL, /* a small MLP (SMALL_HIDDEN ReLU units, twice) for the feature controls */
} model_arch;

#define SMALL_HIDDEN 64
#define HISTOGRAM_BINS 256

typedef struct model_spec {
    const char *experiment;
    int target; /* the variant it is meant for; -1: all */
    augmentation aug;
    input_stage stage;
    int blocks; /* 1, or VARIANT_COUNT: one input block (first-layer block) per variant */
    model_arch arch;
} model_spec;

/* The chapter's models, in the order they are trained and reported: the clean model first,
 * then the fixes that retrain, the model for all variants last. */
extern const model_spec MODEL_SPECS[];
extern const int MODEL_SPEC_COUNT;
/* The spec of an experiment name, or NULL. */
const model_spec *model_spec_named(const char *experiment);

/* What the input pipeline and the experiments share. */
typedef struct chapter {
    const struct profile_config *cfg; /* experiment.c's profile (NULL when only evaluating) */
    const nn_cli *cli;
    nn_results *db;
    nn_images train;
    nn_images test[VARIANT_COUNT]; /* clean, t1, t2, t3, t4 */
    int perm[PIXELS];              /* t1's permutation */
    int perm_recovered[PIXELS];    /* t1's permutation as recovered from the test files */
    int *t4_shifts;                /* (dy, dx) of each t4 test image */
    double centre_y, centre_x;     /* recentring target: mean centre of mass of training */
} chapter;

/* Scratch for preparing inputs: allocated once per model, so training allocates nothing. */
typedef struct scratch {
    uint8_t a[PIXELS], b[PIXELS];
    int perm[PIXELS];
    float *x;   /* batch x input size */
    uint8_t *y; /* batch */
    int *order; /* training order */
} scratch;

/* Floats per sample of spec's model. */
int input_size(const model_spec *spec);

/* The feature controls' inputs: what is left of an image whose pixels were scrambled. Both
 * are invariant under any permutation of the pixels, so t1, t2 and clean images give the
 * same features. ink_feature: x[0] = the sum of the intensities in [0, 1], divided by 100
 * (MNIST's digits hold about 100 pixels' worth of ink, so x[0] is near 1).
 * histogram_features: x[v] = log(1 + number of pixels of grey level v) / log(1 + PIXELS)
 * for v = 0 .. 255, in [0, 1] (the log keeps the few bright pixels visible next to the
 * hundreds of background ones). */
void ink_feature(const uint8_t *img, float *x);
void histogram_features(const uint8_t *img, float *x);

/* Allocates s for batches of `batch` samples of spec's model and an order over n training
 * images; scratch_free releases it (also after a failed scratch_init). */
int scratch_init(scratch *s, const model_spec *spec, int batch, int n, nn_err *err);
void scratch_free(scratch *s);

/* The model's input stage on an image of the given variant, then the image as floats in
 * [0, 1] into x: the whole input for a one-block model, else the block of its variant with
 * zeros in the others. tmp is scratch (PIXELS bytes, not overlapping src). */
void stage_and_place(const chapter *ch, const model_spec *spec, const uint8_t *src, int variant,
                     uint8_t *tmp, float *x);

/* Accuracy and loss of m on a set whose images are of `variant`, through spec's input stage
 * (a model with one block per variant reads them through the block of `variant`), in
 * batches of the model's max batch. If predicted is not NULL, predicted[i] = the class
 * given to image i. */
int evaluate_set(const chapter *ch, nn_model *m, const model_spec *spec, const nn_images *set,
                 int variant, scratch *s, nn_eval *out, uint8_t *predicted, nn_err *err);

/* "mlp-8", "convnet" or "mlp-small", and the network's layers as a JSON object, for a run's
 * configuration. */
const char *arch_name(model_arch arch);
void arch_json(model_arch arch, char *buf, size_t cap);

/* Builds spec's network for batches of up to `batch`, initialised from init_rng. */
nn_model *build_model(const model_spec *spec, int batch, nn_rng *init_rng, nn_err *err);

/* The training images of one model, as the shared training loop takes them: the training
 * set in a fresh order every epoch (s->order, shuffled in place epoch after epoch, from
 * *order), each image changed as spec trains (fresh draws from *aug per image and epoch) and
 * put through its input stage, in batches of `batch`. The struct must outlive training. */
typedef struct shifted_source {
    const chapter *ch;
    const model_spec *spec;
    scratch *s;
    nn_rng *order, *aug;
    int batch, first;
} shifted_source;

nn_batch_source shifted_batches(shifted_source *src);

#endif
