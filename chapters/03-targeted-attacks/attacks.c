/* 03-targeted-attacks/attacks.c - the attacks of the chapter, their logs and pictures.
 *
 * Every correctly classified test '2' (in file order) is attacked in batches with, for each
 * L-infinity radius of EPS: targeted FGSM (and the same step unclipped, with the share that
 * clipping to [0, 1] removes), targeted PGD/BIM stopped at success, and untargeted FGSM and
 * PGD for comparison. At EPS_CHAPTER also PGD that spends every step (its last and its best
 * iterate), PGD that stops only when p(6) >= 0.9, and untargeted PGD's best iterate. Every
 * one of them (or the first cw_n, where a profile says so) also gets the Carlini-Wagner L2
 * attack, and the first cw_kappa_n the same attack with a confidence margin. Each
 * adversarial is measured on the attacked model (run 'attacks') and on the independently
 * trained second model (run 'transfer'). The grids show the first ten 2s that all of FGSM,
 * PGD and CW turned into a 6 (grid.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "attack/adversarial_grid.h"
#include "attack/attack.h"
#include "attack/attack_untargeted.h"
#include "attacks.h"
#include "base/clock.h"
#include "clipping.h"
#include "grid.h"
#include "lab/config_json.h"
#include "lab/experiment.h"
#include "nn/metrics.h"
#include "base/progress.h"
#include "base/sha256.h"

#define INK 0.5f /* a pixel of the original at least this bright is on the stroke */
#define PIXELS 784
#define DELTA_QUANTILE 0.99 /* |delta| at this quantile is full colour in a grid */

static const adv_grid_style GRID_STYLE = {.scale = 3, .pad = 4};

/* The radius as the decimal it stands for (0.1f is 0.100000001...), so that queries can
 * write eps = 0.1; NAN stays NAN (stored as NULL). */
static double round_eps(float eps) {
    return isnan(eps) ? NAN : round((double)eps * 1e4) / 1e4;
}

/* Attack rows wait here while a batch is attacked and are written afterwards in one short
 * transaction: other experiments share the database, and a write transaction held through
 * minutes of attacks would lock them out. */
typedef struct pending_row {
    int64_t run;
    nn_attack_row row;
} pending_row;

typedef struct row_buffer {
    pending_row *rows;
    int count, cap;
} row_buffer;

static int buffer_push(row_buffer *b, int64_t run, const nn_attack_row *row, nn_err *err) {
    if (b->count == b->cap) return nn_fail(err, "attacks: row buffer full (%d rows)", b->cap);
    b->rows[b->count++] = (pending_row){run, *row};
    return 0;
}

static int buffer_flush(nn_results *db, row_buffer *b, nn_err *err) {
    if (results_transaction_begin(db, err)) return -1;
    for (int i = 0; i < b->count; i++)
        if (results_log_attack(db, b->rows[i].run, &b->rows[i].row, err)) return -1;
    b->count = 0;
    return results_transaction_commit(db, err);
}

/* Measures targeted adversarials on a (rows of run `run`) and on b (rows of `run_b`, if b).
 * steps may be NULL (then `fixed_steps` for every sample); eps NAN is logged as NULL. */
static int log_targeted(row_buffer *db, int64_t run, int64_t run_b, nn_model *a, nn_model *b,
                        const char *method, float eps, const float *x, const float *adv,
                        const uint8_t *target, int n, const int *sample, const int *steps,
                        int fixed_steps, nn_attack_outcome *out, nn_err *err) {
    nn_attack_outcome ob[ATTACK_BATCH];
    if (attack_measure(a, x, adv, target, n, out, err) ||
        (b && attack_measure(b, x, adv, target, n, ob, err)))
        return -1;
    for (int k = 0; k < n; k++) {
        nn_attack_row row = {sample[k],        SOURCE_CLASS,   target[k],
                             method,           round_eps(eps), steps ? steps[k] : fixed_steps,
                             out[k].success,   out[k].l2,      out[k].linf,
                             out[k].confidence};
        if (buffer_push(db, run, &row, err)) return -1;
        if (!b) continue;
        row.success = ob[k].success, row.confidence = ob[k].confidence;
        if (buffer_push(db, run_b, &row, err)) return -1;
    }
    return 0;
}

