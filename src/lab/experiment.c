/* experiment.c - the steps every chapter program shares (see experiment.h). */
#include "lab/experiment.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/io.h"
#include "nn/layers.h"
#include "nn/metrics.h"

int experiment_evaluate(nn_model *m, nn_batches *b, nn_eval *out, int64_t *confusion, nn_err *err) {
    int classes = nn_output_size(m);
    double loss_sum = 0;
    long correct = 0, count = 0;
    int n;
    batches_rewind(b);
    while ((n = batches_next(b)) > 0) {
        const float *logits = nn_forward(m, b->x, n, 0);
        if (!logits)
            return nn_fail(err, "evaluate: the model takes batches of at most %d, not %d",
                           nn_max_batch(m), n);
        loss_sum += (double)softmax_xent(logits, b->y, n, classes, NULL) * n;
        for (int k = 0; k < n; k++) {
            int predicted = nn_argmax(logits + (size_t)classes * k, classes);
            correct += predicted == b->y[k];
            if (confusion) confusion[b->y[k] * classes + predicted]++;
        }
        count += n;
    }
    out->loss = count ? loss_sum / count : 0;
    out->accuracy = count ? (double)correct / count : 0;
    out->count = count;
    return 0;
}

int experiment_probe_gradients(nn_model *m, const float *x, const uint8_t *y, int n, float *loss,
                               nn_err *err) {
    const float *logits = nn_forward(m, x, n, 0);
    if (!logits)
        return nn_fail(err, "probe: the model takes batches of at most %d, not %d", nn_max_batch(m),
                       n);
    float *d = nn_output_grad_buffer(m);
    float l = softmax_xent(logits, y, n, nn_output_size(m), d);
    if (nn_backward(m, d, n)) return nn_fail(err, "probe: backward pass refused");
    if (loss) *loss = l;
    return 0;
}

/* A diverged network's statistics are NaN or infinite; the database would store NaN as
 * NULL (refused: the columns are NOT NULL), so they are logged as +infinity and the run
 * goes on, as a framework's would. */
static double finite_or_inf(double v) {
    return isfinite(v) ? v : INFINITY;
}

int experiment_log_grad_stats(nn_results *db, int64_t run, const nn_model *m, int epoch, int step,
                              nn_err *err) {
    for (int layer = 0; layer < nn_layer_count(m); layer++) {
        nn_grad_stats s;
        if (nn_layer_grad_stats(m, layer, &s))
            return nn_fail(err, "no statistics for layer %d", layer);
        const char *name = nn_layer_name(m, layer);
        if (s.has_params &&
            results_log_grad(db, run,
                             &(nn_grad_row){epoch, step, layer, name, "weight",
                                            finite_or_inf(s.w_max_abs), finite_or_inf(s.w_l2)},
                             err))
            return -1;
        if (results_log_grad(db, run,
                             &(nn_grad_row){epoch, step, layer, name, "activation",
                                            finite_or_inf(s.act_max_abs), finite_or_inf(s.act_l2)},
                             err))
            return -1;
    }
    return 0;
}

int experiment_end_run(nn_results *db, int64_t run, int rc, nn_err *err) {
    if (rc == 0) return results_finish_run(db, run, NULL, err);
    /* A failure may leave a group of rows half-written: drop it, then record why. */
    results_transaction_rollback(db);
    results_finish_run(db, run, err->msg[0] ? err->msg : "failed", NULL);
    return rc;
}

int experiment_load_mnist(const char *data_dir, int train_n, int test_n, nn_images *train,
                          nn_images *test, nn_err *err) {
    nn_images all[2] = {{0}};
    const char *splits[2] = {"train", "test"};
    int want[2] = {train_n, test_n};
    nn_images *dst[2] = {train, test};
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    for (int s = 0; s < 2; s++) {
        if (mnist_load_split(data_dir, splits[s], &all[s], err)) goto fail;
        int n = want[s] > 0 && want[s] < all[s].n ? want[s] : all[s].n;
        if (n == all[s].n) {
            *dst[s] = all[s]; /* take ownership, no copy */
            memset(&all[s], 0, sizeof all[s]);
        } else {
            if (images_subset(&all[s], 0, (size_t)n, dst[s], err)) goto fail;
            images_free(&all[s]);
        }
    }
    return 0;
fail:
    images_free(&all[0]);
    images_free(&all[1]);
    images_free(train);
    images_free(test);
    return -1;
}

int experiment_open(const nn_cli *cli, int train_n, int test_n, nn_mnist_inputs *in, nn_err *err) {
    memset(in, 0, sizeof *in);
    if (experiment_load_mnist(cli->data_dir, train_n, test_n, &in->train, &in->test, err))
        return -1;
    if (!(in->db = results_open(cli->db, err))) {
        experiment_close(in);
        return -1;
    }
    return 0;
}

void experiment_close(nn_mnist_inputs *in) {
    results_close(in->db);
    images_free(&in->train);
    images_free(&in->test);
    memset(in, 0, sizeof *in);
}

int experiment_files_dir(const char *db_path, const char *chapter, char *dir, size_t cap,
                         nn_err *err) {
    const char *slash = strrchr(db_path, '/');
    int n = slash ? snprintf(dir, cap, "%.*s/%s", (int)(slash - db_path), db_path, chapter)
                  : snprintf(dir, cap, "%s", chapter);
    if (n < 0 || (size_t)n >= cap) return nn_fail(err, "%s: path too long", db_path);
    return io_ensure_dir(dir, err);
}
