/* model.c - the layer list, its buffers, and forward/backward over them (see model.h).
 *
 * Memory map after nn_model_build (all 64-byte aligned, allocated once, freed by
 * nn_model_free):
 *     params   [n_params]   every layer's weights then biases, in layer order
 *     grads    [n_params]   same layout as params
 *     spans    [n_spans]    the parameter tensors, for optimisers
 *     arena    input, d_input, then per layer: out, d_out    (max_batch samples each)
 * Nothing else is allocated after build, which is what makes forward/backward
 * allocation-free. */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "init.h"

typedef enum layer_kind {
    LAYER_DENSE,
    LAYER_ACTIVATION,
} layer_kind;

typedef struct layer {
    layer_kind kind;
    const char *kind_name; /* "dense", "relu", ...: static strings */
    char name[24];         /* kind_name + 1-based count among layers of that kind */
    int c, h, w;           /* output shape of one sample */
    int in_size, out_size; /* floats per sample in and out */
    int src;               /* layer whose output is this one's input; -1: the model input */
    nn_activation act;     /* LAYER_ACTIVATION */
    size_t w_off, w_len;   /* weights in the parameter block (w_len 0: none) */
    size_t b_off, b_len;   /* biases */
    int frozen;
    /* Per backward pass: whether dL/d(out) is needed (this layer trains, or something
     * below it does, or the input gradient is wanted), and whether it was computed. */
    int need_d_out, d_out_valid;
    float *out, *d_out; /* max_batch x out_size each, in the arena */
} layer;

struct nn_model {
    int in_c, in_h, in_w, in_size;
    layer *layers;
    int n_layers, cap_layers;
    nn_err add_err; /* first problem met while adding layers; reported by build */
    int add_failed;

    int built, max_batch;
    float *params, *grads;
    size_t n_params;
    nn_param_span *spans;
    int n_spans;
    float *arena;
    float *input, *d_input;
    int input_grad_on;
    int last_n;     /* batch size of the last forward; 0 before any */
    int backward_n; /* batch size of the last backward; 0 before any */
    int training;   /* mode of the last forward, for layers that behave differently */
};

/* Floats rounded up to a multiple of 16 (64 bytes), so every carved buffer stays aligned. */
static size_t round16(size_t n) {
    return (n + 15) & ~(size_t)15;
}

