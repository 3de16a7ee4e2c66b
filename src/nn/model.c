/* model.c - the layer graph, its buffers, and forward/backward over them (see model.h).
 *
 * Memory map after nn_model_build (all 64-byte aligned, allocated once, freed by
 * nn_model_free):
 *     params   [n_params]   every layer's weights then biases, in layer order
 *     grads    [n_params]   same layout as params
 *     state    [n_state]    batch-norm running means and variances, in layer order
 *     spans    [n_spans]    the parameter tensors, for optimisers
 *     arena    input, d_input, then per layer: out, d_out (max_batch samples each) and aux
 *              (dropout: a mask of max_batch samples; batch norm: the mean and 1/std of the
 *              last forward, c each)
 *     scratch  the largest im2col/partial-gradient buffer any conv layer needs for
 *              `threads` threads, then (only with residual layers) one max_batch x
 *              largest-layer buffer where a gradient is formed before being added onto a
 *              layer that already received one from another consumer.
 * Nothing else is allocated after build, which is what makes forward/backward
 * allocation-free.
 *
 * The graph is a list in which layer i reads layer src = i - 1 (-1 is the model input) and
 * a residual layer also reads src2 = its mark. Producers always come before consumers, so
 * one reverse sweep finishes every consumer of a layer before the layer itself. */
#include "nn/model.h"

#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/init.h"

typedef struct layer {
    nn_layer_desc desc;    /* the kind and hyper-parameters it was added with */
    const char *kind_name; /* "dense", "relu", "conv", ...: static strings */
    char name[24];         /* kind_name + 1-based count among layers of that kind */
    int in_c, in_h, in_w;  /* input shape of one sample (of src) */
    int c, h, w;           /* output shape of one sample */
    int in_size, out_size; /* floats per sample in and out */
    int src;               /* layer whose output is this one's input; -1: the model input */
    int src2;              /* residual: the marked layer (-1: the model input) */
    conv2d_geom conv;      /* conv2d */
    size_t w_off, w_len;   /* weights in the parameter block (w_len 0: none) */
    size_t b_off, b_len;   /* biases */
    int w_no_decay;        /* batch-norm scales: "weights" exempt from weight decay */
    size_t s_off, s_len;   /* state block: batch-norm running mean then variance */
    int frozen;
    /* Per backward pass: whether dL/d(out) is needed (this layer trains, or something
     * below it does, or the input gradient is wanted), and whether it was computed. */
    int need_d_out, d_out_valid;
    float *out, *d_out; /* max_batch x out_size each, in the arena */
    float *aux;         /* dropout mask / batch-norm saved statistics; NULL for others */
    size_t aux_len;
} layer;

struct nn_model {
    int in_c, in_h, in_w, in_size;
    layer *layers;
    int n_layers, cap_layers;
    nn_err add_err; /* first problem met while adding layers; reported by build */
    int add_failed;
    nn_rng rng; /* dropout masks */

