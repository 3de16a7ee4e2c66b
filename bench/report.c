/* report.c - the comparison table of `make bench` and its rows in the results database.
 *
 * Input: the JSON-lines records that bench (nnlab) and bench/peer_torch.py (PyTorch) wrote
 * during one run of bench/run.sh (format in bench.h), plus an optional "env" record that
 * describes the machine and its load, parsed by records.c (a parser of its own, so that
 * fuzz/ can feed it arbitrary text).
 *
 * Combining records of one row (model, mode, batch, threads):
 *   - several records of the same side and configuration (more than one round): median of
 *     their medians;
 *   - each side's configurations (PyTorch: which of OpenBLAS's and torch's thread pools
 *     gets the threads, no_grad or inference_mode; both sides, with 2 threads: the default
 *     spinning wait of idle threads or a passive one): the best one, named in the table and
 *     stored.
 * The ratio is nnlab img/s over PyTorch img/s: above 1, nnlab is faster. The best-of ratio
 * compares each side's fastest single repeat instead: on a shared machine another process
 * can only slow a repeat down, so the fastest one is the closest to what the code can do;
 * the two ratios agreeing is a sign the load did not bias the comparison.
 *
 * Database (results.h): one run per (model, mode), chapter "bench", experiment e.g.
 * "mlp8-train", whose config_json lists every row with the configuration each side used;
 * a `timings` row per side and row (what = "nnlab" or "torch", ms_per_item = ms/image),
 * and metrics ratio.b64.t1, nnlab_gflops.b64.t1, ... per row. The sgemm peak is the run
 * "sgemm-peak" with metrics peak_gflops.t1, peak_gflops.t2. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "base/io.h"
#include "db/results.h"

enum { MAX_RECORDS = BENCH_MAX_RECORDS, MAX_CONFIGS = 8, STR = BENCH_STR };

typedef bench_record record;

/* Copies src into dst of `size` bytes, truncating: every field here is bounded and a
 * truncated free-text configuration is still a fine description. */
static void copy_text(char *dst, size_t size, const char *src) {
    size_t n = strlen(src);
    if (n >= size) n = size - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

/* ---- reading (the parser is records.c) ------------------------------------------------ */

/* A run's records are a few hundred short lines; anything near this size is not one. */
#define RECORDS_MAX_BYTES ((size_t)16 << 20)

static int read_records(const char *path, record *recs, int *count, nn_err *err) {
    uint8_t *text;
    size_t len;
    if (io_read_file(path, RECORDS_MAX_BYTES, &text, &len, err) < 0) return -1;
    int rc = bench_parse_records((const char *)text, len, path, recs, MAX_RECORDS, count, err);
    free(text);
    return rc;
}

/* ---- combining ------------------------------------------------------------------------ */

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    if (n == 0) return NAN;
    qsort(v, (size_t)n, sizeof *v, compare_doubles);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* One side of one row: the best configuration's median rate. */
typedef struct side {
    int measured;         /* 0: no record, or skipped */
    double img_per_s;     /* median over the records of the chosen configuration */
    double best;          /* the fastest single repeat of that configuration */
    int repeats;          /* timed repeats in those records, summed */
    double rss_mb;        /* the largest peak RSS of those records (0: none recorded) */
    char config[STR];
    char label[64];       /* short form of config, for the table */
    char skip[STR];
} side;

static int same_row(const record *r, const record *key) {
    return !strcmp(r->kind, "row") && !strcmp(r->model, key->model) &&
           !strcmp(r->mode, key->mode) && r->batch == key->batch && r->threads == key->threads;
}

static side combine(const record *recs, int n, const record *key, const char *impl) {
    side s = {0};
    char configs[MAX_CONFIGS][STR], labels[MAX_CONFIGS][64];
    int n_configs = 0;
    for (int i = 0; i < n; i++) {
        const record *r = &recs[i];
        if (!same_row(r, key) || strcmp(r->impl, impl)) continue;
        if (r->skip[0]) {
            copy_text(s.skip, sizeof s.skip, r->skip);
            continue;
        }
        int k = 0;
        while (k < n_configs && strcmp(configs[k], r->config)) k++;
        if (k == n_configs && n_configs < MAX_CONFIGS) copy_text(configs[n_configs++], STR, r->config);
        if (k < MAX_CONFIGS) copy_text(labels[k], sizeof labels[k], r->label);
    }
    for (int k = 0; k < n_configs; k++) {
        double rates[MAX_RECORDS];
        int m = 0, repeats = 0;
        double best = 0, rss = 0;
        for (int i = 0; i < n; i++) {
            const record *r = &recs[i];
            if (same_row(r, key) && !strcmp(r->impl, impl) && !r->skip[0] &&
                !strcmp(r->config, configs[k]) && r->img_per_s > 0) {
                rates[m++] = r->img_per_s;
                repeats += r->repeats;
                best = r->img_per_s_best > best ? r->img_per_s_best : best;
                rss = r->rss_mb > rss ? r->rss_mb : rss;
            }
        }
        double rate = median(rates, m);
        if (m && (!s.measured || rate > s.img_per_s)) {
            s.measured = 1;
            s.img_per_s = rate;
            s.best = best;
            s.repeats = repeats;
            s.rss_mb = rss;
            copy_text(s.config, sizeof s.config, configs[k]);
            copy_text(s.label, sizeof s.label, labels[k]);
        }
    }
    if (s.measured) s.skip[0] = 0;
    return s;
}

/* Mean 1-minute load average over every record of a row (both sides), -1 if none. */
static double row_load(const record *recs, int n, const record *key) {
    double sum = 0;
    int m = 0;
    for (int i = 0; i < n; i++)
        if (same_row(&recs[i], key) && !recs[i].skip[0] && recs[i].load > 0) sum += recs[i].load, m++;
    return m ? sum / m : -1;
}

static double peak_for(const record *recs, int n, int threads) {
    double g[MAX_RECORDS];
    int m = 0;
    for (int i = 0; i < n; i++)
        if (!strcmp(recs[i].kind, "peak") && recs[i].threads == threads && recs[i].gflops > 0)
            g[m++] = recs[i].gflops;
    return median(g, m);
}

/* The distinct rows in the order they first appear (bench/run.sh's order). */
static int distinct_rows(const record *recs, int n, const record **rows) {
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(recs[i].kind, "row")) continue;
        int j = 0;
        while (j < k && !same_row(&recs[i], rows[j])) j++;
        if (j == k) rows[k++] = &recs[i];
    }
    return k;
}

