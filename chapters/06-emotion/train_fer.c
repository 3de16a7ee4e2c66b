/* train_fer.c - one training run of chapter 06 (see train_fer.h). */
#include "train_fer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "chapter.h"
#include "data/batches.h"
#include "data/fer2013.h"
#include "lab/config_json.h"
#include "lab/experiment.h"
#include "lab/train.h"
#include "nn/optim.h"

nn_model *ch06_build(const ch06_arch *a, int max_batch, nn_rng *rng, nn_err *err) {
    nn_model *m = nn_model_new(1, CH06_SIDE, CH06_SIDE, err);
    if (!m) return NULL;
    for (int b = 0; b < a->blocks; b++) {
        for (int k = 0; k < a->convs[b]; k++) {
            nn_add_conv2d(m, a->width[b], 3, 1, 1);
            nn_add_batchnorm(m);
            nn_add_activation(m, NN_RELU);
        }
        nn_add_maxpool(m, 2, 2);
    }
    nn_add_flatten(m);
    nn_add_dense(m, a->dense);
    nn_add_batchnorm(m);
    nn_add_activation(m, NN_RELU);
    if (a->dropout > 0) nn_add_dropout(m, a->dropout);
    nn_add_dense(m, CH06_CLASSES);
    if (nn_model_build(m, max_batch, err)) {
        nn_model_free(m);
        return NULL;
    }
    nn_model_init(m, NN_INIT_HE_NORMAL, rng);
    return m;
}

double ch06_mflops(const nn_model *m) {
    double flops = 0;
    int c, h, w;
    nn_input_shape(m, &c, &h, &w);
    for (int i = 0; i < nn_layer_count(m); i++) {
        nn_layer_desc d;
        int oc, oh, ow;
        nn_layer_describe(m, i, &d);
        nn_layer_shape(m, i, &oc, &oh, &ow);
        if (d.kind == NN_LAYER_CONV2D)
            flops += 2.0 * d.kernel * d.kernel * c * (double)oc * oh * ow;
        else if (d.kind == NN_LAYER_DENSE)
            flops += 2.0 * c * h * w * (double)d.units;
        c = oc, h = oh, w = ow;
    }
    return flops / 1e6;
}

int ch06_oversample(const nn_images *train, ch06_balance b, nn_images *out, int factor[7],
                    nn_err *err) {
    long count[CH06_CLASSES] = {0}, most = 0, total = 0;
    for (int i = 0; i < train->n; i++)
        count[train->labels[i]]++;
    for (int c = 0; c < CH06_CLASSES; c++)
        if (count[c] > most) most = count[c];
    for (int c = 0; c < CH06_CLASSES; c++) {
        factor[c] =
            b == CH06_BALANCE_SQRT && count[c] ? (int)floor(sqrt((double)most / count[c])) : 1;
        if (factor[c] < 1) factor[c] = 1;
        total += count[c] * factor[c];
    }
    size_t stride = images_stride(train);
    *out = *train;
    out->n = (int)total;
    out->pixels = malloc((size_t)total * stride + 1);
    out->labels = malloc((size_t)total + 1);
    if (!out->pixels || !out->labels) {
        images_free(out);
        return nn_fail(err, "oversampling: out of memory for %ld faces", total);
    }
    /* Copies in file order, each image `factor` times in a row; the loop shuffles anyway. */
    long j = 0;
    for (int i = 0; i < train->n; i++)
        for (int r = 0; r < factor[train->labels[i]]; r++, j++) {
            memcpy(out->pixels + (size_t)j * stride, train->pixels + (size_t)i * stride, stride);
            out->labels[j] = train->labels[i];
        }
    return 0;
}

/* ---- the hooks: PublicTest after every epoch, and the best weights so far ----------------- */

