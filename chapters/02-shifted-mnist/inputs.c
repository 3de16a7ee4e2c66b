/* inputs.c - the shifted-MNIST chapter's input pipeline (see shifted.h). */
#include "shifted.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/convnet.h"
#include "nn/layers.h"
#include "nn/metrics.h"

/* The clean model must come first: its runs also try the fixes that need no training. The
 * feature controls are trained on clean images: their features are the same for clean, t1
 * and t2 images, so that is training on t2 too. */
const model_spec MODEL_SPECS[] = {
    {"clean", VARIANT_CLEAN, AUG_NONE, STAGE_NONE, 1, ARCH_MLP8},
    {"fix-t1", VARIANT_T1, AUG_T1, STAGE_NONE, 1, ARCH_MLP8},
    {"fix-t2-permuted", VARIANT_T2, AUG_T2, STAGE_NONE, 1, ARCH_MLP8},
    {"fix-t2-sorted", VARIANT_T2, AUG_NONE, STAGE_SORT, 1, ARCH_MLP8},
    {"fix-t3", VARIANT_T3, AUG_T3_HALF, STAGE_NONE, 1, ARCH_MLP8},
    {"fix-t4", VARIANT_T4, AUG_T4, STAGE_NONE, 1, ARCH_MLP8},
    {"ink-only", VARIANT_T2, AUG_NONE, STAGE_INK, 1, ARCH_SMALL},
    {"histogram-only", VARIANT_T2, AUG_NONE, STAGE_HISTOGRAM, 1, ARCH_SMALL},
    {"cnn", VARIANT_CLEAN, AUG_NONE, STAGE_NONE, 1, ARCH_CNN},
    {"cnn-fix-t1", VARIANT_T1, AUG_T1, STAGE_NONE, 1, ARCH_CNN},
    {"all-variants", -1, AUG_ALL, STAGE_PER_VARIANT, VARIANT_COUNT, ARCH_MLP8},
};
const int MODEL_SPEC_COUNT = sizeof MODEL_SPECS / sizeof MODEL_SPECS[0];

const model_spec *model_spec_named(const char *experiment) {
    for (int k = 0; k < MODEL_SPEC_COUNT; k++)
        if (!strcmp(MODEL_SPECS[k].experiment, experiment)) return &MODEL_SPECS[k];
    return NULL;
}

static const int HIDDEN[] = {500, 500, 500, 200, 200, 100, 50};
#define N_HIDDEN ((int)(sizeof HIDDEN / sizeof HIDDEN[0]))

/* Narrow, so that it costs about what the MLP costs per image on one core (LeNet-5 had 6
 * and 16 maps). */
static const nn_convnet_shape CNN_SHAPE = {1, SIDE, SIDE, 8, 16, 5, 64, 0.0f, CLASSES};

nn_model *build_model(const model_spec *spec, int batch, nn_rng *init_rng, nn_err *err) {
    if (spec->arch == ARCH_CNN) return nn_convnet_new(&CNN_SHAPE, batch, init_rng, err);
    nn_model *m = nn_model_new(input_size(spec), 1, 1, err);
    if (!m) return NULL;
    const int *hidden = HIDDEN, small[2] = {SMALL_HIDDEN, SMALL_HIDDEN};
    int layers = N_HIDDEN;
    if (spec->arch == ARCH_SMALL) hidden = small, layers = 2;
    for (int k = 0; k < layers; k++) {
        nn_add_dense(m, hidden[k]);
        nn_add_activation(m, NN_RELU);
    }
    nn_add_dense(m, CLASSES);
    if (nn_model_build(m, batch, err)) {
        nn_model_free(m);
        return NULL;
    }
    nn_model_init(m, NN_INIT_HE_NORMAL, init_rng);
    return m;
}

const char *arch_name(model_arch arch) {
    return arch == ARCH_CNN ? "convnet" : arch == ARCH_SMALL ? "mlp-small" : "mlp-8";
}

