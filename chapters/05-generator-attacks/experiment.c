/* 05-generator-attacks/experiment.c - adversarial examples from a "simple generator".
 *
 * Loads the classifiers written by the earlier programs (never the models in memory):
 * mnist-fc, mnist-conv and mnist-conv-robust from mnist-classifiers; the CIFAR-10 model of
 * chapter 04 (or --cifar-model PATH, or this chapter's stand-in where chapter 04 is not part of
 * the build) and cifar-robust from cifar-classifiers. Then:
 *   gen-fc, gen-conv    the generator attack (attack/generator.h) on `digits` MNIST test
 *                       images, one per class drawn from the seed, towards every class; every
 *                       round logged; targeted PGD at the generator's own L-infinity size for
 *                       comparison; the 5 x 11 grids; for the conv model also the gradient
 *                       norms of the MSE and cross-entropy composite losses at the originals;
 *   gen-conv-xent       the same attack with cross-entropy in place of the MSE (comparison);
 *   gen-cifar           one CIFAR-10 test image towards every class, and its 1 x 11 grids;
 *   eval-conv, eval-conv-robust, eval-cifar, eval-cifar-robust
 *                       each model's clean accuracy, accuracy under untargeted PGD at fixed
 *                       radii, and the generator attack and targeted PGD on held-out test
 *                       images (none of the showcase images), with a grid comparing the
 *                       generator's examples against the model and its robust version.
 * Every number goes to the results database; the grids are PNG files in --figures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attack/adversarial_grid.h"
#include "chapter.h"
#include "lab/cli.h"
#include "lab/config_json.h"
#include "lab/experiment.h"
#include "nn/metrics.h"

#define EVAL_BATCH 100 /* models are read for batches of this size */

static const float MNIST_EPS[3] = {0.1f, 0.2f, 0.3f};
static const float CIFAR_EPS[3] = {2 / 255.0f, 4 / 255.0f, 8 / 255.0f};

typedef struct loaded {
    ch_model_ref ref;
    nn_model *m;
    int wrapped; /* an input normalisation layer was put in front (chapter.h) */
} loaded;

typedef struct ctx {
    nn_results *db;
    const nn_cli *cli;
    const ch_profile *p;
    nn_images mnist, cifar;
    loaded fc, conv, conv_robust, cifar_base, cifar_robust;
} ctx;

/* ---- loading ------------------------------------------------------------------------------ */

static int load_ref(nn_results *db, loaded *l, nn_err *err) {
    nn_model *m = ch_load_model(&l->ref, EVAL_BATCH, err);
    if (!m) return -1;
    ch_input_norm norm;
    if (ch_parse_input_norm(db, l->ref.config, &norm, err)) {
        nn_fail_context(err, "%s (run %lld)", l->ref.path, (long long)l->ref.run);
        nn_model_free(m);
        return -1;
    }
    if (norm.normalized) {
        nn_model *w = ch_with_input_norm(m, &norm, EVAL_BATCH, err);
        nn_model_free(m);
        if (!w) return -1;
        m = w;
        l->wrapped = 1;
    }
    l->m = m;
    return 0;
}

static int load_own(nn_results *db, const char *experiment, const char *program, loaded *l,
                    nn_err *err) {
    const char *why = "";
    int found = ch_find_model(db, CHAPTER, experiment, &l->ref, &why, err);
    if (found < 0) return -1;
    if (found > 0)
        return nn_fail(err, "no %s model in %s: %s (%s/%s); run %s first", experiment,
                       "the database", why, CHAPTER, experiment, program);
    return load_ref(db, l, err);
}

/* The CIFAR-10 model: --cifar-model, else chapter 04's contract, else the stand-in. */
static int load_cifar(ctx *c, const char *path, nn_err *err) {
    if (path) {
        if (ch_ref_from_path(c->db, path, &c->cifar_base.ref, err)) return -1;
        return load_ref(c->db, &c->cifar_base, err);
    }
    const char *why04 = "", *why05 = "";
    int found =
        ch_find_model(c->db, CH04_CHAPTER, CH04_EXPERIMENT, &c->cifar_base.ref, &why04, err);
    if (found > 0)
        found = ch_find_model(c->db, CHAPTER, "cifar-standin", &c->cifar_base.ref, &why05, err);
    if (found < 0) return -1;
    if (found > 0)
        return nn_fail(err,
                       "no CIFAR-10 model: chapter 04 recorded none (%s/%s: %s) and no stand-in "
                       "was trained (%s/cifar-standin: %s); give --cifar-model PATH",
                       CH04_CHAPTER, CH04_EXPERIMENT, why04, CHAPTER, why05);
    return load_ref(c->db, &c->cifar_base, err);
}

