/* classify.h - the emotion classifier as every part of chapter 06 applies it: the
 * experiment's evaluation, the live program and its tests use these functions, so "the
 * classifier's prediction for a face" means one thing.
 *
 * A face is 48x48 grey pixels, row-major bytes; the network sees pixel/255 (what it was
 * trained on). With flip averaging (test-time augmentation), the face and its mirror image go
 * through the network as one batch of two and their softmax probabilities are averaged;
 * without, the probabilities of the face alone. The predicted emotion is the first index of
 * the largest probability. */
#ifndef CH06_CLASSIFY_H
#define CH06_CLASSIFY_H

#include <stdint.h>

#include "base/nn_err.h"
#include "data/images.h"
#include "nn/model.h"

#define CH06_SIDE 48
#define CH06_PIXELS (CH06_SIDE * CH06_SIDE)
#define CH06_CLASSES 7

/* probs (7 floats) of one face; the model must take batches of 2 when flip is set. Returns
 * the predicted class, or -1 if the model rejects the batch. */
int ch06_classify_face(nn_model *m, const uint8_t face[CH06_PIXELS], int flip, float *probs);

/* Predictions for every image of a 1x48x48 set, in batches of the model's max batch (which
 * must be even when flip is set). pred: n classes; probs: n x 7 (may be NULL); the summed
 * cross-entropy to *loss (may be NULL). 0, or -1 with err set. */
int ch06_predict(nn_model *m, const nn_images *set, int flip, uint8_t *pred, float *probs,
                 double *loss, nn_err *err);

/* Scores of predictions against labels: the confusion matrix (row = truth), accuracy,
 * per-class recall, precision and F1 (0 where undefined), macro-F1 (mean over classes). */
typedef struct ch06_scores {
    int64_t confusion[CH06_CLASSES * CH06_CLASSES];
    double accuracy, macro_f1;
    double recall[CH06_CLASSES], precision[CH06_CLASSES], f1[CH06_CLASSES];
    long n;
} ch06_scores;

void ch06_score(const uint8_t *truth, const uint8_t *pred, long n, ch06_scores *s);

#endif