static float *alloc_floats(size_t n) {
    size_t bytes = round16(n ? n : 1) * sizeof(float);
    float *p = aligned_alloc(64, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

nn_model *nn_model_new(int c, int h, int w, nn_err *err) {
    if (c < 1 || h < 1 || w < 1) {
        nn_fail(err, "model: bad input shape (%d, %d, %d): every size must be >= 1", c, h, w);
        return NULL;
    }
    nn_model *m = calloc(1, sizeof *m);
    if (!m) {
        nn_fail(err, "model: out of memory");
        return NULL;
    }
    m->in_c = c, m->in_h = h, m->in_w = w;
    m->in_size = c * h * w;
    m->input_grad_on = 1;
    return m;
}

/* Records the first error met while adding layers (later ones are consequences). */
static void add_fail(nn_model *m, const char *msg) {
    if (m->add_failed) return;
    m->add_failed = 1;
    snprintf(m->add_err.msg, sizeof m->add_err.msg, "layer %d: %s", m->n_layers, msg);
}

/* Appends a layer fed by the previous one, with its input shape filled in; NULL (and the
 * error recorded) if the model is built or memory runs out. */
static layer *add_layer(nn_model *m, layer_kind kind, const char *kind_name) {
    if (m->built) {
        add_fail(m, "cannot add layers after nn_model_build");
        return NULL;
    }
    if (m->n_layers == m->cap_layers) {
        int cap = m->cap_layers ? 2 * m->cap_layers : 8;
        layer *grown = realloc(m->layers, (size_t)cap * sizeof *grown);
        if (!grown) {
            add_fail(m, "out of memory");
            return NULL;
        }
        m->layers = grown;
        m->cap_layers = cap;
    }
    layer *prev = m->n_layers ? &m->layers[m->n_layers - 1] : NULL;
    layer *l = &m->layers[m->n_layers];
    memset(l, 0, sizeof *l);
    l->kind = kind;
    l->src = m->n_layers - 1;
    l->in_size = prev ? prev->out_size : m->in_size;
    l->c = prev ? prev->c : m->in_c;
    l->h = prev ? prev->h : m->in_h;
    l->w = prev ? prev->w : m->in_w;
    l->out_size = l->in_size;
    /* Name: kind plus its 1-based count among the layers with the same kind name. */
    int same = 1;
    for (int i = 0; i < m->n_layers; i++) same += strcmp(m->layers[i].kind_name, kind_name) == 0;
    l->kind_name = kind_name;
    snprintf(l->name, sizeof l->name, "%s%d", kind_name, same);
    m->n_layers++;
    return l;
}

void nn_add_dense(nn_model *m, int units) {
    if (units < 1) {
        add_fail(m, "dense: units must be >= 1");
        return;
    }
    layer *l = add_layer(m, LAYER_DENSE, "dense");
    if (!l) return;
    l->c = units, l->h = 1, l->w = 1;
    l->out_size = units;
    l->w_len = (size_t)units * l->in_size;
    l->b_len = (size_t)units;
}

void nn_add_activation(nn_model *m, nn_activation kind) {
    if (kind < NN_RELU || kind > NN_SOFTMAX) {
        add_fail(m, "activation: unknown kind");
        return;
    }
    layer *l = add_layer(m, LAYER_ACTIVATION, activation_name(kind));
    if (l) l->act = kind;
}

int nn_model_build(nn_model *m, int max_batch, nn_err *err) {
    if (m->built) return nn_fail(err, "model: already built");
    if (m->add_failed) return nn_fail(err, "model: %s", m->add_err.msg);
    if (m->n_layers == 0) return nn_fail(err, "model: no layers to build");
    if (max_batch < 1) return nn_fail(err, "model: max batch %d must be >= 1", max_batch);

    /* Parameter layout: layer by layer, weights then biases. */
    size_t n_params = 0;
    int n_spans = 0;
    for (int i = 0; i < m->n_layers; i++) {
        layer *l = &m->layers[i];
        l->w_off = n_params;
        n_params += l->w_len;
        l->b_off = n_params;
        n_params += l->b_len;
        n_spans += (l->w_len > 0) + (l->b_len > 0);
    }
    /* Arena: model input and its gradient, then out and d_out of every layer. */
    const size_t mb = (size_t)max_batch;
    size_t arena_len = 2 * round16(mb * m->in_size);
    for (int i = 0; i < m->n_layers; i++) arena_len += 2 * round16(mb * m->layers[i].out_size);

    m->params = alloc_floats(n_params);
    m->grads = alloc_floats(n_params);
    m->spans = calloc(n_spans ? (size_t)n_spans : 1, sizeof *m->spans);
    m->arena = alloc_floats(arena_len);
    if (!m->params || !m->grads || !m->spans || !m->arena) {
        free(m->params), free(m->grads), free(m->spans), free(m->arena);
        m->params = m->grads = m->arena = NULL;
        m->spans = NULL;
        return nn_fail(err, "model: out of memory for %zu parameters and %zu activations",
                       n_params, arena_len);
    }

    float *p = m->arena;
    m->input = p, p += round16(mb * m->in_size);
    m->d_input = p, p += round16(mb * m->in_size);
    int k = 0;
    for (int i = 0; i < m->n_layers; i++) {
        layer *l = &m->layers[i];
        l->out = p, p += round16(mb * l->out_size);
        l->d_out = p, p += round16(mb * l->out_size);
        if (l->w_len) m->spans[k++] = (nn_param_span){l->w_off, l->w_len, i, 0, 0};
        if (l->b_len) m->spans[k++] = (nn_param_span){l->b_off, l->b_len, i, 1, 0};
    }
    m->n_params = n_params;
    m->n_spans = n_spans;
    m->max_batch = max_batch;
    m->built = 1;
    return 0;
}

void nn_model_init(nn_model *m, nn_init kind, nn_rng *rng) {
    if (!m->built) return; /* nothing to initialise yet */
    for (int i = 0; i < m->n_layers; i++) {
        layer *l = &m->layers[i];
        if (l->kind == LAYER_DENSE) {
            float *w = m->params + l->w_off;
            if (kind == NN_INIT_HE_NORMAL) init_he_normal(w, l->w_len, l->in_size, rng);
            else init_glorot_uniform(w, l->w_len, l->in_size, l->out_size, rng);
        }
        if (l->b_len) memset(m->params + l->b_off, 0, l->b_len * sizeof(float));
    }
}

void nn_model_free(nn_model *m) {
    if (!m) return;
    free(m->params);
    free(m->grads);
    free(m->spans);
    free(m->arena);
    free(m->layers);
    free(m);
}

/* ---- forward and backward ------------------------------------------------------------- */

static const float *layer_input(const nn_model *m, const layer *l) {
    return l->src < 0 ? m->input : m->layers[l->src].out;
}

static int trainable(const layer *l) {
    return (l->w_len || l->b_len) && !l->frozen;
}

const float *nn_forward(nn_model *m, const float *x, int n, int training) {
    if (!m || !m->built || n < 1 || n > m->max_batch) return NULL;
    memcpy(m->input, x, (size_t)n * m->in_size * sizeof(float));
    for (int i = 0; i < m->n_layers; i++) {
        layer *l = &m->layers[i];
        const float *in = layer_input(m, l);
        switch (l->kind) {
        case LAYER_DENSE:
            dense_forward(l->out, in, m->params + l->w_off, m->params + l->b_off, n, l->in_size,
                          l->out_size);
            break;
        case LAYER_ACTIVATION:
            activation_forward(l->act, l->out, in, n, l->out_size);
            break;
        }
    }
    m->last_n = n;
    m->training = training;
    return m->layers[m->n_layers - 1].out;
}

int nn_backward(nn_model *m, const float *d_out, int n) {
    if (!m || !m->built || m->last_n == 0 || n != m->last_n) return -1;
    /* Which output gradients are needed, in forward order: a layer's own parameters, or
     * anything fed by gradients flowing through its input. A frozen prefix with input
     * gradients off is then skipped entirely. */
    for (int i = 0; i < m->n_layers; i++) {
        layer *l = &m->layers[i];
        int need_in = l->src < 0 ? m->input_grad_on : m->layers[l->src].need_d_out;
        l->need_d_out = trainable(l) || need_in;
        l->d_out_valid = 0;
    }
    layer *last = &m->layers[m->n_layers - 1];
    if (d_out != last->d_out) memcpy(last->d_out, d_out, (size_t)n * last->out_size * sizeof(float));
    last->d_out_valid = 1;

    for (int i = m->n_layers - 1; i >= 0; i--) {
        layer *l = &m->layers[i];
        if (!l->d_out_valid) continue; /* nothing above needed to reach this layer */
        /* Where dL/d(input) goes, or NULL if nothing below needs it. */
        float *dx = NULL;
        if (l->src < 0) {
            if (m->input_grad_on) dx = m->d_input;
        } else if (m->layers[l->src].need_d_out) {
            dx = m->layers[l->src].d_out;
            m->layers[l->src].d_out_valid = 1;
        }
        const float *in = layer_input(m, l);
        switch (l->kind) {
        case LAYER_DENSE: {
            int t = trainable(l);
            dense_backward(dx, t ? m->grads + l->w_off : NULL, t ? m->grads + l->b_off : NULL,
                           l->d_out, in, m->params + l->w_off, n, l->in_size, l->out_size);
            break;
        }
        case LAYER_ACTIVATION:
            if (dx) activation_backward(l->act, dx, l->d_out, in, l->out, n, l->out_size);
            break;
        }
    }
    m->backward_n = n;
    return 0;
}

float *nn_output_grad_buffer(nn_model *m) {
    return m->built ? m->layers[m->n_layers - 1].d_out : NULL;
}

void nn_set_input_grad(nn_model *m, int on) {
    m->input_grad_on = on != 0;
}

const float *nn_input_grad(const nn_model *m) {
    return m->built && m->input_grad_on ? m->d_input : NULL;
}

/* ---- shape and layers ----------------------------------------------------------------- */

int nn_input_size(const nn_model *m) {
    return m->in_size;
}

int nn_output_size(const nn_model *m) {
    return m->n_layers ? m->layers[m->n_layers - 1].out_size : m->in_size;
}

int nn_max_batch(const nn_model *m) {
    return m->max_batch;
}

int nn_layer_count(const nn_model *m) {
    return m->n_layers;
}

static const layer *layer_at(const nn_model *m, int i) {
    return m && i >= 0 && i < m->n_layers ? &m->layers[i] : NULL;
}

const char *nn_layer_name(const nn_model *m, int i) {
    const layer *l = layer_at(m, i);
    return l ? l->name : NULL;
}

int nn_layer_shape(const nn_model *m, int i, int *c, int *h, int *w) {
    const layer *l = layer_at(m, i);
    if (!l) return -1;
    *c = l->c, *h = l->h, *w = l->w;
    return 0;
}

const float *nn_layer_output(const nn_model *m, int i) {
    const layer *l = layer_at(m, i);
    return l && m->built ? l->out : NULL;
}

/* ---- parameters ----------------------------------------------------------------------- */

float *nn_params(nn_model *m) {
    return m->params;
}

float *nn_grads(nn_model *m) {
    return m->grads;
}

size_t nn_param_count(const nn_model *m) {
    return m->n_params;
}

int nn_param_span_count(const nn_model *m) {
    return m->n_spans;
}

nn_param_span nn_param_span_at(const nn_model *m, int k) {
    nn_param_span s = m->spans[k];
    s.frozen = m->layers[s.layer].frozen; /* read live: freezing may change after build */
    return s;
}

float *nn_layer_weights(nn_model *m, int i, size_t *len) {
    const layer *l = layer_at(m, i);
    *len = l && m->built ? l->w_len : 0;
    return *len ? m->params + l->w_off : NULL;
}

float *nn_layer_bias(nn_model *m, int i, size_t *len) {
    const layer *l = layer_at(m, i);
    *len = l && m->built ? l->b_len : 0;
    return *len ? m->params + l->b_off : NULL;
}

int nn_freeze_layer(nn_model *m, int i, int on) {
    if (!layer_at(m, i)) return -1;
    layer *l = &m->layers[i];
    l->frozen = on != 0;
    /* A frozen layer's gradient is no longer written by backward; zero it so that nothing
     * (an optimiser ignoring the flag, gradient statistics) sees a stale one. */
    if (l->frozen && m->built) {
        memset(m->grads + l->w_off, 0, l->w_len * sizeof(float));
        memset(m->grads + l->b_off, 0, l->b_len * sizeof(float));
    }
    return 0;
}

int nn_layer_frozen(const nn_model *m, int i) {
    const layer *l = layer_at(m, i);
    return l ? l->frozen : 0;
}

/* ---- gradient statistics -------------------------------------------------------------- */

static void max_abs_l2(const float *g, size_t n, float *max_abs, float *l2) {
    double mx = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        double v = fabs((double)g[i]);
        mx = v > mx ? v : mx;
        s += v * v;
    }
    *max_abs = (float)mx;
    *l2 = (float)sqrt(s);
}

int nn_layer_grad_stats(const nn_model *m, int i, nn_grad_stats *out) {
    const layer *l = layer_at(m, i);
    if (!l || !m->built) return -1;
    memset(out, 0, sizeof *out);
    out->has_params = l->w_len > 0 || l->b_len > 0;
    if (m->backward_n == 0) return 0;
    max_abs_l2(m->grads + l->w_off, l->w_len, &out->w_max_abs, &out->w_l2);
    if (l->d_out_valid)
        max_abs_l2(l->d_out, (size_t)m->backward_n * l->out_size, &out->act_max_abs,
                   &out->act_l2);
    return 0;
}
