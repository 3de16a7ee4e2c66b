/* generator.c - the simple generator and the two-step attack (see generator.h). */
#include "attack/generator.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/layers.h"
#include "nn/metrics.h"
#include "nn/optim.h"

/* ---- the generator network ---------------------------------------------------------------- */

static const float ONE = 1.0f; /* the generator's only input, always */

nn_model *gen_model_new(int d, nn_err *err) {
    if (d < 1) {
        nn_fail(err, "generator: needs at least one output value, not %d", d);
        return NULL;
    }
    nn_model *g = nn_model_new(1, 1, 1, err);
    if (!g) return NULL;
    nn_add_dense(g, d);
    if (nn_model_build(g, 1, err)) {
        nn_model_free(g);
        return NULL;
    }
    return g; /* parameters start at 0 (nn_model_build zeroes them) */
}

void gen_model_set(nn_model *g, const float *x) {
    size_t d, nb;
    float *w = nn_layer_weights(g, 0, &d), *b = nn_layer_bias(g, 0, &nb);
    memcpy(w, x, d * sizeof *w); /* a d x 1 weight matrix: one weight per output */
    memset(b, 0, nb * sizeof *b);
}

const float *gen_model_output(nn_model *g) {
    return nn_forward(g, &ONE, 1, 0);
}

void gen_model_project(nn_model *g) {
    size_t d, nb;
    float *w = nn_layer_weights(g, 0, &d), *b = nn_layer_bias(g, 0, &nb);
    for (size_t i = 0; i < d; i++) {
        float v = w[i] + b[i];
        w[i] = v < 0 ? 0 : v > 1 ? 1 : v;
        b[i] = 0;
    }
}

float gen_image_loss(nn_model *g, const float *x, int backward) {
    const float *out = gen_model_output(g);
    float *d = nn_output_grad_buffer(g);
    float loss = mse_loss(out, x, 1, nn_output_size(g), backward ? d : NULL);
    if (backward) nn_backward(g, d, 1);
    return loss;
}

/* The composite loss of one row of logits z for target j: writes C's probabilities to p and,
 * if dz is not NULL, the gradient of the loss with respect to z. onehot is scratch of
 * `classes` floats. */
static float row_loss(const float *z, int classes, int target, gen_loss kind, float *p,
                      float *onehot, float *dz) {
    activation_forward(NN_SOFTMAX, p, z, 1, classes);
    if (kind == GEN_LOSS_XENT) {
        uint8_t label = (uint8_t)target;
        return softmax_xent(z, &label, 1, classes, dz);
    }
    for (int k = 0; k < classes; k++)
        onehot[k] = k == target ? 1.0f : 0.0f;
    if (!dz) return mse_loss(p, onehot, 1, classes, NULL);
    /* dL/dp first (into dz), then through the softmax's Jacobian (dx may equal dy). */
    float loss = mse_loss(p, onehot, 1, classes, dz);
    activation_backward(NN_SOFTMAX, dz, dz, z, p, 1, classes);
    return loss;
}

float gen_composite_loss(nn_model *g, nn_model *c, int target, gen_loss loss, int backward,
                         float *probs) {
    int classes = nn_output_size(c);
    float p_local[256], onehot[256];
    if (classes > 256) return NAN; /* every dataset here has at most 256 classes */
    float *p = probs ? probs : p_local;
    const float *x = gen_model_output(g);
    const float *z = nn_forward(c, x, 1, 0);
    float *dz = backward ? nn_output_grad_buffer(c) : NULL;
    float value = row_loss(z, classes, target, loss, p, onehot, dz);
    if (backward) {
        nn_backward(c, dz, 1);
        nn_backward(g, nn_input_grad(c), 1);
    }
    return value;
}

/* ---- the attack --------------------------------------------------------------------------- */

gen_config gen_defaults(void) {
    return (gen_config){.lr_image = 0.01f,
                        .lr_target = 0.01f,
                        .image_steps = 1,
                        .target_steps = 1,
                        .max_rounds = 200,
                        .threshold = 0.9f,
                        .loss = GEN_LOSS_MSE};
}

struct gen_attack {
    nn_model *c;
    int n_max, n, d, classes;
    gen_config cfg;
    nn_model **g;
    nn_optim **opt_image, **opt_target;
    float *x0;     /* n_max x d: the originals */
    float *batch;  /* n_max x d: the running generators' images, packed, for C */
    float *probs;  /* n_max x classes: C's probabilities at the last evaluation */
    float *onehot; /* classes */
    int *rows;     /* the generators packed into `batch`, in order */
    uint8_t *target;
    gen_state *state;
};

