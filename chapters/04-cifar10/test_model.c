/* test_model.c - the chapter's network: its parameter count against the formula, the count
 * read back from a saved file, multiply-adds per layer, the per-layer JSON, and the save/load
 * round trip giving bit-identical logits and predictions. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cifar_eval.h"
#include "cifar_model.h"
#include "cifar_test.h"
#include "cifar_train.h"
#include "nn/model_io.h"

/* The parameters of an architecture, counted by hand from cifar_model.h's description. */
static size_t formula(const cifar_arch *a) {
    size_t total = 0;
    int in = 3;
    if (a->stem) {
        total += 27 * (size_t)a->stem + a->stem + 2 * (size_t)a->stem; /* conv + bias, bn */
        in = a->stem;
    }
    for (int g = 0; g < CIFAR_GROUPS; g++) {
        size_t w = (size_t)a->width[g];
        total += 9 * in * w + w + 2 * w; /* conv, pool, bn */
        total += 9 * w * w + w + 2 * w;  /* conv, bn */
        if (a->res[g]) total += 2 * (9 * w * w + w + 2 * w);
        in = a->width[g];
    }
    return total + 10 * (size_t)in + 10 + 110; /* the head, then the fixed 10 x 10 scale */
}

static nn_model *build(const cifar_arch *a, int batch) {
    nn_rng r;
    rng_seed(&r, 5);
    nn_err err;
    nn_model *m = cifar_model_new(a, batch, &r, &err);
    cr_assert(m, "%s", err.msg);
    return m;
}

Test(cifar_model, parameter_count_matches_the_formula_and_stays_under_a_million) {
    cifar_recipe r = cifar_recipe_default();
    const cifar_arch archs[] = {r.arch, {8, {16, 32, 32}, {0, 0, 0}}, {0, {8, 8, 16}, {1, 0, 1}}};
    for (size_t k = 0; k < sizeof archs / sizeof *archs; k++) {
        nn_model *m = build(&archs[k], 2);
        cr_assert_eq(nn_param_count(m), formula(&archs[k]), "arch %zu: %zu vs %zu", k,
                     nn_param_count(m), formula(&archs[k]));
        size_t sum = 0;
        for (int i = 0; i < nn_layer_count(m); i++)
            sum += model_layer_params(m, i);
        cr_assert_eq(sum, nn_param_count(m));
        nn_model_free(m);
    }
    nn_model *m = build(&r.arch, 1);
    cr_assert_lt(nn_param_count(m), 1000000, "the chapter's network has %zu parameters",
                 nn_param_count(m));
    nn_model_free(m);
}

Test(cifar_model, multiply_adds_of_conv_and_dense_layers) {
    cifar_arch a = {8, {16, 32, 32}, {0, 0, 0}};
    nn_model *m = build(&a, 1);
    /* Layer 0: the stem, 3 -> 8 channels at 32 x 32. */
    cr_assert_eq(model_layer_macs(m, 0), (int64_t)8 * 32 * 32 * 3 * 9);
    cr_assert_eq(model_layer_macs(m, 1), 0, "batch norm has no multiply-adds");
    cr_assert_eq(model_layer_elementwise(m, 1), 8 * 32 * 32);
    /* Layer 3: group 1's first conv, 8 -> 16 at 32 x 32 (before its pool). */
    cr_assert_eq(model_layer_macs(m, 3), (int64_t)16 * 32 * 32 * 8 * 9);
    int last = nn_layer_count(m) - 1;
    cr_assert_eq(model_layer_macs(m, last - 1), 32 * 10, "the dense head: 32 features, 10 logits");
    cr_assert_eq(model_layer_macs(m, last), 10 * 10, "the fixed logit scale");
    int64_t total = 0;
    for (int i = 0; i < nn_layer_count(m); i++)
        total += model_layer_macs(m, i);
    cr_assert_eq(model_macs(m), total);
    cr_assert_eq(model_layer_macs(m, last + 1), -1);
    nn_model_free(m);
}

Test(cifar_model, the_logits_are_scaled_by_a_frozen_diagonal_layer) {
    cifar_arch a = {4, {8, 8, 8}, {0, 0, 0}};
    nn_model *m = build(&a, 1);
    int last = nn_layer_count(m) - 1;
    cr_assert(nn_layer_frozen(m, last));
    size_t len;
    const float *w = nn_layer_weights(m, last, &len);
    cr_assert_eq(len, 100);
    for (int i = 0; i < 10; i++)
        for (int j = 0; j < 10; j++)
            cr_assert_eq(w[i * 10 + j], i == j ? CIFAR_LOGIT_SCALE : 0.0f);
    /* The logits are exactly the scaled outputs of the head. */
    float x[3072];
    for (int i = 0; i < 3072; i++)
        x[i] = (float)(i % 97) / 97.0f;
    const float *logits = nn_forward(m, x, 1, 0);
    const float *head = nn_layer_output(m, last - 1);
    for (int k = 0; k < 10; k++)
        cr_assert_eq(logits[k], head[k] * CIFAR_LOGIT_SCALE);
    nn_model_free(m);
}

