/* optim.c - SGD and Adam over the parameter block (see optim.h for the update rules).
 *
 * Both walk the model's parameter spans and run one contiguous loop per span, so frozen
 * spans cost nothing and the loops vectorise; large spans are split over OpenMP threads
 * (each element is updated alone, so the result does not depend on the thread count). State
 * arrays share the parameter block's layout: state[i] belongs to params[i].
 *
 * Adam's loop is written with AVX-512 intrinsics where available: the compiler will not
 * vectorise a loop that calls sqrtf, since sqrtf may set errno (we do not build with
 * -fno-math-errno), and the scalar loop cost 5x SGD's. The vector body performs exactly the
 * scalar loop's operations in the same order (no fused multiply-adds: ISO C mode keeps
 * -ffp-contract=off, and sqrt and division are correctly rounded in both), so whichever
 * elements a thread's range hands to the scalar tail, the result is bit-identical. */
#include "nn/optim.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#ifdef __AVX512F__
#include <immintrin.h>
#endif

#include "base/parallel.h"

typedef enum optim_kind { OPTIM_SGD, OPTIM_ADAM } optim_kind;

struct nn_optim {
    optim_kind kind;
    nn_model *model;
    nn_sgd_config sgd;
    nn_adam_config adam;
    size_t n;
    float *s1; /* SGD: velocity (NULL without momentum); Adam: first moment */
    float *s2; /* Adam: second moment */
    long t;    /* steps taken */
};

nn_adam_config nn_adam_defaults(void) {
    return (nn_adam_config){.beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f};
}

static nn_optim *optim_new(nn_model *m, optim_kind kind, int states, const char *what,
                           nn_err *err) {
    size_t n = nn_param_count(m);
    if (!nn_params(m) || n == 0) {
        nn_fail(err, "%s: the model must be built and have parameters", what);
        return NULL;
    }
    nn_optim *o = calloc(1, sizeof *o);
    if (!o) {
        nn_fail(err, "%s: out of memory", what);
        return NULL;
    }
    o->kind = kind;
    o->model = m;
    o->n = n;
    if (states >= 1) o->s1 = calloc(n, sizeof *o->s1);
    if (states >= 2) o->s2 = calloc(n, sizeof *o->s2);
    if ((states >= 1 && !o->s1) || (states >= 2 && !o->s2)) {
        nn_optim_free(o);
        nn_fail(err, "%s: out of memory for %zu parameters of state", what, n);
        return NULL;
    }
    return o;
}

nn_optim *nn_sgd_new(nn_model *m, nn_sgd_config cfg, nn_err *err) {
    if (!(cfg.momentum >= 0 && cfg.momentum < 1)) {
        nn_fail(err, "sgd: momentum %g must be in [0, 1)", cfg.momentum);
        return NULL;
    }
    if (cfg.nesterov && cfg.momentum == 0) {
        nn_fail(err, "sgd: nesterov needs a momentum > 0");
        return NULL;
    }
    if (!(cfg.weight_decay >= 0)) {
        nn_fail(err, "sgd: weight decay %g must be >= 0", cfg.weight_decay);
        return NULL;
    }
    nn_optim *o = optim_new(m, OPTIM_SGD, cfg.momentum > 0 ? 1 : 0, "sgd", err);
    if (o) o->sgd = cfg;
    return o;
}

nn_optim *nn_adam_new(nn_model *m, nn_adam_config cfg, nn_err *err) {
    if (!(cfg.beta1 >= 0 && cfg.beta1 < 1)) {
        nn_fail(err, "adam: beta1 %g must be in [0, 1)", cfg.beta1);
        return NULL;
    }
    if (!(cfg.beta2 >= 0 && cfg.beta2 < 1)) {
        nn_fail(err, "adam: beta2 %g must be in [0, 1)", cfg.beta2);
        return NULL;
    }
    if (!(cfg.eps > 0) || !(cfg.weight_decay >= 0)) {
        nn_fail(err, "adam: eps %g must be > 0 and weight decay %g >= 0", cfg.eps,
                cfg.weight_decay);
        return NULL;
    }
    nn_optim *o = optim_new(m, OPTIM_ADAM, 2, "adam", err);
    if (o) o->adam = cfg;
    return o;
}

static void sgd_span(const nn_sgd_config *c, float *restrict p, const float *restrict g,
                     float *restrict v, size_t n, float lr, float wd) {
    const float mu = c->momentum;
    if (!v) {
#pragma omp parallel for schedule(static) if (n >= NN_PAR_MIN_FLOATS)
        for (size_t i = 0; i < n; i++) p[i] -= lr * (g[i] + wd * p[i]);
    } else if (c->nesterov) {
#pragma omp parallel for schedule(static) if (n >= NN_PAR_MIN_FLOATS)
        for (size_t i = 0; i < n; i++) {
            float d = g[i] + wd * p[i];
            v[i] = mu * v[i] + d;
            p[i] -= lr * (d + mu * v[i]);
        }
    } else {
#pragma omp parallel for schedule(static) if (n >= NN_PAR_MIN_FLOATS)
        for (size_t i = 0; i < n; i++) {
            v[i] = mu * v[i] + g[i] + wd * p[i];
            p[i] -= lr * v[i];
        }
    }
}

