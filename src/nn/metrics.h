/* metrics.h - turning model outputs into predictions and accuracies.
 *
 * Labels are class indices as uint8_t, as everywhere in nnlab (see layers.h). */
#ifndef NN_METRICS_H
#define NN_METRICS_H

#include <stdint.h>

/* Index of the largest of dim values; the first one on ties (so results are deterministic). */
int nn_argmax(const float *row, int dim);
/* Number of the n rows (of `classes` scores each) whose argmax equals the label. */
int nn_count_correct(const float *scores, const uint8_t *labels, int n, int classes);
/* nn_count_correct / n, in [0, 1]. */
float nn_accuracy(const float *scores, const uint8_t *labels, int n, int classes);

#endif