/* ---- the table ------------------------------------------------------------------------ */

static void fmt_num(char *buf, size_t size, int ok, double v, int decimals) {
    if (ok && isfinite(v)) snprintf(buf, size, "%.*f", decimals, v);
    else snprintf(buf, size, "-");
}

static void print_table(const record *recs, int n, const record **rows, int n_rows) {
    printf("| model | mode  | batch | thr | nnlab img/s | torch img/s | ratio | best-of ratio | nnlab ms/img |"
           " torch ms/img | nnlab GFLOP/s | torch GFLOP/s | peak GFLOP/s | nnlab MB | torch MB | load |"
           " nnlab config | torch config |\n");
    printf("|-------|-------|------:|----:|------------:|------------:|------:|--------------:|-------------:|"
           "-------------:|--------------:|--------------:|-------------:|---------:|---------:|-----:|"
           "--------------|--------------|\n");
    for (int i = 0; i < n_rows; i++) {
        const record *key = rows[i];
        const bench_arch *a = bench_arch_find(key->model);
        double flops = a ? bench_step_flops(a, key->mode) : 0;
        side us = combine(recs, n, key, "nnlab"), them = combine(recs, n, key, "torch");
        double peak = peak_for(recs, n, key->threads);
        char b[13][32];
        fmt_num(b[0], 32, us.measured, us.img_per_s, 0);
        fmt_num(b[1], 32, them.measured, them.img_per_s, 0);
        fmt_num(b[2], 32, us.measured && them.measured, us.img_per_s / them.img_per_s, 2);
        fmt_num(b[3], 32, us.measured, 1000 / us.img_per_s, 4);
        fmt_num(b[4], 32, them.measured, 1000 / them.img_per_s, 4);
        fmt_num(b[5], 32, us.measured && flops > 0, us.img_per_s * flops * 1e-9, 1);
        fmt_num(b[6], 32, them.measured && flops > 0, them.img_per_s * flops * 1e-9, 1);
        fmt_num(b[7], 32, 1, peak, 1);
        double load = row_load(recs, n, key);
        fmt_num(b[9], 32, load >= 0, load, 1);
        fmt_num(b[8], 32, us.measured && them.measured && them.best > 0, us.best / them.best, 2);
        fmt_num(b[10], 32, us.measured && us.rss_mb > 0, us.rss_mb, 0);
        fmt_num(b[11], 32, them.measured && them.rss_mb > 0, them.rss_mb, 0);
        printf("| %-5s | %-5s | %5d | %3d | %11s | %11s | %5s | %13s | %12s | %12s | %13s | %13s | "
               "%12s | %8s | %8s | %4s | %s | %s |\n",
               key->model, key->mode, key->batch, key->threads, b[0], b[1], b[2], b[8], b[3], b[4],
               b[5], b[6], b[7], b[10], b[11], b[9], us.measured ? us.label : us.skip,
               them.measured ? them.label : them.skip);
        if (!us.measured) printf("|       |       |       |     | (%s) |\n",
                                 us.skip[0] ? us.skip : "nnlab: not measured");
    }
}