    int built, max_batch, threads;
    float *params, *grads, *state;
    size_t n_params, n_state;
    nn_param_span *spans;
    int n_spans;
    float *arena, *scratch;
    float *input, *d_input;
    float *d_tmp; /* residual models only: a gradient on its way to being accumulated */
    int input_grad_on;
    int d_input_valid;
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

/* The most floats one sample may take in any layer's output or weights (2^28, 1 GiB): far
 * above any model here, and low enough that sizes multiplied together (c * h * w, a batch
 * of outputs) stay exact in the int and size_t arithmetic of the layers. A model file
 * declaring more is refused rather than wrapped into a small allocation. */
#define MAX_FLOATS ((int64_t)1 << 28)
/* Kernel, stride and padding larger than this are refused for the same reason. */
#define MAX_WINDOW 65536

nn_model *nn_model_new(int c, int h, int w, nn_err *err) {
    if (c < 1 || h < 1 || w < 1) {
        nn_fail(err, "model: bad input shape (%d, %d, %d): every size must be >= 1", c, h, w);
        return NULL;
    }
    if ((int64_t)c * h * w > MAX_FLOATS) {
        nn_fail(err, "model: input shape (%d, %d, %d) too large: %lld values a sample, at most %lld",
                c, h, w, (long long)c * h * w, (long long)MAX_FLOATS);
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
    rng_seed(&m->rng, 0);
    return m;
}

/* Records the first error met while adding layers (later ones are consequences); -1. */
__attribute__((format(printf, 2, 3))) static int add_fail(nn_model *m, const char *fmt, ...) {
    if (m->add_failed) return -1;
    m->add_failed = 1;
    char msg[NN_ERR_MAX - 32];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(m->add_err.msg, sizeof m->add_err.msg, "layer %d: %s", m->n_layers, msg);
    return -1;
}

static const char *kind_name_of(const nn_layer_desc *d) {
    switch (d->kind) {
    case NN_LAYER_DENSE: return "dense";
    case NN_LAYER_ACTIVATION: return activation_name(d->act);
    case NN_LAYER_CONV2D: return "conv";
    case NN_LAYER_MAXPOOL: return "maxpool";
    case NN_LAYER_AVGPOOL: return "avgpool";
    case NN_LAYER_GLOBAL_AVGPOOL: return "gap";
    case NN_LAYER_BATCHNORM: return "bn";
    case NN_LAYER_DROPOUT: return "dropout";
    case NN_LAYER_RESIDUAL: return "residual";
    case NN_LAYER_FLATTEN: return "flatten";
    }
    return "unknown";
}

void nn_layer_desc_format(const nn_layer_desc *d, char *buf, size_t size) {
    switch (d->kind) {
    case NN_LAYER_DENSE: snprintf(buf, size, "dense(%d)", d->units); break;
    case NN_LAYER_ACTIVATION: snprintf(buf, size, "%s", activation_name(d->act)); break;
    case NN_LAYER_CONV2D:
        snprintf(buf, size, "conv2d(out %d, k %d, stride %d, pad %d)", d->channels, d->kernel,
                 d->stride, d->pad);
        break;
    case NN_LAYER_MAXPOOL:
    case NN_LAYER_AVGPOOL:
        snprintf(buf, size, "%s(k %d, stride %d)", kind_name_of(d), d->kernel, d->stride);
        break;
    case NN_LAYER_BATCHNORM:
        snprintf(buf, size, "batchnorm(momentum %g, eps %g)", d->momentum, d->eps);
        break;
    case NN_LAYER_DROPOUT: snprintf(buf, size, "dropout(%g)", d->p); break;
    case NN_LAYER_RESIDUAL: snprintf(buf, size, "residual(from layer %d)", d->mark); break;
    case NN_LAYER_GLOBAL_AVGPOOL:
    case NN_LAYER_FLATTEN: snprintf(buf, size, "%s", kind_name_of(d)); break;
    default: snprintf(buf, size, "unknown kind %d", (int)d->kind); break;
    }
}

/* Appends a layer fed by the previous one, with its input shape filled in and its output
 * shape equal to it (callers change what differs); NULL (and the error recorded) if the
 * model is built or memory runs out. */
static layer *add_layer(nn_model *m, const nn_layer_desc *d) {
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
    l->desc = *d;
    l->src = m->n_layers - 1;
    l->src2 = -2;
    l->in_size = prev ? prev->out_size : m->in_size;
    l->in_c = l->c = prev ? prev->c : m->in_c;
    l->in_h = l->h = prev ? prev->h : m->in_h;
    l->in_w = l->w = prev ? prev->w : m->in_w;
    l->out_size = l->in_size;
    /* Name: kind plus its 1-based count among the layers with the same kind name. */
    const char *kind_name = kind_name_of(d);
    int same = 1;
    for (int i = 0; i < m->n_layers; i++) same += strcmp(m->layers[i].kind_name, kind_name) == 0;
    l->kind_name = kind_name;
    snprintf(l->name, sizeof l->name, "%s%d", kind_name, same);
    m->n_layers++;
    return l;
}

/* Shape of layer i's output (-1: the model input). */
static void shape_of(const nn_model *m, int i, int *c, int *h, int *w) {
    if (i < 0) *c = m->in_c, *h = m->in_h, *w = m->in_w;
    else *c = m->layers[i].c, *h = m->layers[i].h, *w = m->layers[i].w;
}

/* Whether layer d can follow an output of shape (c, h, w); -1 with the problem recorded. */
static int validate(nn_model *m, const nn_layer_desc *d, int c, int h, int w) {
    switch (d->kind) {
    case NN_LAYER_DENSE:
        if (d->units < 1) return add_fail(m, "dense: units must be >= 1");
        if (d->units > MAX_FLOATS || (int64_t)d->units * c * h * w > MAX_FLOATS)
            return add_fail(m, "dense: %d units on %lld inputs too large (at most %lld weights)",
                            d->units, (long long)c * h * w, (long long)MAX_FLOATS);
        break;
    case NN_LAYER_ACTIVATION:
        if (d->act < NN_RELU || d->act > NN_ACTIVATION_LAST) return add_fail(m, "activation: unknown kind");
        break;
    case NN_LAYER_CONV2D: {
        if (d->channels < 1 || d->kernel < 1 || d->stride < 1 || d->pad < 0)
            return add_fail(m, "conv2d: need out channels, kernel, stride >= 1 and pad >= 0");
        if (d->kernel > MAX_WINDOW || d->stride > MAX_WINDOW || d->pad > MAX_WINDOW ||
            d->channels > MAX_FLOATS)
            return add_fail(m, "conv2d: kernel %d, stride %d, padding %d or %d channels too large",
                            d->kernel, d->stride, d->pad, d->channels);
        conv2d_geom g = conv2d_make_geom(c, h, w, d->channels, d->kernel, d->stride, d->pad);
        if (g.oh < 1 || g.ow < 1)
            return add_fail(m, "conv2d: kernel %d does not fit a %dx%d input with padding %d",
                            d->kernel, h, w, d->pad);
        if ((int64_t)d->channels * g.oh * g.ow > MAX_FLOATS ||
            (int64_t)d->channels * c * d->kernel * d->kernel > MAX_FLOATS)
            return add_fail(m, "conv2d: %d channels of %dx%d too large (at most %lld values a "
                               "sample and as many weights)",
                            d->channels, g.oh, g.ow, (long long)MAX_FLOATS);
        break;
    }
    case NN_LAYER_MAXPOOL:
    case NN_LAYER_AVGPOOL:
        if (d->kernel < 1 || d->stride < 1)
            return add_fail(m, "%s: kernel and stride must be >= 1", kind_name_of(d));
        if (d->kernel > MAX_WINDOW || d->stride > MAX_WINDOW)
            return add_fail(m, "%s: kernel %d or stride %d too large", kind_name_of(d), d->kernel,
                            d->stride);
        if (pool_out_size(h, d->kernel, d->stride) < 1 || pool_out_size(w, d->kernel, d->stride) < 1)
            return add_fail(m, "%s: window %d does not fit a %dx%d input", kind_name_of(d),
                            d->kernel, h, w);
        break;
    case NN_LAYER_BATCHNORM:
        if (!(d->momentum >= 0 && d->momentum <= 1) || !(d->eps > 0))
            return add_fail(m, "batchnorm: momentum %g must be in [0, 1] and eps %g > 0",
                            d->momentum, d->eps);
        break;
    case NN_LAYER_DROPOUT:
        if (!(d->p >= 0 && d->p < 1)) return add_fail(m, "dropout: p %g must be in [0, 1)", d->p);
        break;
    case NN_LAYER_RESIDUAL: {
        if (d->mark < -1 || d->mark >= m->n_layers)
            return add_fail(m, "residual: mark %d is not an earlier layer (or -1, the input)",
                            d->mark);
        int mc, mh, mw;
        shape_of(m, d->mark, &mc, &mh, &mw);
        if (mc != c || mh != h || mw != w)
            return add_fail(m,
                            "residual: output of layer %d has shape (%d, %d, %d) but the "
                            "current output has (%d, %d, %d)",
                            d->mark, mc, mh, mw, c, h, w);
        break;
    }
    case NN_LAYER_GLOBAL_AVGPOOL:
    case NN_LAYER_FLATTEN: break;
    default: return add_fail(m, "unknown layer kind %d", (int)d->kind);
    }
    return 0;
}

void nn_add_layer(nn_model *m, const nn_layer_desc *d) {
    /* Validate before appending, so a rejected layer leaves no half-made entry. */
    int c, h, w;
    shape_of(m, m->n_layers - 1, &c, &h, &w);
    if (validate(m, d, c, h, w) < 0) return;
    layer *l = add_layer(m, d);
    if (!l) return;
    switch (d->kind) {
    case NN_LAYER_DENSE:
        l->c = d->units, l->h = 1, l->w = 1;
        l->out_size = d->units;
        l->w_len = (size_t)d->units * l->in_size;
        l->b_len = (size_t)d->units;
        break;
    case NN_LAYER_CONV2D:
        l->conv = conv2d_make_geom(c, h, w, d->channels, d->kernel, d->stride, d->pad);
        l->c = d->channels, l->h = l->conv.oh, l->w = l->conv.ow;
        l->out_size = l->c * l->h * l->w;
        l->w_len = (size_t)d->channels * c * d->kernel * d->kernel;
        l->b_len = (size_t)d->channels;
        break;
    case NN_LAYER_MAXPOOL:
    case NN_LAYER_AVGPOOL:
        l->h = pool_out_size(h, d->kernel, d->stride);
        l->w = pool_out_size(w, d->kernel, d->stride);
        l->out_size = l->c * l->h * l->w;
        break;
    case NN_LAYER_GLOBAL_AVGPOOL:
        l->h = l->w = 1;
        l->out_size = l->c;
        break;
    case NN_LAYER_BATCHNORM:
        l->w_len = l->b_len = (size_t)c;
        l->w_no_decay = 1;
        l->s_len = 2 * (size_t)c;
        l->aux_len = 2 * (size_t)c;
        break;
    case NN_LAYER_DROPOUT: l->aux_len = 1; /* times max_batch * out_size, at build */ break;
    case NN_LAYER_RESIDUAL: l->src2 = d->mark; break;
    case NN_LAYER_FLATTEN:
        l->c = l->out_size, l->h = l->w = 1;
        break;
    case NN_LAYER_ACTIVATION: break;
    }
}

void nn_add_dense(nn_model *m, int units) {
    nn_add_layer(m, &(nn_layer_desc){.kind = NN_LAYER_DENSE, .units = units});
}

void nn_add_activation(nn_model *m, nn_activation kind) {
    nn_add_layer(m, &(nn_layer_desc){.kind = NN_LAYER_ACTIVATION, .act = kind});
}

void nn_add_conv2d(nn_model *m, int out_c, int k, int stride, int pad) {
    nn_add_layer(m, &(nn_layer_desc){.kind = NN_LAYER_CONV2D, .channels = out_c, .kernel = k,
                                     .stride = stride, .pad = pad});
}

void nn_add_maxpool(nn_model *m, int k, int stride) {
    nn_add_layer(m, &(nn_layer_desc){.kind = NN_LAYER_MAXPOOL, .kernel = k, .stride = stride});
}

void nn_add_avgpool(nn_model *m, int k, int stride) {
    nn_add_layer(m, &(nn_layer_desc){.kind = NN_LAYER_AVGPOOL, .kernel = k, .stride = stride});
}

void nn_add_global_avgpool(nn_model *m) {
    nn_add_layer(m, &(nn_layer_desc){.kind = NN_LAYER_GLOBAL_AVGPOOL});
}

void nn_add_batchnorm(nn_model *m) {
    nn_add_batchnorm_opts(m, 0.1f, 1e-5f);
}

void nn_add_batchnorm_opts(nn_model *m, float momentum, float eps) {
    nn_add_layer(m, &(nn_layer_desc){.kind = NN_LAYER_BATCHNORM, .momentum = momentum,
                                     .eps = eps});
}

void nn_add_dropout(nn_model *m, float p) {
    nn_add_layer(m, &(nn_layer_desc){.kind = NN_LAYER_DROPOUT, .p = p});
}

int nn_mark(const nn_model *m) {
    return m->n_layers - 1;
}

void nn_add_residual(nn_model *m, int mark) {
    nn_add_layer(m, &(nn_layer_desc){.kind = NN_LAYER_RESIDUAL, .mark = mark});
}

void nn_add_flatten(nn_model *m) {
    nn_add_layer(m, &(nn_layer_desc){.kind = NN_LAYER_FLATTEN});
}

int nn_layer_describe(const nn_model *m, int i, nn_layer_desc *d) {
    if (!m || i < 0 || i >= m->n_layers) return -1;
    *d = m->layers[i].desc;
    return 0;
}

/* Batch norm starts as the identity on normalised values: scale 1, shift 0, running
 * statistics of a standard normal. */
static void reset_batchnorm(nn_model *m, const layer *l) {
    for (size_t j = 0; j < l->w_len; j++) m->params[l->w_off + j] = 1.0f;
    memset(m->params + l->b_off, 0, l->b_len * sizeof(float));
    const size_t c = l->s_len / 2;
    for (size_t j = 0; j < c; j++) m->state[l->s_off + j] = 0.0f, m->state[l->s_off + c + j] = 1.0f;
}

int nn_model_build(nn_model *m, int max_batch, nn_err *err) {
    if (m->built) return nn_fail(err, "model: already built");
    if (m->add_failed) return nn_fail(err, "model: %s", m->add_err.msg);
    if (m->n_layers == 0) return nn_fail(err, "model: no layers to build");
    if (max_batch < 1) return nn_fail(err, "model: max batch %d must be >= 1", max_batch);

    const size_t mb = (size_t)max_batch;
    m->threads = omp_get_max_threads();
    if (m->threads < 1) m->threads = 1;
    /* Parameter and state layout: layer by layer, weights then biases. */
    size_t n_params = 0, n_state = 0, scratch_len = 0, widest = (size_t)m->in_size;
    int n_spans = 0, has_residual = 0;
    for (int i = 0; i < m->n_layers; i++) {
        layer *l = &m->layers[i];
        l->w_off = n_params;
        n_params += l->w_len;
        l->b_off = n_params;
        n_params += l->b_len;
        l->s_off = n_state;
        n_state += l->s_len;
        n_spans += (l->w_len > 0) + (l->b_len > 0);
        if (l->desc.kind == NN_LAYER_DROPOUT) l->aux_len = mb * l->out_size;
        if (l->desc.kind == NN_LAYER_CONV2D) {
            size_t s = conv2d_scratch_floats(&l->conv, m->threads);
            scratch_len = s > scratch_len ? s : scratch_len;
        }
        has_residual |= l->desc.kind == NN_LAYER_RESIDUAL;
        widest = (size_t)l->out_size > widest ? (size_t)l->out_size : widest;
    }
    const size_t tmp_len = has_residual ? mb * widest : 0;
    /* Arena: model input and its gradient, then out, d_out and aux of every layer. */
    size_t arena_len = 2 * round16(mb * m->in_size);
    for (int i = 0; i < m->n_layers; i++)
        arena_len += 2 * round16(mb * m->layers[i].out_size) + round16(m->layers[i].aux_len);

    m->params = alloc_floats(n_params);
    m->grads = alloc_floats(n_params);
    m->state = alloc_floats(n_state);
    m->spans = calloc(n_spans ? (size_t)n_spans : 1, sizeof *m->spans);
    m->arena = alloc_floats(arena_len);
    m->scratch = alloc_floats(round16(scratch_len) + tmp_len);
    if (!m->params || !m->grads || !m->state || !m->spans || !m->arena || !m->scratch) {
        free(m->params), free(m->grads), free(m->state), free(m->spans), free(m->arena);
        free(m->scratch);
        m->params = m->grads = m->state = m->arena = m->scratch = NULL;
        m->spans = NULL;
        return nn_fail(err, "model: out of memory for %zu parameters and %zu activations",
                       n_params, arena_len + scratch_len + tmp_len);
    }
    m->d_tmp = has_residual ? m->scratch + round16(scratch_len) : NULL;

    float *p = m->arena;
    m->input = p, p += round16(mb * m->in_size);
    m->d_input = p, p += round16(mb * m->in_size);
    int k = 0;
    for (int i = 0; i < m->n_layers; i++) {
        layer *l = &m->layers[i];
        l->out = p, p += round16(mb * l->out_size);
        l->d_out = p, p += round16(mb * l->out_size);
        if (l->aux_len) l->aux = p, p += round16(l->aux_len);
        if (l->w_len) m->spans[k++] = (nn_param_span){l->w_off, l->w_len, i, l->w_no_decay, 0};
        if (l->b_len) m->spans[k++] = (nn_param_span){l->b_off, l->b_len, i, 1, 0};
    }
    m->n_params = n_params;
    m->n_state = n_state;
    m->n_spans = n_spans;
    m->max_batch = max_batch;
    m->built = 1;
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i].desc.kind == NN_LAYER_BATCHNORM) reset_batchnorm(m, &m->layers[i]);
    return 0;
}

