/* step_trace.h - what every optimiser step of a run did, kept in memory for the whole run.
 *
 * A run whose test accuracy falls between two epochs has to be looked at step by step: did
 * one large step throw it off (a spike of the gradient's norm, and with plain SGD of the
 * step's, which is the learning rate times it), or did it drift? Per step this records
 *   - loss:       the mini-batch's training loss, before the step;
 *   - grad_norm:  the L2 norm of the whole parameter gradient of that batch;
 *   - param_norm: the L2 norm of all parameters after the step (written once per window:
 *                 it changes slowly);
 *   - stuck_max:  the largest fraction of one hidden layer's units that are flat for every
 *                 sample of the batch (unit_stats.h), and that layer; a layer at 1 cuts the
 *                 network in two;
 *   - flat:       the fraction of flat (sample, unit) pairs over all hidden layers (kept,
 *                 not written: the per-layer epoch statistics say it better).
 * Nothing is allocated per step: step_trace_init sizes the arrays for the whole run. */
#ifndef CH01_STEP_TRACE_H
#define CH01_STEP_TRACE_H

#include "base/nn_err.h"
#include "db/results.h"
#include "nn/layers.h"
#include "nn/model.h"
#include "unit_stats.h"

typedef struct step_trace {
    long capacity, steps;    /* steps recorded; step s (1-based) is index s - 1 */
    long steps_per_epoch;    /* for the epoch of a step */
    int depth, units, batch; /* the network's shape and the training batch size */
    long last_batch;         /* samples of an epoch's last batch (train_n % batch or batch) */
    unit_rule rule;
    float *loss, *grad_norm, *param_norm, *stuck_max, *flat;
    short *stuck_layer;
} step_trace;

/* Sizes the trace for `epochs` epochs of `train_n` samples in batches of `batch`. */
int step_trace_init(step_trace *t, int epochs, long train_n, int batch, int depth, int units,
                    nn_activation act, nn_err *err);
void step_trace_free(step_trace *t);

/* Records step `step` (1-based, in order) of model m, right after the optimiser step: the
 * gradient and the layers' outputs are still those of the step's batch. A hook for
 * nn_train_config.after_step (ctx is the trace). Fails past the capacity. */
int step_trace_after_step(void *ctx, nn_model *m, long step, float loss, nn_err *err);

/* The epoch (1-based) of step s. */
int step_trace_epoch(const step_trace *t, long step);

/* The step of epoch `epoch` with the largest gradient norm (0 if the epoch was not traced). */
long step_trace_peak(const step_trace *t, int epoch);

/* The median gradient norm over the steps of epochs [from, to] (0 if none). */
double step_trace_median_grad(const step_trace *t, int from, int to);

/* Writes, into `step_stats` of run, one row per (step, quantity) for steps [first, last]
 * (clipped to what was recorded): 'loss', 'grad_norm', 'stuck_max' and 'stuck_max_layer'
 * (1 = the first hidden layer). */
int step_trace_log(const step_trace *t, nn_results *db, int64_t run, long first, long last,
                   nn_err *err);

/* Writes the per-window summary of the whole run: for every `window` steps (rows at the
 * window's last step) the largest gradient norm, the largest loss and the largest
 * stuck_max of its steps, and the parameters' norm after its last step:
 * 'window_grad_norm_max', 'window_loss_max', 'window_stuck_max', 'window_param_norm'. */
int step_trace_log_windows(const step_trace *t, nn_results *db, int64_t run, long window,
                           nn_err *err);

#endif
