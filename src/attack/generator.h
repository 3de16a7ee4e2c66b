/* generator.h - adversarial examples made by training a "simple generator" against a frozen
 * classifier.
 *
 * The generator G is the smallest network whose parameters are an image: one input neuron
 * that is always 1 and a dense layer 1 -> d (d = the classifier's input size, c*h*w), so
 *     G(1) = W * 1 + b,  W and b both d values.
 * Training G is training the image. The attack on an image x with a target class j chains G
 * and a classifier C by hand and alternates two steps, each a few Adam steps on a mean
 * squared error:
 *     step 1 (image):   MSE(G(1), x)                              keeps G close to x
 *     step 2 (target):  MSE(softmax(C(G(1))), onehot(j))          the composite C o G
 * A round is image_steps Adam steps of step 1, then target_steps Adam steps of step 2; after
 * each round C reads G(1), and the attack on x stops when C's top class is j with probability
 * at least `threshold` (success), or after max_rounds rounds (failure).
 *
 * What is fixed, and why:
 *   - G starts as the original: W = x, b = 0. Step 1's minimum is there, so no round is spent
 *     learning x first.
 *   - The two steps keep separate Adam states, as two compiled models would (one fitting G to
 *     x, one fitting C o G to onehot(j)); both are reset when an attack starts.
 *   - C is frozen: gen_attack_new freezes every layer (nn_freeze_layer) and turns on C's input
 *     gradient; C runs in inference mode (no dropout, batch norm with its running statistics),
 *     so neither its parameters nor its state block ever change. Step 2's gradient is
 *     d loss / d G's parameters = (dL/dx from back-propagating through C) * dG/dparams.
 *   - Valid pixels: after every Adam step G's output is clipped into [0, 1] and stored in W,
 *     with b reset to 0 (the input is the constant 1, so this changes no output; it keeps W
 *     itself the image). W and b always receive the same gradient, hence the same Adam update,
 *     so one step moves a pixel by up to 2 lr. Clipping is a projection, like PGD's onto the
 *     pixel box; a sigmoid output would keep pixels in (0, 1) too but never reach 0 or 1, and
 *     its flat ends would almost freeze MNIST's black background.
 *   - loss GEN_LOSS_XENT replaces step 2's MSE by the cross-entropy -log p_j, for comparison
 *     only (the assignment's attack is GEN_LOSS_MSE).
 *
 * Batching: one gen_attack runs n <= n_max generators at once, each with its own x and j.
 * Step 2 sends their images through C as one batch; every generator's loss is its own row's
 * (C in inference mode treats rows independently), so each gets exactly the gradient it would
 * get alone. A generator that met the stopping rule stops moving.
 *
 *     gen_attack *a = gen_attack_new(classifier, 10, &err);
 *     gen_attack_start(a, x, targets, 10, &cfg, &err);
 *     while (gen_attack_running(a) > 0) {
 *         if (gen_attack_round(a, &err) < 0) ...
 *         for k: if (gen_attack_state(a, k)->moved) log gen_attack_state(a, k) ...
 *     }
 *     gen_attack_image(a, k)  is the adversarial (or last) image of generator k
 *
 * Nothing here allocates after gen_attack_new; results are deterministic for a thread count. */
#ifndef NN_GENERATOR_H
#define NN_GENERATOR_H

#include <stdint.h>

#include "base/nn_err.h"
#include "nn/model.h"

typedef enum gen_loss {
    GEN_LOSS_MSE,  /* MSE(softmax(C(G(1))), onehot(j)): the assigned composite loss */
    GEN_LOSS_XENT, /* -log softmax(C(G(1)))_j, for comparison */
} gen_loss;

/* ---- the generator network ---------------------------------------------------------------- */

/* A generator of d values: input (1, 1, 1), one dense layer 1 -> d, built for batch 1, all
 * parameters 0 until gen_model_set. NULL with a message on error. */
nn_model *gen_model_new(int d, nn_err *err);
/* Makes G(1) = x: W = x, b = 0 (x must hold the generator's d values). */
void gen_model_set(nn_model *g, const float *x);
/* G(1): runs the forward pass of the constant input 1; valid until the next forward of g. */
const float *gen_model_output(nn_model *g);
/* W = clip(W + b, 0, 1), b = 0: G(1) projected onto valid pixels. */
void gen_model_project(nn_model *g);

/* Step 1's loss MSE(G(1), x). With backward, G's parameter gradient (nn_grads) is filled. */
float gen_image_loss(nn_model *g, const float *x, int backward);
/* Step 2's loss for target j: the composite loss of C(G(1)) (inference mode). With backward,
 * the gradient flows through C (whose input gradient must be on and whose layers should be
 * frozen) into G's parameter gradient. probs (may be NULL) gets C's softmax output. */
float gen_composite_loss(nn_model *g, nn_model *c, int target, gen_loss loss, int backward,
                         float *probs);

/* ---- the attack --------------------------------------------------------------------------- */

typedef struct gen_config {
    float lr_image, lr_target;     /* Adam learning rates of steps 1 and 2 (> 0) */
    int image_steps, target_steps; /* Adam steps per round: >= 0 and >= 1 */
    int max_rounds;                /* round budget, >= 1 */
    float threshold;               /* success: C's top class is j with p_j >= threshold */
    gen_loss loss;                 /* step 2's loss */
} gen_config;

/* lr 0.01 for both steps, one Adam step of each per round, 200 rounds, threshold 0.9, MSE. */
gen_config gen_defaults(void);

/* One generator after its last round (or after gen_attack_start: round 0, the original). */
typedef struct gen_state {
    int round;         /* rounds this generator has taken */
    int moved;         /* it took a round in the last gen_attack_round */
    int done;          /* the stopping rule holds: top class j with p_j >= threshold */
    int running;       /* not done and under the round budget */
    float image_loss;  /* MSE(G(1), x) */
    float target_loss; /* the composite loss (of the configured kind) at G(1) */
    float l2, linf;    /* of G(1) - x */
    int predicted;     /* C's top class for G(1) */
    float p_predicted; /* its probability */
    float p_target;    /* C's probability of j */
} gen_state;

typedef struct gen_attack gen_attack;

/* An attack on `classifier` (built, any input shape, one logit per class) for up to n_max
 * generators at once (n_max <= the classifier's max batch). Freezes every layer of the
 * classifier and turns its input gradient on; the classifier must outlive the attack. */
gen_attack *gen_attack_new(nn_model *classifier, int n_max, nn_err *err);
void gen_attack_free(gen_attack *a);

/* Starts n generators at the images x (n * d values in [0, 1]) with targets (each < the
 * classifier's class count), resets both Adam states of each, and evaluates round 0 (a
 * generator whose original already meets the stopping rule is done with 0 rounds). */
int gen_attack_start(gen_attack *a, const float *x, const uint8_t *target, int n,
                     const gen_config *cfg, nn_err *err);
/* One round for every running generator; returns how many are still running, or -1. */
int gen_attack_round(gen_attack *a, nn_err *err);
int gen_attack_running(const gen_attack *a);
const gen_state *gen_attack_state(const gen_attack *a, int k);
/* Generator k's current image G_k(1) (d values in [0, 1]). */
const float *gen_attack_image(const gen_attack *a, int k);
/* C's probabilities (class count values) for generator k's image at its last evaluation. */
const float *gen_attack_probs(const gen_attack *a, int k);
/* The generator networks themselves (e.g. for gradient checks): k < n_max. */
nn_model *gen_attack_generator(gen_attack *a, int k);

#endif
