/* step_trace.c - every optimiser step of a run, in memory (see step_trace.h). */
#include "step_trace.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>


int step_trace_init(step_trace *t, int epochs, long train_n, int batch, int depth, int units,
                    nn_activation act, nn_err *err) {
    memset(t, 0, sizeof *t);
    if (epochs < 1 || train_n < 1 || batch < 1 || depth < 1 || units < 1)
        return nn_fail(err, "step trace: bad shape");
    t->steps_per_epoch = (train_n + batch - 1) / batch;
    t->capacity = t->steps_per_epoch * epochs;
    t->last_batch = train_n % batch ? train_n % batch : batch;
    t->depth = depth, t->units = units, t->batch = batch, t->rule = unit_flat_rule(act);
    size_t n = (size_t)t->capacity;
    t->loss = malloc(n * sizeof *t->loss);
    t->grad_norm = malloc(n * sizeof *t->grad_norm);
    t->param_norm = malloc(n * sizeof *t->param_norm);
    t->stuck_max = malloc(n * sizeof *t->stuck_max);
    t->flat = malloc(n * sizeof *t->flat);
    t->stuck_layer = malloc(n * sizeof *t->stuck_layer);
    if (!t->loss || !t->grad_norm || !t->param_norm || !t->stuck_max || !t->flat ||
        !t->stuck_layer) {
        step_trace_free(t);
        return nn_fail(err, "step trace: out of memory for %ld steps", (long)n);
    }
    return 0;
}

void step_trace_free(step_trace *t) {
    free(t->loss);
    free(t->grad_norm);
    free(t->param_norm);
    free(t->stuck_max);
    free(t->flat);
    free(t->stuck_layer);
    memset(t, 0, sizeof *t);
}

/* The L2 norm of n floats, at every step, so it must be cheap: 16 float partial sums that
 * the compiler keeps in vector registers (a double accumulator, or one float, would be a
 * serial chain of additions), added up in double at the end. The partial sums hold at most
 * n / 16 terms each; in float their relative error stays far below what is plotted. */
static double l2(const float *v, size_t n) {
    enum { LANES = 16 };
    float acc[LANES] = {0};
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int k = 0; k < LANES; k++) acc[k] += v[i + k] * v[i + k];
    double s = 0;
    for (int k = 0; k < LANES; k++) s += acc[k];
    for (; i < n; i++) s += (double)v[i] * v[i];
    return sqrt(s);
}

int step_trace_epoch(const step_trace *t, long step) {
    return (int)((step - 1) / t->steps_per_epoch) + 1;
}

int step_trace_after_step(void *ctx, nn_model *m, long step, float loss, nn_err *err) {
    step_trace *t = ctx;
    if (step != t->steps + 1 || step > t->capacity)
        return nn_fail(err, "step trace: step %ld out of order or past %ld", step, t->capacity);
    long i = step - 1;
    /* The epoch's last batch may be smaller: the layers hold only that many samples. */
    int n = step % t->steps_per_epoch == 0 ? (int)t->last_batch : t->batch;
    size_t count = nn_param_count(m);
    network_units u = unit_stats_network(m, t->depth, &t->rule, n, t->units);
    t->loss[i] = loss;
    t->grad_norm[i] = (float)l2(nn_grads(m), count);
    t->param_norm[i] = (float)l2(nn_params(m), count);
    t->stuck_max[i] = (float)u.stuck_max;
    t->stuck_layer[i] = (short)u.stuck_max_layer;
    t->flat[i] = (float)u.flat;
    t->steps = step;
    return 0;
}

long step_trace_peak(const step_trace *t, int epoch) {
    long first = (long)(epoch - 1) * t->steps_per_epoch + 1, last = first + t->steps_per_epoch - 1;
    if (last > t->steps) last = t->steps;
    long best = 0;
    for (long s = first; s <= last; s++)
        if (best == 0 || t->grad_norm[s - 1] > t->grad_norm[best - 1]) best = s;
    return best;
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

double step_trace_median_grad(const step_trace *t, int from, int to) {
    long first = (long)(from - 1) * t->steps_per_epoch + 1, last = (long)to * t->steps_per_epoch;
    if (first < 1) first = 1;
    if (last > t->steps) last = t->steps;
    if (last < first) return 0;
    long n = last - first + 1;
    float *v = malloc((size_t)n * sizeof *v);
    if (!v) return 0;
    memcpy(v, t->grad_norm + first - 1, (size_t)n * sizeof *v);
    qsort(v, (size_t)n, sizeof *v, cmp_float);
    double med = n % 2 ? v[n / 2] : 0.5 * ((double)v[n / 2 - 1] + v[n / 2]);
    free(v);
    return med;
}

static int log_one(nn_results *db, int64_t run, const char *name, long step, int epoch,
                   double value, nn_err *err) {
    return results_log_step(db, run, &(nn_step_row){name, step, epoch, value}, err);
}

int step_trace_log(const step_trace *t, nn_results *db, int64_t run, long first, long last,
                   nn_err *err) {
    if (first < 1) first = 1;
    if (last > t->steps) last = t->steps;
    for (long s = first; s <= last; s++) {
        long i = s - 1;
        int e = step_trace_epoch(t, s);
        if (log_one(db, run, "loss", s, e, t->loss[i], err) ||
            log_one(db, run, "grad_norm", s, e, t->grad_norm[i], err) ||
            log_one(db, run, "stuck_max", s, e, t->stuck_max[i], err) ||
            log_one(db, run, "stuck_max_layer", s, e, t->stuck_layer[i] + 1, err))
            return -1;
    }
    return 0;
}

int step_trace_log_windows(const step_trace *t, nn_results *db, int64_t run, long window,
                           nn_err *err) {
    if (window < 1) return nn_fail(err, "step trace: window must be >= 1");
    for (long end = window; end <= t->steps; end += window) {
        float g = 0, l = 0, st = 0;
        for (long i = end - window; i < end; i++) {
            if (t->grad_norm[i] > g || isnan(t->grad_norm[i])) g = t->grad_norm[i];
            if (t->loss[i] > l || isnan(t->loss[i])) l = t->loss[i];
            if (t->stuck_max[i] > st) st = t->stuck_max[i];
        }
        int e = step_trace_epoch(t, end);
        if (log_one(db, run, "window_grad_norm_max", end, e, g, err) ||
            log_one(db, run, "window_loss_max", end, e, l, err) ||
            log_one(db, run, "window_stuck_max", end, e, st, err) ||
            log_one(db, run, "window_param_norm", end, e, t->param_norm[end - 1], err))
            return -1;
    }
    return 0;
}