void gen_attack_free(gen_attack *a) {
    if (!a) return;
    for (int k = 0; k < a->n_max; k++) {
        if (a->opt_image) nn_optim_free(a->opt_image[k]);
        if (a->opt_target) nn_optim_free(a->opt_target[k]);
        if (a->g) nn_model_free(a->g[k]);
    }
    free(a->g);
    free(a->opt_image);
    free(a->opt_target);
    free(a->x0);
    free(a->batch);
    free(a->probs);
    free(a->onehot);
    free(a->rows);
    free(a->target);
    free(a->state);
    free(a);
}

gen_attack *gen_attack_new(nn_model *classifier, int n_max, nn_err *err) {
    if (!classifier || n_max < 1 || n_max > nn_max_batch(classifier)) {
        nn_fail(err, "generator attack: %d generators, the classifier takes batches of 1 to %d",
                n_max, classifier ? nn_max_batch(classifier) : 0);
        return NULL;
    }
    int classes = nn_output_size(classifier);
    if (classes < 2 || classes > 256) {
        nn_fail(err, "generator attack: the classifier has %d outputs, expected 2 to 256", classes);
        return NULL;
    }
    gen_attack *a = calloc(1, sizeof *a);
    if (!a) {
        nn_fail(err, "generator attack: out of memory");
        return NULL;
    }
    a->c = classifier;
    a->n_max = n_max;
    a->d = nn_input_size(classifier);
    a->classes = classes;
    size_t nd = (size_t)n_max * a->d;
    a->g = calloc((size_t)n_max, sizeof *a->g);
    a->opt_image = calloc((size_t)n_max, sizeof *a->opt_image);
    a->opt_target = calloc((size_t)n_max, sizeof *a->opt_target);
    a->x0 = malloc(nd * sizeof *a->x0);
    a->batch = malloc(nd * sizeof *a->batch);
    a->probs = calloc((size_t)n_max * classes, sizeof *a->probs);
    a->onehot = malloc((size_t)classes * sizeof *a->onehot);
    a->rows = malloc((size_t)n_max * sizeof *a->rows);
    a->target = calloc((size_t)n_max, 1);
    a->state = calloc((size_t)n_max, sizeof *a->state);
    if (!a->g || !a->opt_image || !a->opt_target || !a->x0 || !a->batch || !a->probs ||
        !a->onehot || !a->rows || !a->target || !a->state) {
        gen_attack_free(a);
        nn_fail(err, "generator attack: out of memory for %d generators", n_max);
        return NULL;
    }
    for (int k = 0; k < n_max; k++) {
        if (!(a->g[k] = gen_model_new(a->d, err)) ||
            !(a->opt_image[k] = nn_adam_new(a->g[k], nn_adam_defaults(), err)) ||
            !(a->opt_target[k] = nn_adam_new(a->g[k], nn_adam_defaults(), err))) {
            gen_attack_free(a);
            return NULL;
        }
    }
    for (int l = 0; l < nn_layer_count(classifier); l++)
        nn_freeze_layer(classifier, l, 1);
    nn_set_input_grad(classifier, 1);
    return a;
}

/* C reads every running generator's image (all n with `all`): fills probs and the states. */
static void evaluate(gen_attack *a, int all) {
    int rows = 0;
    for (int k = 0; k < a->n; k++) {
        if (!all && !a->state[k].running) continue;
        memcpy(a->batch + (size_t)rows * a->d, gen_model_output(a->g[k]), a->d * sizeof(float));
        a->rows[rows++] = k;
    }
    if (!rows) return;
    const float *z = nn_forward(a->c, a->batch, rows, 0);
    for (int r = 0; r < rows; r++) {
        int k = a->rows[r];
        gen_state *s = &a->state[k];
        float *p = a->probs + (size_t)k * a->classes;
        const float *img = a->batch + (size_t)r * a->d, *x = a->x0 + (size_t)k * a->d;
        s->target_loss = row_loss(z + (size_t)r * a->classes, a->classes, a->target[k], a->cfg.loss,
                                  p, a->onehot, NULL);
        double sq = 0, mx = 0;
        for (int i = 0; i < a->d; i++) {
            double dv = (double)img[i] - x[i];
            sq += dv * dv;
            if (fabs(dv) > mx) mx = fabs(dv);
        }
        s->image_loss = (float)(sq / a->d);
        s->l2 = (float)sqrt(sq);
        s->linf = (float)mx;
        s->predicted = nn_argmax(p, a->classes);
        s->p_predicted = p[s->predicted];
        s->p_target = p[a->target[k]];
        s->done = s->predicted == a->target[k] && s->p_target >= a->cfg.threshold;
        s->running = !s->done && s->round < a->cfg.max_rounds;
    }
}

