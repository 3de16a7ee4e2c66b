/* evaluate.c - the chapter's saved models on a reader's own test sets (see evaluate.h). */
#include "evaluate.h"

#include <libgen.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/sha256.h"
#include "lab/config_json.h"
#include "nn/model_io.h"
#include "shifted.h"

#define MAX_MODELS 64

int evaluate_take_options(int *argc, char **argv, evaluate_request *req, nn_err *err) {
    int out = 1;
    for (int k = 1; k < *argc; k++) {
        if (!strcmp(argv[k], "--log")) {
            req->log = 1;
            continue;
        }
        if (strcmp(argv[k], "--evaluate")) {
            argv[out++] = argv[k];
            continue;
        }
        if (k + 2 >= *argc)
            return nn_fail(err, "%s: --evaluate needs two files, IMAGES.npy LABELS.npy", argv[0]);
        if (req->count == EVALUATE_MAX_PAIRS)
            return nn_fail(err, "%s: at most %d --evaluate pairs", argv[0], EVALUATE_MAX_PAIRS);
        evaluate_pair *p = &req->pairs[req->count++];
        p->images_path = argv[k + 1];
        p->labels_path = argv[k + 2];
        char copy[PATH_CAP];
        snprintf(copy, sizeof copy, "%s", p->images_path);
        snprintf(p->name, sizeof p->name, "%s", basename(copy));
        k += 2;
    }
    *argc = out;
    argv[out] = NULL;
    return 0;
}

/* One saved model as its run recorded it. */
typedef struct saved_model {
    const model_spec *spec;
    int64_t run, seed;
    char path[PATH_CAP], sha256[SHA256_HEX_SIZE];
    int batch;
    double centre_y, centre_x;
} saved_model;

static int by_spec_then_seed(const void *a, const void *b) {
    const saved_model *x = a, *y = b;
    if (x->spec != y->spec) return x->spec < y->spec ? -1 : 1;
    return (x->seed > y->seed) - (x->seed < y->seed);
}

/* The models of the newest finished invocation of the chapter for the profile: the runs
 * after its newest 'variants' run (older runs, or seeds of an older configuration, are
 * not mixed in), newest per experiment and seed. */
static int find_models(nn_results *db, const nn_cli *cli, saved_model *models, int *count,
                       nn_err *err) {
    static const char sql[] =
        "SELECT r.id, r.experiment, r.seed, a.path, a.sha256, "
        "       json_extract(r.config_json, '$.batch'), "
        "       json_extract(r.config_json, '$.centre_y'), "
        "       json_extract(r.config_json, '$.centre_x') "
        "FROM runs r JOIN artifacts a ON a.run_id = r.id AND a.kind = 'model' "
        "WHERE r.chapter = ?1 AND r.profile = ?2 AND r.status = 'done' "
        "  AND r.id > (SELECT max(id) FROM runs WHERE chapter = ?1 AND profile = ?2 "
        "              AND experiment = 'variants' AND status = 'done') "
        "  AND r.id = (SELECT max(n.id) FROM runs n WHERE n.chapter = r.chapter "
        "              AND n.profile = r.profile AND n.experiment = r.experiment "
        "              AND n.seed = r.seed AND n.status = 'done')";
    sqlite3 *h = results_handle(db);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
        return nn_fail(err, "%s: cannot look up the saved models: %s", cli->db, sqlite3_errmsg(h));
    sqlite3_bind_text(st, 1, CHAPTER, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, cli->profile, -1, SQLITE_STATIC);
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *experiment = (const char *)sqlite3_column_text(st, 1);
        const model_spec *spec = experiment ? model_spec_named(experiment) : NULL;
        const char *path = (const char *)sqlite3_column_text(st, 3);
        const char *sha = (const char *)sqlite3_column_text(st, 4);
        if (!spec) continue; /* not one of this program's models */
        if (n == MAX_MODELS) {
            sqlite3_finalize(st);
            return nn_fail(err, "%s: more than %d saved models", cli->db, MAX_MODELS);
        }
        if (!path || !sha || strlen(path) >= PATH_CAP || strlen(sha) != SHA256_HEX_SIZE - 1 ||
            sqlite3_column_type(st, 5) == SQLITE_NULL ||
            sqlite3_column_type(st, 6) == SQLITE_NULL) {
            sqlite3_finalize(st);
            return nn_fail(err, "%s: run %lld's model record is incomplete", cli->db,
                           (long long)sqlite3_column_int64(st, 0));
        }
        saved_model *s = &models[n++];
        s->spec = spec;
        s->run = sqlite3_column_int64(st, 0);
        s->seed = sqlite3_column_int64(st, 2);
        snprintf(s->path, sizeof s->path, "%s", path);
        snprintf(s->sha256, sizeof s->sha256, "%s", sha);
        s->batch = sqlite3_column_int(st, 5);
        s->centre_y = sqlite3_column_double(st, 6);
        s->centre_x = sqlite3_column_double(st, 7);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return nn_fail(err, "%s: cannot look up the saved models: %s", cli->db, sqlite3_errmsg(h));
    if (n == 0)
        return nn_fail(err,
                       "%s: no saved models of profile '%s'; run `02-shifted-mnist --db %s "
                       "--profile %s` first",
                       cli->db, cli->profile, cli->db, cli->profile);
    qsort(models, (size_t)n, sizeof *models, by_spec_then_seed);
    *count = n;
    return 0;
}

