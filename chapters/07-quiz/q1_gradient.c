/* q1_gradient.c - question 1: what dL/dx is, shown on a trained MNIST classifier.
 *
 * For the first test image of each class: the loss L (softmax cross-entropy of its true
 * label) and its gradient with respect to the 784 pixels, drawn as a saliency map; the
 * derivative at the pixel where |dL/dx| is largest, checked against a central difference;
 * and steps of L2 length s against the gradient (x - t dL/dx with t = s / ||dL/dx||), where
 * the first-order prediction of the change in loss is -t ||dL/dx||^2 = -s ||dL/dx||.
 *
 * Rows (run 'saliency'): metrics named with zero-padded indices so that queries can take
 * them apart with substr():
 *   img/iKK/{index,label,pred,loss,grad_l2,grad_max}     image KK (0-based, one per class)
 *   img/iKK/{ink_grad_share,ink_area}   share of ||dL/dx||^2 within 2 pixels of the ink,
 *                                       and the share of the image that region covers
 *   fd/iKK/{pixel,analytic,numeric,rel_error}             its finite-difference check
 *   fd/iKK/{h,kinks,kinks_first_h}   the step used (q1_h, divided by 10 while a ReLU unit
 *                                    changes state within +-h), the units that still do,
 *                                    and how many did at q1_h
 *   step/iKK/sJJ/{length,t,predicted,measured}            its steps (change of the loss)
 *   fd_max_rel_error, fd_h, images
 * and the figure 07-quiz-saliency.png (images on top, dL/dx below). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "chapter.h"
#include "lab/config_json.h"
#include "lab/experiment.h"
#include "lab/figure_png.h"
#include "lab/saliency.h"
#include "nn/metrics.h"
#include "render/canvas.h"

#define PIXELS 784

static int metric(nn_results *db, int64_t run, double value, nn_err *err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int metric(nn_results *db, int64_t run, double value, nn_err *err, const char *fmt, ...) {
    char name[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    return results_log_metric(db, run, name, value, err);
}

/* Where the gradient lies: the share of ||dL/dx||^2 on the pixels within INK_REACH pixels
 * (in both directions) of the digit's ink (x > 1/2), and the share of pixels that region
 * covers. */
#define INK_REACH 2
static void ink_shares(const float *x, const float *g, double *grad_share, double *area) {
    double on = 0, total = 0;
    int covered = 0;
    for (int r = 0; r < 28; r++)
        for (int c = 0; c < 28; c++) {
            int near = 0;
            for (int dr = -INK_REACH; dr <= INK_REACH && !near; dr++)
                for (int dc = -INK_REACH; dc <= INK_REACH && !near; dc++) {
                    int rr = r + dr, cc = c + dc;
                    near = rr >= 0 && rr < 28 && cc >= 0 && cc < 28 && x[rr * 28 + cc] > 0.5f;
                }
            double g2 = (double)g[r * 28 + c] * g[r * 28 + c];
            total += g2;
            if (near) on += g2, covered++;
        }
    *grad_share = total > 0 ? on / total : 0;
    *area = covered / 784.0;
}