int gen_attack_start(gen_attack *a, const float *x, const uint8_t *target, int n,
                     const gen_config *cfg, nn_err *err) {
    if (n < 1 || n > a->n_max)
        return nn_fail(err, "generator attack: %d images, this attack takes 1 to %d", n, a->n_max);
    if (!(cfg->lr_image > 0 && cfg->lr_target > 0) || cfg->image_steps < 0 ||
        cfg->target_steps < 1 || cfg->max_rounds < 1 ||
        !(cfg->threshold > 0 && cfg->threshold <= 1))
        return nn_fail(err, "generator attack: needs learning rates > 0, image_steps >= 0, "
                            "target_steps >= 1, max_rounds >= 1 and a threshold in (0, 1]");
    for (int k = 0; k < n; k++)
        if (target[k] >= a->classes)
            return nn_fail(err,
                           "generator attack: target %d of image %d, the classifier has %d "
                           "classes",
                           target[k], k, a->classes);
    a->n = n;
    a->cfg = *cfg;
    memcpy(a->x0, x, (size_t)n * a->d * sizeof *x);
    memcpy(a->target, target, (size_t)n);
    for (int k = 0; k < n; k++) {
        gen_model_set(a->g[k], a->x0 + (size_t)k * a->d);
        nn_optim_reset(a->opt_image[k]);
        nn_optim_reset(a->opt_target[k]);
        a->state[k] = (gen_state){0};
    }
    evaluate(a, 1);
    return 0;
}

/* Step 2 for every running generator: their images through C as one batch, each row's
 * loss gradient back through C, each generator's slice of C's input gradient back into it. */
static void target_step(gen_attack *a) {
    int rows = 0;
    for (int k = 0; k < a->n; k++) {
        if (!a->state[k].running) continue;
        memcpy(a->batch + (size_t)rows * a->d, gen_model_output(a->g[k]), a->d * sizeof(float));
        a->rows[rows++] = k;
    }
    const float *z = nn_forward(a->c, a->batch, rows, 0);
    float *dz = nn_output_grad_buffer(a->c);
    for (int r = 0; r < rows; r++) {
        int k = a->rows[r];
        row_loss(z + (size_t)r * a->classes, a->classes, a->target[k], a->cfg.loss,
                 a->probs + (size_t)k * a->classes, a->onehot, dz + (size_t)r * a->classes);
    }
    nn_backward(a->c, dz, rows);
    const float *dx = nn_input_grad(a->c);
    for (int r = 0; r < rows; r++) {
        int k = a->rows[r];
        nn_backward(a->g[k], dx + (size_t)r * a->d, 1);
        nn_optim_step(a->opt_target[k], a->cfg.lr_target);
        gen_model_project(a->g[k]);
    }
}

int gen_attack_round(gen_attack *a, nn_err *err) {
    (void)err;
    int running = 0;
    for (int k = 0; k < a->n; k++) {
        a->state[k].moved = a->state[k].running;
        running += a->state[k].running;
    }
    if (!running) return 0;
    for (int k = 0; k < a->n; k++) {
        if (!a->state[k].running) continue;
        for (int s = 0; s < a->cfg.image_steps; s++) {
            gen_image_loss(a->g[k], a->x0 + (size_t)k * a->d, 1);
            nn_optim_step(a->opt_image[k], a->cfg.lr_image);
            gen_model_project(a->g[k]);
        }
    }
    for (int s = 0; s < a->cfg.target_steps; s++)
        target_step(a);
    for (int k = 0; k < a->n; k++)
        if (a->state[k].running) a->state[k].round++;
    evaluate(a, 0);
    return gen_attack_running(a);
}

int gen_attack_running(const gen_attack *a) {
    int running = 0;
    for (int k = 0; k < a->n; k++)
        running += a->state[k].running;
    return running;
}

const gen_state *gen_attack_state(const gen_attack *a, int k) {
    return &a->state[k];
}

const float *gen_attack_image(const gen_attack *a, int k) {
    /* W is the image (b is 0 after every projection and after gen_model_set). */
    size_t d;
    return nn_layer_weights(a->g[k], 0, &d);
}

const float *gen_attack_probs(const gen_attack *a, int k) {
    return a->probs + (size_t)k * a->classes;
}

nn_model *gen_attack_generator(gen_attack *a, int k) {
    return a->g[k];
}
