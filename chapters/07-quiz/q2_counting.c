/* q2_counting.c - question 2: counting fish end to end (A) or by detection (B).
 *
 * The aquarium is synthetic (data/aquarium.h): 32 x 32 grey images with 0 to 9 fish, the
 * count and every fish's position known. For each seed, q2_sizes[last] training images
 * are drawn and the first n used, n in q2_sizes; one fixed test set (drawn from TEST_SEED,
 * the same for every seed and size) measures both approaches:
 *
 *   A  end to end: a small CNN maps the image straight to its count (a classifier over the
 *      counts 0..9); its only labels are the counts, one per image.
 *   B  detect, then count: a detector (an MLP on a 12 x 12 patch around each 4 x 4 cell)
 *      says whether a fish centre lies in the cell; the count is the number of cells it
 *      marks (p > 1/2). Its labels are the per-cell annotations, 64 per image, made from
 *      every fish's position: the hand-designed intermediate representation, and its cost.
 *      A second count, connected groups of marked cells (8-neighbours), is logged as well.
 *
 * Both are trained with the shared loop (Adam, cosine to 0, batch 64) for a fixed budget of
 * samples seen (q2_budget_a images, q2_budget_b patches), i.e. more epochs on smaller sets.
 * Rows: runs 'count-A-nN' / 'count-B-nN' per seed, with the loop's epochs and metrics, and
 * metrics count_mae, count_exact (fraction of test images counted exactly), count_rmse,
 * labels (annotations used), train_images, epochs; B adds cell_accuracy, count_mae_cc,
 * count_exact_cc, count_*_sum (B's count as the rounded sum of its probabilities). Run
 * 'aquarium' (seed = TEST_SEED) holds the test set's statistics (mean_count, and
 * count_*_guess: always guessing the rounded mean) and the figure 07-quiz-aquarium.png. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chapter.h"
#include "data/aquarium.h"
#include "data/batches.h"
#include "lab/config_json.h"
#include "lab/experiment.h"
#include "lab/figure_png.h"
#include "lab/train.h"
#include "nn/metrics.h"
#include "nn/optim.h"
#include "render/canvas.h"

#define TEST_SEED 7007
#define CELL 4
#define CONTEXT 4
#define BATCH 64
#define FIGURE_IMAGES 8

/* Predictions for a whole set, in file order: per sample, the argmax (A) or p(class 1) (B). */
static int predict(nn_model *m, const nn_images *set, int *argmax, float *p1, nn_err *err) {
    nn_batches b;
    if (batches_init(&b, set, BATCH, err)) return -1;
    int n, at = 0, k = set->classes;
    while ((n = batches_next(&b)) > 0) {
        const float *z = nn_forward(m, b.x, n, 0);
        if (!z) {
            batches_free(&b);
            return nn_fail(err, "counting: the model rejected a batch of %d", n);
        }
        for (int i = 0; i < n; i++, at++) {
            if (argmax) argmax[at] = nn_argmax(z + (size_t)i * k, k);
            if (p1) {
                /* p(1) of a 2-class softmax: 1 / (1 + exp(z0 - z1)) */
                p1[at] = 1.0f / (1.0f + expf(z[i * k] - z[i * k + 1]));
            }
        }
    }
    batches_free(&b);
    return 0;
}

/* Connected groups (8-neighbours) of marked cells in a g x g grid. */
static int count_groups(const uint8_t *marked, int g) {
    uint8_t seen[256] = {0};
    int stack[256], groups = 0;
    for (int s = 0; s < g * g; s++) {
        if (!marked[s] || seen[s]) continue;
        groups++;
        int top = 0;
        stack[top++] = s;
        seen[s] = 1;
        while (top) {
            int c = stack[--top], r = c / g, q = c % g;
            for (int dr = -1; dr <= 1; dr++)
                for (int dq = -1; dq <= 1; dq++) {
                    int nr = r + dr, nq = q + dq;
                    if (nr < 0 || nr >= g || nq < 0 || nq >= g) continue;
                    int o = nr * g + nq;
                    if (marked[o] && !seen[o]) seen[o] = 1, stack[top++] = o;
                }
        }
    }
    return groups;
}

