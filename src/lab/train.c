/* train.c - the shared training loop (see train.h). */
#include "lab/train.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/progress.h"
#include "data/augment.h"
#include "nn/layers.h"
#include "nn/metrics.h"

/* ---- the image source --------------------------------------------------------------------- */

static void images_begin_epoch(void *ctx, int epoch) {
    (void)epoch;
    nn_image_source *s = ctx;
    batches_shuffle(s->batches, s->order);
}

static int images_next(void *ctx, const float **x, const uint8_t **y, nn_err *err) {
    nn_image_source *s = ctx;
    int n = batches_next(s->batches);
    if (n <= 0) return 0;
    const nn_images *d = s->batches->data;
    if ((s->crop_pad > 0 || s->flip) && !s->augment)
        return nn_fail(err, "augmentation asked for without a generator");
    if (s->crop_pad > 0)
        augment_random_crop(s->batches->x, n, d->c, d->h, d->w, s->crop_pad, s->augment);
    if (s->flip) augment_random_flip(s->batches->x, n, d->c, d->h, d->w, s->augment);
    *x = s->batches->x;
    *y = s->batches->y;
    return n;
}

nn_batch_source train_source_images(nn_image_source *s) {
    return (nn_batch_source){.ctx = s,
                             .samples_per_epoch = s->batches->data->n,
                             .begin_epoch = images_begin_epoch,
                             .next = images_next};
}

/* ---- the loop ----------------------------------------------------------------------------- */

nn_train_config train_defaults(void) {
    return (nn_train_config){.epochs = 1,
                             .classes = 10,
                             .schedule = {NN_SCHEDULE_CONSTANT, .lr = 0.01f}};
}

static int check_config(const nn_model *m, const nn_batch_source *src, const nn_train_config *c,
                        nn_err *err) {
    if (c->epochs < 1) return nn_fail(err, "training needs at least one epoch, not %d", c->epochs);
    if (c->classes < 2 || c->classes != nn_output_size(m))
        return nn_fail(err, "the model has %d outputs but training asks for %d classes",
                       nn_output_size(m), c->classes);
    if (!(c->label_smoothing >= 0 && c->label_smoothing < 1))
        return nn_fail(err, "label smoothing must be in [0, 1), not %g", (double)c->label_smoothing);
    if (c->window < 0) return nn_fail(err, "the logging window must be >= 0, not %d", c->window);
    if (!(c->clip_norm >= 0))
        return nn_fail(err, "the clipping norm must be >= 0, not %g", (double)c->clip_norm);
    if (c->log_confusion && !c->test) return nn_fail(err, "a confusion matrix needs a test set");
    if (!src->next || src->samples_per_epoch < 1)
        return nn_fail(err, "the training source has no samples");
    return 0;
}

/* Gradient statistics of the probe batch, if there is one. */
static int log_probe(nn_results *db, int64_t run, nn_model *m, const nn_train_config *c,
                     int epoch, long step, nn_err *err) {
    if (c->probe_n <= 0) return 0;
    if (experiment_probe_gradients(m, c->probe_x, c->probe_y, c->probe_n, NULL, err)) return -1;
    if (c->log_grads) return c->log_grads(c->hook_ctx, db, run, m, epoch, step, err);
    return experiment_log_grad_stats(db, run, m, epoch, (int)step, err);
}

/* Running sums of one stretch of training (an epoch, a window). */
typedef struct span {
    double loss, started;
    long correct, seen;
} span;

static void span_start(span *s) { *s = (span){.started = nn_seconds()}; }

static int log_span(nn_results *db, int64_t run, const char *split, int epoch, long step,
                    const span *s, float lr, double seconds, nn_err *err) {
    return results_log_epoch(db, run,
                             &(nn_epoch_row){epoch, (int)step, split, s->loss / s->seen,
                                             (double)s->correct / s->seen, lr, seconds},
                             err);
}

/* Scales the gradient down to L2 norm `limit` if it is longer. Returns 1 if it did. The
 * norm is summed in double: it runs once per step over every parameter, a small cost next
 * to the backward pass that made the gradient. */
static int clip_gradient(nn_model *m, float limit) {
    float *g = nn_grads(m);
    size_t n = nn_param_count(m);
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)g[i] * g[i];
    double norm = sqrt(s);
    if (!(norm > limit)) return 0; /* also a NaN norm: a diverged step is not hidden */
    float scale = (float)(limit / norm);
    for (size_t i = 0; i < n; i++) g[i] *= scale;
    return 1;
}