/* One image: gradient, check, steps; its two cells of the figure. */
static int one_image(nn_results *db, int64_t run, const profile_config *cfg, nn_model *m,
                     const nn_images *test, int k, int index, nn_canvas *fig, double *rel_out,
                     nn_err *err) {
    float x[PIXELS], g[PIXELS], work[PIXELS];
    int label = test->labels[index];
    ch_image(test, index, x);
    double loss;
    if (saliency_gradient(m, x, label, g, &loss))
        return nn_fail(err, "saliency: gradient of test image %d failed", index);
    int pred = nn_argmax(nn_forward(m, x, 1, 0), 10);
    double l2 = 0, top = 0;
    int pixel = 0;
    for (int i = 0; i < PIXELS; i++) {
        l2 += (double)g[i] * g[i];
        if (fabs(g[i]) > top) top = fabs(g[i]), pixel = i;
    }
    l2 = sqrt(l2);
    /* A ReLU unit that changes state between x - h and x + h puts a kink into the interval,
     * and the difference is then not the derivative: shrink h tenfold (at most twice) until
     * no unit does. The first kinks found are logged too. */
    float h = cfg->q1_h;
    long kinks = 0, first_kinks = 0;
    double numeric = NAN;
    for (int tries = 0;; tries++) {
        numeric = saliency_finite_difference(m, x, label, pixel, h, work, &kinks);
        if (isnan(numeric)) return nn_fail(err, "saliency: finite difference failed (memory)");
        if (tries == 0) first_kinks = kinks;
        if (!kinks || tries == 2) break;
        h /= 10;
    }
    double rel = fabs(g[pixel] - numeric) / fmax(fabs(g[pixel]), fabs(numeric));
    *rel_out = rel;
    double share, area;
    ink_shares(x, g, &share, &area);
    double ts[Q1_STEPS], after[Q1_STEPS];
    for (int j = 0; j < Q1_STEPS; j++)
        ts[j] = Q1_STEP_LENGTHS[j] / l2;
    if (saliency_step_losses(m, x, label, g, ts, Q1_STEPS, after, work))
        return nn_fail(err, "saliency: steps on test image %d failed", index);
    if (metric(db, run, index, err, "img/i%02d/index", k) ||
        metric(db, run, label, err, "img/i%02d/label", k) ||
        metric(db, run, pred, err, "img/i%02d/pred", k) ||
        metric(db, run, loss, err, "img/i%02d/loss", k) ||
        metric(db, run, l2, err, "img/i%02d/grad_l2", k) ||
        metric(db, run, top, err, "img/i%02d/grad_max", k) ||
        metric(db, run, share, err, "img/i%02d/ink_grad_share", k) ||
        metric(db, run, area, err, "img/i%02d/ink_area", k) ||
        metric(db, run, pixel, err, "fd/i%02d/pixel", k) ||
        metric(db, run, g[pixel], err, "fd/i%02d/analytic", k) ||
        metric(db, run, numeric, err, "fd/i%02d/numeric", k) ||
        metric(db, run, h, err, "fd/i%02d/h", k) ||
        metric(db, run, kinks, err, "fd/i%02d/kinks", k) ||
        metric(db, run, first_kinks, err, "fd/i%02d/kinks_first_h", k) ||
        metric(db, run, rel, err, "fd/i%02d/rel_error", k))
        return -1;
    for (int j = 0; j < Q1_STEPS; j++)
        if (metric(db, run, Q1_STEP_LENGTHS[j], err, "step/i%02d/s%02d/length", k, j) ||
            metric(db, run, ts[j], err, "step/i%02d/s%02d/t", k, j) ||
            metric(db, run, -ts[j] * l2 * l2, err, "step/i%02d/s%02d/predicted", k, j) ||
            metric(db, run, after[j] - loss, err, "step/i%02d/s%02d/measured", k, j))
            return -1;
    canvas_put_gray(fig, 0, k, x);
    canvas_put_diverging(fig, 1, k, g, top > 0 ? (float)top : 1.0f);
    return 0;
}

int q1_gradient(nn_results *db, const nn_cli *cli, const profile_config *cfg, nn_model *m,
                const nn_images *test, int64_t seed, nn_err *err) {
    nn_json config;
    json_begin(&config);
    json_str(&config, "model", "mnist-mlp of the same seed");
    json_int(&config, "images", cfg->q1_images);
    json_str(&config, "choice", "first test image of each class");
    json_num(&config, "fd_h", cfg->q1_h);
    json_str(&config, "loss", "softmax cross-entropy of the true label, in double from the logits");
    int64_t run = results_begin_run(
        db, &(nn_run_info){CHAPTER, "saliency", cli->profile, json_end(&config), seed}, err);
    if (run < 0) return -1;
    nn_canvas fig = {0};
    int rc = canvas_init(&fig, 2, cfg->q1_images, 28, 28, 3, 4, err);
    double worst = 0;
    if (!rc) rc = results_transaction_begin(db, err);
    for (int k = 0; k < cfg->q1_images && !rc; k++) {
        int index = ch_find_class(test, k, 0);
        double rel = 0;
        if (index < 0)
            rc = nn_fail(err, "saliency: no test image of class %d", k);
        else
            rc = one_image(db, run, cfg, m, test, k, index, &fig, &rel, err);
        if (rel > worst) worst = rel;
    }
    if (!rc)
        rc = results_log_metric(db, run, "fd_max_rel_error", worst, err) ||
             results_log_metric(db, run, "fd_h", cfg->q1_h, err) ||
             results_log_metric(db, run, "images", cfg->q1_images, err) ||
             results_transaction_commit(db, err);
    /* One figure, from the first seed's model. */
    if (!rc && seed == cli->seed)
        rc = figure_write_png(db, run, cli->figures_dir, CHAPTER, "saliency", &fig, err);
    canvas_free(&fig);
    return experiment_end_run(db, run, rc ? -1 : 0, err);
}
