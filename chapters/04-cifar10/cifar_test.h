/* cifar_test.h - testing a saved model file: what `cifar-test MODEL` does, and what the
 * pipeline program does with every model it trains (train -> save -> load -> this).
 *
 *     cifar_test_result r;
 *     cifar_test_file("cifar10.nnm", &test, &opts, &r, NULL, &err);   read, check, measure
 *     cifar_log_test(db, run, &r, &err);                               metrics, confusion, timings
 *     cifar_print_test(stdout, &r);
 *
 * The file is read with nn_model_read (model_io.h): a damaged file (bad magic, unknown
 * version, truncated, trailing bytes, checksum mismatch) is refused with model_io's one-line
 * message; a model of the wrong shape for CIFAR-10 (input other than 3x32x32, or not 10
 * outputs) is refused here. Nothing else about the architecture is assumed, so any nnlab
 * classifier of CIFAR-10 can be tested.
 *
 * What is measured (and logged by cifar_log_test into the given run):
 *   metrics  test_accuracy, test_loss           one forward pass per image
 *            test_accuracy_tta, test_loss_tta   mean logits of the image and its mirror
 *            class_accuracy_K (K = 0..9)         one pass, per true class
 *            parameters, macs                   read from the file's model
 *            latency_ms_median, latency_ms_p90, latency_ms_mean   batch 1, one thread
 *            latency_tta_ms_median, latency_tta_ms_p90            the same with the flip
 *            throughput_1t, throughput_nt       images/s at a larger batch, 1 and n threads
 *   confusion   of the one-pass predictions
 *   timings     'latency_median', 'latency_p90', 'latency_tta_median', 'throughput' rows */
#ifndef CH04_CIFAR_TEST_H
#define CH04_CIFAR_TEST_H

#include <stdint.h>
#include <stdio.h>

#include "base/nn_err.h"
#include "base/sha256.h"
#include "cifar_eval.h"
#include "data/images.h"
#include "db/results.h"
#include "nn/model.h"

typedef struct cifar_test_opts {
    int batch;          /* evaluation and throughput batch */
    int latency_warmup; /* untimed single images first */
    int latency_n;      /* timed single images (>= 1000 in the full profile) */
    int throughput_n;   /* images per throughput measurement */
    int threads;        /* threads of the n-thread throughput */
} cifar_test_opts;

typedef struct cifar_test_result {
    char sha256[SHA256_HEX_SIZE]; /* of the file as read */
    size_t parameters;
    int64_t macs;
    cifar_scores plain, tta;
    cifar_latency latency, latency_tta;
    double throughput_1t, throughput_nt; /* images per second */
    int batch, threads;
} cifar_test_result;

/* Reads path, checks it is a CIFAR-10 classifier, and measures it on test. If model is not
 * NULL, *model is the loaded model (the caller frees it); pred (may be NULL) receives the
 * one-pass predictions (test->n labels). */
int cifar_test_file(const char *path, const nn_images *test, const cifar_test_opts *o,
                    cifar_test_result *r, uint8_t *pred, nn_model **model, nn_err *err);

/* The measurements as rows of run, in one transaction. */
int cifar_log_test(nn_results *db, int64_t run, const cifar_test_result *r, nn_err *err);

/* A human-readable summary: accuracy, per-class accuracy, the confusion matrix, parameters,
 * latency and throughput. */
void cifar_print_test(FILE *out, const char *path, const cifar_test_result *r);

#endif
