/* q3_losses.c - question 3: minimise each candidate loss and see what it makes.
 *
 * A trained MNIST classifier stands in for the cat/iguana classifier: a '3' is the cat and
 * an '8' the iguana (CAT_CLASS, IGUANA_CLASS). For each of the first q3_pairs pairs (k-th
 * test 3, k-th test 8) every loss is minimised over the image x with the network's weights
 * fixed, from the same start (the cat, x = x_cat), with the same optimiser (Adam) and budget.
 * yhat is the softmax output, as in the question. Three more variants show what the
 * question's form hides: C and D with yhat = the logits ("C-logits", "D-logits"), where the
 * prediction term is unbounded; A with its prediction term measured by cross-entropy
 * ("A-xent", the form practical attacks use), and A with that term weighted 100 times
 * ("A-w100"). x is not clipped to [0, 1]: the question minimises over all x (the range
 * reached is logged).
 *
 * Rows (run 'losses'):
 *   epochs: split = the variant, epoch = step = Adam steps taken (every q3_log_every and
 *           the last), loss = the loss at that point, mean over the pairs, accuracy = the
 *           fraction of pairs classified as the iguana there;
 *   metrics: final/VARIANT/pKK/{loss,pred,p_target,p_cat,dist_cat,dist_iguana,x_min,x_max}
 *            (p_target = softmax probability of the iguana class, dist_* = L2 distances),
 *            start/pKK/{cat_index,iguana_index,pred,p_target,dist} (the cat before any step:
 *            its prediction, p(iguana), and ||x_cat - x_iguana||), pairs, steps, lr;
 *            grid_delta_range;
 *   figure 07-quiz-losses.png: per pair, x_cat, x_iguana, what A, B, C, D and A-xent
 *            produced, and A-xent's change from x_cat. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chapter.h"
#include "lab/config_json.h"
#include "lab/experiment.h"
#include "lab/figure_png.h"
#include "nn/adam_vector.h"
#include "nn/metrics.h"
#include "quiz_losses.h"
#include "render/canvas.h"

#define PIXELS 784
#define VARIANTS 8
#define XENT_VARIANT 6 /* "A-xent" in VARIANT */

typedef struct variant {
    const char *name;
    quiz_variant v;
} variant;

static const variant VARIANT[VARIANTS] = {
    {"A", {QUIZ_A, QUIZ_SOFTMAX, 1}},       {"B", {QUIZ_B, QUIZ_SOFTMAX, 1}},
    {"C", {QUIZ_C, QUIZ_SOFTMAX, 1}},       {"D", {QUIZ_D, QUIZ_SOFTMAX, 1}},
    {"C-logits", {QUIZ_C, QUIZ_LOGITS, 1}}, {"D-logits", {QUIZ_D, QUIZ_LOGITS, 1}},
    {"A-xent", {QUIZ_A, QUIZ_XENT, 1}},     {"A-w100", {QUIZ_A, QUIZ_SOFTMAX, 100}},
};

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

static double dist(const float *a, const float *b) {
    double s = 0;
    for (int i = 0; i < PIXELS; i++)
        s += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return sqrt(s);
}

/* Softmax probabilities of the model at x. */
static void probabilities(nn_model *m, const float *x, double *p) {
    const float *z = nn_forward(m, x, 1, 0);
    double top = z[0], sum = 0;
    for (int j = 1; j < 10; j++)
        if (z[j] > top) top = z[j];
    for (int j = 0; j < 10; j++)
        sum += p[j] = exp(z[j] - top);
    for (int j = 0; j < 10; j++)
        p[j] /= sum;
}

/* Minimises one variant from x_cat; fills the trajectory (loss and hit per logged point)
 * and leaves the result in x. */
static int minimise(nn_model *m, const profile_config *cfg, const variant *v, const quiz_pair *pair,
                    float *x, double *traj_loss, int *traj_hit, nn_err *err) {
    nn_adam_vector adam;
    if (adam_vector_init(&adam, PIXELS, nn_adam_defaults(), err)) return -1;
    float g[PIXELS];
    memcpy(x, pair->x_cat, sizeof g);
    int point = 0;
    for (int step = 0; step <= cfg->q3_steps; step++) {
        const float *z;
        double loss = quiz_loss_gradient(m, &v->v, pair, x, g, &z);
        if (isnan(loss)) {
            adam_vector_free(&adam);
            return nn_fail(err, "losses: loss %s is not a number at step %d", v->name, step);
        }
        if (step % cfg->q3_log_every == 0 || step == cfg->q3_steps) {
            traj_loss[point] = loss;
            traj_hit[point++] = nn_argmax(z, 10) == pair->iguana;
        }
        if (step < cfg->q3_steps) adam_vector_step(&adam, x, g, cfg->q3_lr);
    }
    adam_vector_free(&adam);
    return 0;
}

