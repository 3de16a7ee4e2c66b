/* adv_training.h - adversarial training from scratch, as Goodfellow et al. (2015) and Madry et
 * al. (2018) tested it, at a size this chapter can afford.
 *
 * For each of `seeds` seeds, a small fully connected network (784 - hidden - hidden - 10,
 * ReLU) is trained from the same initial weights and on the same batch order in seven ways:
 *   standard      clean batches only;
 *   fgsm, eps     Goodfellow et al.: every batch of clean images followed by their untargeted
 *                 FGSM examples at eps against the current weights, loss
 *                 0.5 CE(x) + 0.5 CE(x');
 *   pgd, eps      Madry et al.: every batch replaced by its untargeted PGD examples at eps
 *                 (pgd_steps steps of 2.5 eps / pgd_steps from a uniform random start),
 *                 the radius growing linearly from 0 to eps over the first `ramp` share of
 *                 the training (adversarial_source.h);
 * for eps in STUDY_EPS (robustness.h), and as a control PGD at the largest eps without the
 * ramp, the setting in which a small network collapses to a constant prediction. Every model is
 * then measured the same way (ch_log_robustness: clean accuracy on every test image; FGSM and PGD
 * accuracy and targeted 2 -> 6 success at every eps of STUDY_EPS), and every adversarially trained
 * model is compared with the standard model of its seed on the clean test images by McNemar's exact
 * test (base/paired_test.h), which pairs the two models' answers image by image.
 *
 * Runs: experiment 'robust-standard', 'robust-fgsm-EPS', 'robust-pgd-EPS' (EPS as %g) and
 * 'robust-pgd-EPS-noramp', one run per seed; metrics as ch_log_robustness's plus mcnemar_b
 * (standard right, this model wrong), mcnemar_c (the reverse) and mcnemar_p. */
#ifndef CH03_ADV_TRAINING_H
#define CH03_ADV_TRAINING_H

#include "db/results.h"
#include "lab/cli.h"
#include "robustness.h"

typedef struct ch_study_config {
    int seeds;           /* seeds cli->seed, cli->seed + 1, ... */
    int hidden;          /* units of each hidden layer */
    int epochs, batch;   /* clean images per step: batch */
    float lr, lr_final;  /* Adam, cosine */
    int pgd_steps;       /* PGD steps of the training attack */
    float ramp;          /* share of PGD training over which eps grows from 0 */
    ch_robust_eval eval; /* how every model is measured */
} ch_study_config;

int ch_adversarial_training_study(nn_results *db, const nn_cli *cli, const ch_study_config *cfg,
                                  const nn_images *train, const nn_images *test, nn_err *err);

#endif