/* Reads a saved model after checking the file is the one its run recorded. */
static nn_model *load_model(const saved_model *s, nn_err *err) {
    char hex[SHA256_HEX_SIZE];
    if (sha256_file_hex(s->path, hex, err)) return NULL;
    if (strcmp(hex, s->sha256)) {
        nn_fail(err, "%s: SHA-256 %s differs from the %s recorded by run %lld (changed since)",
                s->path, hex, s->sha256, (long long)s->run);
        return NULL;
    }
    nn_model *m = nn_model_read(s->path, s->batch, err);
    if (m && nn_input_size(m) != input_size(s->spec)) {
        nn_fail(err, "%s: the model takes %d inputs, %s models %d", s->path, nn_input_size(m),
                s->spec->experiment, input_size(s->spec));
        nn_model_free(m);
        return NULL;
    }
    return m;
}

/* The row label of a model read through input block v. */
static void row_name(char *out, size_t cap, const model_spec *spec, int v) {
    if (spec->blocks > 1)
        snprintf(out, cap, "%s:as-%s", spec->experiment, variant_name(v));
    else
        snprintf(out, cap, "%s", spec->experiment);
}

/* Evaluates one model on every set, prints its rows and (with log) logs them. */
static int evaluate_model(const saved_model *s, const evaluate_request *req, const nn_images *sets,
                          nn_results *db, int64_t log_run, FILE *out, nn_err *err) {
    nn_model *m = load_model(s, err);
    if (!m) return -1;
    chapter ch = {.centre_y = s->centre_y, .centre_x = s->centre_x};
    scratch sc;
    int rc = -1;
    if (scratch_init(&sc, s->spec, s->batch, 0, err)) goto done;
    for (int v = 0; v < s->spec->blocks; v++) {
        char name[64];
        row_name(name, sizeof name, s->spec, v);
        fprintf(out, "%-24s %4lld", name, (long long)s->seed);
        for (int p = 0; p < req->count; p++) {
            nn_eval ev;
            if (evaluate_set(&ch, m, s->spec, &sets[p], v, &sc, &ev, NULL, err)) goto done;
            fprintf(out, "  %*.2f%%", 19, 100 * ev.accuracy);
            if (log_run > 0) {
                char acc[256], loss[256];
                snprintf(acc, sizeof acc, "acc/%s/%s/seed=%lld", req->pairs[p].name, name,
                         (long long)s->seed);
                snprintf(loss, sizeof loss, "loss/%s/%s/seed=%lld", req->pairs[p].name, name,
                         (long long)s->seed);
                if (results_log_metric(db, log_run, acc, ev.accuracy, err) ||
                    results_log_metric(db, log_run, loss, ev.loss, err))
                    goto done;
            }
        }
        fputc('\n', out);
    }
    rc = 0;
done:
    scratch_free(&sc);
    nn_model_free(m);
    return rc;
}

/* The run that --log records: the pairs (with their SHA-256) and how many models. */
static int64_t begin_log_run(nn_results *db, const nn_cli *cli, const evaluate_request *req,
                             int models, nn_err *err) {
    char sets[2048] = "[";
    for (int p = 0; p < req->count; p++) {
        char hi[SHA256_HEX_SIZE], hl[SHA256_HEX_SIZE];
        if (sha256_file_hex(req->pairs[p].images_path, hi, err) ||
            sha256_file_hex(req->pairs[p].labels_path, hl, err))
            return -1;
        nn_json one;
        json_begin(&one);
        json_str(&one, "images", req->pairs[p].images_path);
        json_str(&one, "labels", req->pairs[p].labels_path);
        json_str(&one, "images_sha256", hi);
        json_str(&one, "labels_sha256", hl);
        const char *text = json_end(&one);
        if (!text || strlen(sets) + strlen(text) + 2 >= sizeof sets)
            return nn_fail(err, "--evaluate: file names too long to record");
        strcat(sets, p ? "," : "");
        strcat(sets, text);
    }
    strcat(sets, "]");
    nn_json config;
    json_begin(&config);
    json_raw(&config, "sets", sets);
    json_int(&config, "models", models);
    const char *text = json_end(&config);
    if (!text) return nn_fail(err, "--evaluate: file names too long to record");
    return results_begin_run(db, &(nn_run_info){CHAPTER, "evaluate", cli->profile, text, cli->seed},
                             err);
}

int evaluate_saved_models(const nn_cli *cli, const evaluate_request *req, FILE *out, nn_err *err) {
    nn_images sets[EVALUATE_MAX_PAIRS] = {{0}};
    saved_model *models = calloc(MAX_MODELS, sizeof *models);
    nn_results *db = NULL;
    int64_t log_run = 0;
    int count = 0, rc = -1;
    if (!models) {
        nn_fail(err, "out of memory");
        goto done;
    }
    for (int p = 0; p < req->count; p++)
        if (variants_read_npy(req->pairs[p].images_path, req->pairs[p].labels_path, SIDE, SIDE,
                              CLASSES, &sets[p], err))
            goto done;
    /* Only an existing database: opening a missing one would create it, and there would be
     * no models to read anyway. */
    if (access(cli->db, F_OK)) {
        nn_fail(err, "%s: no such database; run `02-shifted-mnist --db %s --profile %s` first",
                cli->db, cli->db, cli->profile);
        goto done;
    }
    if (!(db = results_open(cli->db, err)) || find_models(db, cli, models, &count, err)) goto done;
    if (req->log && (log_run = begin_log_run(db, cli, req, count, err)) < 0) goto done;
    fprintf(out, "%-24s %4s", "model", "seed");
    for (int p = 0; p < req->count; p++)
        fprintf(out, "  %20.20s", req->pairs[p].name);
    fputc('\n', out);
    for (int k = 0; k < count; k++)
        if (evaluate_model(&models[k], req, sets, db, log_run, out, err)) goto done;
    rc = 0;
done:
    if (log_run > 0) rc = experiment_end_run(db, log_run, rc, err);
    results_close(db);
    for (int p = 0; p < req->count; p++)
        images_free(&sets[p]);
    free(models);
    return rc;
}