void nn_model_init(nn_model *m, nn_init kind, nn_rng *rng) {
    if (!m->built) return; /* nothing to initialise yet */
    for (int i = 0; i < m->n_layers; i++) {
        layer *l = &m->layers[i];
        int fan_in = 0, fan_out = 0;
        if (l->desc.kind == NN_LAYER_DENSE) fan_in = l->in_size, fan_out = l->out_size;
        if (l->desc.kind == NN_LAYER_CONV2D) {
            const int kk = l->desc.kernel * l->desc.kernel;
            fan_in = l->in_c * kk, fan_out = l->desc.channels * kk;
        }
        if (fan_in) {
            float *w = m->params + l->w_off;
            if (kind == NN_INIT_HE_NORMAL) init_he_normal(w, l->w_len, fan_in, rng);
            else if (kind == NN_INIT_LECUN_NORMAL)
                init_lecun_normal(w, l->w_len, fan_in, rng);
            else init_glorot_uniform(w, l->w_len, fan_in, fan_out, rng);
        }
        if (l->b_len) memset(m->params + l->b_off, 0, l->b_len * sizeof(float));
        if (l->desc.kind == NN_LAYER_BATCHNORM) reset_batchnorm(m, l);
    }
}

void nn_model_set_rng(nn_model *m, const nn_rng *rng) {
    m->rng = *rng;
}

