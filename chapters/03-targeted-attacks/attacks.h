/* attacks.h - the attack experiment of the targeted-attack chapter.
 *
 * ch_run_attacks attacks the correctly classified test 2s of model a with targeted FGSM,
 * PGD/BIM and Carlini-Wagner towards '6', untargeted FGSM and PGD for comparison, measures
 * the targeted adversarials on an independently trained model b (transfer), draws the 10 x 3
 * grids and the average perturbation, and records runs 'attacks' and 'transfer'.
 * ch_log_robustness measures how well a model resists attack (for the base model and the
 * fine-tuned ones). */
#ifndef CH03_ATTACKS_H
#define CH03_ATTACKS_H

#include <stdint.h>

#include "cnn.h"
#include "db/results.h"
#include "lab/cli.h"

/* How hard to attack; a profile of experiment.c fills it. */
typedef struct ch_attack_config {
    int pgd_steps;                      /* PGD/BIM steps; step size 2.5 eps / steps */
    int cw_n, cw_search, cw_iterations; /* CW: first cw_n of the attacked 2s (0: all) */
    float cw_lr;
    int robust_n;        /* test images on which robust accuracy is measured */
    int robust_steps;    /* PGD steps for that measurement (random start) */
    int targeted_eval_n; /* 2s on which each model's targeted 2->6 success is measured */
} ch_attack_config;

/* The attack experiment against model a on the selected 2s twos[0 .. n_twos-1] (test
 * indices), transfer to model b; count_twos_all is how many 2s the test subset has. */
int ch_run_attacks(nn_results *db, const nn_cli *cli, const ch_attack_config *cfg, nn_model *a,
                   nn_model *b, const nn_images *test, const int *twos, int n_twos,
                   int count_twos_all, nn_err *err);

/* Accuracy of m under untargeted PGD at EPS_CHAPTER (steps of 2.5 eps / steps, a random start
 * drawn from seed, early stop) on the first n test images. Leaves m unfrozen, input gradient
 * off (ready to train). */
int ch_robust_accuracy(nn_model *m, const nn_images *test, int n, int steps, uint64_t seed,
                       double *accuracy, nn_err *err);

/* Robustness of a model: clean accuracy on the test subset, accuracy under untargeted PGD
 * at EPS_CHAPTER on its first robust_n images, and the success rate of targeted 2->6 PGD at
 * EPS_CHAPTER on the first targeted_eval_n selected 2s, logged as metrics of run. */
int ch_log_robustness(nn_results *db, int64_t run, nn_model *m, const ch_attack_config *cfg,
                      const nn_images *test, const int *twos, int n_twos, uint64_t seed,
                      nn_err *err);

#endif
