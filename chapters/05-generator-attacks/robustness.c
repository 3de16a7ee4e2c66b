/* robustness.c - how robust a classifier is, by attacks other than the generator (chapter.h):
 * clean accuracy, accuracy under untargeted PGD at fixed radii, and targeted PGD at one radius
 * on the held-out images the generator also attacks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "attack/attack.h"
#include "attack/attack_untargeted.h"
#include "chapter.h"
#include "lab/experiment.h"
#include "nn/metrics.h"

/* The radius as the decimal it stands for (8/255 is 0.0313725...; 0.1f is 0.100000001), so
 * that names and queries can write it with four digits. */
static double round_eps(float eps) {
    return round((double)eps * 1e4) / 1e4;
}

int ch_log_robustness(nn_results *db, int64_t run, nn_model *m, const nn_images *test,
                      const float *eps, int n_eps, float eps_main, int eval_n, int steps,
                      const int *heldout, int n_heldout, uint64_t seed, nn_err *err) {
    int batch = nn_max_batch(m), classes = nn_output_size(m), d = nn_input_size(m);
    nn_batches b = {0};
    float *adv = malloc(sizeof(float) * (size_t)batch * d),
          *x = malloc(sizeof(float) * d * classes);
    uint8_t *targets = malloc((size_t)classes);
    int rc = -1;
    if (!adv || !x || !targets) {
        nn_fail(err, "robustness: out of memory");
        goto done;
    }
    nn_eval ev;
    if (batches_init(&b, test, batch, err) || experiment_evaluate(m, &b, &ev, NULL, err) ||
        results_log_metric(db, run, "clean_accuracy", ev.accuracy, err) ||
        results_log_metric(db, run, "clean_images", (double)ev.count, err))
        goto done;
    nn_rng rng;
    rng_seed(&rng, seed);
    if (eval_n > test->n) eval_n = test->n;
    for (int e = 0; e < n_eps; e++) {
        nn_pgd_config pgd = {
            .eps = eps[e], .alpha = 2.5f * eps[e] / steps, .steps = steps, .random_start = 1};
        long right = 0;
        int n;
        batches_rewind(&b);
        for (long seen = 0; seen < eval_n && (n = batches_next(&b)) > 0; seen += n) {
            if (seen + n > eval_n) n = (int)(eval_n - seen);
            if (attack_pgd_untargeted(m, b.x, b.y, n, &pgd, &rng, adv, NULL, err)) goto done;
            right += nn_count_correct(nn_forward(m, adv, n, 0), b.y, n, classes);
        }
        char name[64];
        snprintf(name, sizeof name, "pgd_accuracy@%.4f", round_eps(eps[e]));
        if (results_log_metric(db, run, name, (double)right / eval_n, err)) goto done;
    }
    if (results_log_metric(db, run, "pgd_images", eval_n, err) ||
        results_log_metric(db, run, "pgd_steps", steps, err) || results_transaction_begin(db, err))
        goto done;
    /* Targeted PGD at eps_main on the held-out images, towards every other class. */
    nn_pgd_config pgd = {.eps = eps_main, .alpha = 2.5f * eps_main / steps, .steps = steps};
    for (int i = 0; i < n_heldout; i++) {
        int sample = heldout[i], source = test->labels[sample], n = 0;
        for (int t = 0; t < classes; t++) {
            if (t == source) continue;
            images_to_float(test, (size_t)sample, 1, x + (size_t)n * d);
            targets[n++] = (uint8_t)t;
        }
        nn_attack_outcome o[256];
        if (attack_pgd_targeted(m, x, targets, n, &pgd, NULL, adv, NULL, err) ||
            attack_measure(m, x, adv, targets, n, o, err))
            goto fail;
        for (int k = 0; k < n; k++)
            if (results_log_attack(db, run,
                                   &(nn_attack_row){sample, source, targets[k], "pgd-eps",
                                                    round_eps(eps_main), steps, o[k].success,
                                                    o[k].l2, o[k].linf, o[k].confidence},
                                   err))
                goto fail;
    }
    if (results_transaction_commit(db, err)) goto fail;
    rc = 0;
    goto done;
fail:
    results_transaction_rollback(db);
done:
    batches_free(&b);
    free(adv);
    free(x);
    free(targets);
    return rc;
}
