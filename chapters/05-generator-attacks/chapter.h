/* chapter.h - what the programs of the generator-attack chapter share.
 *
 * Three programs, run in this order by the Makefile (build.mk):
 *   mnist-classifiers   trains the MNIST classifiers (fully connected, convolutional, and the
 *                       convolutional one adversarially trained with PGD) and saves each as a
 *                       model file (model_io.h) recorded in `artifacts`;
 *   cifar-classifiers   takes the CIFAR-10 model of chapter 04 (or, where chapter 04 is not
 *                       part of the build, trains a small stand-in with --standin) and
 *                       fine-tunes a robust copy with fast adversarial training;
 *   05-generator-attacks  loads those files and attacks them with the simple generator.
 * Model files live in <directory of the database>/05-generator-attacks/. */
#ifndef CH05_CHAPTER_H
#define CH05_CHAPTER_H

#include <stddef.h>
#include <stdint.h>

#include "base/nn_err.h"
#include "base/rng.h"
#include "data/images.h"
#include "db/results.h"
#include "attack/generator.h"
#include "nn/model.h"

#define CHAPTER "05-generator-attacks"
#define CH_PATH_MAX 4096

/* Chapter 04's contract: its final CIFAR-10 model is an `artifacts` row of kind 'model' on
 * the newest done run of chapter '04-cifar10', experiment 'final'. */
#define CH04_CHAPTER "04-cifar10"
#define CH04_EXPERIMENT "final"

/* Sizes of every program's work for one profile. */
typedef struct ch_profile {
    /* mnist-classifiers */
    int mnist_train_n, mnist_test_n;
    int fc_epochs, conv_epochs, batch;
    float lr, lr_final;             /* Adam, cosine-annealed */
    int robust_epochs;              /* PGD adversarial training of the conv net */
    float robust_eps, robust_alpha; /* Madry et al.: L-inf ball, step */
    int robust_steps;               /* PGD steps per training batch */
    float robust_lr;
    float robust_ramp; /* share of the training over which eps grows from 0 */
    /* cifar-classifiers */
    int cifar_train_n, cifar_test_n;
    int standin_epochs;
    int cifar_ft_n;      /* training images of the robust fine-tuning */
    int cifar_ft_epochs; /* fast adversarial fine-tuning (Wong et al. 2020) */
    float cifar_eps, cifar_alpha, cifar_ft_lr;
    /* the experiment */
    int digits;                            /* MNIST images attacked towards every class */
    int max_rounds;                        /* the generator's round budget */
    int heldout_n;                         /* held-out test images per robustness comparison */
    int pgd_steps;                         /* steps of every PGD evaluation */
    float lr_image, lr_target;             /* the generator's Adam learning rates on MNIST */
    float cifar_lr_image, cifar_lr_target; /* ... and on CIFAR-10 */
    int image_steps, target_steps;         /* Adam steps of each kind per round */
    int robust_eval_n;                     /* MNIST test images for accuracy under PGD */
    int cifar_eval_n;                      /* CIFAR-10 test images for accuracy under PGD */
} ch_profile;

extern const ch_profile CH_FULL, CH_SMOKE;

/* ---- models ------------------------------------------------------------------------------- */

/* The MNIST classifiers, built for batches of max_batch, initialised from init_rng. */
nn_model *ch_build_mnist_fc(int max_batch, nn_rng *init_rng, nn_err *err);
nn_model *ch_build_mnist_conv(int max_batch, nn_rng *init_rng, nn_err *err);
/* The small CIFAR-10 network trained only where chapter 04's model is not available. */
nn_model *ch_build_cifar_standin(int max_batch, nn_rng *init_rng, nn_err *err);

/* ---- model files -------------------------------------------------------------------------- */

/* Saves m as <model dir>/NAME.nnm and records it (kind 'model', SHA-256) on run. */
int ch_save_model(nn_results *db, int64_t run, nn_model *m, const char *db_path, const char *name,
                  nn_err *err);

/* A model file as the database knows it. */
typedef struct ch_model_ref {
    int64_t run; /* the run that recorded it (0: a path given by hand) */
    char chapter[64], experiment[64];
    char path[CH_PATH_MAX];
    char sha256[65];   /* "" when unknown */
    char config[4096]; /* the run's config_json ("{}" when unknown) */
} ch_model_ref;

/* The model artifact of the newest done run of chapter/experiment: 0 found, 1 none (no done
 * run, or a done run without a 'model' artifact: *why says which), -1 error. */
