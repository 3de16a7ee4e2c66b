/* attack_untargeted.c - untargeted FGSM and PGD (see attack_untargeted.h). */
#include "attack_untargeted.h"

#include <stdlib.h>

#include "metrics.h"

static float clamp01(float v) {
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

static float sign(float g) {
    return g > 0 ? 1.0f : g < 0 ? -1.0f : 0.0f;
}

int attack_fgsm_untargeted(nn_model *m, const float *x, const uint8_t *label, int n, float eps,
                           float *x_adv, nn_err *err) {
    if (attack_check_batch(m, n, err)) return -1;
    if (eps < 0) return nn_fail(err, "fgsm: needs eps >= 0");
    nn_set_input_grad(m, 1);
    const float *g;
    attack_loss_gradient(m, x, label, n, &g);
    size_t total = (size_t)n * nn_input_size(m);
    for (size_t i = 0; i < total; i++)
        x_adv[i] = clamp01(x[i] + eps * sign(g[i])); /* climb the true label's loss */
    return 0;
}

int attack_pgd_untargeted(nn_model *m, const float *x, const uint8_t *label, int n,
                          const nn_pgd_config *cfg, nn_rng *rng, float *x_adv, int *steps_taken,
                          nn_err *err) {
    if (attack_check_batch(m, n, err)) return -1;
    if (cfg->eps < 0 || cfg->alpha <= 0 || cfg->steps < 1)
        return nn_fail(err, "pgd: needs eps >= 0, alpha > 0 and steps >= 1");
    if (cfg->random_start && !rng) return nn_fail(err, "pgd: a random start needs a generator");
    unsigned char *done = calloc((size_t)n, 1);
    if (!done) return nn_fail(err, "pgd: out of memory");
    nn_set_input_grad(m, 1);
    int d = nn_input_size(m), classes = nn_output_size(m);
    size_t total = (size_t)n * d;
    for (size_t i = 0; i < total; i++) {
        float start = cfg->random_start ? (2 * rng_uniform(rng) - 1) * cfg->eps : 0;
        x_adv[i] = clamp01(x[i] + start);
    }
    for (int k = 0; k < n; k++)
        if (steps_taken) steps_taken[k] = cfg->steps + 1;
    for (int step = 0;; step++) {
        const float *g;
        const float *logits = attack_loss_gradient(m, x_adv, label, n, &g);
        int all_done = 1;
        for (int k = 0; k < n; k++) {
            if (!done[k] && nn_argmax(logits + (size_t)k * classes, classes) != label[k]) {
                done[k] = 1;
                if (steps_taken) steps_taken[k] = step;
            }
            all_done &= done[k];
        }
        /* With early stop nothing moves any more once every sample is misclassified. */
        if (step == cfg->steps || (cfg->early_stop && all_done)) break;
        for (int k = 0; k < n; k++) {
            if (cfg->early_stop && done[k]) continue;
            for (int j = 0; j < d; j++) {
                size_t i = (size_t)k * d + j;
                float v = x_adv[i] + cfg->alpha * sign(g[i]);
                /* Project onto the L-infinity ball around x, then onto the valid pixels. */
                if (v > x[i] + cfg->eps) v = x[i] + cfg->eps;
                if (v < x[i] - cfg->eps) v = x[i] - cfg->eps;
                x_adv[i] = clamp01(v);
            }
        }
    }
    free(done);
    return 0;
}