typedef struct hooks {
    nn_results *db;
    int64_t run;
    const nn_images *public_test;
    long steps_per_epoch;
    uint8_t *pred;
    double last_loss, last_acc; /* of the latest evaluation, logged by after_epoch */
    double best_acc;
    int best_epoch, epoch;
    float *best_params, *best_state;
} hooks;

/* After the last step of an epoch (outside any transaction, so the database is not locked
 * while the network runs): evaluate PublicTest and keep the weights if they are the best. */
static int after_step(void *ctx, nn_model *m, long step, float loss, nn_err *err) {
    (void)loss;
    hooks *h = ctx;
    if (step % h->steps_per_epoch != 0) return 0;
    h->epoch++;
    double sum;
    if (ch06_predict(m, h->public_test, 0, h->pred, NULL, &sum, err)) return -1;
    long right = 0;
    for (int i = 0; i < h->public_test->n; i++)
        right += h->pred[i] == h->public_test->labels[i];
    h->last_acc = (double)right / h->public_test->n;
    h->last_loss = sum / h->public_test->n;
    if (h->last_acc > h->best_acc) {
        h->best_acc = h->last_acc;
        h->best_epoch = h->epoch;
        memcpy(h->best_params, nn_params(m), nn_param_count(m) * sizeof(float));
        memcpy(h->best_state, nn_state(m), nn_state_count(m) * sizeof(float));
    }
    fprintf(stderr, "  epoch %d: PublicTest accuracy %.2f%% (best %.2f%%, epoch %d)\n", h->epoch,
            100 * h->last_acc, 100 * h->best_acc, h->best_epoch);
    return 0;
}

static int after_epoch(void *ctx, nn_model *m, int epoch, long step, float lr, nn_err *err) {
    (void)m;
    hooks *h = ctx;
    return results_log_epoch(
        h->db, h->run,
        &(nn_epoch_row){epoch, (int)step, "public", h->last_loss, h->last_acc, lr, 0}, err);
}

/* ---- the run -------------------------------------------------------------------------------- */

static const char *run_config(const ch06_run *r, const ch06_data *d, const int factor[7],
                              long train_images, nn_json *j) {
    char arch[256];
    int len = snprintf(arch, sizeof arch, "{\"name\":\"%s\",\"blocks\":[", r->arch->name);
    for (int b = 0; b < r->arch->blocks; b++)
        len += snprintf(arch + len, sizeof arch - (size_t)len, "%s{\"width\":%d,\"convs\":%d}",
                        b ? "," : "", r->arch->width[b], r->arch->convs[b]);
    snprintf(arch + len, sizeof arch - (size_t)len, "],\"dense\":%d,\"dropout\":%g}",
             r->arch->dense, (double)r->arch->dropout);
    char factors[64];
    snprintf(factors, sizeof factors, "[%d,%d,%d,%d,%d,%d,%d]", factor[0], factor[1], factor[2],
             factor[3], factor[4], factor[5], factor[6]);
    json_begin(j);
    json_raw(j, "arch", arch);
    json_int(j, "epochs", r->epochs);
    json_int(j, "batch", r->batch);
    json_str(j, "schedule", nn_schedule_name(r->schedule.kind));
    json_num(j, "lr", r->schedule.lr);
    json_str(j, "optimizer", "sgd-nesterov");
    json_num(j, "momentum", r->momentum);
    json_num(j, "weight_decay", r->weight_decay);
    json_num(j, "label_smoothing", r->label_smoothing);
    json_int(j, "crop_pad", r->crop_pad);
    json_bool(j, "flip", r->flip);
    json_str(j, "balance", r->balance == CH06_BALANCE_SQRT ? "sqrt-oversampling" : "none");
    json_raw(j, "class_repeats", factors);
    json_int(j, "train_n", d->train->n);
    json_int(j, "train_images", train_images);
    json_int(j, "public_n", d->public_test->n);
    json_int(j, "private_n", d->private_test->n);
    return json_end(j);
}