int ch_find_model(nn_results *db, const char *chapter, const char *experiment, ch_model_ref *out,
                  const char **why, nn_err *err);
/* A path given by hand: looked up among the artifacts (for its run's configuration), else
 * taken as it is. */
int ch_ref_from_path(nn_results *db, const char *path, ch_model_ref *out, nn_err *err);
/* Reads the model file (its SHA-256 checked against the recorded one when there is one). */
nn_model *ch_load_model(const ch_model_ref *ref, int max_batch, nn_err *err);

/* ---- a CIFAR model's input convention ----------------------------------------------------- */

/* How a model wants its pixels: p/255 (normalized = 0) or (p/255 - mean[c]) / std[c]. Read
 * from the run's config_json keys "input" ("pixels/255" or "normalized"), "mean", "std"
 * (three numbers each); absent keys mean p/255. */
typedef struct ch_input_norm {
    int normalized;
    float mean[3], std[3];
} ch_input_norm;

int ch_parse_input_norm(nn_results *db, const char *config_json, ch_input_norm *out, nn_err *err);
/* A model that takes p/255: a frozen 1x1 convolution computing (x - mean) / std, then m's
 * layers with m's parameters and state. m is left as it is. */
nn_model *ch_with_input_norm(nn_model *m, const ch_input_norm *norm, int max_batch, nn_err *err);

/* Every layer frozen (1) or trainable (0). */
void ch_freeze_all(nn_model *m, int on);

/* ---- command line ------------------------------------------------------------------------- */

/* Takes "--name" (has_value 0: *value becomes "1") or "--name VALUE" out of argv, so that
 * cli_parse sees only the shared options. 0 when absent (*value untouched), 1 when taken,
 * -1 when the value is missing. */
int ch_take_option(int *argc, char **argv, const char *name, int has_value, const char **value);

/* ---- the experiment's steps (experiment.c, generator_runs.c, grids.c, robustness.c) -------- */

/* The generator's settings for a profile and dataset (gen_config of attack/generator.h). */
gen_config ch_gen_config(const ch_profile *p, gen_loss loss, int cifar);

/* One generator attack per (image, class): every image of `samples` (indices into set)
 * towards every class of the model, its own class included (done at round 0). */
typedef struct ch_gen_job {
    nn_results *db;
    int64_t run;
    nn_model *model;
    const nn_images *set;
    const int *samples;
    int n;
    gen_config cfg;
    int log_rounds;     /* every round into `epochs` and `attacks` (see generator_runs.c) */
    const char *method; /* of the final `attacks` rows: "generator", "generator-xent" */
    float *adv;         /* out, may be NULL: n * classes images, image i target j at i*classes+j */
    gen_state *final;   /* out, may be NULL: n * classes states */
} ch_gen_job;

int ch_run_generator(ch_gen_job *job, nn_err *err);

/* Targeted PGD on every successful, non-trivial pair of a finished job, inside the L-infinity
 * ball of the generator's own L-infinity size: `attacks` rows of method 'pgd-same-linf'. */
int ch_pgd_same_linf(const ch_gen_job *job, int steps, nn_err *err);

/* The norms of the composite loss's gradient with respect to the image, at every original
 * and non-trivial target, for MSE and cross-entropy: `attacks` rows 'grad-mse', 'grad-xent'
 * (see generator_runs.c for the columns). */
int ch_log_gradients(const ch_gen_job *job, nn_err *err);

/* The grids of a job (rows = images, columns = the original then every class): the images and
 * the perturbations as PNG in figures_dir, NAME and NAME-delta, recorded as artifacts with
 * their geometry as metrics. orig holds the rows' originals. */
int ch_write_grids(nn_results *db, int64_t run, const char *figures_dir, const char *name,
                   const float *orig, const float *adv, int rows, int classes, int c, int h, int w,
                   nn_err *err);

/* Copies images of a set, as floats in [0, 1], by index. */
void ch_gather(const nn_images *set, const int *index, int n, float *x, uint8_t *labels);

/* Robustness of a model (run `run`): clean accuracy on the test set, accuracy under
 * untargeted PGD at each of the n_eps radii on the first eval_n test images, and targeted
 * PGD at eps_main towards every other class on the held-out images (rows 'pgd-eps'). */
int ch_log_robustness(nn_results *db, int64_t run, nn_model *m, const nn_images *test,
                      const float *eps, int n_eps, float eps_main, int eval_n, int steps,
                      const int *heldout, int n_heldout, uint64_t seed, nn_err *err);

#endif