/* Untargeted rows: success = no longer classified as the label; confidence = the model's
 * probability of the class it now predicts. On a (run `run`) and, if b, on b (run `run_b`:
 * success = b no longer reads the label). Adds a's predicted classes to histogram. */
static int log_untargeted(row_buffer *db, int64_t run, int64_t run_b, nn_model *a, nn_model *b,
                          const char *method, float eps, const float *x, const float *adv,
                          const uint8_t *label, int n, const int *sample, const int *steps,
                          int fixed_steps, long *histogram, nn_err *err) {
    nn_model *models[2] = {a, b};
    int64_t runs[2] = {run, run_b};
    for (int which = 0; which < 2 && models[which]; which++) {
        nn_model *m = models[which];
        nn_attack_outcome o[ATTACK_BATCH], op[ATTACK_BATCH];
        uint8_t predicted[ATTACK_BATCH];
        if (attack_measure(m, x, adv, label, n, o, err)) return -1;
        for (int k = 0; k < n; k++)
            predicted[k] = (uint8_t)o[k].predicted;
        if (attack_measure(m, x, adv, predicted, n, op, err)) return -1;
        for (int k = 0; k < n; k++) {
            nn_attack_row row = {sample[k],       label[k],       -1,
                                 method,          round_eps(eps), steps ? steps[k] : fixed_steps,
                                 !o[k].success,   o[k].l2,        o[k].linf,
                                 op[k].confidence};
            if (buffer_push(db, runs[which], &row, err)) return -1;
            if (histogram && which == 0) histogram[o[k].predicted]++;
        }
    }
    return 0;
}

static int ensure_dir(const char *dir, nn_err *err) {
    if (mkdir(dir, 0777) && errno != EEXIST) return nn_fail(err, "%s: %s", dir, strerror(errno));
    return 0;
}

/* Writes canvas c as DIR/03-targeted-attacks-NAME.png and records it as an artifact. */
static int write_figure(nn_results *db, int64_t run, const char *dir, const char *name,
                        nn_canvas *c, nn_err *err) {
    char path[4096], hex[65];
    snprintf(path, sizeof path, "%s/%s-%s.png", dir, CHAPTER, name);
    if (canvas_write_png(c, path, err) || sha256_file_hex(path, hex, err)) return -1;
    return results_log_artifact(db, run, "image", path, hex, err);
}

/* The 10 x 3 grid of one method as a PNG, its |delta| colour range the DELTA_QUANTILE
 * quantile over the grid's pixels (so one extreme pixel cannot wash out the scale; the few
 * beyond it are drawn at full colour), logged as grid_range_NAME. */
static int write_grid(nn_results *db, int64_t run, const char *dir, const char *name,
                      const float *orig, const float *adv, int rows, nn_err *err) {
    float range;
    if (adv_abs_delta_quantile(orig, adv, (long)rows * PIXELS, DELTA_QUANTILE, &range, err))
        return -1;
    if (!(range > 0)) range = 1e-3f; /* no change at all: any scale draws it white */
    nn_canvas c;
    if (adv_grid_build(&c, orig, adv, rows, 28, 28, range, GRID_STYLE, err)) return -1;
    int rc = write_figure(db, run, dir, name, &c, err);
    char key[64];
    snprintf(key, sizeof key, "grid_range_%s", name + strlen("grid-"));
    if (!rc) rc = results_log_metric(db, run, key, range, err);
    if (!rc && !strcmp(name, "grid-fgsm"))
        rc = results_log_metric(db, run, "grid_width", c.width, err) ||
             results_log_metric(db, run, "grid_height", c.height, err) ||
             results_log_metric(db, run, "grid_scale", c.scale, err) ||
             results_log_metric(db, run, "grid_pad", c.pad, err);
    canvas_free(&c);
    return rc ? -1 : 0;
}

/* Average image of the attacked 2s next to the average PGD and CW perturbations, each on
 * the DELTA_QUANTILE quantile of its own |delta| over the image. */