void arch_json(model_arch arch, char *buf, size_t cap) {
    if (arch == ARCH_CNN) {
        const nn_convnet_shape *c = &CNN_SHAPE;
        snprintf(buf, cap,
                 "{\"conv\":[%d,%d],\"kernel\":%d,\"pool\":2,\"dense\":%d,\"dropout\":%g}",
                 c->conv1, c->conv2, c->kernel, c->dense, (double)c->dropout);
        return;
    }
    const int *hidden = arch == ARCH_SMALL ? (const int[]){SMALL_HIDDEN, SMALL_HIDDEN} : HIDDEN;
    int layers = arch == ARCH_SMALL ? 2 : N_HIDDEN, len = snprintf(buf, cap, "{\"hidden\":[");
    for (int k = 0; k < layers && len < (int)cap; k++)
        len += snprintf(buf + len, cap - (size_t)len, "%s%d", k ? "," : "", hidden[k]);
    if (len < (int)cap) snprintf(buf + len, cap - (size_t)len, "]}");
}

int input_size(const model_spec *spec) {
    if (spec->stage == STAGE_INK) return 1;
    if (spec->stage == STAGE_HISTOGRAM) return HISTOGRAM_BINS;
    return spec->blocks * PIXELS;
}

void ink_feature(const uint8_t *img, float *x) {
    x[0] = (float)(variant_mass(img, PIXELS) / 255.0 / 100.0);
}

void histogram_features(const uint8_t *img, float *x) {
    int count[HISTOGRAM_BINS] = {0};
    for (int k = 0; k < PIXELS; k++)
        count[img[k]]++;
    const double scale = 1.0 / log1p(PIXELS);
    for (int v = 0; v < HISTOGRAM_BINS; v++)
        x[v] = (float)(log1p(count[v]) * scale);
}

int scratch_init(scratch *s, const model_spec *spec, int batch, int n, nn_err *err) {
    memset(s, 0, sizeof *s);
    s->x = malloc(sizeof *s->x * (size_t)batch * input_size(spec));
    s->y = malloc((size_t)batch);
    s->order = malloc(sizeof *s->order * (size_t)(n > 0 ? n : 1));
    if (!s->x || !s->y || !s->order) return nn_fail(err, "out of memory for input buffers");
    for (int i = 0; i < n; i++)
        s->order[i] = i;
    return 0;
}

void scratch_free(scratch *s) {
    free(s->x);
    free(s->y);
    free(s->order);
    memset(s, 0, sizeof *s);
}

/* Applies the training-time change of spec to one clean image: dst receives the image and
 * *variant which variant it now is. */
static void augment(const chapter *ch, const model_spec *spec, const uint8_t *src, uint8_t *dst,
                    int *perm_scratch, nn_rng *rng, int *variant) {
    int v;
    switch (spec->aug) {
    case AUG_T1:
        v = VARIANT_T1;
        break;
    case AUG_T2:
        v = VARIANT_T2;
        break;
    case AUG_T3_HALF:
        v = rng_below(rng, 2) ? VARIANT_T3 : VARIANT_CLEAN;
        break;
    case AUG_T4:
        v = VARIANT_T4;
        break;
    case AUG_ALL:
        v = (int)rng_below(rng, VARIANT_COUNT);
        break;
    default:
        v = VARIANT_CLEAN;
        break;
    }
    int dy, dx;
    switch (v) {
    case VARIANT_T1:
        variant_permute(dst, src, ch->perm, PIXELS);
        break;
    case VARIANT_T2:
        variant_random_permutation(perm_scratch, PIXELS, rng);
        variant_permute(dst, src, perm_scratch, PIXELS);
        break;
    case VARIANT_T3:
        variant_invert(dst, src, PIXELS);
        break;
    case VARIANT_T4:
        variant_random_shift(rng, MAX_SHIFT, &dy, &dx);
        variant_shift(dst, src, SIDE, SIDE, dy, dx);
        break;
    default:
        memcpy(dst, src, PIXELS);
        break;
    }
    *variant = v;
}

