/* cifar_eval.h - what the chapter measures on a trained model: accuracy (with or without
 * test-time flipping), the confusion matrix and what follows from it, and speed (single-image
 * latency on one thread, throughput at a larger batch).
 *
 * Shared by `cifar-test` and the pipeline program, so the report's numbers are the ones the
 * test program prints. Every function takes any built classifier of CIFAR-10's shape, e.g.
 * one read from a file with nn_model_read. */
#ifndef CH04_CIFAR_EVAL_H
#define CH04_CIFAR_EVAL_H

#include <stdint.h>

#include "base/nn_err.h"
#include "data/images.h"
#include "nn/model.h"

#define CIFAR_CLASSES 10

typedef struct cifar_scores {
    long count, correct;
    double accuracy; /* correct / count */
    double loss;     /* mean cross-entropy of the (averaged) logits */
    int64_t confusion[CIFAR_CLASSES * CIFAR_CLASSES]; /* row = truth, column = prediction */
} cifar_scores;

/* Evaluates m (inference mode) on every image of set, in batches of nn_max_batch(m). With
 * tta, each image's logits are the mean of the image's and its mirror image's (test-time
 * flip: two forward passes). pred (may be NULL) receives set->n predicted labels. */
int cifar_evaluate(nn_model *m, const nn_images *set, int tta, uint8_t *pred, cifar_scores *out,
                   nn_err *err);

/* Accuracy of class k from a confusion matrix: diagonal over the row's sum (0 for an empty
 * row). */
double confusion_class_accuracy(const int64_t *confusion, int classes, int k);

/* The off-diagonal cells (truth != predicted) in decreasing count, ties by truth then
 * predicted; at most max of them, zero counts left out. Returns how many were written. */
typedef struct confusion_cell {
    int truth, predicted;
    int64_t count;
} confusion_cell;
int confusion_top_cells(const int64_t *confusion, int classes, confusion_cell *out, int max);

/* Single-image latency: the first `warmup` images of set are run and not timed, then the next
 * `count` images one at a time (batch 1) on ONE thread (OpenMP and OpenBLAS are set to one
 * thread and restored after), each timed from float conversion to logits. */
typedef struct cifar_latency {
    int count;
    double median_ms, p90_ms, mean_ms, min_ms;
} cifar_latency;
int cifar_measure_latency(nn_model *m, const nn_images *set, int warmup, int count, int tta,
                          cifar_latency *out, nn_err *err);

/* Throughput: images per second over `count` images of set in batches of `batch` (at most
 * nn_max_batch(m)) on `threads` threads, after one untimed batch. */
int cifar_measure_throughput(nn_model *m, const nn_images *set, int batch, int threads, int count,
                             double *images_per_second, nn_err *err);

/* The floating-point peak of one core, measured: independent chains of fused multiply-adds
 * on the widest vectors the build targets (AVX-512, else AVX2, else scalar), for about
 * `seconds` of this thread's CPU time, in GFLOP/s (a multiply-add is 2 FLOPs). CPU time,
 * not wall time, so that other processes on the machine do not lower it: it is what one
 * core can do when it runs, the yardstick for "fraction of peak". */
double cifar_fma_peak_gflops(double seconds);
/* The vector width that measurement uses, in bits: 512, 256 or 32 (scalar). */
int cifar_fma_vector_bits(void);

#endif