typedef struct errors {
    double abs_sum, sq_sum;
    int exact, n;
} errors;

static void tally(errors *e, int predicted, int truth) {
    int d = predicted - truth;
    e->abs_sum += abs(d);
    e->sq_sum += (double)d * d;
    e->exact += d == 0;
    e->n++;
}

static int log_errors(nn_results *db, int64_t run, const char *suffix, const errors *e,
                      nn_err *err) {
    char a[64], b[64], c[64];
    snprintf(a, sizeof a, "count_mae%s", suffix);
    snprintf(b, sizeof b, "count_exact%s", suffix);
    snprintf(c, sizeof c, "count_rmse%s", suffix);
    return results_log_metric(db, run, a, e->abs_sum / e->n, err) ||
           results_log_metric(db, run, b, (double)e->exact / e->n, err) ||
           results_log_metric(db, run, c, sqrt(e->sq_sum / e->n), err);
}

static nn_model *build_counter(nn_rng *rng, nn_err *err) {
    nn_model *m = nn_model_new(1, 32, 32, err);
    if (!m) return NULL;
    nn_add_conv2d(m, 8, 5, 1, 2);
    nn_add_activation(m, NN_RELU);
    nn_add_maxpool(m, 2, 2);
    nn_add_conv2d(m, 16, 3, 1, 1);
    nn_add_activation(m, NN_RELU);
    nn_add_maxpool(m, 2, 2);
    nn_add_dense(m, 32);
    nn_add_activation(m, NN_RELU);
    nn_add_dense(m, 10);
    if (nn_model_build(m, BATCH, err)) {
        nn_model_free(m);
        return NULL;
    }
    nn_model_init(m, NN_INIT_HE_NORMAL, rng);
    return m;
}

static nn_model *build_detector(nn_rng *rng, nn_err *err) {
    int p = CELL + 2 * CONTEXT;
    nn_model *m = nn_model_new(1, p, p, err);
    if (!m) return NULL;
    nn_add_dense(m, 64);
    nn_add_activation(m, NN_RELU);
    nn_add_dense(m, 2);
    if (nn_model_build(m, BATCH, err)) {
        nn_model_free(m);
        return NULL;
    }
    nn_model_init(m, NN_INIT_HE_NORMAL, rng);
    return m;
}

/* What the two approaches share: the data of one seed and the fixed test set. */
typedef struct q2_data {
    const nn_aquarium *train, *test;
    const nn_images *test_patches;
} q2_data;

/* Trains m on set (classes from the set) with the shared loop for `budget` samples seen;
 * the run is open. */
static int train_on(nn_results *db, int64_t run, nn_model *m, const nn_images *set, long budget,
                    float lr, nn_rng *order, const char *label, int *epochs_out, nn_err *err) {
    nn_optim *opt = nn_adam_new(m, nn_adam_defaults(), err);
    nn_batches b = {0};
    int rc = -1;
    if (!opt || batches_init(&b, set, BATCH, err)) goto done;
    nn_set_input_grad(m, 0);
    int epochs = (int)((budget + set->n - 1) / set->n);
    nn_train_config tc = train_defaults();
    tc.label = label;
    tc.epochs = epochs;
    tc.classes = set->classes;
    tc.schedule = (nn_schedule){NN_SCHEDULE_COSINE, .lr = lr, .final_lr = 0};
    nn_image_source src = {.batches = &b, .order = order};
    rc = train_classifier(db, run, m, opt, train_source_images(&src), &tc, NULL, err);
    *epochs_out = epochs;
done:
    batches_free(&b);
    nn_optim_free(opt);
    return rc;
}

