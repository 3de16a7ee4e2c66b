/* models.c - the chapter's networks, its model files and how they are found (chapter.h). */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "base/sha256.h"
#include "chapter.h"
#include "lab/experiment.h"
#include "nn/convnet.h"
#include "nn/model_io.h"

/* ---- models ------------------------------------------------------------------------------- */

static nn_model *finish(nn_model *m, int max_batch, nn_rng *init_rng, nn_err *err) {
    if (nn_model_build(m, max_batch, err)) {
        nn_model_free(m);
        return NULL;
    }
    nn_model_init(m, NN_INIT_HE_NORMAL, init_rng);
    return m;
}

nn_model *ch_build_mnist_fc(int max_batch, nn_rng *init_rng, nn_err *err) {
    nn_model *m = nn_model_new(1, 28, 28, err);
    if (!m) return NULL;
    nn_add_dense(m, 512);
    nn_add_activation(m, NN_RELU);
    nn_add_dense(m, 256);
    nn_add_activation(m, NN_RELU);
    nn_add_dense(m, 10);
    return finish(m, max_batch, init_rng, err);
}

nn_model *ch_build_mnist_conv(int max_batch, nn_rng *init_rng, nn_err *err) {
    /* conv 5x5x16, pool, conv 5x5x32, pool (32 x 7 x 7), dense 128, dense 10 */
    const nn_convnet_shape shape = {.c = 1, .h = 28, .w = 28, .conv1 = 16, .conv2 = 32,
                                    .kernel = 5, .dense = 128, .classes = 10};
    return nn_convnet_new(&shape, max_batch, init_rng, err);
}

nn_model *ch_build_cifar_standin(int max_batch, nn_rng *init_rng, nn_err *err) {
    nn_model *m = nn_model_new(3, 32, 32, err);
    if (!m) return NULL;
    static const int widths[3] = {16, 32, 64};
    for (int b = 0; b < 3; b++) {
        nn_add_conv2d(m, widths[b], 3, 1, 1);
        nn_add_batchnorm(m);
        nn_add_activation(m, NN_RELU);
        nn_add_maxpool(m, 2, 2); /* 32 -> 16 -> 8 -> 4 */
    }
    nn_add_global_avgpool(m);
    nn_add_dense(m, 10);
    return finish(m, max_batch, init_rng, err);
}

void ch_freeze_all(nn_model *m, int on) {
    for (int l = 0; l < nn_layer_count(m); l++)
        nn_freeze_layer(m, l, on);
}

/* ---- model files -------------------------------------------------------------------------- */

int ch_save_model(nn_results *db, int64_t run, nn_model *m, const char *db_path, const char *name,
                  nn_err *err) {
    char dir[CH_PATH_MAX], path[CH_PATH_MAX], hex[SHA256_HEX_SIZE];
    if (experiment_files_dir(db_path, CHAPTER, dir, sizeof dir, err)) return -1;
    if (snprintf(path, sizeof path, "%s/%s.nnm", dir, name) >= (int)sizeof path)
        return nn_fail(err, "%s: path too long", dir);
    if (nn_model_save(m, path, err) || sha256_file_hex(path, hex, err)) return -1;
    return results_log_artifact(db, run, "model", path, hex, err);
}

static void copy_text(char *dst, size_t cap, const unsigned char *src) {
    snprintf(dst, cap, "%s", src ? (const char *)src : "");
}

