/* attack_untargeted.h - untargeted adversarial examples, the counterpart of attack.h.
 *
 * Where attack.h's attacks walk *down* the cross-entropy of a chosen target class, these
 * walk *up* the cross-entropy of the true label: any wrong class will do. They are what
 * Goodfellow et al. (2015) and Madry et al. (2018) define, and what adversarial training
 * (Madry-style) trains on. Same conventions as attack.h: flat samples in [0, 1], a batch of
 * n <= the model's max batch, inference mode, the model's input gradient turned on (and left
 * on), parameters unchanged (their gradient block is overwritten).
 *
 *   attack_fgsm_untargeted  x' = clip(x + eps sign(grad_x CE(x, y)), 0, 1)
 *   attack_pgd_untargeted   steps of size alpha up the same gradient, each followed by a
 *                           projection onto the L-infinity ball of radius eps around x and onto
 *                           [0, 1]; optional uniform random start in the ball; with
 *                           early_stop a sample stops moving once it is misclassified. */
#ifndef NN_ATTACK_UNTARGETED_H
#define NN_ATTACK_UNTARGETED_H

#include <stdint.h>

#include "attack/attack.h"

int attack_fgsm_untargeted(nn_model *m, const float *x, const uint8_t *label, int n, float eps,
                           float *x_adv, nn_err *err);

/* steps_taken (may be NULL): per sample, the step at which it was first misclassified
 * (0 if it already was, 1-based otherwise), or cfg->steps + 1 if never. */
int attack_pgd_untargeted(nn_model *m, const float *x, const uint8_t *label, int n,
                          const nn_pgd_config *cfg, nn_rng *rng, float *x_adv, int *steps_taken,
                          nn_err *err);

#endif