static int64_t begin(nn_results *db, const nn_cli *cli, const profile_config *cfg, char approach,
                     int n, int64_t seed, nn_err *err) {
    nn_json config;
    json_begin(&config);
    json_str(&config, "approach",
             approach == 'A' ? "end-to-end CNN, image -> count (classes 0..9)"
                             : "patch detector, then count marked cells");
    json_int(&config, "train_images", n);
    json_int(&config, "test_images", cfg->q2_test_n);
    json_int(&config, "test_seed", TEST_SEED);
    json_int(&config, "budget", approach == 'A' ? cfg->q2_budget_a : cfg->q2_budget_b);
    json_num(&config, "lr", cfg->q2_lr);
    json_str(&config, "optimizer", "adam, cosine to 0");
    json_int(&config, "batch", BATCH);
    if (approach == 'B') {
        json_int(&config, "cell", CELL);
        json_int(&config, "context", CONTEXT);
    }
    char name[32];
    snprintf(name, sizeof name, "count-%c-n%d", approach, n);
    return results_begin_run(
        db, &(nn_run_info){CHAPTER, name, cli->profile, json_end(&config), seed}, err);
}

static int approach_a(nn_results *db, const nn_cli *cli, const profile_config *cfg,
                      const q2_data *d, int n, int64_t seed, int *pred_out, nn_err *err) {
    int64_t run = begin(db, cli, cfg, 'A', n, seed, err);
    if (run < 0) return -1;
    nn_rng rng;
    rng_seed(&rng, (uint64_t)seed);
    nn_rng init = rng_split(&rng, 11), order = rng_split(&rng, 12);
    nn_images subset = {0};
    int *pred = malloc(sizeof(int) * d->test->images.n);
    nn_model *m = NULL;
    int rc = -1, epochs = 0;
    char label[48];
    snprintf(label, sizeof label, "count A n=%d seed %lld", n, (long long)seed);
    if (!pred) {
        nn_fail(err, "counting: out of memory");
        goto done;
    }
    if (images_subset(&d->train->images, 0, (size_t)n, &subset, err) ||
        !(m = build_counter(&init, err)) ||
        train_on(db, run, m, &subset, cfg->q2_budget_a, cfg->q2_lr, &order, label, &epochs, err) ||
        predict(m, &d->test->images, pred, NULL, err))
        goto done;
    errors e = {0};
    for (int i = 0; i < d->test->images.n; i++)
        tally(&e, pred[i], d->test->images.labels[i]);
    if (pred_out) memcpy(pred_out, pred, sizeof(int) * FIGURE_IMAGES);
    rc = log_errors(db, run, "", &e, err) || results_log_metric(db, run, "labels", n, err) ||
         results_log_metric(db, run, "train_images", n, err) ||
         results_log_metric(db, run, "epochs", epochs, err);
done:
    free(pred);
    images_free(&subset);
    nn_model_free(m);
    return experiment_end_run(db, run, rc ? -1 : 0, err);
}

/* B's counts of the test images from the detector's per-cell probabilities. */
static void count_cells(const float *p, int images, int g, int *count, int *groups, int *sums) {
    uint8_t marked[256];
    for (int i = 0; i < images; i++) {
        int c = 0;
        double sum = 0;
        for (int k = 0; k < g * g; k++) {
            c += marked[k] = p[(size_t)i * g * g + k] > 0.5f;
            sum += p[(size_t)i * g * g + k];
        }
        count[i] = c;
        groups[i] = count_groups(marked, g);
        sums[i] = (int)lround(sum);
    }
}