static int write_mean_delta(nn_results *db, int64_t run, const char *dir, const double *orig_sum,
                            long n_orig, const double *pgd_sum, long n_pgd, const double *cw_sum,
                            long n_cw, nn_err *err) {
    float img[3][PIXELS], zero[PIXELS] = {0};
    float range[2];
    for (int j = 0; j < PIXELS; j++) {
        img[0][j] = (float)(orig_sum[j] / (n_orig ? n_orig : 1));
        img[1][j] = (float)(pgd_sum[j] / (n_pgd ? n_pgd : 1));
        img[2][j] = (float)(cw_sum[j] / (n_cw ? n_cw : 1));
    }
    for (int k = 0; k < 2; k++) {
        if (adv_abs_delta_quantile(zero, img[k + 1], PIXELS, DELTA_QUANTILE, &range[k], err))
            return -1;
        if (!(range[k] > 0)) range[k] = 1e-3f;
    }
    nn_canvas c;
    if (canvas_init(&c, 1, 3, 28, 28, GRID_STYLE.scale, GRID_STYLE.pad, err)) return -1;
    canvas_put_gray(&c, 0, 0, img[0]);
    for (int k = 0; k < 2; k++)
        canvas_put_diverging(&c, 0, k + 1, img[k + 1], range[k]);
    int rc = write_figure(db, run, dir, "mean-delta", &c, err);
    canvas_free(&c);
    if (rc || results_log_metric(db, run, "mean_delta_range_pgd", range[0], err) ||
        results_log_metric(db, run, "mean_delta_range_cw", range[1], err))
        return -1;
    return 0;
}

static int log_delta_stats(nn_results *db, int64_t run, const char *method, const adv_delta_sums *s,
                           nn_err *err) {
    char name[64];
    snprintf(name, sizeof name, "stroke_mass_share_%s", method);
    if (results_log_metric(db, run, name, adv_stroke_mass_share(s), err)) return -1;
    snprintf(name, sizeof name, "stroke_pixel_share_%s", method);
    if (results_log_metric(db, run, name, adv_stroke_pixel_share(s), err)) return -1;
    snprintf(name, sizeof name, "added_mass_share_%s", method);
    if (results_log_metric(db, run, name, adv_added_mass_share(s), err)) return -1;
    snprintf(name, sizeof name, "delta_samples_%s", method);
    return results_log_metric(db, run, name, (double)s->samples, err);
}

/* Buffers and running totals of the attack loop. */
typedef struct attack_state {
    float *x, *adv, *grad;     /* the batch, an attack's output, dL(6)/dx at x */
    float *fgsm_adv, *pgd_adv; /* FGSM and PGD at EPS_CHAPTER, kept for the grid */
    int fgsm_ok[ATTACK_BATCH], pgd_ok[ATTACK_BATCH], cw_ok[ATTACK_BATCH];
    ch_grid grid;
    double *orig_sum, *pgd_sum, *cw_sum; /* PIXELS each */
    adv_delta_sums pgd_stats, cw_stats;
    ch_clip_sums clip[N_EPS];
    long untargeted_hist[10];
    double seconds[5]; /* fgsm, pgd, cw, fgsm-untargeted, pgd-untargeted */
    long items[5];
} attack_state;

static void state_free(attack_state *s) {
    free(s->x);
    free(s->adv);
    free(s->grad);
    free(s->fgsm_adv);
    free(s->pgd_adv);
    ch_grid_free(&s->grid);
    free(s->orig_sum);
    free(s->pgd_sum);
    free(s->cw_sum);
}

static int state_init(attack_state *s, nn_err *err) {
    memset(s, 0, sizeof *s);
    size_t batch = (size_t)ATTACK_BATCH * PIXELS;
    s->x = malloc(sizeof(float) * batch);
    s->adv = malloc(sizeof(float) * batch);
    s->grad = malloc(sizeof(float) * batch);
    s->fgsm_adv = malloc(sizeof(float) * batch);
    s->pgd_adv = malloc(sizeof(float) * batch);
    s->orig_sum = calloc(PIXELS, sizeof(double));
    s->pgd_sum = calloc(PIXELS, sizeof(double));
    s->cw_sum = calloc(PIXELS, sizeof(double));
    if (!s->x || !s->adv || !s->grad || !s->fgsm_adv || !s->pgd_adv || !s->orig_sum ||
        !s->pgd_sum || !s->cw_sum)
        return nn_fail(err, "attacks: out of memory"); /* the caller frees what was made */
    return ch_grid_init(&s->grid, PIXELS, err);
}

