/* adam_vector.c - Adam on a plain array (see adam_vector.h). */
#include "nn/adam_vector.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int adam_vector_init(nn_adam_vector *a, size_t n, nn_adam_config cfg, nn_err *err) {
    memset(a, 0, sizeof *a);
    if (n == 0) return nn_fail(err, "adam: empty array");
    if (!(cfg.beta1 >= 0 && cfg.beta1 < 1) || !(cfg.beta2 >= 0 && cfg.beta2 < 1) || !(cfg.eps > 0))
        return nn_fail(err, "adam: beta1 %g, beta2 %g must be in [0, 1) and eps %g > 0", cfg.beta1,
                       cfg.beta2, cfg.eps);
    a->m = calloc(n, sizeof *a->m);
    a->v = calloc(n, sizeof *a->v);
    if (!a->m || !a->v) {
        adam_vector_free(a);
        return nn_fail(err, "adam: out of memory for %zu moments", n);
    }
    a->n = n;
    a->cfg = cfg;
    return 0;
}

void adam_vector_step(nn_adam_vector *a, float *p, const float *g, float lr) {
    a->t++;
    const float b1 = a->cfg.beta1, b2 = a->cfg.beta2, eps = a->cfg.eps;
    const float step = (float)(lr / (1.0 - pow(b1, (double)a->t)));
    const float inv_sqrt_bc2 = (float)(1.0 / sqrt(1.0 - pow(b2, (double)a->t)));
    for (size_t i = 0; i < a->n; i++) {
        a->m[i] = b1 * a->m[i] + (1 - b1) * g[i];
        a->v[i] = b2 * a->v[i] + (1 - b2) * g[i] * g[i];
        p[i] -= step * a->m[i] / (sqrtf(a->v[i]) * inv_sqrt_bc2 + eps);
    }
}

void adam_vector_reset(nn_adam_vector *a) {
    memset(a->m, 0, a->n * sizeof *a->m);
    memset(a->v, 0, a->n * sizeof *a->v);
    a->t = 0;
}

void adam_vector_free(nn_adam_vector *a) {
    free(a->m);
    free(a->v);
    memset(a, 0, sizeof *a);
}
