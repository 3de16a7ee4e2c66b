/* cifar_test.c - testing a saved model file (see cifar_test.h). */
#include "cifar_test.h"

#include <stdlib.h>

#include "cifar_model.h"
#include "nn/model_io.h"

int cifar_test_file(const char *path, const nn_images *test, const cifar_test_opts *o,
                    cifar_test_result *r, uint8_t *pred, nn_model **model, nn_err *err) {
    if (model) *model = NULL;
    *r = (cifar_test_result){.batch = o->batch, .threads = o->threads};
    /* Hash first: the digest then names exactly the bytes that were tested. */
    if (sha256_file_hex(path, r->sha256, err)) return -1;
    nn_model *m = nn_model_read(path, o->batch, err);
    if (!m) return -1;
    int c, h, w;
    nn_input_shape(m, &c, &h, &w);
    int rc = -1;
    if (c != 3 || h != 32 || w != 32 || nn_output_size(m) != CIFAR_CLASSES) {
        nn_fail(err,
                "%s: not a CIFAR-10 classifier (input %dx%dx%d, %d outputs; expected "
                "3x32x32 and 10)",
                path, c, h, w, nn_output_size(m));
        goto done;
    }
    r->parameters = nn_param_count(m);
    r->macs = model_macs(m);
    if (cifar_evaluate(m, test, 0, pred, &r->plain, err) ||
        cifar_evaluate(m, test, 1, NULL, &r->tta, err) ||
        cifar_measure_latency(m, test, o->latency_warmup, o->latency_n, 0, &r->latency, err) ||
        cifar_measure_latency(m, test, o->latency_warmup, o->latency_n, 1, &r->latency_tta, err) ||
        cifar_measure_throughput(m, test, o->batch, 1, o->throughput_n, &r->throughput_1t, err) ||
        cifar_measure_throughput(m, test, o->batch, o->threads, o->throughput_n, &r->throughput_nt,
                                 err)) {
        nn_fail_context(err, "%s", path);
        goto done;
    }
    rc = 0;
done:
    if (rc || !model)
        nn_model_free(m);
    else
        *model = m;
    return rc;
}

int cifar_log_test(nn_results *db, int64_t run, const cifar_test_result *r, nn_err *err) {
    if (results_transaction_begin(db, err)) return -1;
    struct {
        const char *name;
        double value;
    } metrics[] = {
        {"test_accuracy", r->plain.accuracy},
        {"test_loss", r->plain.loss},
        {"test_accuracy_tta", r->tta.accuracy},
        {"test_loss_tta", r->tta.loss},
        {"parameters", (double)r->parameters},
        {"macs", (double)r->macs},
        {"latency_ms_median", r->latency.median_ms},
        {"latency_ms_p90", r->latency.p90_ms},
        {"latency_ms_mean", r->latency.mean_ms},
        {"latency_tta_ms_median", r->latency_tta.median_ms},
        {"latency_tta_ms_p90", r->latency_tta.p90_ms},
        {"throughput_1t", r->throughput_1t},
        {"throughput_nt", r->throughput_nt},
        {"throughput_batch", r->batch},
        {"throughput_threads", r->threads},
    };
    int rc = 0;
    for (size_t k = 0; k < sizeof metrics / sizeof *metrics && !rc; k++)
        rc = results_log_metric(db, run, metrics[k].name, metrics[k].value, err);
    for (int k = 0; k < CIFAR_CLASSES && !rc; k++) {
        char name[32];
        snprintf(name, sizeof name, "class_accuracy_%d", k);
        rc = results_log_metric(
            db, run, name, confusion_class_accuracy(r->plain.confusion, CIFAR_CLASSES, k), err);
    }
    nn_timing_row rows[] = {
        {"latency_median", 1, 1, r->latency.median_ms, r->latency.count},
        {"latency_p90", 1, 1, r->latency.p90_ms, r->latency.count},
        {"latency_tta_median", 1, 1, r->latency_tta.median_ms, r->latency_tta.count},
        {"throughput", 1, r->batch, 1e3 / r->throughput_1t, 1},
        {"throughput", r->threads, r->batch, 1e3 / r->throughput_nt, 1},
    };
    for (size_t k = 0; k < sizeof rows / sizeof *rows && !rc; k++)
        rc = results_log_timing(db, run, &rows[k], err);
    if (!rc) rc = results_log_confusion(db, run, CIFAR_CLASSES, r->plain.confusion, err);
    if (!rc) rc = results_transaction_commit(db, err);
    if (rc) results_transaction_rollback(db);
    return rc;
}

void cifar_print_test(FILE *out, const char *path, const cifar_test_result *r) {
    fprintf(out, "model %s (sha256 %.16s...)\n", path, r->sha256);
    fprintf(out, "parameters %zu, %.1f M multiply-adds per image\n", r->parameters, r->macs / 1e6);
    fprintf(out, "test accuracy %.2f%% (%ld/%ld), loss %.4f\n", 100 * r->plain.accuracy,
            r->plain.correct, r->plain.count, r->plain.loss);
    fprintf(out, "test accuracy with test-time flip %.2f%% (%ld/%ld)\n", 100 * r->tta.accuracy,
            r->tta.correct, r->tta.count);
    fprintf(out, "\naccuracy per class:\n");
    for (int k = 0; k < CIFAR_CLASSES; k++)
        fprintf(out, "  %-10s %6.2f%%\n", cifar10_class_name(k),
                100 * confusion_class_accuracy(r->plain.confusion, CIFAR_CLASSES, k));
    fprintf(out, "\nconfusion matrix (rows: true class, columns: predicted):\n%-10s", "");
    for (int p = 0; p < CIFAR_CLASSES; p++)
        fprintf(out, " %5.5s", cifar10_class_name(p));
    fprintf(out, "\n");
    for (int t = 0; t < CIFAR_CLASSES; t++) {
        fprintf(out, "%-10s", cifar10_class_name(t));
        for (int p = 0; p < CIFAR_CLASSES; p++)
            fprintf(out, " %5lld", (long long)r->plain.confusion[t * CIFAR_CLASSES + p]);
        fprintf(out, "\n");
    }
    fprintf(out,
            "\nlatency, batch 1, one thread, %d images: median %.3f ms, 90th percentile %.3f ms "
            "(mean %.3f)\n",
            r->latency.count, r->latency.median_ms, r->latency.p90_ms, r->latency.mean_ms);
    fprintf(out, "  with test-time flip: median %.3f ms, 90th percentile %.3f ms\n",
            r->latency_tta.median_ms, r->latency_tta.p90_ms);
    fprintf(out, "throughput, batch %d: %.0f images/s on 1 thread, %.0f on %d threads\n", r->batch,
            r->throughput_1t, r->throughput_nt, r->threads);
}