/* ---- the database --------------------------------------------------------------------- */

/* Appends text to buf as a JSON string literal. */
static void json_string(char *buf, size_t size, const char *text) {
    size_t n = strlen(buf);
    if (n + 1 < size) buf[n++] = '"';
    for (const char *p = text; *p && n + 3 < size; p++) {
        if (*p == '"' || *p == '\\') buf[n++] = '\\';
        buf[n++] = (*p == '\n' || *p == '\t') ? ' ' : *p;
    }
    if (n + 1 < size) buf[n++] = '"';
    buf[n] = 0;
}

static void append(char *buf, size_t size, const char *fmt, double a, double b) {
    size_t n = strlen(buf);
    if (n < size) snprintf(buf + n, size - n, fmt, a, b);
}

static int log_row_metrics(nn_results *db, int64_t run, const record *key, const side *us,
                           const side *them, double flops, nn_err *err) {
    char name[96];
    struct { const char *what; int ok; double v; } m[] = {
        {"ratio", us->measured && them->measured, us->img_per_s / them->img_per_s},
        {"ratio_best", us->measured && them->measured && them->best > 0, us->best / them->best},
        {"nnlab_img_per_s", us->measured, us->img_per_s},
        {"torch_img_per_s", them->measured, them->img_per_s},
        {"nnlab_gflops", us->measured, us->img_per_s * flops * 1e-9},
        {"torch_gflops", them->measured, them->img_per_s * flops * 1e-9},
        {"nnlab_rss_mb", us->measured && us->rss_mb > 0, us->rss_mb},
        {"torch_rss_mb", them->measured && them->rss_mb > 0, them->rss_mb}};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        if (!m[i].ok) continue;
        snprintf(name, sizeof name, "%s.b%d.t%d", m[i].what, key->batch, key->threads);
        if (results_log_metric(db, run, name, m[i].v, err) < 0) return -1;
    }
    return 0;
}

static int store_group(nn_results *db, const record *recs, int n, const record **rows,
                       int n_rows, const record *group, const record *env, nn_err *err) {
    const bench_arch *a = bench_arch_find(group->model);
    const double flops = a ? bench_step_flops(a, group->mode) : 0;
    static char cfg[65536];
    cfg[0] = 0;
    append(cfg, sizeof cfg, "{\"model\":", 0, 0);
    json_string(cfg, sizeof cfg, a ? a->description : group->model);
    append(cfg, sizeof cfg, ",\"mode\":", 0, 0);
    json_string(cfg, sizeof cfg, group->mode);
    append(cfg, sizeof cfg, ",\"step\":", 0, 0);
    json_string(cfg, sizeof cfg,
                strcmp(group->mode, "train")
                    ? "forward of one image in evaluation mode, no gradients"
                    : "forward + softmax cross-entropy + backward (no input gradient) + SGD "
                      "momentum 0.9, lr 0.01");
    append(cfg, sizeof cfg, ",\"flops_per_image\":%.0f,\"data\":\"synthetic, seeded\"", flops, 0);
    if (env) {
        append(cfg, sizeof cfg, ",\"cpu\":", 0, 0);
        json_string(cfg, sizeof cfg, env->cpu);
        append(cfg, sizeof cfg, ",\"load_start\":%.2f,\"load_end\":%.2f", env->load_start,
               env->load_end);
    }
    append(cfg, sizeof cfg, ",\"rows\":[", 0, 0);
    int first = 1;
    for (int i = 0; i < n_rows; i++) {
        const record *key = rows[i];
        if (strcmp(key->model, group->model) || strcmp(key->mode, group->mode)) continue;
        side us = combine(recs, n, key, "nnlab"), them = combine(recs, n, key, "torch");
        append(cfg, sizeof cfg, first ? "{\"batch\":%.0f,\"threads\":%.0f,\"nnlab\":"
                                      : ",{\"batch\":%.0f,\"threads\":%.0f,\"nnlab\":",
               key->batch, key->threads);
        first = 0;
        json_string(cfg, sizeof cfg, us.measured ? us.config : us.skip);
        append(cfg, sizeof cfg, ",\"torch\":", 0, 0);
        json_string(cfg, sizeof cfg, them.measured ? them.config : them.skip);
        append(cfg, sizeof cfg, ",\"mean_load\":%.2f}", row_load(recs, n, key), 0);
    }
    append(cfg, sizeof cfg, "]}", 0, 0);

    char experiment[64];
    snprintf(experiment, sizeof experiment, "%s-%s", group->model, group->mode);
    int64_t run = results_begin_run(db, &(nn_run_info){.chapter = "bench",
                                                        .experiment = experiment,
                                                        .profile = "full",
                                                        .config_json = cfg,
                                                        .seed = 1},
                                    err);
    if (run < 0) return -1;
    if (results_transaction_begin(db, err) < 0) return -1;
    for (int i = 0; i < n_rows; i++) {
        const record *key = rows[i];
        if (strcmp(key->model, group->model) || strcmp(key->mode, group->mode)) continue;
        side sides[2] = {combine(recs, n, key, "nnlab"), combine(recs, n, key, "torch")};
        const char *names[2] = {"nnlab", "torch"};
        for (int s = 0; s < 2; s++) {
            if (!sides[s].measured) continue;
            nn_timing_row t = {.what = names[s], .threads = key->threads, .batch = key->batch,
                               .ms_per_item = 1000 / sides[s].img_per_s,
                               .repeats = sides[s].repeats};
            if (results_log_timing(db, run, &t, err) < 0) return -1;
        }
        if (log_row_metrics(db, run, key, &sides[0], &sides[1], flops, err) < 0) return -1;
    }
    if (results_transaction_commit(db, err) < 0) return -1;
    return results_finish_run(db, run, NULL, err);
}