static int approach_b(nn_results *db, const nn_cli *cli, const profile_config *cfg,
                      const q2_data *d, int n, int64_t seed, float *p_out, nn_err *err) {
    int64_t run = begin(db, cli, cfg, 'B', n, seed, err);
    if (run < 0) return -1;
    nn_rng rng;
    rng_seed(&rng, (uint64_t)seed);
    nn_rng init = rng_split(&rng, 21), order = rng_split(&rng, 22);
    int g = aquarium_grid(d->test, CELL), tn = d->test->images.n;
    nn_images patches = {0};
    float *p = malloc(sizeof(float) * d->test_patches->n);
    int *count = malloc(sizeof(int) * tn), *groups = malloc(sizeof(int) * tn),
        *sums = malloc(sizeof(int) * tn);
    nn_model *m = NULL;
    int rc = -1, epochs = 0;
    char label[48];
    snprintf(label, sizeof label, "count B n=%d seed %lld", n, (long long)seed);
    if (!p || !count || !groups || !sums) {
        nn_fail(err, "counting: out of memory");
        goto done;
    }
    if (aquarium_patches(d->train, 0, n, CELL, CONTEXT, &patches, err) ||
        !(m = build_detector(&init, err)) ||
        train_on(db, run, m, &patches, cfg->q2_budget_b, cfg->q2_lr, &order, label, &epochs, err) ||
        predict(m, d->test_patches, NULL, p, err))
        goto done;
    count_cells(p, tn, g, count, groups, sums);
    errors e = {0}, e_cc = {0}, e_sum = {0};
    long cells_right = 0, fish = 0;
    for (int i = 0; i < tn; i++) {
        tally(&e, count[i], d->test->images.labels[i]);
        tally(&e_cc, groups[i], d->test->images.labels[i]);
        tally(&e_sum, sums[i], d->test->images.labels[i]);
    }
    for (int k = 0; k < d->test_patches->n; k++)
        cells_right += (p[k] > 0.5f) == (d->test_patches->labels[k] == 1);
    for (int k = 0; k < patches.n; k++)
        fish += patches.labels[k];
    rc = log_errors(db, run, "", &e, err) || log_errors(db, run, "_cc", &e_cc, err) ||
         log_errors(db, run, "_sum", &e_sum, err) ||
         results_log_metric(db, run, "cell_accuracy", (double)cells_right / d->test_patches->n,
                            err) ||
         results_log_metric(db, run, "labels", patches.n, err) ||
         results_log_metric(db, run, "fish_annotated", fish, err) ||
         results_log_metric(db, run, "train_images", n, err) ||
         results_log_metric(db, run, "epochs", epochs, err);
    if (!rc && p_out) memcpy(p_out, p, sizeof(float) * FIGURE_IMAGES * g * g);
done:
    free(p);
    free(count);
    free(groups);
    free(sums);
    images_free(&patches);
    nn_model_free(m);
    return experiment_end_run(db, run, rc ? -1 : 0, err);
}

/* The test set's statistics, and a figure: the first test images (top), where their fish
 * centres are (the cells B is taught to mark, middle) and B's per-cell probabilities
 * (bottom), from the first seed's models trained on the most images; the counts of those
 * images go to metrics fig/iK/{true,a,cells,sum}. */
