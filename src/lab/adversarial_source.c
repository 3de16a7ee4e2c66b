/* adversarial_source.c - adversarial examples as training batches (see the header). */
#include "lab/adversarial_source.h"

#include <stdlib.h>
#include <string.h>

#include "attack/attack_untargeted.h"

int adversarial_source_init(nn_adversarial_source *s, nn_err *err) {
    if (!s->model || !s->inner.next)
        return nn_fail(err, "adversarial source: needs a model and a source of clean batches");
    if (s->pgd.steps < 1 || !(s->pgd.alpha > 0) || !(s->pgd.eps >= 0))
        return nn_fail(err, "adversarial source: needs eps >= 0, alpha > 0 and steps >= 1");
    if (s->ramp < 0) return nn_fail(err, "adversarial source: the ramp must be >= 0 samples");
    if (s->pgd.random_start && !s->rng)
        return nn_fail(err, "adversarial source: a random start needs a generator");
    s->x_adv = malloc((size_t)nn_max_batch(s->model) * nn_input_size(s->model) * sizeof(float));
    s->y = malloc((size_t)nn_max_batch(s->model));
    s->frozen = malloc((size_t)nn_layer_count(s->model) + 1);
    s->attacked = 0;
    if (!s->x_adv || !s->y || !s->frozen) {
        adversarial_source_free(s);
        return nn_fail(err, "adversarial source: out of memory");
    }
    return 0;
}

void adversarial_source_free(nn_adversarial_source *s) {
    free(s->x_adv);
    free(s->y);
    free(s->frozen);
    s->x_adv = NULL;
    s->y = NULL;
    s->frozen = NULL;
}

static void adversarial_begin_epoch(void *ctx, int epoch) {
    nn_adversarial_source *s = ctx;
    if (s->inner.begin_epoch) s->inner.begin_epoch(s->inner.ctx, epoch);
}

static int adversarial_next(void *ctx, const float **x, const uint8_t **y, nn_err *err) {
    nn_adversarial_source *s = ctx;
    const float *clean;
    int n = s->inner.next(s->inner.ctx, &clean, y, err);
    if (n <= 0) return n;
    nn_model *m = s->model;
    size_t d = (size_t)nn_input_size(m);
    /* With the clean batch kept, the adversarials go after it. */
    float *adv = s->x_adv;
    if (s->with_clean) {
        if (2 * n > nn_max_batch(m))
            return nn_fail(err,
                           "adversarial source: a clean batch of %d with its adversarials needs "
                           "%d rows; the model takes %d (clean batches must be at most half)",
                           n, 2 * n, nn_max_batch(m));
        memcpy(s->x_adv, clean, (size_t)n * d * sizeof(float));
        memcpy(s->y, *y, (size_t)n);
        memcpy(s->y + n, *y, (size_t)n);
        adv = s->x_adv + (size_t)n * d;
    }
    int layers = nn_layer_count(m);
    int input_grad = nn_input_grad(m) != NULL;
    for (int l = 0; l < layers; l++) {
        s->frozen[l] = (unsigned char)nn_layer_frozen(m, l);
        nn_freeze_layer(m, l, 1); /* the attack needs no parameter gradient */
    }
    nn_pgd_config pgd = s->pgd;
    pgd.early_stop = 0; /* train on the strongest example the budget finds */
    float eps = adversarial_source_eps(s);
    if (eps < pgd.eps) {
        pgd.alpha *= pgd.eps > 0 ? eps / pgd.eps : 0;
        pgd.eps = eps;
    }
    if (!(pgd.alpha > 0)) pgd.alpha = 1e-12f; /* eps 0: the attack leaves x where it is */
    int rc = attack_pgd_untargeted(m, clean, *y, n, &pgd, s->rng, adv, NULL, err);
    for (int l = 0; l < layers; l++)
        nn_freeze_layer(m, l, s->frozen[l]);
    nn_set_input_grad(m, input_grad);
    if (rc) return -1;
    s->attacked += n;
    *x = s->x_adv;
    if (!s->with_clean) return n;
    *y = s->y;
    return 2 * n;
}

float adversarial_source_eps(const nn_adversarial_source *s) {
    if (s->ramp <= 0 || s->attacked >= s->ramp) return s->pgd.eps;
    return s->pgd.eps * (float)((double)s->attacked / (double)s->ramp);
}

nn_batch_source train_source_adversarial(nn_adversarial_source *s) {
    long per_epoch = s->inner.samples_per_epoch, steps = s->inner.steps_per_epoch;
    if (s->with_clean) {
        long half = nn_max_batch(s->model) / 2;
        if (steps <= 0 && half > 0) steps = (per_epoch + half - 1) / half;
        per_epoch *= 2;
    }
    return (nn_batch_source){.ctx = s,
                             .samples_per_epoch = per_epoch,
                             .steps_per_epoch = steps,
                             .begin_epoch = adversarial_begin_epoch,
                             .next = adversarial_next};
}
