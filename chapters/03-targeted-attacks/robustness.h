/* robustness.h - how well a classifier resists attack: the measurements the chapter makes on
 * model A and on every adversarially trained model.
 *
 *   ch_accuracy_under_attack  untargeted: the share of the first n test images still
 *                             classified correctly after the attack (PGD from a random start
 *                             with early stop, or FGSM, which is one PGD step of size eps
 *                             from x itself);
 *   ch_targeted_success       targeted 2 -> 6: the share of the given 2s that PGD (from x,
 *                             early stop) turns into a 6;
 *   ch_clean_correct          per test image, whether the model classifies it correctly (the
 *                             paired data of McNemar's test);
 *   ch_log_robustness         all of these at the study's radii, as metrics of a run.
 * Each attacks the model with every layer frozen and leaves it unfrozen with the input
 * gradient off (ready to train). */
#ifndef CH03_ROBUSTNESS_H
#define CH03_ROBUSTNESS_H

#include <stdint.h>

#include "cnn.h"
#include "db/results.h"

typedef struct ch_attack_spec {
    float eps;
    int steps; /* PGD steps (step 2.5 eps / steps); 0: FGSM */
} ch_attack_spec;

int ch_accuracy_under_attack(nn_model *m, const nn_images *test, int n, ch_attack_spec a,
                             uint64_t seed, double *accuracy, nn_err *err);

int ch_targeted_success(nn_model *m, const nn_images *test, const int *twos, int n, float eps,
                        int steps, double *rate, nn_err *err);

/* correct[i] = 1 when m classifies test image i correctly (test->n entries); *accuracy is
 * their mean. */
int ch_clean_correct(nn_model *m, const nn_images *test, unsigned char *correct, double *accuracy,
                     nn_err *err);

/* The radii at which every model's robustness is measured (and the adversarial training
 * study trains). */
#define N_STUDY_EPS 3
extern const float STUDY_EPS[N_STUDY_EPS];

typedef struct ch_robust_eval {
    int n;      /* first test images for the untargeted accuracies */
    int steps;  /* PGD steps of every measurement */
    int twos_n; /* the model's first correctly classified 2s for the targeted success */
} ch_robust_eval;

/* Logs as metrics of run: clean_accuracy (every test image), and for every eps of STUDY_EPS
 * fgsm_accuracy@EPS, pgd_accuracy@EPS and targeted_success@EPS (EPS as %g, e.g. 0.1); and
 * robust_n, robust_steps, targeted_n. correct (may be NULL, else test->n entries) gets the
 * per-image clean correctness. */
int ch_log_robustness(nn_results *db, int64_t run, nn_model *m, const nn_images *test,
                      const ch_robust_eval *e, uint64_t seed, unsigned char *correct, nn_err *err);

#endif
