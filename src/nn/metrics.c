/* metrics.c - argmax and accuracy (see metrics.h). */
#include "nn/metrics.h"

#include <stddef.h>

int nn_argmax(const float *row, int dim) {
    int best = 0;
    for (int j = 1; j < dim; j++)
        if (row[j] > row[best]) best = j;
    return best;
}

int nn_count_correct(const float *scores, const uint8_t *labels, int n, int classes) {
    int correct = 0;
    for (int i = 0; i < n; i++) correct += nn_argmax(scores + (size_t)i * classes, classes) == labels[i];
    return correct;
}

float nn_accuracy(const float *scores, const uint8_t *labels, int n, int classes) {
    return n > 0 ? (float)nn_count_correct(scores, labels, n, classes) / (float)n : 0.0f;
}