static int log_scores(nn_results *db, int64_t run, const ch06_scores *s, nn_err *err) {
    if (results_log_metric(db, run, "private_accuracy", s->accuracy, err) ||
        results_log_metric(db, run, "private_macro_f1", s->macro_f1, err) ||
        results_log_confusion(db, run, CH06_CLASSES, s->confusion, err))
        return -1;
    for (int c = 0; c < CH06_CLASSES; c++) {
        char name[32];
        snprintf(name, sizeof name, "recall_%d", c);
        if (results_log_metric(db, run, name, s->recall[c], err)) return -1;
        snprintf(name, sizeof name, "precision_%d", c);
        if (results_log_metric(db, run, name, s->precision[c], err)) return -1;
        snprintf(name, sizeof name, "f1_%d", c);
        if (results_log_metric(db, run, name, s->f1[c], err)) return -1;
    }
    return 0;
}

static double accuracy_of(const nn_images *set, const uint8_t *pred) {
    long right = 0;
    for (int i = 0; i < set->n; i++)
        right += pred[i] == set->labels[i];
    return set->n ? (double)right / set->n : 0;
}

/* The end of a run: the best weights back, flip averaging decided on PublicTest, the
 * PrivateTest numbers. */
static int finish(nn_results *db, const ch06_run *r, const ch06_data *d, hooks *h,
                  const nn_train_result *tr, long train_images, ch06_outcome *out, nn_err *err) {
    nn_model *m = out->model;
    memcpy(nn_params(m), h->best_params, nn_param_count(m) * sizeof(float));
    memcpy(nn_state(m), h->best_state, nn_state_count(m) * sizeof(float));
    const nn_images *pub = d->public_test, *priv = d->private_test;
    uint8_t *pub_pred = malloc((size_t)pub->n + 1), *plain = malloc((size_t)priv->n + 1);
    uint8_t *flipped = malloc((size_t)priv->n + 1);
    int rc = -1;
    if (!pub_pred || !plain || !flipped) {
        nn_fail(err, "out of memory");
        goto done;
    }
    if (ch06_predict(m, pub, 0, pub_pred, NULL, NULL, err)) goto done;
    double pub_plain = accuracy_of(pub, pub_pred);
    if (ch06_predict(m, pub, 1, pub_pred, NULL, NULL, err)) goto done;
    double pub_flip = accuracy_of(pub, pub_pred);
    out->flip = pub_flip > pub_plain;
    out->public_accuracy = out->flip ? pub_flip : pub_plain;
    out->best_epoch = h->best_epoch;
    if (ch06_predict(m, priv, 0, plain, NULL, NULL, err) ||
        ch06_predict(m, priv, 1, flipped, NULL, NULL, err))
        goto done;
    out->private_pred = out->flip ? flipped : plain;
    ch06_score(priv->labels, out->private_pred, priv->n, &out->private_scores);
    if (results_transaction_begin(db, err)) goto done;
    int64_t run = out->run;
    if (results_log_metric(db, run, "best_epoch", h->best_epoch, err) ||
        results_log_metric(db, run, "public_accuracy", pub_plain, err) ||
        results_log_metric(db, run, "public_accuracy_flip", pub_flip, err) ||
        results_log_metric(db, run, "flip", out->flip, err) ||
        results_log_metric(db, run, "private_accuracy_plain", accuracy_of(priv, plain), err) ||
        results_log_metric(db, run, "private_accuracy_flip", accuracy_of(priv, flipped), err) ||
        results_log_metric(db, run, "mflops", ch06_mflops(m), err) ||
        results_log_metric(db, run, "train_images", (double)train_images, err) ||
        results_log_metric(db, run, "images_per_second",
                           tr->train_seconds > 0 ? train_images * r->epochs / tr->train_seconds : 0,
                           err) ||
        log_scores(db, run, &out->private_scores, err) || results_transaction_commit(db, err)) {
        results_transaction_rollback(db);
        goto done;
    }
    rc = 0;
done:
    if (out->private_pred == plain)
        plain = NULL;
    else if (out->private_pred == flipped)
        flipped = NULL;
    free(pub_pred);
    free(plain);
    free(flipped);
    return rc;
}