/* One epoch's steps. Returns 0 or -1. */
static int train_epoch(nn_results *db, int64_t run, nn_model *m, nn_optim *opt,
                       nn_batch_source *src, const nn_train_config *c, int epoch, long total,
                       long *step, span *ep, span *win, float *lr, long *nonfinite,
                       long *clipped, nn_err *err) {
    char label[128];
    snprintf(label, sizeof label, "%s epoch %d/%d", c->label ? c->label : "training", epoch,
             c->epochs);
    nn_progress bar;
    progress_start(&bar, stderr, label, "img", src->samples_per_epoch);
    span_start(ep);
    if (src->begin_epoch) src->begin_epoch(src->ctx, epoch);
    const float *x;
    const uint8_t *y;
    int n;
    while ((n = src->next(src->ctx, &x, &y, err)) > 0) {
        const float *logits = nn_forward(m, x, n, 1);
        if (!logits)
            return nn_fail(err, "the model rejected a training batch of %d (its maximum is %d)",
                           n, nn_max_batch(m));
        long right = nn_count_correct(logits, y, n, c->classes);
        float *d = nn_output_grad_buffer(m);
        float loss = softmax_xent_smooth(logits, y, n, c->classes, c->label_smoothing, d);
        if (!isfinite(loss)) (*nonfinite)++;
        nn_backward(m, d, n);
        if (c->clip_norm > 0) *clipped += clip_gradient(m, c->clip_norm);
        *lr = nn_schedule_lr(&c->schedule, *step, total);
        nn_optim_step(opt, *lr);
        (*step)++;
        ep->loss += (double)loss * n, ep->correct += right, ep->seen += n;
        win->loss += (double)loss * n, win->correct += right, win->seen += n;
        if (c->after_step && c->after_step(c->hook_ctx, m, *step, loss, err)) return -1;
        if (c->window > 0 && *step % c->window == 0) {
            double now = nn_seconds();
            if (log_span(db, run, "train_window", epoch, *step, win, *lr, now - win->started, err))
                return -1;
            span_start(win);
        }
        char note[48];
        snprintf(note, sizeof note, "loss %.4f", ep->loss / ep->seen);
        progress_update(&bar, ep->seen, note);
    }
    if (n < 0) return -1;
    if (ep->seen == 0) return nn_fail(err, "the training source gave no batch in epoch %d", epoch);
    progress_finish(&bar, NULL);
    return 0;
}

/* The steps in the run, for the schedule: an image source counts its batches; another
 * says how many it makes, or is taken to fill the model's batch. */
static long count_steps(const nn_batch_source *src, const nn_model *m, int epochs,
                        const nn_image_source *images) {
    long per_epoch;
    if (images) per_epoch = batches_per_epoch(images->batches);
    else if (src->steps_per_epoch > 0)
        per_epoch = src->steps_per_epoch;
    else per_epoch = (src->samples_per_epoch + nn_max_batch(m) - 1) / nn_max_batch(m);
    return per_epoch * epochs;
}

int train_classifier(nn_results *db, int64_t run, nn_model *m, nn_optim *opt,
                     nn_batch_source src, const nn_train_config *c, nn_train_result *out,
                     nn_err *err) {
    nn_train_result r = {0};
    if (check_config(m, &src, c, err)) return -1;
    const nn_image_source *images = src.next == images_next ? src.ctx : NULL;
    const long total = count_steps(&src, m, c->epochs, images);
    if (log_probe(db, run, m, c, 0, 0, err)) return -1;

    long step = 0;
    float lr = nn_schedule_lr(&c->schedule, 0, total);
    span win; /* the current logging window: it runs on across epochs */
    span_start(&win);
    for (int epoch = 1; epoch <= c->epochs; epoch++) {
        span ep;
        if (train_epoch(db, run, m, opt, &src, c, epoch, total, &step, &ep, &win, &lr,
                        &r.nonfinite_batches, &r.clipped_steps, err))
            return -1;
        double seconds = nn_seconds() - ep.started;
        r.train_seconds += seconds;
        r.train_loss = ep.loss / ep.seen;
        r.train_accuracy = (double)ep.correct / ep.seen;

        nn_eval test = {0};
        if (c->test && experiment_evaluate(m, c->test, &test, NULL, err)) return -1;
        if (c->test)
            fprintf(stderr, "  %s epoch %d: train loss %.4f, test accuracy %.2f%%\n",
                    c->label ? c->label : "training", epoch, r.train_loss, 100 * test.accuracy);
        if (c->measure_epoch && c->measure_epoch(c->hook_ctx, m, epoch, err)) return -1;
        if (results_transaction_begin(db, err)) return -1;
        if (log_span(db, run, "train", epoch, step, &ep, lr, seconds, err) ||
            (c->test && results_log_epoch(db, run,
                                          &(nn_epoch_row){epoch, (int)step, "test", test.loss,
                                                          test.accuracy, lr, 0},
                                          err)) ||
            (c->after_epoch && c->after_epoch(c->hook_ctx, m, epoch, step, lr, err)) ||
            log_probe(db, run, m, c, epoch, step, err) || results_transaction_commit(db, err)) {
            results_transaction_rollback(db);
            return -1;
        }
    }
    r.steps = step;

    int64_t confusion[64 * 64];
    if (c->log_confusion && c->classes > 64)
        return nn_fail(err, "a confusion matrix of %d classes is too large", c->classes);
    if (c->log_confusion) memset(confusion, 0, sizeof(int64_t) * c->classes * c->classes);
    if (c->test && experiment_evaluate(m, c->test, &r.test, c->log_confusion ? confusion : NULL,
                                       err))
        return -1;
    if (results_transaction_begin(db, err)) return -1;
    if ((c->test && (results_log_metric(db, run, "test_accuracy", r.test.accuracy, err) ||
                     results_log_metric(db, run, "test_loss", r.test.loss, err))) ||
        results_log_metric(db, run, "train_loss", r.train_loss, err) ||
        results_log_metric(db, run, "train_accuracy", r.train_accuracy, err) ||
        results_log_metric(db, run, "train_seconds", r.train_seconds, err) ||
        results_log_metric(db, run, "epoch_seconds", r.train_seconds / c->epochs, err) ||
        results_log_metric(db, run, "parameters", (double)nn_param_count(m), err) ||
        results_log_metric(db, run, "nonfinite_batches", (double)r.nonfinite_batches, err) ||
        (c->clip_norm > 0 &&
         results_log_metric(db, run, "clipped_steps", (double)r.clipped_steps, err)) ||
        (c->log_confusion && results_log_confusion(db, run, c->classes, confusion, err)) ||
        results_transaction_commit(db, err)) {
        results_transaction_rollback(db);
        return -1;
    }
    if (out) *out = r;
    return 0;
}
