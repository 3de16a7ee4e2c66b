/* test_aquarium.c - the synthetic aquarium: counts, placement, rendering, determinism and the
 * per-location labels a detector is trained on. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/aquarium.h"

static nn_aquarium make(const nn_aquarium_config *cfg, int n, uint64_t seed) {
    nn_rng r;
    rng_seed(&r, seed);
    nn_aquarium aq;
    nn_err err = {{0}};
    cr_assert_eq(aquarium_generate(cfg, n, &r, &aq, &err), 0, "%s", err.msg);
    return aq;
}

/* Connected components (8-neighbourhood) of the pixels above threshold, by flood fill. */
static int count_blobs(const uint8_t *img, int s, int threshold) {
    int *stack = malloc(sizeof(int) * s * s);
    uint8_t *seen = calloc((size_t)s * s, 1);
    int blobs = 0;
    for (int start = 0; start < s * s; start++) {
        if (seen[start] || img[start] <= threshold) continue;
        blobs++;
        int top = 0;
        stack[top++] = start;
        seen[start] = 1;
        while (top) {
            int p = stack[--top], y = p / s, x = p % s;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int ny = y + dy, nx = x + dx;
                    if (ny < 0 || ny >= s || nx < 0 || nx >= s) continue;
                    int q = ny * s + nx;
                    if (!seen[q] && img[q] > threshold) {
                        seen[q] = 1;
                        stack[top++] = q;
                    }
                }
        }
    }
    free(stack);
    free(seen);
    return blobs;
}

Test(aquarium, labels_are_the_number_of_fish_and_every_count_occurs) {
    nn_aquarium_config cfg = aquarium_defaults();
    nn_aquarium aq = make(&cfg, 2000, 1);
    cr_assert_eq(aq.images.n, 2000);
    cr_assert_eq(aq.images.c, 1);
    cr_assert_eq(aq.images.h, 32);
    cr_assert_eq(aq.images.classes, cfg.max_fish + 1);
    int seen[256] = {0};
    for (int i = 0; i < aq.images.n; i++) {
        cr_assert_eq(aq.images.labels[i], aq.first[i + 1] - aq.first[i], "image %d", i);
        seen[aq.images.labels[i]]++;
    }
    /* Uniform over 0..9: 200 expected each; 120 is more than 5 standard deviations below. */
    for (int k = 0; k <= cfg.max_fish; k++)
        cr_assert_gt(seen[k], 120, "count %d: %d", k, seen[k]);
    aquarium_free(&aq);
}

Test(aquarium, fish_are_inside_the_margin_and_apart) {
    nn_aquarium_config cfg = aquarium_defaults();
    nn_aquarium aq = make(&cfg, 500, 2);
    for (int i = 0; i < aq.images.n; i++)
        for (int a = aq.first[i]; a < aq.first[i + 1]; a++) {
            const nn_fish *f = &aq.fish[a];
            cr_assert(f->y >= cfg.margin && f->y <= cfg.size - cfg.margin, "y %g", f->y);
            cr_assert(f->x >= cfg.margin && f->x <= cfg.size - cfg.margin, "x %g", f->x);
            cr_assert(f->length >= cfg.length_lo && f->length <= cfg.length_hi);
            cr_assert(f->contrast >= cfg.contrast_lo && f->contrast <= cfg.contrast_hi);
            for (int b = aq.first[i]; b < a; b++) {
                float dy = f->y - aq.fish[b].y, dx = f->x - aq.fish[b].x;
                cr_assert_geq(sqrtf(dy * dy + dx * dx), cfg.min_distance, "image %d", i);
            }
        }
    aquarium_free(&aq);
}

/* The images show what the labels say: without noise or lighting, on a flat background,
 * thresholding half-way up the weakest fish gives one blob per fish (thin fish kept far
 * enough apart that their tails never meet). */
Test(aquarium, a_clean_image_shows_exactly_its_fish_as_blobs) {
    nn_aquarium_config cfg = aquarium_defaults();
    cfg.noise = 0, cfg.gradient = 0;
    cfg.background_lo = cfg.background_hi = 0.2f;
    cfg.length_lo = 1.0f, cfg.length_hi = 1.2f;
    cfg.min_distance = 7.0f;
    nn_aquarium aq = make(&cfg, 300, 3);
    int threshold = (int)(255 * (0.2f + cfg.contrast_lo / 2));
    for (int i = 0; i < aq.images.n; i++) {
        const uint8_t *img = aq.images.pixels + (size_t)i * 32 * 32;
        cr_assert_eq(count_blobs(img, 32, threshold), aq.images.labels[i], "image %d", i);
    }
    aquarium_free(&aq);
}

Test(aquarium, each_fish_is_brighter_than_the_image_around_it) {
    nn_aquarium_config cfg = aquarium_defaults();
    nn_aquarium aq = make(&cfg, 200, 4);
    for (int i = 0; i < aq.images.n; i++) {
        const uint8_t *img = aq.images.pixels + (size_t)i * 32 * 32;
        double mean = 0;
        for (int j = 0; j < 32 * 32; j++)
            mean += img[j];
        mean /= 32 * 32;
        for (int a = aq.first[i]; a < aq.first[i + 1]; a++) {
            int y = (int)aq.fish[a].y, x = (int)aq.fish[a].x;
            cr_assert_gt(img[y * 32 + x], mean + 255 * 0.15, "image %d fish %d", i, a);
        }
    }
    aquarium_free(&aq);
}