static int store_peak(nn_results *db, const record *recs, int n, nn_err *err) {
    double p1 = peak_for(recs, n, 1), p2 = peak_for(recs, n, 2);
    if (!isfinite(p1) && !isfinite(p2)) return 0;
    int64_t run = results_begin_run(
        db,
        &(nn_run_info){.chapter = "bench", .experiment = "sgemm-peak", .profile = "full",
                       .config_json = "{\"what\":\"cblas_sgemm 2048x2048x2048, median of "
                                      "repeats\",\"blas\":\"OpenBLAS 0.3.21\"}",
                       .seed = 1},
        err);
    if (run < 0) return -1;
    if (isfinite(p1) && results_log_metric(db, run, "peak_gflops.t1", p1, err) < 0) return -1;
    if (isfinite(p2) && results_log_metric(db, run, "peak_gflops.t2", p2, err) < 0) return -1;
    return results_finish_run(db, run, NULL, err);
}

int bench_report(const char *path, const char *db_path, nn_err *err) {
    static record recs[MAX_RECORDS];
    const record *rows[MAX_RECORDS];
    int n = 0;
    if (read_records(path, recs, &n, err) < 0) return -1;
    const int n_rows = distinct_rows(recs, n, rows);
    const record *env = NULL;
    for (int i = 0; i < n; i++)
        if (!strcmp(recs[i].kind, "env")) env = &recs[i];

    print_table(recs, n, rows, n_rows);
    double p1 = peak_for(recs, n, 1), p2 = peak_for(recs, n, 2);
    printf("\nPeak (cblas_sgemm 2048^3, median): %.1f GFLOP/s with 1 thread, %.1f with 2.\n",
           p1, p2);
    if (env)
        printf("Machine: %s; load average %.2f at the start, %.2f at the end.\n", env->cpu,
               env->load_start, env->load_end);
    if (!db_path) return 0;

    nn_results *db = results_open(db_path, err);
    if (!db) return -1;
    /* One run per (model, mode), in the order the rows came. */
    int rc = 0;
    for (int i = 0; i < n_rows && rc == 0; i++) {
        int seen = 0;
        for (int j = 0; j < i; j++)
            seen |= !strcmp(rows[j]->model, rows[i]->model) && !strcmp(rows[j]->mode, rows[i]->mode);
        if (!seen) rc = store_group(db, recs, n, rows, n_rows, rows[i], env, err);
    }
    if (rc == 0) rc = store_peak(db, recs, n, err);
    results_close(db);
    if (rc == 0) printf("Stored in %s (chapter 'bench').\n", db_path);
    return rc;
}
