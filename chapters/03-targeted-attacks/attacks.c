/* 03-targeted-attacks/attacks.c - the attacks of the chapter, their logs and pictures.
 *
 * Every correctly classified test '2' (in file order) is attacked in batches with, for each
 * L-infinity radius of EPS: targeted FGSM and targeted PGD/BIM towards '6', and untargeted
 * FGSM and PGD for comparison; at EPS_CHAPTER also PGD that keeps stepping after success
 * ('pgd-full', for transfer). Every one of them (or the first cw_n, where a profile says so)
 * also gets the Carlini-Wagner L2 attack, so its L2 is compared with PGD's on the same images.
 * Each adversarial is measured on the attacked model (run 'attacks') and, for the targeted
 * methods, on the independently trained second model (run 'transfer'). The first ten give
 * the 10 x 3 grids. */
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
#include "lab/config_json.h"
#include "lab/experiment.h"
#include "nn/metrics.h"
#include "base/progress.h"
#include "base/sha256.h"

#define INK 0.5f /* a pixel of the original at least this bright is on the stroke */
#define PIXELS 784
#define GRID_ROWS 10 /* examples in the 10 x 3 grids */

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
 * probability of the class it now predicts. Adds the predicted classes to histogram. */
static int log_untargeted(row_buffer *db, int64_t run, nn_model *a, const char *method, float eps,
                          const float *x, const float *adv, const uint8_t *label, int n,
                          const int *sample, const int *steps, int fixed_steps, long *histogram,
                          nn_err *err) {
    nn_attack_outcome o[ATTACK_BATCH], op[ATTACK_BATCH];
    uint8_t predicted[ATTACK_BATCH];
    if (attack_measure(a, x, adv, label, n, o, err)) return -1;
    for (int k = 0; k < n; k++)
        predicted[k] = (uint8_t)o[k].predicted;
    if (attack_measure(a, x, adv, predicted, n, op, err)) return -1;
    for (int k = 0; k < n; k++) {
        nn_attack_row row = {sample[k],       label[k],       -1,
                             method,          round_eps(eps), steps ? steps[k] : fixed_steps,
                             !o[k].success,   o[k].l2,        o[k].linf,
                             op[k].confidence};
        if (buffer_push(db, run, &row, err)) return -1;
        if (histogram) histogram[o[k].predicted]++;
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

static int write_grid(nn_results *db, int64_t run, const char *dir, const char *name,
                      const float *orig, const float *adv, int rows, float range, nn_err *err) {
    nn_canvas c;
    if (adv_grid_build(&c, orig, adv, rows, 28, 28, range, GRID_STYLE, err)) return -1;
    int rc = write_figure(db, run, dir, name, &c, err);
    canvas_free(&c);
    return rc;
}

/* Average image of the attacked 2s next to the average PGD and CW perturbations. */
static int write_mean_delta(nn_results *db, int64_t run, const char *dir, const double *orig_sum,
                            long n_orig, const double *pgd_sum, long n_pgd, const double *cw_sum,
                            long n_cw, nn_err *err) {
    float img[3][PIXELS];
    float range[2] = {0, 0};
    for (int j = 0; j < PIXELS; j++) {
        img[0][j] = (float)(orig_sum[j] / (n_orig ? n_orig : 1));
        img[1][j] = (float)(pgd_sum[j] / (n_pgd ? n_pgd : 1));
        img[2][j] = (float)(cw_sum[j] / (n_cw ? n_cw : 1));
        for (int k = 0; k < 2; k++)
            if (fabsf(img[k + 1][j]) > range[k]) range[k] = fabsf(img[k + 1][j]);
    }
    nn_canvas c;
    if (canvas_init(&c, 1, 3, 28, 28, GRID_STYLE.scale, GRID_STYLE.pad, err)) return -1;
    canvas_put_gray(&c, 0, 0, img[0]);
    for (int k = 0; k < 2; k++)
        canvas_put_diverging(&c, 0, k + 1, img[k + 1], range[k] > 0 ? range[k] : 1);
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

int ch_robust_accuracy(nn_model *m, const nn_images *test, int n_images, int steps, uint64_t seed,
                       double *accuracy, nn_err *err) {
    float *x = malloc(sizeof(float) * ATTACK_BATCH * PIXELS),
          *adv = malloc(sizeof(float) * ATTACK_BATCH * PIXELS);
    int rc = -1;
    if (!x || !adv) {
        nn_fail(err, "robustness: out of memory");
        goto done;
    }
    ch_freeze_all(m, 1);
    nn_rng rng;
    rng_seed(&rng, seed + 7);
    nn_pgd_config robust = {.eps = EPS_CHAPTER,
                            .alpha = 2.5f * EPS_CHAPTER / steps,
                            .steps = steps,
                            .random_start = 1,
                            .early_stop = 1};
    int n_all = n_images < test->n ? n_images : test->n;
    long correct = 0;
    int index[ATTACK_BATCH];
    uint8_t y[ATTACK_BATCH];
    nn_attack_outcome o[ATTACK_BATCH];
    for (int first = 0; first < n_all; first += ATTACK_BATCH) {
        int n = n_all - first < ATTACK_BATCH ? n_all - first : ATTACK_BATCH;
        for (int k = 0; k < n; k++)
            index[k] = first + k;
        ch_gather(test, index, n, x, y);
        if (attack_pgd_untargeted(m, x, y, n, &robust, &rng, adv, NULL, err) ||
            attack_measure(m, x, adv, y, n, o, err))
            goto done;
        for (int k = 0; k < n; k++)
            correct += o[k].success; /* "success": still the label */
    }
    *accuracy = n_all ? (double)correct / n_all : 0;
    rc = 0;
done:
    ch_freeze_all(m, 0);
    nn_set_input_grad(m, 0);
    free(x);
    free(adv);
    return rc;
}

int ch_log_robustness(nn_results *db, int64_t run, nn_model *m, const ch_attack_config *cfg,
                      const nn_images *test, const int *twos, int n_twos, uint64_t seed,
                      nn_err *err) {
    nn_batches eb;
    nn_eval clean;
    if (batches_init(&eb, test, ATTACK_BATCH, err)) return -1;
    int rc = experiment_evaluate(m, &eb, &clean, NULL, err);
    batches_free(&eb);
    double robust;
    if (rc || ch_robust_accuracy(m, test, cfg->robust_n, cfg->robust_steps, seed, &robust, err))
        return -1;
    float *x = malloc(sizeof(float) * ATTACK_BATCH * PIXELS),
          *adv = malloc(sizeof(float) * ATTACK_BATCH * PIXELS);
    if (!x || !adv) {
        rc = nn_fail(err, "robustness: out of memory");
        goto done;
    }
    ch_freeze_all(m, 1);
    uint8_t six[ATTACK_BATCH];
    nn_attack_outcome o[ATTACK_BATCH];
    memset(six, TARGET_CLASS, sizeof six);
    nn_pgd_config targeted = {.eps = EPS_CHAPTER,
                              .alpha = 2.5f * EPS_CHAPTER / cfg->pgd_steps,
                              .steps = cfg->pgd_steps,
                              .early_stop = 1};
    int t_n = cfg->targeted_eval_n < n_twos ? cfg->targeted_eval_n : n_twos;
    long t_success = 0;
    for (int first = 0; first < t_n; first += ATTACK_BATCH) {
        int n = t_n - first < ATTACK_BATCH ? t_n - first : ATTACK_BATCH;
        ch_gather(test, twos + first, n, x, NULL);
        if ((rc = attack_pgd_targeted(m, x, six, n, &targeted, NULL, adv, NULL, err)) ||
            (rc = attack_measure(m, x, adv, six, n, o, err)))
            goto done;
        for (int k = 0; k < n; k++)
            t_success += o[k].success;
    }
    int robust_n = cfg->robust_n < test->n ? cfg->robust_n : test->n;
    if ((rc = results_log_metric(db, run, "clean_accuracy", clean.accuracy, err)) ||
        (rc = results_log_metric(db, run, "robust_accuracy", robust, err)) ||
        (rc = results_log_metric(db, run, "robust_n", robust_n, err)) ||
        (rc = results_log_metric(db, run, "robust_steps", cfg->robust_steps, err)) ||
        (rc = results_log_metric(db, run, "targeted_success", (double)t_success / t_n, err)) ||
        (rc = results_log_metric(db, run, "targeted_n", t_n, err)))
        goto done;
done:
    ch_freeze_all(m, 0);
    free(x);
    free(adv);
    return rc ? -1 : 0;
}

/* Buffers and running totals of the attack loop. */
typedef struct attack_state {
    float *x, *adv;
    float *grid_x, *grid_fgsm, *grid_pgd, *grid_cw; /* GRID_ROWS images each */
    double *orig_sum, *pgd_sum, *cw_sum;            /* PIXELS each */
    adv_delta_sums pgd_stats, cw_stats;
    long untargeted_hist[10];
    double seconds[5]; /* fgsm, pgd, cw, fgsm-untargeted, pgd-untargeted */
    long items[5];
} attack_state;

static void state_free(attack_state *s) {
    free(s->x);
    free(s->adv);
    free(s->grid_x);
    free(s->grid_fgsm);
    free(s->grid_pgd);
    free(s->grid_cw);
    free(s->orig_sum);
    free(s->pgd_sum);
    free(s->cw_sum);
}

static int state_init(attack_state *s, nn_err *err) {
    memset(s, 0, sizeof *s);
    s->x = malloc(sizeof(float) * ATTACK_BATCH * PIXELS);
    s->adv = malloc(sizeof(float) * ATTACK_BATCH * PIXELS);
    s->grid_x = calloc(GRID_ROWS * PIXELS, sizeof(float));
    s->grid_fgsm = calloc(GRID_ROWS * PIXELS, sizeof(float));
    s->grid_pgd = calloc(GRID_ROWS * PIXELS, sizeof(float));
    s->grid_cw = calloc(GRID_ROWS * PIXELS, sizeof(float));
    s->orig_sum = calloc(PIXELS, sizeof(double));
    s->pgd_sum = calloc(PIXELS, sizeof(double));
    s->cw_sum = calloc(PIXELS, sizeof(double));
    if (!s->x || !s->adv || !s->grid_x || !s->grid_fgsm || !s->grid_pgd || !s->grid_cw ||
        !s->orig_sum || !s->pgd_sum || !s->cw_sum)
        return nn_fail(err, "attacks: out of memory"); /* the caller frees what was made */
    return 0;
}

static void keep_grid_rows(float *grid, const float *adv, int first, int n) {
    for (int k = 0; first + k < GRID_ROWS && k < n; k++)
        memcpy(grid + (size_t)(first + k) * PIXELS, adv + (size_t)k * PIXELS,
               sizeof(float) * PIXELS);
}

/* Every attack on one batch of n selected 2s (positions first .. first+n-1 of twos). */
static int attack_batch(row_buffer *db, int64_t run, int64_t run_b, const ch_attack_config *cfg,
                        nn_model *a, nn_model *b, const int *sample, int first, int n,
                        attack_state *s, nn_err *err) {
    uint8_t six[ATTACK_BATCH], two[ATTACK_BATCH];
    int steps[ATTACK_BATCH], success[ATTACK_BATCH];
    nn_attack_outcome out[ATTACK_BATCH];
    memset(six, TARGET_CLASS, sizeof six);
    memset(two, SOURCE_CLASS, sizeof two);
    keep_grid_rows(s->grid_x, s->x, first, n);
    for (int k = 0; k < n; k++)
        for (int j = 0; j < PIXELS; j++)
            s->orig_sum[j] += s->x[(size_t)k * PIXELS + j];
    for (int e = 0; e < N_EPS; e++) {
        float eps = EPS[e];
        int at_chapter_eps = eps == EPS_CHAPTER;
        double t0 = nn_seconds();
        if (attack_fgsm_targeted(a, s->x, six, n, eps, s->adv, err)) return -1;
        s->seconds[0] += nn_seconds() - t0, s->items[0] += n;
        if (log_targeted(db, run, run_b, a, b, "fgsm", eps, s->x, s->adv, six, n, sample, NULL, 1,
                         out, err))
            return -1;
        if (at_chapter_eps) keep_grid_rows(s->grid_fgsm, s->adv, first, n);

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
            keep_grid_rows(s->grid_pgd, s->adv, first, n);
            for (int k = 0; k < n; k++)
                success[k] = out[k].success;
            adv_delta_accumulate(&s->pgd_stats, s->x, s->adv, n, PIXELS, INK, success, s->pgd_sum);
            /* The same attack without early stop: every step spent, deeper into '6'. */
            pgd.early_stop = 0;
            if (attack_pgd_targeted(a, s->x, six, n, &pgd, NULL, s->adv, steps, err) ||
                log_targeted(db, run, run_b, a, b, "pgd-full", eps, s->x, s->adv, six, n, sample,
                             NULL, cfg->pgd_steps, out, err))
                return -1;
            pgd.early_stop = 1;
        }

        t0 = nn_seconds();
        if (attack_fgsm_untargeted(a, s->x, two, n, eps, s->adv, err)) return -1;
        s->seconds[3] += nn_seconds() - t0, s->items[3] += n;
        if (log_untargeted(db, run, a, "fgsm-untargeted", eps, s->x, s->adv, two, n, sample, NULL,
                           1, NULL, err))
            return -1;
        t0 = nn_seconds();
        if (attack_pgd_untargeted(a, s->x, two, n, &pgd, NULL, s->adv, steps, err)) return -1;
        s->seconds[4] += nn_seconds() - t0, s->items[4] += n;
        if (log_untargeted(db, run, a, "pgd-untargeted", eps, s->x, s->adv, two, n, sample, steps,
                           0, at_chapter_eps ? s->untargeted_hist : NULL, err))
            return -1;
    }
    /* Carlini-Wagner on every selected 2 (cw_n 0), or on the first cw_n only. */
    int n_cw = cfg->cw_n == 0 || cfg->cw_n - first >= n ? n : cfg->cw_n - first;
    if (n_cw > 0) {
        nn_cw_config cw = {.c_initial = 1,
                           .search_steps = cfg->cw_search,
                           .iterations = cfg->cw_iterations,
                           .lr = cfg->cw_lr,
                           .kappa = 0};
        double t0 = nn_seconds();
        if (attack_cw_targeted(a, s->x, six, n_cw, &cw, s->adv, steps, err)) return -1;
        s->seconds[2] += nn_seconds() - t0, s->items[2] += n_cw;
        if (log_targeted(db, run, run_b, a, b, "cw", NAN, s->x, s->adv, six, n_cw, sample, steps, 0,
                         out, err))
            return -1;
        keep_grid_rows(s->grid_cw, s->adv, first, n_cw);
        for (int k = 0; k < n_cw; k++)
            success[k] = out[k].success;
        adv_delta_accumulate(&s->cw_stats, s->x, s->adv, n_cw, PIXELS, INK, success, s->cw_sum);
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
    json_int(&config, "cw_n", cfg->cw_n);
    json_int(&config, "cw_search", cfg->cw_search);
    json_int(&config, "cw_iterations", cfg->cw_iterations);
    json_num(&config, "cw_lr", cfg->cw_lr);
    json_int(&config, "cw_c", 1);
    json_num(&config, "ink", INK);
    json_str(&config, "selection", "correctly classified test 2s in file order");
    const char *config_text = json_end(&config);
    int64_t run = results_begin_run(
        db, &(nn_run_info){CHAPTER, "attacks", cli->profile, config_text, cli->seed}, err);
    if (run < 0) return -1;
    int64_t run_b = results_begin_run(
        db, &(nn_run_info){CHAPTER, "transfer", cli->profile, config_text, cli->seed}, err);
    if (run_b < 0) return experiment_end_run(db, run, -1, err);
    attack_state s;
    /* Per image: 6 radii x (FGSM, PGD on A and B; 2 untargeted), PGD-all-steps and CW on A
     * and B. */
    row_buffer buf = {.cap = ATTACK_BATCH * (N_EPS * 6 + 4)};
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

    int rows = n_twos < GRID_ROWS ? n_twos : GRID_ROWS;
    int cw_n = cfg->cw_n == 0 || n_twos < cfg->cw_n ? n_twos : cfg->cw_n;
    int cw_rows = cw_n < GRID_ROWS ? cw_n : GRID_ROWS;
    float cw_range = adv_max_abs_delta(s.grid_x, s.grid_cw, (long)cw_rows * PIXELS);
    cw_range = ceilf(cw_range * 100) / 100; /* a round number for the caption */
    if (cw_range <= 0) cw_range = 0.01f;
    if (ensure_dir(cli->figures_dir, err) ||
        write_grid(db, run, cli->figures_dir, "grid-fgsm", s.grid_x, s.grid_fgsm, rows, EPS_CHAPTER,
                   err) ||
        write_grid(db, run, cli->figures_dir, "grid-pgd", s.grid_x, s.grid_pgd, rows, EPS_CHAPTER,
                   err) ||
        write_grid(db, run, cli->figures_dir, "grid-cw", s.grid_x, s.grid_cw, cw_rows, cw_range,
                   err) ||
        write_mean_delta(db, run, cli->figures_dir, s.orig_sum, n_twos, s.pgd_sum,
                         s.pgd_stats.samples, s.cw_sum, s.cw_stats.samples, err))
        goto fail;
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
        results_log_metric(db, run, "grid_rows", rows, err) ||
        results_log_metric(db, run, "grid_rows_cw", cw_rows, err) ||
        results_log_metric(db, run, "grid_range_cw", cw_range, err) ||
        results_log_metric(db, run, "ink", INK, err) ||
        log_delta_stats(db, run, "pgd", &s.pgd_stats, err) ||
        log_delta_stats(db, run, "cw", &s.cw_stats, err) ||
        results_log_metric(db, run_b, "b_clean_as_target", (double)b_as_six, err) ||
        results_transaction_commit(db, err))
        goto fail;
    ch_freeze_all(a, 0);
    if (ch_log_robustness(db, run, a, cfg, test, twos, n_twos, (uint64_t)cli->seed, err)) goto fail;
    rc = 0;
fail:
    state_free(&s);
    free(buf.rows);
    if (experiment_end_run(db, run_b, rc, err)) rc = -1;
    return experiment_end_run(db, run, rc, err);
}
