/* attacks.h - the attack experiment of the targeted-attack chapter.
 *
 * ch_run_attacks attacks the correctly classified test 2s of model a towards '6' with
 * targeted FGSM (and, as a control, the same step without clipping to [0, 1]), PGD/BIM
 * (stopped at success; all steps, keeping the last or the best iterate; stopped at a target
 * probability of 0.9) and Carlini-Wagner (kappa 0 on every 2, and a confidence margin on the
 * first ones), compares with untargeted FGSM and PGD, measures every adversarial on an
 * independently trained model b (transfer, targeted and untargeted), draws the 10 x 3 grids
 * and the average perturbation, and records runs 'attacks' and 'transfer'. */
#ifndef CH03_ATTACKS_H
#define CH03_ATTACKS_H

#include <stdint.h>

#include "cnn.h"
#include "db/results.h"
#include "lab/cli.h"
#include "robustness.h"

/* How hard to attack; a profile of experiment.c fills it. */
typedef struct ch_attack_config {
    int pgd_steps;                      /* PGD/BIM steps; step size 2.5 eps / steps */
    int cw_n, cw_search, cw_iterations; /* CW: first cw_n of the attacked 2s (0: all) */
    float cw_lr;
    int cw_kappa_n;        /* CW with the confidence margin: the first cw_kappa_n 2s */
    ch_robust_eval robust; /* model A's robustness, measured as the trained models' is */
} ch_attack_config;

/* The probability of '6' that the confidence variants aim for, and the CW margin that
 * guarantees it whatever the other nine logits: p >= 1 / (1 + 9 e^-kappa) >= 0.9 needs
 * e^kappa >= 81. */
#define CONFIDENT_P 0.9f
#define CONFIDENT_KAPPA 4.394449f /* ln 81 */

/* The attack experiment against model a on the selected 2s twos[0 .. n_twos-1] (test
 * indices), transfer to model b; count_twos_all is how many 2s the test subset has. */
int ch_run_attacks(nn_results *db, const nn_cli *cli, const ch_attack_config *cfg, nn_model *a,
                   nn_model *b, const nn_images *test, const int *twos, int n_twos,
                   int count_twos_all, nn_err *err);

#endif