Test(cifar_model, layers_json_lists_every_layer_and_the_totals) {
    cifar_arch a = {4, {8, 8, 8}, {0, 1, 0}};
    nn_model *m = build(&a, 1);
    nn_json j;
    json_begin(&j);
    cifar_layers_json(m, &j);
    const char *text = json_end(&j);
    cr_assert(text);
    int names = 0;
    for (const char *p = text; (p = strstr(p, "\"name\":")); p++)
        names++;
    cr_assert_eq(names, nn_layer_count(m));
    char want[64];
    snprintf(want, sizeof want, "\"parameters\":%zu", nn_param_count(m));
    cr_assert(strstr(text, want), "%s", text);
    cr_assert(strstr(text, "{\"name\":\"conv1\",\"out\":\"4x32x32\",\"params\":112,"), "%s", text);
    nn_model_free(m);
}

/* Random images, labels 0..9 in turn. */
static nn_images fake_images(int n, uint64_t seed) {
    nn_images im = {n, 3, 32, 32, malloc((size_t)n * 3072), malloc((size_t)n), 10};
    nn_rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < (size_t)n * 3072; i++)
        im.pixels[i] = (uint8_t)rng_below(&r, 256);
    for (int i = 0; i < n; i++)
        im.labels[i] = (uint8_t)(i % 10);
    return im;
}

Test(cifar_model, save_and_load_give_bit_identical_logits_and_the_same_parameter_count) {
    cifar_arch a = {4, {8, 16, 16}, {0, 0, 1}};
    nn_model *m = build(&a, 8);
    /* Move the batch-norm running statistics away from 0 / 1 so the state block matters. */
    nn_images im = fake_images(8, 3);
    float x[8 * 3072];
    images_to_float(&im, 0, 8, x);
    cr_assert(nn_forward(m, x, 8, 1));
    char path[] = "/tmp/ch04-test-model-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    nn_err err;
    cr_assert_eq(nn_model_save(m, path, &err), 0, "%s", err.msg);
    const float *out = nn_forward(m, x, 8, 0);
    float before[80];
    memcpy(before, out, sizeof before);

    nn_model *back = nn_model_read(path, 8, &err);
    cr_assert(back, "%s", err.msg);
    cr_assert_eq(nn_param_count(back), formula(&a));
    const float *after = nn_forward(back, x, 8, 0);
    cr_assert_arr_eq(before, after, sizeof before, "logits differ after the round trip");

    cifar_scores s1, s2;
    uint8_t p1[8], p2[8];
    cr_assert_eq(cifar_evaluate(m, &im, 0, p1, &s1, &err), 0, "%s", err.msg);
    cr_assert_eq(cifar_evaluate(back, &im, 0, p2, &s2, &err), 0, "%s", err.msg);
    cr_assert_arr_eq(p1, p2, sizeof p1);
    cr_assert_arr_eq(s1.confusion, s2.confusion, sizeof s1.confusion);

    /* What cifar-test reads from the same file. */
    cifar_test_opts o = {
        .batch = 4, .latency_warmup = 1, .latency_n = 3, .throughput_n = 4, .threads = 1};
    cifar_test_result tr;
    uint8_t p3[8];
    cr_assert_eq(cifar_test_file(path, &im, &o, &tr, p3, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(tr.parameters, formula(&a));
    cr_assert_eq(tr.macs, model_macs(m));
    cr_assert_arr_eq(p1, p3, sizeof p1);
    cr_assert_eq(tr.plain.correct, s1.correct);
    cr_assert(tr.latency.median_ms > 0 && tr.latency.p90_ms >= tr.latency.median_ms);
    cr_assert(tr.throughput_1t > 0 && tr.throughput_nt > 0);
    nn_model_free(back);
    nn_model_free(m);
    images_free(&im);
    unlink(path);
}

Test(cifar_model, cifar_test_refuses_a_damaged_file_and_a_model_of_another_shape) {
    cifar_arch a = {4, {8, 8, 8}, {0, 0, 0}};
    nn_model *m = build(&a, 2);
    char path[] = "/tmp/ch04-test-bad-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    nn_err err;
    cr_assert_eq(nn_model_save(m, path, &err), 0, "%s", err.msg);
    FILE *f = fopen(path, "r+b");
    fseek(f, 300, SEEK_SET);
    int c = fgetc(f);
    fseek(f, 300, SEEK_SET);
    fputc(c ^ 0x40, f);
    fclose(f);
    nn_images im = fake_images(4, 1);
    cifar_test_opts o = {.batch = 2, .latency_n = 1, .throughput_n = 2, .threads = 1};
    cifar_test_result tr;
    cr_assert_eq(cifar_test_file(path, &im, &o, &tr, NULL, NULL, &err), -1);
    cr_assert(strstr(err.msg, path) && strstr(err.msg, "checksum"), "%s", err.msg);
    cr_assert(!strchr(err.msg, '\n'));

    /* A valid file of an MNIST-shaped model is not a CIFAR-10 classifier. */
    nn_model *mnist = nn_model_new(1, 28, 28, &err);
    nn_add_dense(mnist, 10);
    cr_assert_eq(nn_model_build(mnist, 2, &err), 0);
    cr_assert_eq(nn_model_save(mnist, path, &err), 0, "%s", err.msg);
    cr_assert_eq(cifar_test_file(path, &im, &o, &tr, NULL, NULL, &err), -1);
    cr_assert(strstr(err.msg, "not a CIFAR-10 classifier"), "%s", err.msg);
    nn_model_free(mnist);
    nn_model_free(m);
    images_free(&im);
    unlink(path);
}
