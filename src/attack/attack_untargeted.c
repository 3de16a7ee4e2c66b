/* attack_untargeted.c - untargeted FGSM and PGD (see attack_untargeted.h). */
#include "attack/attack_untargeted.h"

int attack_fgsm_untargeted(nn_model *m, const float *x, const uint8_t *label, int n, float eps,
                           float *x_adv, nn_err *err) {
    return attack_fgsm_run(m, x, label, n, eps, +1, x_adv, err); /* climb the label's loss */
}

int attack_pgd_untargeted(nn_model *m, const float *x, const uint8_t *label, int n,
                          const nn_pgd_config *cfg, nn_rng *rng, float *x_adv, int *steps_taken,
                          nn_err *err) {
    return attack_pgd_run(m, x, label, n, cfg, +1, rng, x_adv, steps_taken, err);
}
