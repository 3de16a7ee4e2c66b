/* bench.h - what the pieces of `make bench` share: the benchmarked architectures, their
 * FLOP counts, and the record format both sides (nnlab's bench, bench/peer_torch.py) write.
 *
 * The architectures are described once, as data (arch below), so that the nnlab model, the
 * FLOP count and the documentation cannot drift apart; bench/peer_torch.py builds the same
 * shapes in PyTorch and says so in its header.
 *
 * FLOPs are counted analytically, as is usual for this kind of comparison: 2 FLOPs per
 * multiply-add of the dense and convolution layers in the forward pass (ReLU, pooling,
 * biases and the loss are not counted: they are O(activations), not O(weights x
 * activations)), and 3x that for a training step (forward, plus the two products of the
 * backward pass: gradients with respect to inputs and to weights). Neither side computes the
 * input gradient of the first layer, so the training count slightly over-states the work
 * (by the first layer's dx product); both sides are divided by the same number, so ratios
 * are exact and GFLOP/s are a small overestimate, the same for both.
 *
 * Records are flat JSON objects, one a line (so a run's output is a JSON-lines file that
 * any tool can read), with these keys:
 *   impl      "nnlab" or "torch"
 *   kind      "row" (a measurement) or "peak" (large-sgemm GFLOP/s)
 *   model, mode, batch, threads   the row ("mlp8"/"cnn", "train"/"infer")
 *   img_per_s, ms_per_img          medians over `repeats` timed repeats
 *   repeats, steps                 timed repeats, optimiser steps or forwards in all of them
 *   config    how the side was configured (threads of each pool, flags), free text
 *   skip      present when the row could not be measured, with the reason
 *   gflops    (peak records) median GFLOP/s of the large sgemm
 *   rss_mb    peak resident set size of the process that measured the row (MB), so that
 *             speed is never bought with memory unnoticed */
#ifndef NN_BENCH_H
#define NN_BENCH_H

#include <stddef.h>
#include <stdio.h>

#include "base/nn_err.h"

typedef enum bench_layer_kind {
    BL_DENSE,   /* a = units */
    BL_RELU,    /* no arguments */
    BL_CONV,    /* a = filters, b = square kernel size, c = zero padding on each side */
    BL_MAXPOOL, /* a = square window = stride */
    BL_BATCHNORM, /* per channel, batch statistics in a training step; no arguments */
    BL_SCALE,   /* logits times 1/a, fixed (nnlab: a frozen diagonal dense layer) */
} bench_layer_kind;

typedef struct bench_layer {
    bench_layer_kind kind;
    int a, b, c;
} bench_layer;

typedef struct bench_arch {
    const char *name;        /* "mlp8", "cnn", "cifar" */
    const char *description; /* one line, for --help and the database */
    int c, h, w;             /* input sample shape */
    int classes;
    const bench_layer *layers;
    int n_layers;
} bench_arch;

/* The architecture called `name`, or NULL. */
const bench_arch *bench_arch_find(const char *name);
/* Names of every architecture, comma-separated, for messages. */
const char *bench_arch_names(void);
/* 2 x multiply-adds of one sample's forward pass (see the top comment). */
double bench_forward_flops(const bench_arch *a);
/* FLOPs per sample of one step of `mode` ("train": 3x forward, "infer": 1x); 0 if unknown. */
double bench_step_flops(const bench_arch *a, const char *mode);

/* Replays training steps of `a` with the raw kernels of layers.h for `seconds` (after a
 * warm-up) and prints, per kernel, ms per step, share and GFLOP/s to `out` (kernels.c).
 * Architectures with batch norm or a fixed scale are not replayed (-1, message on out). */
int bench_kernels(const bench_arch *a, int batch, int threads, double seconds, FILE *out);

/* One record as read back by the report; keys a record lacks stay empty or 0, keys the report
 * does not use are ignored. */
enum { BENCH_STR = 256, BENCH_MAX_RECORDS = 512 };
typedef struct bench_record {
    char impl[16], kind[16], model[16], mode[16], config[BENCH_STR], label[64], skip[BENCH_STR],
        cpu[BENCH_STR];
    int batch, threads, repeats;
    double img_per_s, img_per_s_best, ms_per_img, gflops, load, load_start, load_end;
    double rss_mb; /* peak resident set size of the measuring process; 0: not recorded */
} bench_record;

/* Parses JSON-lines text of `len` bytes into recs (at most `max`; *count of them) (records.c).
 * Blank lines are skipped; every other line must be one flat JSON object with string and
 * number values and the keys impl and kind, else the error names `name` and the line. */
int bench_parse_records(const char *text, size_t len, const char *name, bench_record *recs,
                        int max, int *count, nn_err *err);

/* Reads the JSON-lines records in `path` (both sides' rows and the peak), prints the
 * comparison table to stdout and, if db_path is not NULL, stores every row in the results
 * database (chapter "bench"). Returns 0, or -1 with a message. */
int bench_report(const char *path, const char *db_path, nn_err *err);

#endif