int ch_find_model(nn_results *db, const char *chapter, const char *experiment, ch_model_ref *out,
                  const char **why, nn_err *err) {
    sqlite3 *h = results_handle(db);
    sqlite3_stmt *st;
    /* The newest done run first, then its model artifact (the last one it recorded). */
    const char *sql = "SELECT r.id, r.config_json, a.path, a.sha256 FROM runs r "
                      "LEFT JOIN artifacts a ON a.run_id = r.id AND a.kind = 'model' "
                      "WHERE r.id = (SELECT max(id) FROM runs WHERE chapter = ?1 "
                      "AND experiment = ?2 AND status = 'done') ORDER BY a.rowid DESC LIMIT 1";
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
        return nn_fail(err, "looking up the %s/%s model: %s", chapter, experiment,
                       sqlite3_errmsg(h));
    sqlite3_bind_text(st, 1, chapter, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, experiment, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_finalize(st);
        if (why) *why = "no done run";
        return 1;
    }
    if (rc != SQLITE_ROW) {
        nn_fail(err, "looking up the %s/%s model: %s", chapter, experiment, sqlite3_errmsg(h));
        sqlite3_finalize(st);
        return -1;
    }
    memset(out, 0, sizeof *out);
    out->run = sqlite3_column_int64(st, 0);
    snprintf(out->chapter, sizeof out->chapter, "%s", chapter);
    snprintf(out->experiment, sizeof out->experiment, "%s", experiment);
    copy_text(out->config, sizeof out->config, sqlite3_column_text(st, 1));
    int has_path = sqlite3_column_type(st, 2) != SQLITE_NULL;
    copy_text(out->path, sizeof out->path, sqlite3_column_text(st, 2));
    copy_text(out->sha256, sizeof out->sha256, sqlite3_column_text(st, 3));
    sqlite3_finalize(st);
    if (!has_path) {
        if (why) *why = "its newest done run recorded no 'model' artifact";
        return 1;
    }
    return 0;
}

int ch_ref_from_path(nn_results *db, const char *path, ch_model_ref *out, nn_err *err) {
    memset(out, 0, sizeof *out);
    if (snprintf(out->path, sizeof out->path, "%s", path) >= (int)sizeof out->path)
        return nn_fail(err, "%s: path too long", path);
    snprintf(out->config, sizeof out->config, "{}");
    sqlite3 *h = results_handle(db);
    sqlite3_stmt *st;
    const char *sql = "SELECT r.id, r.chapter, r.experiment, r.config_json, a.sha256 "
                      "FROM artifacts a JOIN runs r ON r.id = a.run_id "
                      "WHERE a.kind = 'model' AND a.path = ?1 AND r.status = 'done' "
                      "ORDER BY a.rowid DESC LIMIT 1";
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
        return nn_fail(err, "looking up %s: %s", path, sqlite3_errmsg(h));
    sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) {
        out->run = sqlite3_column_int64(st, 0);
        copy_text(out->chapter, sizeof out->chapter, sqlite3_column_text(st, 1));
        copy_text(out->experiment, sizeof out->experiment, sqlite3_column_text(st, 2));
        copy_text(out->config, sizeof out->config, sqlite3_column_text(st, 3));
        copy_text(out->sha256, sizeof out->sha256, sqlite3_column_text(st, 4));
    }
    sqlite3_finalize(st);
    return 0;
}

nn_model *ch_load_model(const ch_model_ref *ref, int max_batch, nn_err *err) {
    if (ref->sha256[0]) {
        char hex[SHA256_HEX_SIZE];
        if (sha256_file_hex(ref->path, hex, err)) return NULL;
        if (strcmp(hex, ref->sha256)) {
            nn_fail(err,
                    "%s: SHA-256 %s differs from the %s recorded by run %lld: the file changed "
                    "since it was written",
                    ref->path, hex, ref->sha256, (long long)ref->run);
            return NULL;
        }
    }
    return nn_model_read(ref->path, max_batch, err);
}

/* ---- a CIFAR model's input convention ----------------------------------------------------- */

