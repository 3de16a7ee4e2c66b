/* classify.c - the chapter's classifier and its scores (see classify.h). */
#include "classify.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/augment.h"
#include "nn/metrics.h"

/* Softmax of one row of logits, in double for the sum. */
static void softmax_row(const float *z, float *p) {
    float mx = z[0];
    for (int k = 1; k < CH06_CLASSES; k++)
        if (z[k] > mx) mx = z[k];
    double sum = 0;
    for (int k = 0; k < CH06_CLASSES; k++)
        sum += exp((double)(z[k] - mx));
    for (int k = 0; k < CH06_CLASSES; k++)
        p[k] = (float)(exp((double)(z[k] - mx)) / sum);
}

/* Probabilities of n faces whose floats are x (2n samples when flip: each face followed by
 * its mirror image). */
static int probs_of(nn_model *m, const float *x, int n, int flip, float *probs) {
    const float *z = nn_forward(m, x, flip ? 2 * n : n, 0);
    if (!z) return -1;
    for (int i = 0; i < n; i++) {
        if (!flip) {
            softmax_row(z + (size_t)i * CH06_CLASSES, probs + (size_t)i * CH06_CLASSES);
            continue;
        }
        float a[CH06_CLASSES], b[CH06_CLASSES];
        softmax_row(z + (size_t)2 * i * CH06_CLASSES, a);
        softmax_row(z + (size_t)(2 * i + 1) * CH06_CLASSES, b);
        for (int k = 0; k < CH06_CLASSES; k++)
            probs[(size_t)i * CH06_CLASSES + k] = 0.5f * (a[k] + b[k]);
    }
    return 0;
}

static void to_floats(const uint8_t *face, float *x, int flip) {
    for (int i = 0; i < CH06_PIXELS; i++)
        x[i] = (float)face[i] / 255.0f; /* as images_to_float: correctly rounded */
    if (flip) {
        memcpy(x + CH06_PIXELS, x, CH06_PIXELS * sizeof *x);
        augment_flip(x + CH06_PIXELS, 1, CH06_SIDE, CH06_SIDE);
    }
}

int ch06_classify_face(nn_model *m, const uint8_t face[CH06_PIXELS], int flip, float *probs) {
    float x[2 * CH06_PIXELS];
    to_floats(face, x, flip);
    if (probs_of(m, x, 1, flip, probs)) return -1;
    return nn_argmax(probs, CH06_CLASSES);
}

int ch06_predict(nn_model *m, const nn_images *set, int flip, uint8_t *pred, float *probs,
                 double *loss, nn_err *err) {
    if (set->c != 1 || set->h != CH06_SIDE || set->w != CH06_SIDE)
        return nn_fail(err, "classifier: images must be 1x48x48, not %dx%dx%d", set->c, set->h,
                       set->w);
    int per = flip ? nn_max_batch(m) / 2 : nn_max_batch(m);
    if (per < 1) return nn_fail(err, "classifier: flip averaging needs a max batch of 2 or more");
    float *x = malloc(sizeof(float) * (size_t)(flip ? 2 : 1) * per * CH06_PIXELS);
    float *p = malloc(sizeof(float) * (size_t)per * CH06_CLASSES);
    if (!x || !p) {
        free(x);
        free(p);
        return nn_fail(err, "classifier: out of memory");
    }
    double sum = 0;
    int rc = 0;
    for (int first = 0; first < set->n && !rc; first += per) {
        int n = set->n - first < per ? set->n - first : per;
        for (int i = 0; i < n; i++)
            to_floats(set->pixels + (size_t)(first + i) * CH06_PIXELS,
                      x + (size_t)(flip ? 2 * i : i) * CH06_PIXELS, flip);
        if (probs_of(m, x, n, flip, p)) {
            rc = nn_fail(err, "classifier: the model rejected a batch of %d", flip ? 2 * n : n);
            break;
        }
        for (int i = 0; i < n; i++) {
            const float *pi = p + (size_t)i * CH06_CLASSES;
            pred[first + i] = (uint8_t)nn_argmax(pi, CH06_CLASSES);
            sum -= log(fmax((double)pi[set->labels[first + i]], 1e-12));
            if (probs)
                memcpy(probs + (size_t)(first + i) * CH06_CLASSES, pi,
                       sizeof(float) * CH06_CLASSES);
        }
    }
    if (loss) *loss = sum;
    free(x);
    free(p);
    return rc;
}

void ch06_score(const uint8_t *truth, const uint8_t *pred, long n, ch06_scores *s) {
    memset(s, 0, sizeof *s);
    s->n = n;
    long right = 0;
    for (long i = 0; i < n; i++) {
        s->confusion[truth[i] * CH06_CLASSES + pred[i]]++;
        right += truth[i] == pred[i];
    }
    s->accuracy = n ? (double)right / n : 0;
    for (int c = 0; c < CH06_CLASSES; c++) {
        long tp = s->confusion[c * CH06_CLASSES + c], actual = 0, predicted = 0;
        for (int k = 0; k < CH06_CLASSES; k++) {
            actual += s->confusion[c * CH06_CLASSES + k];
            predicted += s->confusion[k * CH06_CLASSES + c];
        }
        s->recall[c] = actual ? (double)tp / actual : 0;
        s->precision[c] = predicted ? (double)tp / predicted : 0;
        double pr = s->recall[c] + s->precision[c];
        s->f1[c] = pr > 0 ? 2 * s->recall[c] * s->precision[c] / pr : 0;
        s->macro_f1 += s->f1[c] / CH06_CLASSES;
    }
}