Test(aquarium, same_seed_same_images_other_seed_other_images) {
    nn_aquarium_config cfg = aquarium_defaults();
    nn_aquarium a = make(&cfg, 50, 9), b = make(&cfg, 50, 9), c = make(&cfg, 50, 10);
    cr_assert_eq(memcmp(a.images.pixels, b.images.pixels, 50 * 32 * 32), 0);
    cr_assert_eq(memcmp(a.images.labels, b.images.labels, 50), 0);
    cr_assert_eq(memcmp(a.fish, b.fish, sizeof(nn_fish) * a.first[50]), 0);
    cr_assert_neq(memcmp(a.images.pixels, c.images.pixels, 50 * 32 * 32), 0);
    aquarium_free(&a);
    aquarium_free(&b);
    aquarium_free(&c);
}

Test(aquarium, cell_labels_count_each_fish_once) {
    nn_aquarium_config cfg = aquarium_defaults();
    nn_aquarium aq = make(&cfg, 300, 5);
    int g = aquarium_grid(&aq, 4);
    cr_assert_eq(g, 8);
    uint8_t cells[64];
    for (int i = 0; i < aq.images.n; i++) {
        aquarium_cell_counts(&aq, i, 4, cells);
        int sum = 0;
        for (int k = 0; k < 64; k++) {
            cr_assert_leq(cells[k], 1, "6 px apart, two fish never share a 4 px cell");
            sum += cells[k];
        }
        cr_assert_eq(sum, aq.images.labels[i]);
        for (int a = aq.first[i]; a < aq.first[i + 1]; a++)
            cr_assert_eq(cells[(int)(aq.fish[a].y / 4) * 8 + (int)(aq.fish[a].x / 4)], 1);
    }
    aquarium_free(&aq);
}

Test(aquarium, patches_are_cells_with_context_and_zero_outside) {
    nn_aquarium_config cfg = aquarium_defaults();
    nn_aquarium aq = make(&cfg, 20, 6);
    nn_images p;
    nn_err err;
    cr_assert_eq(aquarium_patches(&aq, 5, 10, 4, 4, &p, &err), 0, "%s", err.msg);
    cr_assert_eq(p.n, 10 * 64);
    cr_assert_eq(p.h, 12);
    cr_assert_eq(p.w, 12);
    cr_assert_eq(p.classes, 2);
    int positives = 0;
    for (int i = 0; i < 10; i++)
        positives += aq.images.labels[5 + i];
    int got = 0;
    for (int k = 0; k < p.n; k++)
        got += p.labels[k];
    cr_assert_eq(got, positives);
    /* Image 7 (the third), cell (row 2, column 3): its patch starts at pixel (4, 8). */
    const uint8_t *img = aq.images.pixels + (size_t)7 * 32 * 32;
    const uint8_t *patch = p.pixels + (size_t)(2 * 64 + 2 * 8 + 3) * 144;
    for (int y = 0; y < 12; y++)
        for (int x = 0; x < 12; x++)
            cr_assert_eq(patch[y * 12 + x], img[(4 + y) * 32 + 8 + x]);
    /* The first cell's patch reaches 4 pixels beyond the top-left corner: zeros there. */
    const uint8_t *corner = p.pixels;
    cr_assert_eq(corner[0], 0);
    cr_assert_eq(corner[3 * 12 + 11], 0);
    cr_assert_eq(corner[4 * 12 + 4], aq.images.pixels[(size_t)5 * 1024]);
    images_free(&p);
    aquarium_free(&aq);
}

Test(aquarium, bad_configurations_and_crowding_fail_with_a_message) {
    nn_aquarium_config cfg = aquarium_defaults();
    nn_rng r;
    rng_seed(&r, 1);
    nn_aquarium aq;
    nn_err err = {{0}};
    cfg.size = 4;
    cr_assert_eq(aquarium_generate(&cfg, 10, &r, &aq, &err), -1);
    cr_assert(strstr(err.msg, "size"), "%s", err.msg);
    cfg = aquarium_defaults();
    cfg.length_hi = 0.5f;
    cr_assert_eq(aquarium_generate(&cfg, 10, &r, &aq, &err), -1);
    cfg = aquarium_defaults();
    cfg.max_fish = 60, cfg.min_distance = 8;
    cr_assert_eq(aquarium_generate(&cfg, 200, &r, &aq, &err), -1);
    cr_assert(strstr(err.msg, "cannot place"), "%s", err.msg);
    cr_assert_null(aq.images.pixels);
    cfg = aquarium_defaults();
    cr_assert_eq(aquarium_generate(&cfg, 0, &r, &aq, &err), -1);
    /* Per-cell labels need cells too small to hold two fish. */
    aq = make(&cfg, 5, 1);
    nn_images p;
    cr_assert_eq(aquarium_patches(&aq, 0, 5, 5, 4, &p, &err), -1);
    cr_assert(strstr(err.msg, "share"), "%s", err.msg);
    cr_assert_eq(aquarium_patches(&aq, 3, 5, 4, 4, &p, &err), -1);
    aquarium_free(&aq);
}