/* The PGD variants at EPS_CHAPTER beyond the early-stopped one, on a and b. */
static int pgd_variants(row_buffer *db, int64_t run, int64_t run_b, const ch_attack_config *cfg,
                        nn_model *a, nn_model *b, const int *sample, int n, attack_state *s,
                        nn_err *err) {
    uint8_t six[ATTACK_BATCH], two[ATTACK_BATCH];
    int steps[ATTACK_BATCH];
    nn_attack_outcome out[ATTACK_BATCH];
    memset(six, TARGET_CLASS, sizeof six);
    memset(two, SOURCE_CLASS, sizeof two);
    float eps = EPS_CHAPTER;
    nn_pgd_config pgd = {.eps = eps, .alpha = 2.5f * eps / cfg->pgd_steps, .steps = cfg->pgd_steps};
    /* Every step spent, the last iterate returned (what "all steps" meant before). */
    if (attack_pgd_targeted(a, s->x, six, n, &pgd, NULL, s->adv, NULL, err) ||
        log_targeted(db, run, run_b, a, b, "pgd-last", eps, s->x, s->adv, six, n, sample, NULL,
                     cfg->pgd_steps, out, err))
        return -1;
    /* Every step spent, the iterate with the largest margin of '6' returned. */
    pgd.keep_best = 1;
    if (attack_pgd_targeted(a, s->x, six, n, &pgd, NULL, s->adv, steps, err) ||
        log_targeted(db, run, run_b, a, b, "pgd-best", eps, s->x, s->adv, six, n, sample, steps, 0,
                     out, err))
        return -1;
    /* Stopped only once p(6) >= CONFIDENT_P. */
    pgd = (nn_pgd_config){.eps = eps,
                          .alpha = 2.5f * eps / cfg->pgd_steps,
                          .steps = cfg->pgd_steps,
                          .early_stop = 1,
                          .min_confidence = CONFIDENT_P};
    if (attack_pgd_targeted(a, s->x, six, n, &pgd, NULL, s->adv, steps, err) ||
        log_targeted(db, run, run_b, a, b, "pgd-p90", eps, s->x, s->adv, six, n, sample, steps, 0,
                     out, err))
        return -1;
    /* Untargeted, every step spent, the best iterate: the untargeted counterpart of
     * pgd-best for the transfer comparison. */
    pgd = (nn_pgd_config){
        .eps = eps, .alpha = 2.5f * eps / cfg->pgd_steps, .steps = cfg->pgd_steps, .keep_best = 1};
    if (attack_pgd_untargeted(a, s->x, two, n, &pgd, NULL, s->adv, steps, err) ||
        log_untargeted(db, run, run_b, a, b, "pgd-untargeted-best", eps, s->x, s->adv, two, n,
                       sample, steps, 0, NULL, err))
        return -1;
    return 0;
}

