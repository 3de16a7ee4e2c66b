/* adversarial_source.h - training batches replaced by adversarial examples of the model being
 * trained: adversarial training through the one training loop (train.h).
 *
 * Wraps another batch source. Every batch it hands out is first attacked against the current
 * model with untargeted PGD (attack_untargeted.h) inside the L-infinity ball of radius eps:
 *   - Madry et al. (2018): PGD with a random start and several steps, training on the
 *     adversarial examples only, i.e. min_theta E max_{|delta| <= eps} CE(x + delta, y);
 *   - Wong, Rice & Kolter (2020), "fast adversarial training": the same with ONE step of
 *     size alpha (about 1.25 eps) from a uniform random start, i.e. FGSM with a random start,
 *     which costs one extra forward/backward pass per batch instead of `steps`.
 * Both are the same call with different steps/alpha (nn_pgd_config with random_start = 1).
 * The attack runs the model in inference mode; during it every layer is frozen (no parameter
 * gradient is computed) and the input gradient is on; afterwards the layers' frozen flags and
 * the input-gradient setting are restored as they were, so a layer the caller froze stays
 * frozen. The adversarial batch replaces the clean one (labels unchanged).
 *
 *     nn_image_source images = {.batches = &train_b, .order = &order_rng};
 *     nn_adversarial_source adv = {.inner = train_source_images(&images), .model = m,
 *                                  .pgd = {.eps = 0.3f, .alpha = 0.1f, .steps = 7,
 *                                          .random_start = 1},
 *                                  .rng = &attack_rng};
 *     if (adversarial_source_init(&adv, &err)) ...
 *     train_classifier(db, run, m, opt, train_source_adversarial(&adv), &cfg, &r, &err);
 *     adversarial_source_free(&adv);
 *
 * with_clean: Goodfellow, Shlens & Szegedy (2015) trained on 0.5 CE(x) + 0.5 CE(x') rather
 * than on x' alone. With with_clean set, a clean batch of n samples is handed out as those n
 * samples followed by their n adversarial examples (labels twice), so the loop's mean over
 * the 2n rows is exactly that objective. The clean batches must then hold at most half the
 * model's max batch (a larger one is an error at next()); the schedule counts one step per
 * clean batch of half the model's batch unless the inner source says otherwise. With one
 * step of alpha = eps and no random start the attack is their FGSM.
 *
 * A radius ramp (ramp > 0): the first `ramp` attacked samples see a radius growing linearly
 * from 0 to pgd.eps (and the step alpha with it), a common remedy when training at the full
 * radius from the first batch collapses to a constant prediction (MNIST at eps 0.3 with a
 * small budget of epochs does).
 *
 * The buffer for the adversarial batch (the model's max batch of inputs) is allocated once by
 * adversarial_source_init; nothing is allocated per batch. */
#ifndef NN_ADVERSARIAL_SOURCE_H
#define NN_ADVERSARIAL_SOURCE_H

#include "attack/attack.h"
#include "base/rng.h"
#include "lab/train.h"

typedef struct nn_adversarial_source {
    nn_batch_source inner; /* clean batches */
    nn_model *model;       /* the model being trained (attacked as it is at each batch) */
    nn_pgd_config pgd;     /* eps, alpha, steps, random_start (early_stop is ignored) */
    nn_rng *rng;           /* the random starts */
    long ramp;             /* samples over which the radius grows from 0 to pgd.eps; 0: none */
    int with_clean;        /* hand out the clean batch followed by its adversarials */
    /* Filled by adversarial_source_init: */
    float *x_adv;          /* the batch handed out (the model's max batch) */
    uint8_t *y;            /* its labels, with with_clean */
    unsigned char *frozen; /* the layers' frozen flags, saved during an attack */
    long attacked;         /* samples attacked so far */
} nn_adversarial_source;

int adversarial_source_init(nn_adversarial_source *s, nn_err *err);
void adversarial_source_free(nn_adversarial_source *s);
nn_batch_source train_source_adversarial(nn_adversarial_source *s);
/* The radius the next batch is attacked with (pgd.eps once the ramp is over). */
float adversarial_source_eps(const nn_adversarial_source *s);

#endif
