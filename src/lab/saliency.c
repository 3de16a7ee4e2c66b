/* saliency.c - input gradients of one image's loss, checked and followed (see saliency.h). */
#include "lab/saliency.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

double saliency_xent(const float *logits, int classes, int label, double *d) {
    double zy = logits[label], rest = 0;
    /* Relative to the label's logit; the largest other term sets the scale so that exp never
     * overflows: log(1 + S) = M + log(exp(-M) + S exp(-M)) with M = max(0, max_j z_j - z_y). */
    double top = 0;
    for (int j = 0; j < classes; j++)
        if (j != label && logits[j] - zy > top) top = logits[j] - zy;
    for (int j = 0; j < classes; j++)
        if (j != label) rest += exp(logits[j] - zy - top);
    double scale = exp(-top); /* the label's own term, exp(0 - top) */
    double loss = top + log(scale + rest);
    if (top == 0) loss = log1p(rest); /* exact for small losses: log(1 + S) with S tiny */
    if (d) {
        double total = scale + rest, others = 0;
        for (int j = 0; j < classes; j++)
            if (j != label) others += d[j] = exp(logits[j] - zy - top) / total;
        d[label] = -others;
    }
    return loss;
}

static int check(nn_model *m, int label) {
    return nn_input_size(m) > 0 && label >= 0 && label < nn_output_size(m) ? 0 : -1;
}

double saliency_loss(nn_model *m, const float *x, int label) {
    if (check(m, label)) return NAN;
    const float *z = nn_forward(m, x, 1, 0);
    return z ? saliency_xent(z, nn_output_size(m), label, NULL) : NAN;
}

int saliency_gradient(nn_model *m, const float *x, int label, float *grad, double *loss) {
    if (check(m, label)) return -1;
    int k = nn_output_size(m);
    double d[256];
    if (k > 256) return -1;
    nn_set_input_grad(m, 1);
    const float *z = nn_forward(m, x, 1, 0);
    if (!z) return -1;
    double l = saliency_xent(z, k, label, d);
    float *dz = nn_output_grad_buffer(m);
    for (int j = 0; j < k; j++)
        dz[j] = (float)d[j];
    if (nn_backward(m, dz, 1)) return -1;
    memcpy(grad, nn_input_grad(m), (size_t)nn_input_size(m) * sizeof *grad);
    if (loss) *loss = l;
    return 0;
}

/* The ReLU layers' units: how many, and (with state != NULL) whether each is active in the
 * last forward (state[k] = 1), or whether that differs from a recorded state (the count of
 * differences is returned then). */
static long relu_units(const nn_model *m, uint8_t *state, int compare) {
    long units = 0, changed = 0;
    for (int i = 0; i < nn_layer_count(m); i++) {
        nn_layer_desc d;
        int c, h, w;
        if (nn_layer_describe(m, i, &d) || d.kind != NN_LAYER_ACTIVATION || d.act != NN_RELU ||
            nn_layer_shape(m, i, &c, &h, &w))
            continue;
        const float *out = nn_layer_output(m, i);
        for (long k = 0; k < (long)c * h * w; k++, units++) {
            if (!state) continue;
            uint8_t on = out[k] > 0;
            if (compare)
                changed += state[units] != on;
            else
                state[units] = on;
        }
    }
    return compare ? changed : units;
}

double saliency_finite_difference(nn_model *m, const float *x, int label, int pixel, float h,
                                  float *work, long *kinks) {
    int d = nn_input_size(m);
    if (check(m, label) || pixel < 0 || pixel >= d || !(h > 0)) return NAN;
    uint8_t *state = NULL;
    if (kinks) {
        long units = relu_units(m, NULL, 0);
        if (units > 0 && !(state = malloc((size_t)units))) return NAN;
        *kinks = 0;
    }
    memcpy(work, x, (size_t)d * sizeof *work);
    work[pixel] = x[pixel] + h;
    double up = saliency_loss(m, work, label);
    if (state) relu_units(m, state, 0);
    work[pixel] = x[pixel] - h;
    double down = saliency_loss(m, work, label);
    if (state) *kinks = relu_units(m, state, 1);
    free(state);
    /* The step actually taken, after float rounding of x +- h. */
    double span = (double)(x[pixel] + h) - (double)(x[pixel] - h);
    return (up - down) / span;
}

int saliency_step_losses(nn_model *m, const float *x, int label, const float *grad,
                         const double *ts, int nt, double *after, float *work) {
    if (check(m, label)) return -1;
    int d = nn_input_size(m);
    for (int k = 0; k < nt; k++) {
        for (int i = 0; i < d; i++)
            work[i] = (float)(x[i] - ts[k] * grad[i]);
        after[k] = saliency_loss(m, work, label);
        if (isnan(after[k])) return -1;
    }
    return 0;
}