void nn_model_free(nn_model *m) {
    if (!m) return;
    free(m->params);
    free(m->grads);
    free(m->state);
    free(m->spans);
    free(m->arena);
    free(m->scratch);
    free(m->layers);
    free(m);
}

/* ---- forward and backward ------------------------------------------------------------- */

/* Output of layer i (-1: the model input). */
static float *out_of(const nn_model *m, int i) {
    return i < 0 ? m->input : m->layers[i].out;
}

static int trainable(const layer *l) {
    return (l->w_len || l->b_len) && !l->frozen;
}

/* Threads for conv layers now: never more than the scratch was sized for at build. */
static int threads_now(const nn_model *m) {
    int t = omp_get_max_threads();
    return t < m->threads ? t : m->threads;
}

const float *nn_forward(nn_model *m, const float *x, int n, int training) {
    if (!m || !m->built || n < 1 || n > m->max_batch) return NULL;
    memcpy(m->input, x, (size_t)n * m->in_size * sizeof(float));
    m->training = training;
    for (int i = 0; i < m->n_layers; i++) {
        layer *l = &m->layers[i];
        const float *in = out_of(m, l->src);
        const float *wt = m->params + l->w_off, *bias = m->params + l->b_off;
        const size_t len = (size_t)n * l->out_size;
        switch (l->desc.kind) {
        case NN_LAYER_DENSE:
            dense_forward(l->out, in, wt, bias, n, l->in_size, l->out_size);
            break;
        case NN_LAYER_ACTIVATION:
            activation_forward(l->desc.act, l->out, in, n, l->out_size);
            break;
        case NN_LAYER_CONV2D:
            conv2d_forward(l->out, in, wt, bias, n, &l->conv, m->scratch, threads_now(m));
            break;
        case NN_LAYER_MAXPOOL:
            maxpool_forward(l->out, in, n, l->in_c, l->in_h, l->in_w, l->desc.kernel,
                            l->desc.stride);
            break;
        case NN_LAYER_AVGPOOL:
            avgpool_forward(l->out, in, n, l->in_c, l->in_h, l->in_w, l->desc.kernel,
                            l->desc.stride);
            break;
        case NN_LAYER_GLOBAL_AVGPOOL:
            global_avgpool_forward(l->out, in, n, l->in_c, l->in_h * l->in_w);
            break;
        case NN_LAYER_BATCHNORM:
            batchnorm_forward(l->out, l->aux, l->aux + l->c, m->state + l->s_off,
                              m->state + l->s_off + l->c, in, wt, bias, n, l->c, l->h * l->w,
                              l->desc.momentum, l->desc.eps, training);
            break;
        case NN_LAYER_DROPOUT:
            if (training && l->desc.p > 0) {
                dropout_mask(l->aux, len, l->desc.p, &m->rng);
                dropout_forward(l->out, in, l->aux, len);
            } else {
                memcpy(l->out, in, len * sizeof(float));
            }
            break;
        case NN_LAYER_RESIDUAL: {
            const float *other = out_of(m, l->src2);
            for (size_t j = 0; j < len; j++) l->out[j] = in[j] + other[j];
            break;
        }
        case NN_LAYER_FLATTEN:
            memcpy(l->out, in, len * sizeof(float));
            break;
        }
    }
    m->last_n = n;
    return m->layers[m->n_layers - 1].out;
}

