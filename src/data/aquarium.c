/* aquarium.c - synthetic aquarium images with known fish (see aquarium.h). */
#include "data/aquarium.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Placement: a fish gets this many tries before the image starts over, and an image this many
 * starts before the configuration is declared too crowded. */
#define PLACE_TRIES 200
#define IMAGE_RESTARTS 1000

nn_aquarium_config aquarium_defaults(void) {
    return (nn_aquarium_config){
        .size = 32,
        .max_fish = 9,
        .min_distance = 6.0f,
        .margin = 2.0f,
        .length_lo = 1.4f,
        .length_hi = 2.0f,
        .width_ratio = 0.5f,
        .contrast_lo = 0.35f,
        .contrast_hi = 0.6f,
        .background_lo = 0.15f,
        .background_hi = 0.35f,
        .gradient = 0.1f,
        .noise = 0.05f,
    };
}

int aquarium_config_check(const nn_aquarium_config *c, nn_err *err) {
    if (c->size < 8 || c->size > 4096)
        return nn_fail(err, "aquarium: image size %d not in [8, 4096]", c->size);
    if (c->max_fish < 0 || c->max_fish > 254)
        return nn_fail(err, "aquarium: max_fish %d not in [0, 254]", c->max_fish);
    if (!(c->min_distance > 0)) return nn_fail(err, "aquarium: min_distance must be > 0");
    if (!(c->margin >= 0) || !(2 * c->margin < c->size))
        return nn_fail(err, "aquarium: margin %g leaves no room in a %d-pixel image", c->margin,
                       c->size);
    if (!(c->length_lo > 0) || !(c->length_hi >= c->length_lo) || !(c->width_ratio > 0))
        return nn_fail(err, "aquarium: fish sizes must be positive and ordered");
    if (!(c->contrast_hi >= c->contrast_lo) || !(c->background_hi >= c->background_lo))
        return nn_fail(err, "aquarium: contrast and background ranges must be ordered");
    if (!(c->gradient >= 0) || !(c->noise >= 0))
        return nn_fail(err, "aquarium: gradient and noise must be >= 0");
    return 0;
}

static float uniform_in(nn_rng *r, float lo, float hi) {
    return lo + (hi - lo) * rng_uniform(r);
}

/* Places n fish centres; 0, or -1 when a fish found no free spot in PLACE_TRIES tries. */
static int place_fish(const nn_aquarium_config *c, nn_fish *f, int n, nn_rng *r) {
    float span = c->size - 2 * c->margin;
    float d2 = c->min_distance * c->min_distance;
    for (int k = 0; k < n; k++) {
        int placed = 0;
        for (int t = 0; t < PLACE_TRIES && !placed; t++) {
            f[k].y = c->margin + span * rng_uniform(r);
            f[k].x = c->margin + span * rng_uniform(r);
            placed = 1;
            for (int j = 0; j < k && placed; j++) {
                float dy = f[k].y - f[j].y, dx = f[k].x - f[j].x;
                if (dy * dy + dx * dx < d2) placed = 0;
            }
        }
        if (!placed) return -1;
    }
    return 0;
}

/* Shapes and contrasts, drawn after the positions are final. */
static void shape_fish(const nn_aquarium_config *c, nn_fish *f, int n, nn_rng *r) {
    for (int k = 0; k < n; k++) {
        f[k].angle = (float)M_PI * rng_uniform(r);
        f[k].length = uniform_in(r, c->length_lo, c->length_hi);
        f[k].width = c->width_ratio * f[k].length;
        f[k].contrast = uniform_in(r, c->contrast_lo, c->contrast_hi);
    }
}

/* Background, lighting, fish and noise into img (size * size floats), then bytes. */
static void render(const nn_aquarium_config *c, const nn_fish *f, int n, nn_rng *r, float *img,
                   uint8_t *out) {
    int s = c->size;
    float level = uniform_in(r, c->background_lo, c->background_hi);
    float gy = uniform_in(r, -c->gradient, c->gradient);
    float gx = uniform_in(r, -c->gradient, c->gradient);
    for (int y = 0; y < s; y++)
        for (int x = 0; x < s; x++)
            img[y * s + x] = level + gy * ((y + 0.5f) / s - 0.5f) + gx * ((x + 0.5f) / s - 0.5f);
    for (int k = 0; k < n; k++) {
        float cs = cosf(f[k].angle), sn = sinf(f[k].angle);
        float il = 1.0f / (2 * f[k].length * f[k].length);
        float iw = 1.0f / (2 * f[k].width * f[k].width);
        /* Beyond 4 standard deviations a fish adds less than 1/255 of its contrast: only
         * the pixels of that box are visited. */
        int reach = (int)ceilf(4 * f[k].length);
        int y0 = (int)f[k].y - reach, y1 = (int)f[k].y + reach;
        int x0 = (int)f[k].x - reach, x1 = (int)f[k].x + reach;
        for (int y = y0 < 0 ? 0 : y0; y <= y1 && y < s; y++)
            for (int x = x0 < 0 ? 0 : x0; x <= x1 && x < s; x++) {
                float dy = y + 0.5f - f[k].y, dx = x + 0.5f - f[k].x;
                float u = dx * cs + dy * sn, v = -dx * sn + dy * cs;
                img[y * s + x] += f[k].contrast * expf(-(u * u * il + v * v * iw));
            }
    }
    for (int j = 0; j < s * s; j++) {
        float v = img[j] + (c->noise > 0 ? c->noise * rng_normal(r) : 0.0f);
        v = v < 0 ? 0 : v > 1 ? 1 : v;
        out[j] = (uint8_t)lrintf(255 * v);
    }
}