/* Every attack on one batch of n selected 2s (positions first .. first+n-1 of twos). */
static int attack_batch(row_buffer *db, int64_t run, int64_t run_b, const ch_attack_config *cfg,
                        nn_model *a, nn_model *b, const int *sample, int first, int n,
                        attack_state *s, nn_err *err) {
    uint8_t six[ATTACK_BATCH], two[ATTACK_BATCH];
    int steps[ATTACK_BATCH];
    nn_attack_outcome out[ATTACK_BATCH];
    memset(six, TARGET_CLASS, sizeof six);
    memset(two, SOURCE_CLASS, sizeof two);
    for (int k = 0; k < n; k++)
        for (int j = 0; j < PIXELS; j++)
            s->orig_sum[j] += s->x[(size_t)k * PIXELS + j];
    /* The gradient every FGSM step follows (the same at every eps): kept for the clipping
     * measurement and the unclipped control. */
    const float *g;
    nn_set_input_grad(a, 1);
    attack_loss_gradient(a, s->x, six, n, &g);
    memcpy(s->grad, g, sizeof(float) * (size_t)n * PIXELS);
    for (int e = 0; e < N_EPS; e++) {
        float eps = EPS[e];
        int at_chapter_eps = eps == EPS_CHAPTER;
        double t0 = nn_seconds();
        if (attack_fgsm_targeted(a, s->x, six, n, eps, s->adv, err)) return -1;
        s->seconds[0] += nn_seconds() - t0, s->items[0] += n;
        if (log_targeted(db, run, run_b, a, b, "fgsm", eps, s->x, s->adv, six, n, sample, NULL, 1,
                         out, err))
            return -1;
        ch_clip_accumulate(&s->clip[e], s->x, s->grad, s->adv, n, PIXELS, eps);
        if (at_chapter_eps) {
            memcpy(s->fgsm_adv, s->adv, sizeof(float) * (size_t)n * PIXELS);
            for (int k = 0; k < n; k++)
                s->fgsm_ok[k] = out[k].success;
        }
        ch_fgsm_unclipped(s->x, s->grad, (long)n * PIXELS, eps, s->adv);
        if (log_targeted(db, run, run_b, a, NULL, "fgsm-unclipped", eps, s->x, s->adv, six, n,
                         sample, NULL, 1, out, err))
            return -1;

        nn_pgd_config pgd = {.eps = eps,
                             .alpha = 2.5f * eps / cfg->pgd_steps,
                             .steps = cfg->pgd_steps,
                             .early_stop = 1};
        t0 = nn_seconds();
        if (attack_pgd_targeted(a, s->x, six, n, &pgd, NULL, s->adv, steps, err)) return -1;
        s->seconds[1] += nn_seconds() - t0, s->items[1] += n;
        if (log_targeted(db, run, run_b, a, b, "pgd", eps, s->x, s->adv, six, n, sample, steps, 0,
                         out, err))
            return -1;
        if (at_chapter_eps) {
            memcpy(s->pgd_adv, s->adv, sizeof(float) * (size_t)n * PIXELS);
            for (int k = 0; k < n; k++)
                s->pgd_ok[k] = out[k].success;
            adv_delta_accumulate(&s->pgd_stats, s->x, s->adv, n, PIXELS, INK, s->pgd_ok,
                                 s->pgd_sum);
            if (pgd_variants(db, run, run_b, cfg, a, b, sample, n, s, err)) return -1;
        }

        t0 = nn_seconds();
        if (attack_fgsm_untargeted(a, s->x, two, n, eps, s->adv, err)) return -1;
        s->seconds[3] += nn_seconds() - t0, s->items[3] += n;
        if (log_untargeted(db, run, run_b, a, b, "fgsm-untargeted", eps, s->x, s->adv, two, n,
                           sample, NULL, 1, NULL, err))
            return -1;
        t0 = nn_seconds();
        if (attack_pgd_untargeted(a, s->x, two, n, &pgd, NULL, s->adv, steps, err)) return -1;
        s->seconds[4] += nn_seconds() - t0, s->items[4] += n;
        if (log_untargeted(db, run, run_b, a, b, "pgd-untargeted", eps, s->x, s->adv, two, n,
                           sample, steps, 0, at_chapter_eps ? s->untargeted_hist : NULL, err))
            return -1;
    }
    /* Carlini-Wagner on every selected 2 (cw_n 0), or on the first cw_n only; with the
     * confidence margin on the first cw_kappa_n. */
    int n_cw = cfg->cw_n == 0 || cfg->cw_n - first >= n ? n : cfg->cw_n - first;
    nn_cw_config cw = {.c_initial = 1,
                       .search_steps = cfg->cw_search,
                       .iterations = cfg->cw_iterations,
                       .lr = cfg->cw_lr,
                       .kappa = 0};
    memset(s->cw_ok, 0, sizeof s->cw_ok);
    if (n_cw > 0) {
        double t0 = nn_seconds();
        if (attack_cw_targeted(a, s->x, six, n_cw, &cw, s->adv, steps, err)) return -1;
        s->seconds[2] += nn_seconds() - t0, s->items[2] += n_cw;
        if (log_targeted(db, run, run_b, a, b, "cw", NAN, s->x, s->adv, six, n_cw, sample, steps, 0,
                         out, err))
            return -1;
        for (int k = 0; k < n_cw; k++)
            s->cw_ok[k] = out[k].success;
        adv_delta_accumulate(&s->cw_stats, s->x, s->adv, n_cw, PIXELS, INK, s->cw_ok, s->cw_sum);
        const float *const advs[GRID_METHODS] = {s->fgsm_adv, s->pgd_adv, s->adv};
        const int *const ok[GRID_METHODS] = {s->fgsm_ok, s->pgd_ok, s->cw_ok};
        ch_grid_take(&s->grid, n_cw, sample, s->x, advs, ok);
    }
    int n_kappa = cfg->cw_kappa_n - first >= n ? n : cfg->cw_kappa_n - first;
    if (n_kappa > 0) {
        cw.kappa = CONFIDENT_KAPPA;
        if (attack_cw_targeted(a, s->x, six, n_kappa, &cw, s->adv, steps, err) ||
            log_targeted(db, run, run_b, a, b, "cw-p90", NAN, s->x, s->adv, six, n_kappa, sample,
                         steps, 0, out, err))
            return -1;
    }
    return 0;
}