int ch_parse_input_norm(nn_results *db, const char *config_json, ch_input_norm *out, nn_err *err) {
    *out = (ch_input_norm){0, {0, 0, 0}, {1, 1, 1}};
    sqlite3 *h = results_handle(db);
    sqlite3_stmt *st;
    /* SQLite's JSON functions read the configuration; NULL where a key is absent. */
    const char *sql = "SELECT json_extract(?1, '$.input'), json_type(?1, '$.mean'), "
                      "json_type(?1, '$.std'), json_array_length(?1, '$.mean'), "
                      "json_array_length(?1, '$.std'), "
                      "json_extract(?1, '$.mean[0]'), json_extract(?1, '$.mean[1]'), "
                      "json_extract(?1, '$.mean[2]'), json_extract(?1, '$.std[0]'), "
                      "json_extract(?1, '$.std[1]'), json_extract(?1, '$.std[2]')";
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
        return nn_fail(err, "reading the input convention: %s", sqlite3_errmsg(h));
    sqlite3_bind_text(st, 1, config_json, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        nn_fail(err, "the model's run configuration is not valid JSON: %s", sqlite3_errmsg(h));
        sqlite3_finalize(st);
        return -1;
    }
    const char *input = (const char *)sqlite3_column_text(st, 0);
    int has_mean = sqlite3_column_type(st, 1) != SQLITE_NULL;
    int has_std = sqlite3_column_type(st, 2) != SQLITE_NULL;
    int ok = 0;
    if (input && strcmp(input, "pixels/255") && strcmp(input, "normalized"))
        nn_fail(err,
                "the model's run configuration says input \"%s\"; known: \"pixels/255\", "
                "\"normalized\" (with \"mean\" and \"std\")",
                input);
    else if (has_mean != has_std)
        nn_fail(err, "the model's run configuration has \"%s\" without \"%s\"",
                has_mean ? "mean" : "std", has_mean ? "std" : "mean");
    else if (input && !strcmp(input, "normalized") && !has_mean)
        nn_fail(err, "the model's run configuration says input \"normalized\" without \"mean\" "
                     "and \"std\"");
    else if (has_mean && (sqlite3_column_int(st, 3) != 3 || sqlite3_column_int(st, 4) != 3))
        nn_fail(err, "the model's run configuration: \"mean\" and \"std\" must be arrays of 3 "
                     "numbers (one per colour channel)");
    else
        ok = 1;
    if (ok && has_mean) {
        out->normalized = 1;
        for (int c = 0; c < 3; c++) {
            out->mean[c] = (float)sqlite3_column_double(st, 5 + c);
            out->std[c] = (float)sqlite3_column_double(st, 8 + c);
            if (!(out->std[c] > 0)) {
                nn_fail(err, "the model's run configuration: std[%d] = %g is not positive", c,
                        (double)out->std[c]);
                ok = 0;
            }
        }
    }
    sqlite3_finalize(st);
    return ok ? 0 : -1;
}

nn_model *ch_with_input_norm(nn_model *m, const ch_input_norm *norm, int max_batch, nn_err *err) {
    int c, h, w;
    nn_input_shape(m, &c, &h, &w);
    if (c != 3) {
        nn_fail(err, "input normalisation: the model takes %d channels, not 3", c);
        return NULL;
    }
    nn_model *out = nn_model_new(c, h, w, err);
    if (!out) return NULL;
    nn_add_conv2d(out, c, 1, 1, 0);
    for (int l = 0; l < nn_layer_count(m); l++) {
        nn_layer_desc d;
        nn_layer_describe(m, l, &d);
        /* A residual that read layer k (or the input, -1) now reads layer k + 1 (or the
         * normalising layer, which is the old input). */
        if (d.kind == NN_LAYER_RESIDUAL) d.mark += 1;
        nn_add_layer(out, &d);
    }
    if (nn_model_build(out, max_batch, err)) {
        nn_model_free(out);
        return NULL;
    }
    size_t len;
    float *wt = nn_layer_weights(out, 0, &len), *b = nn_layer_bias(out, 0, &len);
    memset(wt, 0, sizeof(float) * 9);
    for (int k = 0; k < 3; k++) {
        wt[k * 3 + k] = 1.0f / norm->std[k]; /* out channel k reads input channel k only */
        b[k] = -norm->mean[k] / norm->std[k];
    }
    /* The rest of the parameter block and the whole state block follow in the same order. */
    memcpy(nn_params(out) + 12, nn_params(m), nn_param_count(m) * sizeof(float));
    memcpy(nn_state(out), nn_state(m), nn_state_count(m) * sizeof(float));
    nn_freeze_layer(out, 0, 1);
    return out;
}
