/* canvas.c - image grids and their PNG output (see canvas.h). */
#include "render/canvas.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BACKGROUND 220 /* light grey between cells, distinct from white and black digits */

int canvas_init(nn_canvas *c, int rows, int cols, int cell_h, int cell_w, int scale, int pad,
                nn_err *err) {
    memset(c, 0, sizeof *c);
    if (rows < 1 || cols < 1 || cell_h < 1 || cell_w < 1 || scale < 1 || pad < 0)
        return nn_fail(err, "canvas: bad geometry %dx%d cells of %dx%d, scale %d, pad %d", rows,
                       cols, cell_h, cell_w, scale, pad);
    long width = (long)cols * cell_w * scale + (long)(cols + 1) * pad;
    long height = (long)rows * cell_h * scale + (long)(rows + 1) * pad;
    if (width > 20000 || height > 20000)
        return nn_fail(err, "canvas: %ldx%ld pixels is too large for a figure", width, height);
    *c = (nn_canvas){rows, cols, cell_h, cell_w, scale, pad, (int)width, (int)height, NULL};
    c->rgb = malloc((size_t)width * (size_t)height * 3);
    if (!c->rgb) return nn_fail(err, "canvas: out of memory");
    memset(c->rgb, BACKGROUND, (size_t)width * (size_t)height * 3);
    return 0;
}

void canvas_free(nn_canvas *c) {
    free(c->rgb);
    memset(c, 0, sizeof *c);
}

void canvas_cell_origin(const nn_canvas *c, int row, int col, int *x, int *y) {
    *x = c->pad + col * (c->cell_w * c->scale + c->pad);
    *y = c->pad + row * (c->cell_h * c->scale + c->pad);
}

static uint8_t to_byte(float v) {
    if (!(v > 0)) return 0; /* also maps NaN to 0 */
    if (v >= 1) return 255;
    return (uint8_t)(v * 255.0f + 0.5f);
}

/* Paints image pixel (i, j) of a cell as a scale x scale block. */
static void paint(nn_canvas *c, int row, int col, int i, int j, const uint8_t rgb[3]) {
    int x0, y0;
    canvas_cell_origin(c, row, col, &x0, &y0);
    for (int dy = 0; dy < c->scale; dy++) {
        uint8_t *p = c->rgb + 3 * ((size_t)(y0 + i * c->scale + dy) * c->width + x0 + j * c->scale);
        for (int dx = 0; dx < c->scale; dx++, p += 3)
            memcpy(p, rgb, 3);
    }
}

void canvas_put_gray(nn_canvas *c, int row, int col, const float *img) {
    for (int i = 0; i < c->cell_h; i++)
        for (int j = 0; j < c->cell_w; j++) {
            uint8_t g = to_byte(img[i * c->cell_w + j]);
            paint(c, row, col, i, j, (uint8_t[3]){g, g, g});
        }
}

void canvas_put_rgb(nn_canvas *c, int row, int col, const float *chw) {
    size_t plane = (size_t)c->cell_h * c->cell_w;
    for (int i = 0; i < c->cell_h; i++)
        for (int j = 0; j < c->cell_w; j++) {
            size_t k = (size_t)i * c->cell_w + j;
            paint(c, row, col, i, j,
                  (uint8_t[3]){to_byte(chw[k]), to_byte(chw[plane + k]),
                               to_byte(chw[2 * plane + k])});
        }
}

void canvas_put_diverging(nn_canvas *c, int row, int col, const float *img, float range) {
    for (int i = 0; i < c->cell_h; i++)
        for (int j = 0; j < c->cell_w; j++) {
            float t = range > 0 ? img[i * c->cell_w + j] / range : 0;
            if (t > 1) t = 1;
            if (t < -1) t = -1;
            if (t != t) t = 0;
            /* White at 0, fading the other two channels towards pure red (+) or blue (-). */
            uint8_t fade = to_byte(1.0f - (t < 0 ? -t : t));
            uint8_t rgb[3] = {t < 0 ? fade : 255, fade, t > 0 ? fade : 255};
            paint(c, row, col, i, j, rgb);
        }
}

int canvas_write_png(const nn_canvas *c, const char *path, nn_err *err) {
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return nn_fail(err, "%s: path too long", path);
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    image.width = (png_uint_32)c->width;
    image.height = (png_uint_32)c->height;
    image.format = PNG_FORMAT_RGB;
    if (!png_image_write_to_file(&image, tmp, 0, c->rgb, 0, NULL)) {
        nn_fail(err, "%s: cannot write PNG: %s", path, image.message);
        remove(tmp);
        return -1;
    }
    if (rename(tmp, path)) {
        nn_fail(err, "%s: cannot rename from %s: %s", path, tmp, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}