/* The grids, the mean perturbation, and the grid rows' test indices. */
static int write_pictures(nn_results *db, int64_t run, const char *dir, attack_state *s,
                          long n_twos, nn_err *err) {
    static const char *const names[GRID_METHODS] = {"grid-fgsm", "grid-pgd", "grid-cw"};
    if (ensure_dir(dir, err) || results_log_metric(db, run, "grid_rows", s->grid.rows, err))
        return -1;
    for (int r = 0; r < s->grid.rows; r++) {
        char key[32];
        snprintf(key, sizeof key, "grid_sample_%d", r);
        if (results_log_metric(db, run, key, s->grid.sample[r], err)) return -1;
    }
    if (s->grid.rows == 0)
        return nn_fail(err, "attacks: no 2 was turned into a 6 by every method: no grid to draw");
    for (int m = 0; m < GRID_METHODS; m++)
        if (write_grid(db, run, dir, names[m], s->grid.x, s->grid.adv[m], s->grid.rows, err))
            return -1;
    return write_mean_delta(db, run, dir, s->orig_sum, n_twos, s->pgd_sum, s->pgd_stats.samples,
                            s->cw_sum, s->cw_stats.samples, err);
}

/* Per eps, the shares of the FGSM step that clipping removed (clipping.h). */
static int log_clipping(nn_results *db, int64_t run, const attack_state *s, nn_err *err) {
    for (int e = 0; e < N_EPS; e++) {
        const ch_clip_sums *c = &s->clip[e];
        double n = c->images ? (double)c->images : NAN;
        char key[64];
        snprintf(key, sizeof key, "fgsm_clip_lost_gain@%g", round_eps(EPS[e]));
        if (results_log_metric(db, run, key, c->lost_gain / n, err)) return -1;
        snprintf(key, sizeof key, "fgsm_clip_lost_at0@%g", round_eps(EPS[e]));
        if (results_log_metric(db, run, key, c->lost_at0 / n, err)) return -1;
        snprintf(key, sizeof key, "fgsm_clip_lost_l1@%g", round_eps(EPS[e]));
        if (results_log_metric(db, run, key, c->lost_l1 / n, err)) return -1;
    }
    return 0;
}

