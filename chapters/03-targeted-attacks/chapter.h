/* chapter.h - what the files of the targeted-attack chapter share: the profile, the
 * tutorial CNN, and the steps of the experiment (experiment.c trains and fine-tunes,
 * attacks.c attacks and draws). */
#ifndef CH03_CHAPTER_H
#define CH03_CHAPTER_H

#include <stdint.h>

#include "lab/cli.h"
#include "data/images.h"
#include "nn/model.h"
#include "base/nn_err.h"
#include "db/results.h"

#define CHAPTER "03-targeted-attacks"
#define SOURCE_CLASS 2
#define TARGET_CLASS 6
#define GRID_ROWS 10
/* The L-infinity radii of the sweep, and the one the grids and adversarial training use. */
#define N_EPS 6
extern const float EPS[N_EPS];
#define EPS_CHAPTER 0.2f
/* Samples per attack call; the models are built for this batch. */
#define ATTACK_BATCH 100

typedef struct profile_config {
    int train_n, test_n;                /* images used (the first n of each split) */
    int epochs, epochs_b;               /* main model; the independent second model (transfer) */
    int batch;                          /* training mini-batch (the tutorial's 50) */
    float lr, lr_final;                 /* Adam, cosine-annealed from lr to lr_final */
    int log_every;                      /* steps between rows of the running training loss */
    int attack_n;                       /* correctly classified 2s attacked (0: every one) */
    int pgd_steps;                      /* PGD/BIM steps; step size 2.5 eps / steps */
    int cw_n, cw_search, cw_iterations; /* CW: first cw_n of the attacked 2s */
    float cw_lr;
    int ft_n;            /* training images for each fine-tune (one pass) */
    int ft_pgd_steps;    /* PGD steps to make each adversarial training batch */
    float ft_lr;         /* Adam, constant, for fine-tuning */
    int robust_n;        /* test images on which robust accuracy is measured */
    int robust_steps;    /* PGD steps for that measurement (random start) */
    int targeted_eval_n; /* 2s on which each model's targeted 2->6 success is measured */
} profile_config;

/* The tutorial's network with dropout rate 0.5, built for ATTACK_BATCH samples, He-normal
 * weights from init_rng, dropout masks from dropout_rng. */
nn_model *ch_build_cnn(nn_rng *init_rng, const nn_rng *dropout_rng, nn_err *err);
/* Freezes (1) or unfreezes (0) every layer: attacks need no parameter gradients, and a
 * frozen model skips computing them. */
void ch_freeze_all(nn_model *m, int on);
/* Copies one image of a set (as floats in [0, 1]) per index. */
void ch_gather(const nn_images *set, const int *index, int n, float *x, uint8_t *labels);

/* Test indices of every image of class 2 that m classifies correctly, in file order; the
 * array is allocated (free it). *count_twos gets how many 2s the test subset has. */
int ch_select_twos(nn_model *m, const nn_images *test, int **index, int *count, int *count_twos,
                   nn_err *err);

/* The attack experiment: targeted FGSM, PGD and CW against model a on the selected 2s,
 * untargeted FGSM and PGD for comparison, transfer to model b, the grids and the average
 * perturbation. Records runs 'attacks' and 'transfer'. */
int ch_run_attacks(nn_results *db, const nn_cli *cli, const profile_config *cfg, nn_model *a,
                   nn_model *b, const nn_images *test, const int *twos, int n_twos,
                   int count_twos_all, nn_err *err);

/* Robustness of a model: clean accuracy on the test subset, accuracy under untargeted PGD
 * at EPS_CHAPTER on its first robust_n images, and the success rate of targeted 2->6 PGD at
 * EPS_CHAPTER on the first targeted_eval_n selected 2s, logged as metrics of run. */
int ch_log_robustness(nn_results *db, int64_t run, nn_model *m, const profile_config *cfg,
                      const nn_images *test, const int *twos, int n_twos, uint64_t seed,
                      nn_err *err);

#endif