int ch06_train_run(nn_results *db, const char *profile, const ch06_run *r, const ch06_data *d,
                   int64_t seed, ch06_extra extra, void *extra_ctx, ch06_outcome *out,
                   nn_err *err) {
    memset(out, 0, sizeof *out);
    nn_images train = {0};
    int factor[7];
    if (ch06_oversample(d->train, r->balance, &train, factor, err)) return -1;
    nn_json config;
    const char *cfg = run_config(r, d, factor, train.n, &config);
    if (!cfg) {
        images_free(&train);
        return nn_fail(err, "%s: configuration too long", r->experiment);
    }
    out->run =
        results_begin_run(db, &(nn_run_info){CHAPTER, r->experiment, profile, cfg, seed}, err);
    if (out->run < 0) {
        images_free(&train);
        return -1;
    }
    nn_rng rng;
    rng_seed(&rng, (uint64_t)seed);
    nn_rng init_rng = rng_split(&rng, 1), order_rng = rng_split(&rng, 2);
    nn_rng aug_rng = rng_split(&rng, 3), drop_rng = rng_split(&rng, 4);
    nn_batches train_b = {0};
    nn_optim *opt = NULL;
    hooks h = {.db = db, .run = out->run, .public_test = d->public_test, .best_acc = -1};
    nn_train_result tr = {0};
    int rc = -1;
    out->model = ch06_build(r->arch, r->batch, &init_rng, err);
    if (!out->model) goto done;
    nn_model *m = out->model;
    nn_model_set_rng(m, &drop_rng);
    nn_set_input_grad(m, 0);
    opt = nn_sgd_new(
        m, (nn_sgd_config){.momentum = r->momentum, .nesterov = 1, .weight_decay = r->weight_decay},
        err);
    h.pred = malloc((size_t)d->public_test->n + 1);
    h.best_params = malloc(nn_param_count(m) * sizeof(float));
    h.best_state = malloc(nn_state_count(m) * sizeof(float) + 1);
    if (!opt || batches_init(&train_b, &train, r->batch, err)) goto done;
    if (!h.pred || !h.best_params || !h.best_state) {
        nn_fail(err, "out of memory");
        goto done;
    }
    h.steps_per_epoch = batches_per_epoch(&train_b);
    char label[96];
    snprintf(label, sizeof label, "%s seed %lld", r->experiment, (long long)seed);
    nn_train_config tc = train_defaults();
    tc.label = label;
    tc.epochs = r->epochs;
    tc.classes = CH06_CLASSES;
    tc.schedule = r->schedule;
    tc.label_smoothing = r->label_smoothing;
    tc.hook_ctx = &h;
    tc.after_step = after_step;
    tc.after_epoch = after_epoch;
    nn_image_source src = {.batches = &train_b,
                           .order = &order_rng,
                           .augment = &aug_rng,
                           .crop_pad = r->crop_pad,
                           .flip = r->flip};
    if (train_classifier(db, out->run, m, opt, train_source_images(&src), &tc, &tr, err)) goto done;
    rc = finish(db, r, d, &h, &tr, train.n, out, err);
    if (!rc && extra) rc = extra(extra_ctx, db, out, err);
done:
    rc = experiment_end_run(db, out->run, rc, err);
    if (rc) {
        nn_model_free(out->model);
        free(out->private_pred);
        out->model = NULL, out->private_pred = NULL;
    }
    batches_free(&train_b);
    nn_optim_free(opt);
    free(h.pred);
    free(h.best_params);
    free(h.best_state);
    images_free(&train);
    return rc;
}

void ch06_outcome_free(ch06_outcome *o) {
    nn_model_free(o->model);
    free(o->private_pred);
    memset(o, 0, sizeof *o);
}