static int log_test_set(nn_results *db, const nn_cli *cli, const profile_config *cfg,
                        const nn_aquarium *test, const float *p, const int *a_pred, nn_err *err) {
    nn_json config;
    json_begin(&config);
    json_int(&config, "size", test->cfg.size);
    json_int(&config, "max_fish", test->cfg.max_fish);
    json_num(&config, "min_distance", test->cfg.min_distance);
    json_num(&config, "noise", test->cfg.noise);
    json_int(&config, "test_images", cfg->q2_test_n);
    int64_t run = results_begin_run(
        db, &(nn_run_info){CHAPTER, "aquarium", cli->profile, json_end(&config), TEST_SEED}, err);
    if (run < 0) return -1;
    double mean = 0;
    int hist[256] = {0};
    for (int i = 0; i < test->images.n; i++)
        mean += test->images.labels[i], hist[test->images.labels[i]]++;
    mean /= test->images.n;
    /* Always guessing the mean count, rounded: the error a model must beat. */
    int guess = (int)lround(mean);
    errors e = {0};
    for (int i = 0; i < test->images.n; i++)
        tally(&e, guess, test->images.labels[i]);
    int rc = results_log_metric(db, run, "mean_count", mean, err) ||
             results_log_metric(db, run, "test_images", test->images.n, err) ||
             results_log_metric(db, run, "max_fish", test->cfg.max_fish, err) ||
             log_errors(db, run, "_guess", &e, err);
    int g = aquarium_grid(test, CELL), s = test->cfg.size, cols = FIGURE_IMAGES;
    int cells[FIGURE_IMAGES], groups[FIGURE_IMAGES], sums[FIGURE_IMAGES];
    count_cells(p, cols, g, cells, groups, sums);
    nn_canvas c = {0};
    if (!rc) rc = canvas_init(&c, 3, cols, s, s, 3, 4, err);
    for (int i = 0; i < cols && !rc; i++) {
        float img[32 * 32], truth[32 * 32], map[32 * 32];
        uint8_t centres[256];
        images_to_float(&test->images, (size_t)i, 1, img);
        aquarium_cell_counts(test, i, CELL, centres);
        /* Each cell's label and probability spread over its 4 x 4 pixels. */
        for (int y = 0; y < s; y++)
            for (int x = 0; x < s; x++) {
                int r = y / CELL, q = x / CELL, in = r < g && q < g;
                truth[y * s + x] = in ? centres[r * g + q] : 0;
                map[y * s + x] = in ? p[(size_t)i * g * g + r * g + q] : 0;
            }
        canvas_put_gray(&c, 0, i, img);
        canvas_put_gray(&c, 1, i, truth);
        canvas_put_gray(&c, 2, i, map);
        char name[32];
        snprintf(name, sizeof name, "fig/i%02d/true", i);
        rc = results_log_metric(db, run, name, test->images.labels[i], err);
        snprintf(name, sizeof name, "fig/i%02d/a", i);
        rc = rc || results_log_metric(db, run, name, a_pred[i], err);
        snprintf(name, sizeof name, "fig/i%02d/cells", i);
        rc = rc || results_log_metric(db, run, name, cells[i], err);
        snprintf(name, sizeof name, "fig/i%02d/sum", i);
        rc = rc || results_log_metric(db, run, name, sums[i], err);
    }
    if (!rc) rc = figure_write_png(db, run, cli->figures_dir, CHAPTER, "aquarium", &c, err);
    canvas_free(&c);
    return experiment_end_run(db, run, rc ? -1 : 0, err);
}

int q2_counting(nn_results *db, const nn_cli *cli, const profile_config *cfg, nn_err *err) {
    nn_aquarium_config acfg = aquarium_defaults();
    nn_aquarium test = {0}, train = {0};
    nn_images test_patches = {0};
    nn_rng test_rng;
    rng_seed(&test_rng, TEST_SEED);
    int g = 0, rc = -1, max_n = cfg->q2_sizes[Q2_SIZES - 1];
    float *p_fig = NULL;
    int a_fig[FIGURE_IMAGES] = {0};
    if (aquarium_generate(&acfg, cfg->q2_test_n, &test_rng, &test, err) ||
        aquarium_patches(&test, 0, test.images.n, CELL, CONTEXT, &test_patches, err))
        goto done;
    g = aquarium_grid(&test, CELL);
    if (!(p_fig = malloc(sizeof(float) * FIGURE_IMAGES * g * g))) {
        nn_fail(err, "counting: out of memory");
        goto done;
    }
    q2_data d = {&train, &test, &test_patches};
    for (int s = 0; s < cfg->q2_seeds; s++) {
        int64_t seed = cli->seed + s;
        nn_rng rng;
        rng_seed(&rng, (uint64_t)seed);
        nn_rng data_rng = rng_split(&rng, 7);
        aquarium_free(&train);
        if (aquarium_generate(&acfg, max_n, &data_rng, &train, err)) goto done;
        for (int k = 0; k < Q2_SIZES; k++) {
            int n = cfg->q2_sizes[k];
            /* The figure shows the first seed's detector trained on the most data. */
            int shown = s == 0 && k == Q2_SIZES - 1;
            if (approach_a(db, cli, cfg, &d, n, seed, shown ? a_fig : NULL, err) ||
                approach_b(db, cli, cfg, &d, n, seed, shown ? p_fig : NULL, err))
                goto done;
        }
    }
    rc = log_test_set(db, cli, cfg, &test, p_fig, a_fig, err);
done:
    free(p_fig);
    images_free(&test_patches);
    aquarium_free(&test);
    aquarium_free(&train);
    return rc;
}