static int log_final(nn_results *db, int64_t run, nn_model *m, const variant *v,
                     const quiz_pair *pair, int k, const float *x, nn_err *err) {
    const float *z = nn_forward(m, x, 1, 0);
    float zc[10];
    memcpy(zc, z, sizeof zc);
    double loss = quiz_loss_value(&v->v, pair, x, PIXELS, zc, 10, NULL, NULL, NULL, NULL);
    double p[10];
    probabilities(m, x, p);
    float lo = x[0], hi = x[0];
    for (int i = 1; i < PIXELS; i++)
        lo = fminf(lo, x[i]), hi = fmaxf(hi, x[i]);
    const char *n = v->name;
    return metric(db, run, loss, err, "final/%s/p%02d/loss", n, k) ||
           metric(db, run, nn_argmax(zc, 10), err, "final/%s/p%02d/pred", n, k) ||
           metric(db, run, p[pair->iguana], err, "final/%s/p%02d/p_target", n, k) ||
           metric(db, run, p[pair->cat], err, "final/%s/p%02d/p_cat", n, k) ||
           metric(db, run, dist(x, pair->x_cat), err, "final/%s/p%02d/dist_cat", n, k) ||
           metric(db, run, dist(x, pair->x_iguana), err, "final/%s/p%02d/dist_iguana", n, k) ||
           metric(db, run, lo, err, "final/%s/p%02d/x_min", n, k) ||
           metric(db, run, hi, err, "final/%s/p%02d/x_max", n, k);
}

/* Points of a trajectory: every q3_log_every steps from 0, and the last step. */
static int log_points(const profile_config *cfg) {
    return cfg->q3_steps / cfg->q3_log_every + 1 + (cfg->q3_steps % cfg->q3_log_every != 0);
}

typedef struct work {
    float *cats, *iguanas, *results; /* pairs x PIXELS; results: pairs x VARIANTS x PIXELS */
    double *loss;                    /* VARIANTS x pairs x points */
    int *hit;
} work;

static void work_free(work *w) {
    free(w->cats);
    free(w->iguanas);
    free(w->results);
    free(w->loss);
    free(w->hit);
}