/* Adam on elements [lo, hi) of a span. */
static void adam_range(const nn_adam_config *c, float *restrict p, const float *restrict g,
                       float *restrict m1, float *restrict m2, size_t lo, size_t hi,
                       float step, float inv_sqrt_bc2, float wd) {
    const float b1 = c->beta1, b2 = c->beta2, eps = c->eps, a1 = 1 - b1, a2 = 1 - b2;
    size_t i = lo;
#ifdef __AVX512F__
    const __m512 vb1 = _mm512_set1_ps(b1), vb2 = _mm512_set1_ps(b2), va1 = _mm512_set1_ps(a1),
                 va2 = _mm512_set1_ps(a2), veps = _mm512_set1_ps(eps),
                 vstep = _mm512_set1_ps(step), vbc = _mm512_set1_ps(inv_sqrt_bc2),
                 vwd = _mm512_set1_ps(wd);
    for (; i + 16 <= hi; i += 16) {
        __m512 pv = _mm512_loadu_ps(p + i);
        const __m512 d = _mm512_add_ps(_mm512_loadu_ps(g + i), _mm512_mul_ps(vwd, pv));
        const __m512 u = _mm512_add_ps(_mm512_mul_ps(vb1, _mm512_loadu_ps(m1 + i)),
                                       _mm512_mul_ps(va1, d));
        const __m512 v = _mm512_add_ps(_mm512_mul_ps(vb2, _mm512_loadu_ps(m2 + i)),
                                       _mm512_mul_ps(_mm512_mul_ps(va2, d), d));
        const __m512 den = _mm512_add_ps(_mm512_mul_ps(_mm512_sqrt_ps(v), vbc), veps);
        pv = _mm512_sub_ps(pv, _mm512_div_ps(_mm512_mul_ps(vstep, u), den));
        _mm512_storeu_ps(m1 + i, u);
        _mm512_storeu_ps(m2 + i, v);
        _mm512_storeu_ps(p + i, pv);
    }
#endif
    for (; i < hi; i++) {
        float d = g[i] + wd * p[i];
        m1[i] = b1 * m1[i] + a1 * d;
        m2[i] = b2 * m2[i] + a2 * d * d;
        p[i] -= step * m1[i] / (sqrtf(m2[i]) * inv_sqrt_bc2 + eps);
    }
}

static void adam_span(const nn_adam_config *c, float *restrict p, const float *restrict g,
                      float *restrict m1, float *restrict m2, size_t n, float step,
                      float inv_sqrt_bc2, float wd) {
    /* Each thread takes one contiguous range, like schedule(static). */
#pragma omp parallel if (n >= NN_PAR_MIN_FLOATS)
    {
        const size_t t = (size_t)omp_get_thread_num(), team = (size_t)omp_get_num_threads();
        adam_range(c, p, g, m1, m2, n * t / team, n * (t + 1) / team, step, inv_sqrt_bc2, wd);
    }
}

void nn_optim_step(nn_optim *o, float lr) {
    nn_model *m = o->model;
    float *params = nn_params(m);
    const float *grads = nn_grads(m);
    o->t++;
    /* Adam's bias corrections, once per step in double: 1 - b^t loses digits in float
     * when b is close to 1 (b2 = 0.999). */
    float step = 0, inv_sqrt_bc2 = 0;
    if (o->kind == OPTIM_ADAM) {
        double bc1 = 1.0 - pow(o->adam.beta1, (double)o->t);
        double bc2 = 1.0 - pow(o->adam.beta2, (double)o->t);
        step = (float)(lr / bc1);
        inv_sqrt_bc2 = (float)(1.0 / sqrt(bc2));
    }
    const int spans = nn_param_span_count(m);
    for (int k = 0; k < spans; k++) {
        nn_param_span s = nn_param_span_at(m, k);
        if (s.frozen) continue;
        float *p = params + s.offset;
        const float *g = grads + s.offset;
        if (o->kind == OPTIM_SGD) {
            float wd = s.is_bias && !o->sgd.decay_biases ? 0.0f : o->sgd.weight_decay;
            sgd_span(&o->sgd, p, g, o->s1 ? o->s1 + s.offset : NULL, s.count, lr, wd);
        } else {
            float wd = s.is_bias && !o->adam.decay_biases ? 0.0f : o->adam.weight_decay;
            adam_span(&o->adam, p, g, o->s1 + s.offset, o->s2 + s.offset, s.count, step,
                      inv_sqrt_bc2, wd);
        }
    }
}

void nn_optim_reset(nn_optim *o) {
    if (o->s1) memset(o->s1, 0, o->n * sizeof *o->s1);
    if (o->s2) memset(o->s2, 0, o->n * sizeof *o->s2);
    o->t = 0;
}

long nn_optim_steps(const nn_optim *o) {
    return o->t;
}

void nn_optim_free(nn_optim *o) {
    if (!o) return;
    free(o->s1);
    free(o->s2);
    free(o);
}