/* Whether the gradient with respect to layer i's output (-1: the model input) is wanted. */
static int wants_grad(const nn_model *m, int i) {
    return i < 0 ? m->input_grad_on : m->layers[i].need_d_out;
}

/* Where a layer writes dL/d(its input from producer i): NULL if nobody wants it; the
 * producer's gradient buffer if this is the first contribution to it; otherwise d_tmp,
 * which grad_end adds onto the buffer (*accumulate is then set). */
static float *grad_begin(nn_model *m, int i, int *accumulate) {
    *accumulate = 0;
    if (!wants_grad(m, i)) return NULL;
    int *valid = i < 0 ? &m->d_input_valid : &m->layers[i].d_out_valid;
    if (*valid) {
        *accumulate = 1;
        return m->d_tmp;
    }
    *valid = 1;
    return i < 0 ? m->d_input : m->layers[i].d_out;
}

static void grad_end(nn_model *m, int i, const float *g, int accumulate, int n) {
    if (!accumulate) return;
    float *dst = i < 0 ? m->d_input : m->layers[i].d_out;
    const size_t len = (size_t)n * (i < 0 ? m->in_size : m->layers[i].out_size);
    for (size_t j = 0; j < len; j++) dst[j] += g[j];
}

int nn_backward(nn_model *m, const float *d_out, int n) {
    if (!m || !m->built || m->last_n == 0 || n != m->last_n) return -1;
    /* Which output gradients are needed, in forward order: a layer's own parameters, or
     * anything fed by gradients flowing through its inputs. A frozen prefix with input
     * gradients off is then skipped entirely. */
    for (int i = 0; i < m->n_layers; i++) {
        layer *l = &m->layers[i];
        int need_in = wants_grad(m, l->src);
        if (l->desc.kind == NN_LAYER_RESIDUAL) need_in |= wants_grad(m, l->src2);
        l->need_d_out = trainable(l) || need_in;
        l->d_out_valid = 0;
    }
    m->d_input_valid = 0;
    layer *last = &m->layers[m->n_layers - 1];
    if (d_out != last->d_out) memcpy(last->d_out, d_out, (size_t)n * last->out_size * sizeof(float));
    last->d_out_valid = 1;

    for (int i = m->n_layers - 1; i >= 0; i--) {
        layer *l = &m->layers[i];
        if (!l->d_out_valid) continue; /* nothing above needed to reach this layer */
        const float *in = out_of(m, l->src), *wt = m->params + l->w_off;
        const int t = trainable(l);
        float *dw = t ? m->grads + l->w_off : NULL, *db = t ? m->grads + l->b_off : NULL;
        const size_t len = (size_t)n * l->out_size;
        int acc;
        float *dx = grad_begin(m, l->src, &acc);
        switch (l->desc.kind) {
        case NN_LAYER_DENSE:
            dense_backward(dx, dw, db, l->d_out, in, wt, n, l->in_size, l->out_size);
            break;
        case NN_LAYER_ACTIVATION:
            if (dx) activation_backward(l->desc.act, dx, l->d_out, in, l->out, n, l->out_size);
            break;
        case NN_LAYER_CONV2D:
            conv2d_backward(dx, dw, db, l->d_out, in, wt, n, &l->conv, m->scratch, threads_now(m));
            break;
        case NN_LAYER_MAXPOOL:
            if (dx)
                maxpool_backward(dx, l->d_out, in, n, l->in_c, l->in_h, l->in_w, l->desc.kernel,
                                 l->desc.stride);
            break;
        case NN_LAYER_AVGPOOL:
            if (dx)
                avgpool_backward(dx, l->d_out, n, l->in_c, l->in_h, l->in_w, l->desc.kernel,
                                 l->desc.stride);
            break;
        case NN_LAYER_GLOBAL_AVGPOOL:
            if (dx) global_avgpool_backward(dx, l->d_out, n, l->in_c, l->in_h * l->in_w);
            break;
        case NN_LAYER_BATCHNORM:
            batchnorm_backward(dx, dw, db, l->d_out, in, wt, l->aux, l->aux + l->c, n, l->c,
                               l->h * l->w, m->training);
            break;
        case NN_LAYER_DROPOUT:
            if (!dx) break;
            if (m->training && l->desc.p > 0) dropout_backward(dx, l->d_out, l->aux, len);
            else memcpy(dx, l->d_out, len * sizeof(float));
            break;
        case NN_LAYER_RESIDUAL:
        case NN_LAYER_FLATTEN:
            if (dx) memcpy(dx, l->d_out, len * sizeof(float));
            break;
        }
        if (dx) grad_end(m, l->src, dx, acc, n);
        if (l->desc.kind == NN_LAYER_RESIDUAL) {
            /* The second consumer's share: the same gradient, to the marked layer. */
            float *d2 = grad_begin(m, l->src2, &acc);
            if (d2) {
                memcpy(d2, l->d_out, len * sizeof(float));
                grad_end(m, l->src2, d2, acc, n);
            }
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

void nn_input_shape(const nn_model *m, int *c, int *h, int *w) {
    *c = m->in_c, *h = m->in_h, *w = m->in_w;
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

/* ---- parameters and state ------------------------------------------------------------- */

float *nn_params(nn_model *m) {
    return m->params;
}

float *nn_grads(nn_model *m) {
    return m->grads;
}

size_t nn_param_count(const nn_model *m) {
    return m->n_params;
}

float *nn_state(nn_model *m) {
    return m->state;
}

size_t nn_state_count(const nn_model *m) {
    return m->n_state;
}

float *nn_layer_state(nn_model *m, int i, size_t *len) {
    const layer *l = layer_at(m, i);
    *len = l && m->built ? l->s_len : 0;
    return *len ? m->state + l->s_off : NULL;
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