static int run_all(nn_results *db, const nn_cli *cli, const profile_config *cfg, nn_model *m,
                   const nn_images *test, int64_t seed, int64_t run, work *w, nn_err *err) {
    int pairs = cfg->q3_pairs, points = log_points(cfg);
    if (results_transaction_begin(db, err)) return -1;
    for (int k = 0; k < pairs; k++) {
        int ci = ch_find_class(test, CAT_CLASS, k), ii = ch_find_class(test, IGUANA_CLASS, k);
        if (ci < 0 || ii < 0) return nn_fail(err, "losses: fewer than %d test 3s or 8s", pairs);
        float *cat = w->cats + (size_t)k * PIXELS, *ig = w->iguanas + (size_t)k * PIXELS;
        ch_image(test, ci, cat);
        ch_image(test, ii, ig);
        quiz_pair pair = {cat, ig, CAT_CLASS, IGUANA_CLASS};
        double p[10];
        probabilities(m, cat, p);
        int pred = 0;
        for (int j = 1; j < 10; j++)
            if (p[j] > p[pred]) pred = j;
        if (metric(db, run, ci, err, "start/p%02d/cat_index", k) ||
            metric(db, run, ii, err, "start/p%02d/iguana_index", k) ||
            metric(db, run, pred, err, "start/p%02d/pred", k) ||
            metric(db, run, p[IGUANA_CLASS], err, "start/p%02d/p_target", k) ||
            metric(db, run, dist(cat, ig), err, "start/p%02d/dist", k))
            return -1;
        for (int v = 0; v < VARIANTS; v++) {
            float *x = w->results + ((size_t)k * VARIANTS + v) * PIXELS;
            size_t at = ((size_t)v * pairs + k) * points;
            if (minimise(m, cfg, &VARIANT[v], &pair, x, w->loss + at, w->hit + at, err) ||
                log_final(db, run, m, &VARIANT[v], &pair, k, x, err))
                return -1;
        }
    }
    /* The trajectories, averaged over the pairs. */
    for (int v = 0; v < VARIANTS; v++)
        for (int j = 0; j < points; j++) {
            double loss = 0, hits = 0;
            for (int k = 0; k < pairs; k++) {
                loss += w->loss[((size_t)v * pairs + k) * points + j];
                hits += w->hit[((size_t)v * pairs + k) * points + j];
            }
            int step =
                j * cfg->q3_log_every < cfg->q3_steps ? j * cfg->q3_log_every : cfg->q3_steps;
            nn_epoch_row row = {.epoch = step,
                                .step = step,
                                .split = VARIANT[v].name,
                                .loss = loss / pairs,
                                .accuracy = hits / pairs,
                                .lr = cfg->q3_lr};
            if (results_log_epoch(db, run, &row, err)) return -1;
        }
    if (results_log_metric(db, run, "pairs", pairs, err) ||
        results_log_metric(db, run, "steps", cfg->q3_steps, err) ||
        results_log_metric(db, run, "lr", cfg->q3_lr, err) || results_transaction_commit(db, err))
        return -1;
    if (seed != cli->seed) return 0;
    /* The grid: x_cat, x_iguana, what A, B, C, D (softmax) and A with cross-entropy made,
     * and that last image's change from the cat on a blue-white-red scale (range: the
     * largest change in the grid, logged as grid_delta_range). One row per pair. */
    const int xent = XENT_VARIANT;
    float *delta = malloc(sizeof(float) * PIXELS);
    if (!delta) return nn_fail(err, "losses: out of memory");
    float range = 0;
    for (int k = 0; k < pairs; k++)
        for (int i = 0; i < PIXELS; i++)
            range = fmaxf(range, fabsf(w->results[((size_t)k * VARIANTS + xent) * PIXELS + i] -
                                       w->cats[(size_t)k * PIXELS + i]));
    nn_canvas c;
    if (canvas_init(&c, pairs, 8, 28, 28, 3, 4, err)) {
        free(delta);
        return -1;
    }
    for (int k = 0; k < pairs; k++) {
        const float *cat = w->cats + (size_t)k * PIXELS;
        canvas_put_gray(&c, k, 0, cat);
        canvas_put_gray(&c, k, 1, w->iguanas + (size_t)k * PIXELS);
        for (int v = 0; v < 4; v++)
            canvas_put_gray(&c, k, 2 + v, w->results + ((size_t)k * VARIANTS + v) * PIXELS);
        const float *adv = w->results + ((size_t)k * VARIANTS + xent) * PIXELS;
        canvas_put_gray(&c, k, 6, adv);
        for (int i = 0; i < PIXELS; i++)
            delta[i] = adv[i] - cat[i];
        canvas_put_diverging(&c, k, 7, delta, range > 0 ? range : 1);
    }
    int rc = results_log_metric(db, run, "grid_delta_range", range, err) ||
             figure_write_png(db, run, cli->figures_dir, CHAPTER, "losses", &c, err);
    canvas_free(&c);
    free(delta);
    return rc;
}

int q3_losses(nn_results *db, const nn_cli *cli, const profile_config *cfg, nn_model *m,
              const nn_images *test, int64_t seed, nn_err *err) {
    nn_json config;
    json_begin(&config);
    json_str(&config, "model", "mnist-mlp of the same seed");
    json_int(&config, "cat_class", CAT_CLASS);
    json_int(&config, "iguana_class", IGUANA_CLASS);
    json_int(&config, "pairs", cfg->q3_pairs);
    json_int(&config, "steps", cfg->q3_steps);
    json_num(&config, "lr", cfg->q3_lr);
    json_str(&config, "optimizer", "adam (0.9, 0.999, 1e-8)");
    json_str(&config, "start", "x_cat");
    json_bool(&config, "clip", 0);
    int64_t run = results_begin_run(
        db, &(nn_run_info){CHAPTER, "losses", cli->profile, json_end(&config), seed}, err);
    if (run < 0) return -1;
    int pairs = cfg->q3_pairs, points = log_points(cfg);
    work w = {
        .cats = malloc(sizeof(float) * pairs * PIXELS),
        .iguanas = malloc(sizeof(float) * pairs * PIXELS),
        .results = malloc(sizeof(float) * pairs * VARIANTS * PIXELS),
        .loss = malloc(sizeof(double) * VARIANTS * pairs * points),
        .hit = malloc(sizeof(int) * VARIANTS * pairs * points),
    };
    int rc;
    if (!w.cats || !w.iguanas || !w.results || !w.loss || !w.hit)
        rc = nn_fail(err, "losses: out of memory");
    else
        rc = run_all(db, cli, cfg, m, test, seed, run, &w, err);
    work_free(&w);
    return experiment_end_run(db, run, rc, err);
}