int ch_run_attacks(nn_results *db, const nn_cli *cli, const ch_attack_config *cfg, nn_model *a,
                   nn_model *b, const nn_images *test, const int *twos, int n_twos,
                   int count_twos_all, nn_err *err) {
    char eps_list[128] = "[";
    for (int e = 0; e < N_EPS; e++)
        snprintf(eps_list + strlen(eps_list), sizeof eps_list - strlen(eps_list), "%s%g",
                 e ? "," : "", round_eps(EPS[e]));
    strcat(eps_list, "]");
    nn_json config;
    json_begin(&config);
    json_str(&config, "model", "cnn");
    json_int(&config, "source", SOURCE_CLASS);
    json_int(&config, "target", TARGET_CLASS);
    json_raw(&config, "eps", eps_list);
    json_num(&config, "eps_grid", EPS_CHAPTER);
    json_int(&config, "pgd_steps", cfg->pgd_steps);
    json_str(&config, "pgd_alpha", "2.5 eps / steps");
    json_num(&config, "confident_p", CONFIDENT_P);
    json_int(&config, "cw_n", cfg->cw_n);
    json_int(&config, "cw_search", cfg->cw_search);
    json_int(&config, "cw_iterations", cfg->cw_iterations);
    json_num(&config, "cw_lr", cfg->cw_lr);
    json_int(&config, "cw_c", 1);
    json_num(&config, "cw_kappa", CONFIDENT_KAPPA);
    json_int(&config, "cw_kappa_n", cfg->cw_kappa_n);
    json_num(&config, "ink", INK);
    json_num(&config, "delta_quantile", DELTA_QUANTILE);
    json_str(&config, "selection", "correctly classified test 2s in file order");
    json_str(&config, "grid_rows", "first 2s that FGSM, PGD and CW all turned into a 6");
    const char *config_text = json_end(&config);
    int64_t run = results_begin_run(
        db, &(nn_run_info){CHAPTER, "attacks", cli->profile, config_text, cli->seed}, err);
    if (run < 0) return -1;
    int64_t run_b = results_begin_run(
        db, &(nn_run_info){CHAPTER, "transfer", cli->profile, config_text, cli->seed}, err);
    if (run_b < 0) return experiment_end_run(db, run, -1, err);
    attack_state s;
    /* Rows per image: per radius FGSM (A, B), unclipped FGSM (A), PGD (A, B) and the two
     * untargeted attacks (A, B each); at EPS_CHAPTER four more PGD variants (A, B); CW and
     * CW with kappa (A, B). */
    row_buffer buf = {.cap = ATTACK_BATCH * (N_EPS * 9 + 4 * 2 + 4)};
    buf.rows = malloc(sizeof *buf.rows * buf.cap);
    int rc = -1;
    if (state_init(&s, err)) goto fail;
    if (!buf.rows) {
        nn_fail(err, "attacks: out of memory");
        goto fail;
    }
    ch_freeze_all(a, 1);
    ch_freeze_all(b, 1);
    nn_progress bar;
    progress_start(&bar, stderr, "attacks on the 2s", "img", n_twos);
    long b_as_six = 0;
    for (int first = 0; first < n_twos; first += ATTACK_BATCH) {
        int n = n_twos - first < ATTACK_BATCH ? n_twos - first : ATTACK_BATCH;
        ch_gather(test, twos + first, n, s.x, NULL);
        const float *zb = nn_forward(b, s.x, n, 0);
        for (int k = 0; k < n; k++)
            b_as_six += nn_argmax(zb + k * 10, 10) == TARGET_CLASS;
        if (attack_batch(&buf, run, run_b, cfg, a, b, twos + first, first, n, &s, err) ||
            buffer_flush(db, &buf, err))
            goto fail;
        progress_update(&bar, first + n, NULL);
    }
    progress_finish(&bar, NULL);
    ch_freeze_all(b, 0);

    int cw_n = cfg->cw_n == 0 || n_twos < cfg->cw_n ? n_twos : cfg->cw_n;
    int kappa_n = n_twos < cfg->cw_kappa_n ? n_twos : cfg->cw_kappa_n;
    if (write_pictures(db, run, cli->figures_dir, &s, n_twos, err)) goto fail;
    static const char *const what[5] = {"fgsm", "pgd", "cw", "fgsm-untargeted", "pgd-untargeted"};
    if (results_transaction_begin(db, err)) goto fail;
    for (int k = 0; k < 5; k++)
        if (s.items[k] &&
            results_log_timing(db, run,
                               &(nn_timing_row){what[k], cli->threads, ATTACK_BATCH,
                                                1e3 * s.seconds[k] / s.items[k], (int)s.items[k]},
                               err))
            goto fail;
    for (int c = 0; c < 10; c++) {
        char name[32];
        snprintf(name, sizeof name, "untargeted_to_%d", c);
        if (results_log_metric(db, run, name, (double)s.untargeted_hist[c], err)) goto fail;
    }
    if (results_log_metric(db, run, "twos_in_test", count_twos_all, err) ||
        results_log_metric(db, run, "twos_attacked", n_twos, err) ||
        results_log_metric(db, run, "cw_attacked", cw_n, err) ||
        results_log_metric(db, run, "cw_kappa_attacked", kappa_n, err) ||
        results_log_metric(db, run, "ink", INK, err) ||
        log_delta_stats(db, run, "pgd", &s.pgd_stats, err) ||
        log_delta_stats(db, run, "cw", &s.cw_stats, err) || log_clipping(db, run, &s, err) ||
        results_log_metric(db, run_b, "b_clean_as_target", (double)b_as_six, err) ||
        results_transaction_commit(db, err))
        goto fail;
    ch_freeze_all(a, 0);
    if (ch_log_robustness(db, run, a, test, &cfg->robust, (uint64_t)cli->seed, NULL, err))
        goto fail;
    rc = 0;
fail:
    state_free(&s);
    free(buf.rows);
    if (experiment_end_run(db, run_b, rc, err)) rc = -1;
    return experiment_end_run(db, run, rc, err);
}
