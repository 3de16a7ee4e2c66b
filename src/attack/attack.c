/* attack.c - targeted FGSM, PGD/BIM and a Carlini-Wagner-style L2 attack (see attack.h). */
#include "attack/attack.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/layers.h"
#include "nn/metrics.h"

int attack_check_batch(const nn_model *m, int n, nn_err *err) {
    if (n < 1 || n > nn_max_batch(m))
        return nn_fail(err, "attack: batch of %d samples, the model takes 1 to %d", n,
                       nn_max_batch(m));
    return 0;
}

static float clamp01(float v) {
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

/* The direction of one sample's cross-entropy gradient with respect to its logits z, for
 * label y. The gradient is p - e_y, with p = softmax(z). Computed as written it rounds to
 * exactly 0 once the model is sure of y (p_y is 1.0f, every other p_j is 0 or denormal),
 * and a sign attack would then not move the sample at all. But
 *     p_j = e^{z_j} / S  (j != y),   p_y - 1 = -(sum_{j != y} e^{z_j}) / S,
 * so multiplying by the positive S e^{-m}, m = max_{j != y} z_j, gives the same direction
 *     d_j = e^{z_j - m}  (j != y),   d_y = -sum_{j != y} d_j,
 * whose largest entry is at least 1: nothing cancels, nothing underflows. Each sample gets
 * its own positive factor (instead of the batch mean's 1/n), which the sign-based attacks
 * cannot see and which keeps a confident sample's gradient as large as anyone's. */
static void xent_direction(const float *z, int classes, int y, float *d) {
    float m = -INFINITY;
    for (int j = 0; j < classes; j++)
        if (j != y && z[j] > m) m = z[j];
    float rest = 0;
    for (int j = 0; j < classes; j++) {
        if (j == y) continue;
        d[j] = expf(z[j] - m);
        rest += d[j];
    }
    d[y] = -rest;
}

const float *attack_loss_gradient(nn_model *m, const float *x, const uint8_t *labels, int n,
                                  const float **grad) {
    const float *logits = nn_forward(m, x, n, 0);
    float *d = nn_output_grad_buffer(m);
    const int classes = nn_output_size(m);
    for (int k = 0; k < n; k++)
        xent_direction(logits + (size_t)k * classes, classes, labels[k], d + (size_t)k * classes);
    nn_backward(m, d, n);
    *grad = nn_input_grad(m);
    return logits;
}

/* One signed-gradient step for every pixel, shared by the targeted and untargeted FGSM:
 * direction -1 walks down the loss of `labels` (targeted), +1 walks up it (untargeted). */
int attack_fgsm_run(nn_model *m, const float *x, const uint8_t *labels, int n, float eps,
                    int direction, float *x_adv, nn_err *err) {
    if (attack_check_batch(m, n, err)) return -1;
    if (eps < 0) return nn_fail(err, "fgsm: needs eps >= 0");
    nn_set_input_grad(m, 1);
    const float *g;
    attack_loss_gradient(m, x, labels, n, &g);
    size_t total = (size_t)n * nn_input_size(m);
    for (size_t i = 0; i < total; i++) {
        float s = g[i] > 0 ? 1.0f : g[i] < 0 ? -1.0f : 0.0f;
        x_adv[i] = clamp01(x[i] + direction * eps * s);
    }
    return 0;
}

int attack_fgsm_targeted(nn_model *m, const float *x, const uint8_t *target, int n, float eps,
                         float *x_adv, nn_err *err) {
    return attack_fgsm_run(m, x, target, n, eps, -1, x_adv, err);
}

/* The margin of a sample's goal at logits z: targeted (direction -1), z_t - max_{j != t} z_j;
 * untargeted (+1), max_{j != y} z_j - z_y. Positive: the goal is reached (ties aside). */
static float goal_margin(const float *z, int classes, int label, int direction) {
    float other = -INFINITY;
    for (int j = 0; j < classes; j++)
        if (j != label && z[j] > other) other = z[j];
    return direction < 0 ? z[label] - other : other - z[label];
}

/* Softmax probability of class t at logits z, computed stably. */
static double class_probability(const float *z, int classes, int t) {
    float zmax = z[0];
    for (int j = 1; j < classes; j++)
        if (z[j] > zmax) zmax = z[j];
    double sum = 0;
    for (int j = 0; j < classes; j++)
        sum += exp((double)z[j] - zmax);
    return exp((double)z[t] - zmax) / sum;
}

/* Projected steps shared by the targeted and untargeted PGD. direction -1: descend the loss
 * of `labels`, a sample is done when classified as its label, with at least min_confidence
 * probability if that is set (targeted); +1: ascend it, a sample is done when classified as
 * anything else (untargeted). */
int attack_pgd_run(nn_model *m, const float *x, const uint8_t *labels, int n,
                   const nn_pgd_config *cfg, int direction, nn_rng *rng, float *x_adv,
                   int *steps_taken, nn_err *err) {
    if (attack_check_batch(m, n, err)) return -1;
    if (cfg->eps < 0 || cfg->alpha <= 0 || cfg->steps < 1)
        return nn_fail(err, "pgd: needs eps >= 0, alpha > 0 and steps >= 1");
    if (!(cfg->min_confidence >= 0 && cfg->min_confidence < 1))
        return nn_fail(err, "pgd: min_confidence must be in [0, 1), not %g",
                       (double)cfg->min_confidence);
    if (cfg->min_confidence > 0 && direction > 0)
        return nn_fail(err, "pgd: min_confidence needs a target (an untargeted attack has none)");
    if (cfg->random_start && !rng) return nn_fail(err, "pgd: a random start needs a generator");
    nn_set_input_grad(m, 1);
    int d = nn_input_size(m), classes = nn_output_size(m);
    size_t total = (size_t)n * d;
    for (size_t i = 0; i < total; i++) {
        float start = cfg->random_start ? (2 * rng_uniform(rng) - 1) * cfg->eps : 0;
        x_adv[i] = clamp01(x[i] + start);
    }
    /* A sample is "done" once it reaches its goal; with early_stop it stops moving. */
    unsigned char *done = calloc((size_t)n, 1);
    float *best = cfg->keep_best ? malloc(total * sizeof *best) : NULL;
    float *best_margin = cfg->keep_best ? malloc((size_t)n * sizeof *best_margin) : NULL;
    if (!done || (cfg->keep_best && (!best || !best_margin))) {
        free(done);
        free(best);
        free(best_margin);
        return nn_fail(err, "pgd: out of memory");
    }
    for (int k = 0; k < n; k++) {
        if (steps_taken) steps_taken[k] = cfg->steps + 1;
        if (best_margin) best_margin[k] = -INFINITY;
    }
    for (int step = 0;; step++) {
        const float *g;
        const float *logits = attack_loss_gradient(m, x_adv, labels, n, &g);
        int all_done = 1;
        for (int k = 0; k < n; k++) {
            const float *z = logits + (size_t)k * classes;
            int is_label = nn_argmax(z, classes) == labels[k];
            int reached = direction < 0 ? is_label : !is_label;
            if (reached && cfg->min_confidence > 0)
                reached = class_probability(z, classes, labels[k]) >= cfg->min_confidence;
            if (!done[k] && reached) {
                done[k] = 1;
                if (steps_taken) steps_taken[k] = step;
            }
            all_done &= done[k];
            if (best_margin) {
                float margin = goal_margin(z, classes, labels[k], direction);
                if (margin > best_margin[k]) {
                    best_margin[k] = margin;
                    memcpy(best + (size_t)k * d, x_adv + (size_t)k * d, sizeof(float) * d);
                }
            }
        }
        /* With early stop nothing moves once every sample is done: skip the idle steps. */
        if (step == cfg->steps || (cfg->early_stop && all_done)) break;
        for (int k = 0; k < n; k++) {
            if (cfg->early_stop && done[k]) continue;
            for (int j = 0; j < d; j++) {
                size_t i = (size_t)k * d + j;
                float s = g[i] > 0 ? 1.0f : g[i] < 0 ? -1.0f : 0.0f;
                float v = x_adv[i] + direction * cfg->alpha * s;
                /* Project onto the L-infinity ball around x, then onto the valid pixels. */
                if (v > x[i] + cfg->eps) v = x[i] + cfg->eps;
                if (v < x[i] - cfg->eps) v = x[i] - cfg->eps;
                x_adv[i] = clamp01(v);
            }
        }
    }
    if (best) memcpy(x_adv, best, total * sizeof *x_adv);
    free(done);
    free(best);
    free(best_margin);
    return 0;
}

int attack_pgd_targeted(nn_model *m, const float *x, const uint8_t *target, int n,
                        const nn_pgd_config *cfg, nn_rng *rng, float *x_adv, int *steps_taken,
                        nn_err *err) {
    return attack_pgd_run(m, x, target, n, cfg, -1, rng, x_adv, steps_taken, err);
}

/* The CW margin max_{j != t} z_j - z_t and the class j that attains it. */
static float cw_margin(const float *z, int classes, int t, int *best_other) {
    int j_best = t == 0 ? 1 : 0;
    for (int j = 0; j < classes; j++)
        if (j != t && z[j] > z[j_best]) j_best = j;
    *best_other = j_best;
    return z[j_best] - z[t];
}

typedef struct cw_state {
    float *w, *adam_m, *adam_v, *x_cur, *best;
    float *c, *c_low, *c_high, *best_l2;
    int *first_success;
    unsigned char *round_success;
} cw_state;

static void cw_free(cw_state *s) {
    free(s->w);
    free(s->adam_m);
    free(s->adam_v);
    free(s->x_cur);
    free(s->best);
    free(s->c);
    free(s->c_low);
    free(s->c_high);
    free(s->best_l2);
    free(s->first_success);
    free(s->round_success);
}

int attack_cw_targeted(nn_model *m, const float *x, const uint8_t *target, int n,
                       const nn_cw_config *cfg, float *x_adv, int *steps_taken, nn_err *err) {
    if (attack_check_batch(m, n, err)) return -1;
    if (cfg->c_initial <= 0 || cfg->search_steps < 1 || cfg->iterations < 1 || cfg->lr <= 0 ||
        cfg->kappa < 0)
        return nn_fail(err,
                       "cw: needs c > 0, search_steps >= 1, iterations >= 1, lr > 0, kappa >= 0");
    nn_set_input_grad(m, 1);
    int d = nn_input_size(m), classes = nn_output_size(m);
    size_t total = (size_t)n * d;
    cw_state s = {0};
    s.w = malloc(total * sizeof *s.w);
    s.adam_m = malloc(total * sizeof *s.adam_m);
    s.adam_v = malloc(total * sizeof *s.adam_v);
    s.x_cur = malloc(total * sizeof *s.x_cur);
    s.best = malloc(total * sizeof *s.best);
    s.c = malloc(n * sizeof *s.c);
    s.c_low = malloc(n * sizeof *s.c_low);
    s.c_high = malloc(n * sizeof *s.c_high);
    s.best_l2 = malloc(n * sizeof *s.best_l2);
    s.first_success = malloc(n * sizeof *s.first_success);
    s.round_success = malloc(n);
    if (!s.w || !s.adam_m || !s.adam_v || !s.x_cur || !s.best || !s.c || !s.c_low || !s.c_high ||
        !s.best_l2 || !s.first_success || !s.round_success) {
        cw_free(&s);
        return nn_fail(err, "cw: out of memory for %d samples", n);
    }
    int never = cfg->search_steps * cfg->iterations + 1;
    memcpy(s.best, x, total * sizeof *x);
    for (int k = 0; k < n; k++) {
        s.c[k] = cfg->c_initial;
        s.c_low[k] = 0;
        s.c_high[k] = INFINITY;
        s.best_l2[k] = INFINITY;
        s.first_success[k] = never;
    }
    const float beta1 = 0.9f, beta2 = 0.999f, adam_eps = 1e-8f;
    int iterations_done = 0;
    for (int round = 0; round < cfg->search_steps; round++) {
        /* Start every round from x itself; 0.999999 keeps atanh finite at 0 and 1. */
        for (size_t i = 0; i < total; i++) {
            s.w[i] = atanhf((2 * x[i] - 1) * 0.999999f);
            s.adam_m[i] = s.adam_v[i] = 0;
        }
        memset(s.round_success, 0, (size_t)n);
        for (int it = 1; it <= cfg->iterations; it++) {
            for (size_t i = 0; i < total; i++)
                s.x_cur[i] = (tanhf(s.w[i]) + 1) * 0.5f;
            const float *z = nn_forward(m, s.x_cur, n, 0);
            float *dz = nn_output_grad_buffer(m);
            for (int k = 0; k < n; k++) {
                const float *zk = z + (size_t)k * classes;
                float *dzk = dz + (size_t)k * classes;
                int other;
                float margin = cw_margin(zk, classes, target[k], &other);
                memset(dzk, 0, sizeof(float) * classes);
                /* A candidate: classified as the target, with the target's logit ahead of
                 * every other by kappa (the margin the attack was asked for). */
                if (margin < 0 && margin <= -cfg->kappa) {
                    double l2 = 0;
                    for (int j = 0; j < d; j++) {
                        double diff = s.x_cur[(size_t)k * d + j] - x[(size_t)k * d + j];
                        l2 += diff * diff;
                    }
                    s.round_success[k] = 1;
                    /* x_cur is the point after it - 1 updates of this round. */
                    if (s.first_success[k] == never) s.first_success[k] = iterations_done + it - 1;
                    if (l2 < (double)s.best_l2[k] * s.best_l2[k]) {
                        s.best_l2[k] = (float)sqrt(l2);
                        memcpy(s.best + (size_t)k * d, s.x_cur + (size_t)k * d, sizeof(float) * d);
                    }
                }
                if (margin > -cfg->kappa) { /* the hinge is active: push the margin down */
                    dzk[other] = s.c[k];
                    dzk[target[k]] = -s.c[k];
                }
            }
            nn_backward(m, dz, n);
            const float *g = nn_input_grad(m);
            float correction1 = 1 - powf(beta1, (float)it),
                  correction2 = 1 - powf(beta2, (float)it);
            for (size_t i = 0; i < total; i++) {
                /* d/dx' of ||x' - x||^2 + c * hinge, then the chain rule through tanh. */
                float t = tanhf(s.w[i]);
                float grad = (2 * (s.x_cur[i] - x[i]) + g[i]) * 0.5f * (1 - t * t);
                s.adam_m[i] = beta1 * s.adam_m[i] + (1 - beta1) * grad;
                s.adam_v[i] = beta2 * s.adam_v[i] + (1 - beta2) * grad * grad;
                s.w[i] -= cfg->lr * (s.adam_m[i] / correction1) /
                          (sqrtf(s.adam_v[i] / correction2) + adam_eps);
            }
        }
        iterations_done += cfg->iterations;
        /* Binary search on c: smaller after a success, larger (x10 until bracketed) after a
         * failure. */
        for (int k = 0; k < n; k++) {
            if (s.round_success[k])
                s.c_high[k] = s.c[k];
            else
                s.c_low[k] = s.c[k];
            s.c[k] = isinf(s.c_high[k]) ? s.c[k] * 10 : (s.c_low[k] + s.c_high[k]) / 2;
        }
    }
    memcpy(x_adv, s.best, total * sizeof *x_adv);
    if (steps_taken) memcpy(steps_taken, s.first_success, n * sizeof *steps_taken);
    cw_free(&s);
    return 0;
}

int attack_measure(nn_model *m, const float *x, const float *x_adv, const uint8_t *target, int n,
                   nn_attack_outcome *out, nn_err *err) {
    if (attack_check_batch(m, n, err)) return -1;
    int d = nn_input_size(m), classes = nn_output_size(m);
    const float *z = nn_forward(m, x_adv, n, 0);
    for (int k = 0; k < n; k++) {
        const float *zk = z + (size_t)k * classes;
        double l2 = 0, linf = 0;
        for (int j = 0; j < d; j++) {
            double diff = fabs((double)x_adv[(size_t)k * d + j] - x[(size_t)k * d + j]);
            l2 += diff * diff;
            if (diff > linf) linf = diff;
        }
        int predicted = nn_argmax(zk, classes);
        out[k] = (nn_attack_outcome){
            .success = predicted == target[k],
            .predicted = predicted,
            .l2 = (float)sqrt(l2),
            .linf = (float)linf,
            .confidence = (float)class_probability(zk, classes, target[k]),
        };
    }
    return 0;
}