void stage_and_place(const chapter *ch, const model_spec *spec, const uint8_t *src, int variant,
                     uint8_t *tmp, float *x) {
    input_stage stage = spec->stage;
    if (stage == STAGE_INK || stage == STAGE_HISTOGRAM) {
        (stage == STAGE_INK ? ink_feature : histogram_features)(src, x);
        return;
    }
    if (stage == STAGE_PER_VARIANT)
        stage = variant == VARIANT_T2   ? STAGE_SORT
                : variant == VARIANT_T4 ? STAGE_RECENTRE
                                        : STAGE_NONE;
    const uint8_t *img = src;
    if (stage == STAGE_SORT) variant_sort(tmp, src, PIXELS), img = tmp;
    if (stage == STAGE_RECENTRE)
        variant_recentre(tmp, src, SIDE, SIDE, ch->centre_y, ch->centre_x), img = tmp;
    if (spec->blocks > 1) {
        memset(x, 0, sizeof *x * (size_t)spec->blocks * PIXELS);
        x += (size_t)variant * PIXELS;
    }
    for (int k = 0; k < PIXELS; k++)
        x[k] = img[k] / 255.0f;
}

int evaluate_set(const chapter *ch, nn_model *m, const model_spec *spec, const nn_images *set,
                 int variant, scratch *s, nn_eval *out, uint8_t *predicted, nn_err *err) {
    int batch = nn_max_batch(m), in = input_size(spec);
    double loss_sum = 0;
    long right = 0;
    for (int first = 0; first < set->n; first += batch) {
        int n = set->n - first < batch ? set->n - first : batch;
        for (int k = 0; k < n; k++) {
            stage_and_place(ch, spec, set->pixels + (size_t)(first + k) * PIXELS, variant, s->a,
                            s->x + (size_t)k * in);
            s->y[k] = set->labels[first + k];
        }
        const float *logits = nn_forward(m, s->x, n, 0);
        if (!logits) return nn_fail(err, "evaluate: the model refused a batch of %d", n);
        loss_sum += (double)softmax_xent(logits, s->y, n, CLASSES, NULL) * n;
        for (int k = 0; k < n; k++) {
            int c = nn_argmax(logits + (size_t)k * CLASSES, CLASSES);
            right += c == s->y[k];
            if (predicted) predicted[first + k] = (uint8_t)c;
        }
    }
    out->count = set->n;
    out->loss = set->n ? loss_sum / set->n : 0;
    out->accuracy = set->n ? (double)right / set->n : 0;
    return 0;
}

static void source_begin_epoch(void *ctx, int epoch) {
    (void)epoch;
    shifted_source *src = ctx;
    rng_shuffle(src->order, src->s->order, (size_t)src->ch->train.n);
    src->first = 0;
}

static int source_next(void *ctx, const float **x, const uint8_t **y, nn_err *err) {
    (void)err;
    shifted_source *src = ctx;
    const nn_images *train = &src->ch->train;
    scratch *s = src->s;
    int n = train->n - src->first < src->batch ? train->n - src->first : src->batch;
    if (n <= 0) return 0;
    int in = input_size(src->spec);
    for (int k = 0; k < n; k++) {
        int i = s->order[src->first + k], v;
        augment(src->ch, src->spec, train->pixels + (size_t)i * PIXELS, s->b, s->perm, src->aug,
                &v);
        stage_and_place(src->ch, src->spec, s->b, v, s->a, s->x + (size_t)k * in);
        s->y[k] = train->labels[i];
    }
    src->first += n;
    *x = s->x, *y = s->y;
    return n;
}

nn_batch_source shifted_batches(shifted_source *src) {
    int n = src->ch->train.n;
    return (nn_batch_source){.ctx = src,
                             .samples_per_epoch = n,
                             .steps_per_epoch = (n + src->batch - 1) / src->batch,
                             .begin_epoch = source_begin_epoch,
                             .next = source_next};
}