void aquarium_free(nn_aquarium *aq) {
    if (!aq) return;
    images_free(&aq->images);
    free(aq->fish);
    free(aq->first);
    memset(aq, 0, sizeof *aq);
}

int aquarium_generate(const nn_aquarium_config *cfg, int n, nn_rng *rng, nn_aquarium *out,
                      nn_err *err) {
    memset(out, 0, sizeof *out);
    if (aquarium_config_check(cfg, err)) return -1;
    if (n < 1) return nn_fail(err, "aquarium: need at least one image, not %d", n);
    size_t pixels = (size_t)cfg->size * cfg->size;
    out->cfg = *cfg;
    out->images =
        (nn_images){.n = n, .c = 1, .h = cfg->size, .w = cfg->size, .classes = cfg->max_fish + 1};
    out->images.pixels = malloc((size_t)n * pixels);
    out->images.labels = malloc((size_t)n);
    /* At most max_fish per image: allocate for that and shrink nothing (a few KB). */
    out->fish = malloc(((size_t)n * cfg->max_fish + 1) * sizeof *out->fish);
    out->first = malloc(((size_t)n + 1) * sizeof *out->first);
    float *img = malloc(pixels * sizeof *img);
    if (!out->images.pixels || !out->images.labels || !out->fish || !out->first || !img) {
        free(img);
        aquarium_free(out);
        return nn_fail(err, "aquarium: out of memory for %d images", n);
    }
    out->first[0] = 0;
    for (int i = 0; i < n; i++) {
        int count = (int)rng_below(rng, (uint64_t)cfg->max_fish + 1);
        nn_fish *f = out->fish + out->first[i];
        int restarts = 0;
        while (place_fish(cfg, f, count, rng))
            if (++restarts == IMAGE_RESTARTS) {
                free(img);
                aquarium_free(out);
                return nn_fail(err,
                               "aquarium: cannot place %d fish %g px apart in a %d-pixel image "
                               "with margin %g",
                               count, cfg->min_distance, cfg->size, cfg->margin);
            }
        shape_fish(cfg, f, count, rng);
        render(cfg, f, count, rng, img, out->images.pixels + (size_t)i * pixels);
        out->images.labels[i] = (uint8_t)count;
        out->first[i + 1] = out->first[i] + count;
    }
    free(img);
    return 0;
}

int aquarium_grid(const nn_aquarium *aq, int cell) {
    return cell > 0 ? aq->cfg.size / cell : 0;
}

void aquarium_cell_counts(const nn_aquarium *aq, int i, int cell, uint8_t *out) {
    int g = aquarium_grid(aq, cell);
    memset(out, 0, (size_t)g * g);
    for (int k = aq->first[i]; k < aq->first[i + 1]; k++) {
        int r = (int)floorf(aq->fish[k].y / cell), c = (int)floorf(aq->fish[k].x / cell);
        if (r < g && c < g) out[r * g + c]++;
    }
}

int aquarium_patches(const nn_aquarium *aq, int first, int count, int cell, int context,
                     nn_images *out, nn_err *err) {
    memset(out, 0, sizeof *out);
    int s = aq->cfg.size;
    if (cell < 1 || cell > s || context < 0 || context > s)
        return nn_fail(err, "aquarium: bad cell %d or context %d for %d-pixel images", cell,
                       context, s);
    if (!(aq->cfg.min_distance > cell * sqrtf(2.0f)))
        return nn_fail(err,
                       "aquarium: fish %g px apart can share a %d-pixel cell; per-cell labels "
                       "need min_distance > %.2f",
                       aq->cfg.min_distance, cell, cell * sqrtf(2.0f));
    if (first < 0 || count < 1 || first + count > aq->images.n)
        return nn_fail(err, "aquarium: images %d .. %d out of range (%d images)", first,
                       first + count - 1, aq->images.n);
    int g = aquarium_grid(aq, cell), p = cell + 2 * context;
    size_t per_image = (size_t)g * g, total = (size_t)count * per_image;
    if (total > INT32_MAX) return nn_fail(err, "aquarium: %zu patches are too many", total);
    *out = (nn_images){.n = (int)total, .c = 1, .h = p, .w = p, .classes = 2};
    out->pixels = malloc(total * p * p);
    out->labels = malloc(total);
    uint8_t *cells = malloc(per_image);
    if (!out->pixels || !out->labels || !cells) {
        free(cells);
        images_free(out);
        return nn_fail(err, "aquarium: out of memory for %zu patches", total);
    }
    for (int i = 0; i < count; i++) {
        const uint8_t *img = aq->images.pixels + (size_t)(first + i) * s * s;
        aquarium_cell_counts(aq, first + i, cell, cells);
        for (size_t k = 0; k < per_image; k++) {
            size_t idx = (size_t)i * per_image + k;
            uint8_t *dst = out->pixels + idx * p * p;
            int top = (int)(k / g) * cell - context, left = (int)(k % g) * cell - context;
            for (int y = 0; y < p; y++)
                for (int x = 0; x < p; x++) {
                    int sy = top + y, sx = left + x;
                    dst[y * p + x] =
                        (sy >= 0 && sy < s && sx >= 0 && sx < s) ? img[sy * s + sx] : 0;
                }
            out->labels[idx] = cells[k] ? 1 : 0;
        }
    }
    free(cells);
    return 0;
}