static void json_model(nn_json *j, const char *key, const loaded *l) {
    char buf[CH_PATH_MAX + 512];
    snprintf(buf, sizeof buf,
             "{\"run\":%lld,\"chapter\":\"%s\",\"experiment\":\"%s\",\"path\":\"%s\","
             "\"sha256\":\"%s\",\"input_normalised_here\":%s}",
             (long long)l->ref.run, l->ref.chapter, l->ref.experiment, l->ref.path, l->ref.sha256,
             l->wrapped ? "true" : "false");
    json_raw(j, key, buf);
}

static void json_samples(nn_json *j, const char *key, const int *s, int n) {
    char buf[1024];
    size_t len = 0;
    buf[len++] = '[';
    for (int i = 0; i < n && len < sizeof buf - 16; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%d", i ? "," : "", s[i]);
    snprintf(buf + len, sizeof buf - len, "]");
    json_raw(j, key, buf);
}

static void json_gen(nn_json *j, const gen_config *g) {
    json_num(j, "lr_image", g->lr_image);
    json_num(j, "lr_target", g->lr_target);
    json_int(j, "image_steps", g->image_steps);
    json_int(j, "target_steps", g->target_steps);
    json_int(j, "max_rounds", g->max_rounds);
    json_num(j, "threshold", g->threshold);
    json_str(j, "loss", g->loss == GEN_LOSS_MSE ? "mse" : "xent");
    json_str(j, "optimizer", "adam");
    json_str(j, "pixel_range", "clip after every step");
}

/* ---- choosing images ---------------------------------------------------------------------- */

static int correct(nn_model *m, const nn_images *set, int i) {
    size_t d = images_stride(set);
    float *x = malloc(sizeof(float) * d);
    if (!x) return 0;
    images_to_float(set, (size_t)i, 1, x);
    int ok = nn_argmax(nn_forward(m, x, 1, 0), set->classes) == set->labels[i];
    free(x);
    return ok;
}

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Up to `want` test images in a seeded random order, each classified correctly by every model
 * of `models`, skipping `avoid`; with one_per_class at most one of each class (and at most
 * `want` classes). Sorted by index. Returns how many were found. */
static int choose(const nn_images *set, nn_model **models, int n_models, int want,
                  int one_per_class, const int *avoid, int n_avoid, uint64_t seed, int *out) {
    int *order = malloc(sizeof(int) * set->n);
    if (!order) return 0;
    for (int i = 0; i < set->n; i++)
        order[i] = i;
    nn_rng rng;
    rng_seed(&rng, seed);
    rng_shuffle(&rng, order, (size_t)set->n);
    int found = 0, taken[256] = {0};
    for (int k = 0; k < set->n && found < want; k++) {
        int i = order[k], skip = 0;
        for (int a = 0; a < n_avoid; a++)
            skip |= avoid[a] == i;
        if (skip || (one_per_class && taken[set->labels[i]])) continue;
        int ok = 1;
        for (int m = 0; m < n_models && ok; m++)
            ok = correct(models[m], set, i);
        if (!ok) continue;
        taken[set->labels[i]] = 1;
        out[found++] = i;
    }
    free(order);
    qsort(out, (size_t)found, sizeof(int), cmp_int);
    return found;
}

/* ---- the runs ----------------------------------------------------------------------------- */

static int64_t begin(ctx *c, const char *experiment, nn_json *j, nn_err *err) {
    const char *config = json_end(j);
    if (!config) return nn_fail(err, "%s: configuration too long", experiment);
    return results_begin_run(
        c->db, &(nn_run_info){CHAPTER, experiment, c->cli->profile, config, c->cli->seed}, err);
}

/* Where the successful changes of a grey-level job went: the share of their squared L2 mass
 * on the digit's stroke (original pixel >= 0.5) against the stroke's share of the pixels, and
 * the share that brightens (metrics stroke_mass_share, stroke_pixel_share, added_mass_share). */
static int log_stroke_shares(nn_results *db, int64_t run, const nn_images *set, const float *orig,
                             const float *adv, const gen_state *final, int n, nn_err *err) {
    int classes = set->classes, d = (int)images_stride(set);
    adv_delta_sums sums = {0};
    for (int i = 0; i < n; i++)
        for (int t = 0; t < classes; t++) {
            const gen_state *s = &final[(size_t)i * classes + t];
            if (!s->done || s->round == 0) continue; /* successes that changed the image */
            adv_delta_accumulate(&sums, orig + (size_t)i * d, adv + ((size_t)i * classes + t) * d,
                                 1, d, 0.5f, NULL, NULL);
        }
    if (!sums.samples) return 0;
    return results_log_metric(db, run, "stroke_mass_share", adv_stroke_mass_share(&sums), err) ||
                   results_log_metric(db, run, "stroke_pixel_share", adv_stroke_pixel_share(&sums),
                                      err) ||
                   results_log_metric(db, run, "added_mass_share", adv_added_mass_share(&sums), err)
               ? -1
               : 0;
}

/* A generator attack on `samples` of `set` against model l, as run `experiment`. With
 * grid_name, the grids; with extras, PGD at the same size and the gradient norms. */
static int attack_run(ctx *c, const char *experiment, const loaded *l, const nn_images *set,
                      const int *samples, int n, gen_loss loss, int log_rounds, int extras,
                      const char *grid_name, float *adv_out, nn_err *err) {
    gen_config cfg = ch_gen_config(c->p, loss, set->c == 3);
    nn_json j;
    json_begin(&j);
    json_model(&j, "model", l);
    json_samples(&j, "samples", samples, n);
    json_gen(&j, &cfg);
    json_int(&j, "pgd_steps", c->p->pgd_steps);
    int64_t run = begin(c, experiment, &j, err);
    if (run < 0) return -1;
    int classes = set->classes;
    size_t d = images_stride(set);
    float *adv = malloc(sizeof(float) * (size_t)n * classes * d);
    float *orig = malloc(sizeof(float) * (size_t)n * d);
    gen_state *final = malloc(sizeof(gen_state) * (size_t)n * classes);
    int rc = -1;
    if (!adv || !orig || !final) {
        nn_fail(err, "%s: out of memory", experiment);
        goto done;
    }
    ch_gen_job job = {.db = c->db,
                      .run = run,
                      .model = l->m,
                      .set = set,
                      .samples = samples,
                      .n = n,
                      .cfg = cfg,
                      .log_rounds = log_rounds,
                      .method = loss == GEN_LOSS_MSE ? "generator" : "generator-xent",
                      .adv = adv,
                      .final = final};
    if (ch_run_generator(&job, err)) goto done;
    if (extras && (ch_pgd_same_linf(&job, c->p->pgd_steps, err) || ch_log_gradients(&job, err)))
        goto done;
    ch_gather(set, samples, n, orig, NULL);
    if (set->c == 1 && log_stroke_shares(c->db, run, set, orig, adv, final, n, err)) goto done;
    if (grid_name && ch_write_grids(c->db, run, c->cli->figures_dir, grid_name, orig, adv, n,
                                    classes, set->c, set->h, set->w, err))
        goto done;
    if (adv_out) memcpy(adv_out, adv, sizeof(float) * (size_t)n * classes * d);
    rc = 0;
done:
    free(adv);
    free(orig);
    free(final);
    return experiment_end_run(c->db, run, rc, err);
}

/* Robustness of a model: the eval run with PGD and the generator on the held-out images.
 * adv_first (may be NULL) gets the generator's images of the first held-out image. */
static int eval_run(ctx *c, const char *experiment, const loaded *l, const nn_images *set,
                    const float *eps, int n_eps, int eval_n, const int *heldout, int n_heldout,
                    float *adv_first, nn_err *err) {
    gen_config cfg = ch_gen_config(c->p, GEN_LOSS_MSE, set->c == 3);
    nn_json j;
    json_begin(&j);
    json_model(&j, "model", l);
    json_samples(&j, "heldout", heldout, n_heldout);
    json_gen(&j, &cfg);
    json_num(&j, "eps_main", eps[n_eps - 1]);
    json_int(&j, "pgd_steps", c->p->pgd_steps);
    json_int(&j, "pgd_images", eval_n);
    int64_t run = begin(c, experiment, &j, err);
    if (run < 0) return -1;
    int classes = set->classes;
    size_t d = images_stride(set);
    float *adv = malloc(sizeof(float) * (size_t)n_heldout * classes * d);
    int rc = -1;
    if (!adv) {
        nn_fail(err, "%s: out of memory", experiment);
        goto done;
    }
    ch_gen_job job = {.db = c->db,
                      .run = run,
                      .model = l->m,
                      .set = set,
                      .samples = heldout,
                      .n = n_heldout,
                      .cfg = cfg,
                      .method = "generator",
                      .adv = adv};
    if (ch_log_robustness(c->db, run, l->m, set, eps, n_eps, eps[n_eps - 1], eval_n,
                          c->p->pgd_steps, heldout, n_heldout, (uint64_t)c->cli->seed + 7, err) ||
        ch_run_generator(&job, err))
        goto done;
    if (adv_first) memcpy(adv_first, adv, sizeof(float) * classes * d);
    rc = 0;
done:
    free(adv);
    return experiment_end_run(c->db, run, rc, err);
}

/* The held-out comparison of a model and its robust version, with the grid of the first
 * held-out image attacked on both (rows: before, after), recorded on the robust run. */
static int robustness(ctx *c, const char *name, const loaded *before, const loaded *after,
                      const nn_images *set, const float *eps, int eval_n, const int *avoid,
                      int n_avoid, nn_err *err) {
    int *heldout = malloc(sizeof(int) * (size_t)c->p->heldout_n);
    size_t d = images_stride(set);
    int classes = set->classes;
    float *adv = malloc(sizeof(float) * 2 * classes * d), *orig = malloc(sizeof(float) * 2 * d);
    char exp_before[64], exp_after[64], grid[64];
    snprintf(exp_before, sizeof exp_before, "eval-%s", name);
    snprintf(exp_after, sizeof exp_after, "eval-%s-robust", name);
    snprintf(grid, sizeof grid, "grid-robust-%s", name);
    int rc = -1;
    if (!heldout || !adv || !orig) {
        nn_fail(err, "robustness: out of memory");
        goto done;
    }
    nn_model *both[2] = {before->m, after->m};
    int n = choose(set, both, 2, c->p->heldout_n, 0, avoid, n_avoid, (uint64_t)c->cli->seed + 3,
                   heldout);
    if (n == 0) {
        nn_fail(err, "%s: no test image is classified correctly by both models", name);
        goto done;
    }
    if (eval_run(c, exp_before, before, set, eps, 3, eval_n, heldout, n, adv, err) ||
        eval_run(c, exp_after, after, set, eps, 3, eval_n, heldout, n, adv + classes * d, err))
        goto done;
    ch_gather(set, heldout, 1, orig, NULL);
    memcpy(orig + d, orig, sizeof(float) * d);
    /* The grid belongs to the newest eval run of the robust model. */
    nn_json j;
    json_begin(&j);
    json_int(&j, "sample", heldout[0]);
    json_str(&j, "rows", "model, robust model");
    char exp_grid[64];
    snprintf(exp_grid, sizeof exp_grid, "grid-robust-%s", name);
    int64_t run = begin(c, exp_grid, &j, err);
    if (run < 0) goto done;
    rc = ch_write_grids(c->db, run, c->cli->figures_dir, grid, orig, adv, 2, classes, set->c,
                        set->h, set->w, err);
    rc = experiment_end_run(c->db, run, rc, err);
done:
    free(heldout);
    free(adv);
    free(orig);
    return rc;
}

int main(int argc, char **argv) {
    nn_err err = {{0}};
    const char *cifar_path = NULL;
    if (ch_take_option(&argc, argv, "--cifar-model", 1, &cifar_path) < 0) {
        fprintf(stderr, "%s: --cifar-model needs a PATH\n", argv[0]);
        return 2;
    }
    nn_cli cli;
    int exit_code = cli_start(argc, argv,
        "Attacks the chapter's MNIST classifiers and the CIFAR-10 model with the "
        "simple generator (one input neuron equal to 1 whose parameters are the "
        "image), compares with PGD, and checks the adversarially trained models; "
        "logs every round into the results database and writes the grids (PNG) "
        "into --figures. Run mnist-classifiers and cifar-classifiers first.\n\n"
        "  --cifar-model PATH  the CIFAR-10 model file to attack (default: chapter "
        "04's final\n                     model as recorded in the database)",
        stdout, stderr, &cli);
    if (exit_code >= 0) return exit_code;
    ctx c = {.cli = &cli, .p = cli.smoke ? &CH_SMOKE : &CH_FULL};
    const ch_profile *p = c.p;
    int rc = 1, showcase[16], n_show = 0, cifar_show[1];
    nn_images mnist_train = {0}, cifar_all = {0};
    if (experiment_load_mnist(cli.data_dir, 1, p->mnist_test_n, &mnist_train, &c.mnist, &err) ||
        cifar10_load_split(cli.data_dir, "test", &cifar_all, &err) ||
        images_subset(&cifar_all, 0, (size_t)p->cifar_test_n, &c.cifar, &err) ||
        !(c.db = results_open(cli.db, &err)) ||
        load_own(c.db, "mnist-fc", "mnist-classifiers", &c.fc, &err) ||
        load_own(c.db, "mnist-conv", "mnist-classifiers", &c.conv, &err) ||
        load_own(c.db, "mnist-conv-robust", "mnist-classifiers", &c.conv_robust, &err) ||
        load_cifar(&c, cifar_path, &err) ||
        load_own(c.db, "cifar-robust", "cifar-classifiers", &c.cifar_robust, &err))
        goto out;
    if (nn_input_size(c.cifar_base.m) != 3 * 32 * 32 || nn_output_size(c.cifar_base.m) != 10) {
        nn_fail(&err, "%s: not a CIFAR-10 classifier (%d inputs, %d outputs; want 3072 and 10)",
                c.cifar_base.ref.path, nn_input_size(c.cifar_base.m),
                nn_output_size(c.cifar_base.m));
        goto out;
    }
    images_free(&cifar_all);
    nn_model *mnist_models[2] = {c.fc.m, c.conv.m};
    int want = p->digits < 10 ? p->digits : 10;
    n_show = choose(&c.mnist, mnist_models, 2, want, 1, NULL, 0, (uint64_t)cli.seed, showcase);
    if (n_show < want) {
        nn_fail(&err,
                "only %d of %d digits have a test image both MNIST models classify "
                "correctly",
                n_show, want);
        goto out;
    }
    if (choose(&c.cifar, &c.cifar_base.m, 1, 1, 1, NULL, 0, (uint64_t)cli.seed, cifar_show) < 1) {
        nn_fail(&err, "the CIFAR-10 model classifies none of the %d test images correctly",
                c.cifar.n);
        goto out;
    }
    if (attack_run(&c, "gen-fc", &c.fc, &c.mnist, showcase, n_show, GEN_LOSS_MSE, 1, 1, "grid-fc",
                   NULL, &err) ||
        attack_run(&c, "gen-conv", &c.conv, &c.mnist, showcase, n_show, GEN_LOSS_MSE, 1, 1,
                   "grid-conv", NULL, &err) ||
        attack_run(&c, "gen-conv-xent", &c.conv, &c.mnist, showcase, n_show, GEN_LOSS_XENT, 0, 0,
                   NULL, NULL, &err) ||
        attack_run(&c, "gen-cifar", &c.cifar_base, &c.cifar, cifar_show, 1, GEN_LOSS_MSE, 1, 1,
                   "grid-cifar", NULL, &err) ||
        robustness(&c, "conv", &c.conv, &c.conv_robust, &c.mnist, MNIST_EPS, p->robust_eval_n,
                   showcase, n_show, &err) ||
        robustness(&c, "cifar", &c.cifar_base, &c.cifar_robust, &c.cifar, CIFAR_EPS,
                   p->cifar_eval_n, cifar_show, 1, &err))
        goto out;
    rc = 0;
out:
    if (rc) fprintf(stderr, "%s: %s\n", CHAPTER, err.msg);
    loaded *all[5] = {&c.fc, &c.conv, &c.conv_robust, &c.cifar_base, &c.cifar_robust};
    for (int k = 0; k < 5; k++)
        nn_model_free(all[k]->m);
    results_close(c.db);
    images_free(&mnist_train);
    images_free(&cifar_all);
    images_free(&c.mnist);
    images_free(&c.cifar);
    return rc;
}
