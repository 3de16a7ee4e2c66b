/* attack.h - targeted adversarial examples against a classifier.
 *
 * The model is any nn_model whose output is one logit per class; images are flat float
 * samples in [0, 1] (the model's input size each). Every attack here is *targeted*: it
 * looks for x' close to x that the model classifies as a chosen target class t. Each works
 * on a batch of n samples at once (n <= the model's max batch), runs the model in inference
 * mode, and turns on the model's input gradient (nn_set_input_grad), which it leaves on.
 * Parameters are never changed, but their gradient block is overwritten.
 *
 *   attack_fgsm_targeted  one step of size eps against the sign of the gradient of the
 *                         target's cross-entropy, x' = clip(x - eps sign(grad), 0, 1)
 *                         (the targeted variant of Goodfellow et al. 2015's fast gradient
 *                         sign method; Kurakin et al. 2017).
 *   attack_pgd_targeted   the iterative version: steps of size alpha, each followed by a
 *                         projection onto the L-infinity ball of radius eps around x and onto
 *                         [0, 1] (basic iterative method, Kurakin et al. 2017; with a random
 *                         start, projected gradient descent, Madry et al. 2018). With
 *                         early_stop a sample stops moving once it is classified as its
 *                         target (or, with min_confidence, once the target is that
 *                         probable), so steps_taken says how many steps it needed; with
 *                         keep_best it returns the best point visited, not the last.
 *   attack_cw_targeted    a minimal-perturbation attack in the manner of Carlini & Wagner
 *                         (2017): minimise ||x' - x||^2 + c * max(max_{j != t} z_j - z_t, -kappa)
 *                         over x' = (tanh(w) + 1) / 2 (so x' stays in [0, 1]) with Adam, and a
 *                         binary search per sample for the smallest c that succeeds (a
 *                         success: the target's logit leads every other by kappa). Returns
 *                         the smallest successful x' found (x itself where none succeeded).
 *
 * attack_measure then gives, per sample, success, L2 and L-infinity norms of x' - x, the
 * model's probability for the target and its prediction. */
#ifndef NN_ATTACK_H
#define NN_ATTACK_H

#include <stdint.h>

#include "nn/model.h"
#include "base/nn_err.h"
#include "base/rng.h"

int attack_fgsm_targeted(nn_model *m, const float *x, const uint8_t *target, int n, float eps,
                         float *x_adv, nn_err *err);

typedef struct nn_pgd_config {
    float eps;        /* radius of the L-infinity ball */
    float alpha;      /* step size */
    int steps;        /* maximum number of steps */
    int random_start; /* start from a uniform point of the ball (needs rng) */
    int early_stop;   /* stop a sample as soon as it reaches its goal (below) */
    /* Return the visited point (the start or any iterate) with the largest margin of the
     * goal instead of the last one: targeted, z_t - max_{j != t} z_j; untargeted,
     * max_{j != y} z_j - z_y. A sign step of fixed size can cross into the goal's region and
     * out again, so without this the last iterate may have lost what an earlier one had. */
    int keep_best;
    /* Targeted only: the goal is the target's softmax probability >= min_confidence, not
     * merely its largest logit (0: the largest logit). In [0, 1). */
    float min_confidence;
} nn_pgd_config;

/* steps_taken (may be NULL): per sample, how many steps had been taken when it first
 * reached its goal (classified as its target, with min_confidence: that probable): 0 if it
 * already had, k after the k-th step, or cfg->steps + 1 if it never did. (The same count as
 * attack_untargeted.h and the CW attack below.) */
int attack_pgd_targeted(nn_model *m, const float *x, const uint8_t *target, int n,
                        const nn_pgd_config *cfg, nn_rng *rng, float *x_adv, int *steps_taken,
                        nn_err *err);

typedef struct nn_cw_config {
    float c_initial;  /* first trade-off constant (e.g. 1) */
    int search_steps; /* binary-search rounds over c (e.g. 6) */
    int iterations;   /* Adam steps per round (e.g. 200) */
    float lr;         /* Adam learning rate on w (e.g. 0.05) */
    float kappa;      /* confidence margin: a success needs z_t >= max_{j != t} z_j + kappa
                         (0: just cross the boundary) */
} nn_cw_config;

/* A point counts as a success when the target's logit leads every other by at least kappa
 * (and strictly). steps_taken (may be NULL): the Adam updates made, summed over the search
 * rounds (each round starts again from x), before the first success was seen: 0 if x itself
 * is one; cfg->search_steps * cfg->iterations + 1 if there was none. */
int attack_cw_targeted(nn_model *m, const float *x, const uint8_t *target, int n,
                       const nn_cw_config *cfg, float *x_adv, int *steps_taken, nn_err *err);

typedef struct nn_attack_outcome {
    int success;      /* the model classifies x' as the target */
    int predicted;    /* the model's class for x' */
    float l2, linf;   /* norms of x' - x */
    float confidence; /* softmax probability of the target at x' */
} nn_attack_outcome;

int attack_measure(nn_model *m, const float *x, const float *x_adv, const uint8_t *target, int n,
                   nn_attack_outcome *out, nn_err *err);

/* Shared by the attacks here and in attack_untargeted.h. */
/* Fails unless 1 <= n <= the model's max batch. */
int attack_check_batch(const nn_model *m, int n, nn_err *err);
/* The direction of the gradient of each sample's cross-entropy of its label with respect to
 * the input at x, in inference mode (the input gradient must be on): per sample a positive
 * multiple of the gradient, computed so that it cannot round to zero however sure the model
 * is (see attack.c); the sign attacks use only its signs. *grad points into the model.
 * Returns the logits of x, valid until the next forward. */
const float *attack_loss_gradient(nn_model *m, const float *x, const uint8_t *labels, int n,
                                  const float **grad);
/* FGSM and PGD in either direction: -1 walks down the loss of `labels` (targeted; PGD counts
 * a sample done when it is classified as its label), +1 walks up it (untargeted; done when
 * classified as anything else). The functions above and attack_untargeted.h call these. */
int attack_fgsm_run(nn_model *m, const float *x, const uint8_t *labels, int n, float eps,
                    int direction, float *x_adv, nn_err *err);
int attack_pgd_run(nn_model *m, const float *x, const uint8_t *labels, int n,
                   const nn_pgd_config *cfg, int direction, nn_rng *rng, float *x_adv,
                   int *steps_taken, nn_err *err);

#endif
