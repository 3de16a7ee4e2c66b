/* test_canvas.c - image grids: geometry, colour scales, and the PNG read back by libpng. */
#include <criterion/criterion.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "render/canvas.h"

static const uint8_t *pixel(const nn_canvas *c, int x, int y) {
    return c->rgb + 3 * ((size_t)y * c->width + x);
}

Test(canvas, geometry_of_a_ten_by_three_grid_of_digits) {
    nn_canvas c;
    nn_err err;
    cr_assert_eq(canvas_init(&c, 10, 3, 28, 28, 3, 4, &err), 0, "%s", err.msg);
    cr_assert_eq(c.width, 3 * 84 + 4 * 4);
    cr_assert_eq(c.height, 10 * 84 + 11 * 4);
    int x, y;
    canvas_cell_origin(&c, 9, 2, &x, &y);
    cr_assert_eq(x, 4 + 2 * 88);
    cr_assert_eq(y, 4 + 9 * 88);
    canvas_free(&c);
}

Test(canvas, gray_cells_are_scaled_blocks_and_clamped) {
    nn_canvas c;
    cr_assert_eq(canvas_init(&c, 1, 2, 2, 2, 2, 1, NULL), 0);
    float img[4] = {0.0f, 1.0f, 0.5f, 7.0f};
    canvas_put_gray(&c, 0, 1, img);
    int x, y;
    canvas_cell_origin(&c, 0, 1, &x, &y);
    cr_assert_eq(pixel(&c, x, y)[0], 0);
    cr_assert_eq(pixel(&c, x + 1, y + 1)[0], 0, "a 2x2 block per image pixel");
    cr_assert_eq(pixel(&c, x + 2, y)[1], 255);
    cr_assert_eq(pixel(&c, x, y + 2)[2], 128);
    cr_assert_eq(pixel(&c, x + 3, y + 3)[0], 255, "values above 1 clamp to white");
    cr_assert_eq(pixel(&c, 0, 0)[0], 220, "background between cells");
    canvas_free(&c);
}

Test(canvas, diverging_scale_is_blue_white_red) {
    nn_canvas c;
    cr_assert_eq(canvas_init(&c, 1, 1, 1, 4, 1, 0, NULL), 0);
    float d[4] = {-0.3f, 0.0f, 0.15f, 9.0f};
    canvas_put_diverging(&c, 0, 0, d, 0.3f);
    const uint8_t *blue = pixel(&c, 0, 0), *white = pixel(&c, 1, 0), *pink = pixel(&c, 2, 0),
                  *red = pixel(&c, 3, 0);
    cr_assert(blue[0] == 0 && blue[1] == 0 && blue[2] == 255);
    cr_assert(white[0] == 255 && white[1] == 255 && white[2] == 255);
    cr_assert(pink[0] == 255 && pink[1] == 128 && pink[2] == 128);
    cr_assert(red[0] == 255 && red[1] == 0 && red[2] == 0, "clamped to the range");
    canvas_free(&c);
}

Test(canvas, rgb_cells_take_planes_in_order) {
    nn_canvas c;
    cr_assert_eq(canvas_init(&c, 1, 1, 1, 1, 1, 0, NULL), 0);
    float chw[3] = {1.0f, 0.0f, 0.5f};
    canvas_put_rgb(&c, 0, 0, chw);
    cr_assert(c.rgb[0] == 255 && c.rgb[1] == 0 && c.rgb[2] == 128);
    canvas_free(&c);
}

Test(canvas, png_round_trip) {
    char dir[] = "/tmp/nnlab-canvas-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/grid.png", dir);
    nn_canvas c;
    cr_assert_eq(canvas_init(&c, 2, 3, 5, 4, 2, 1, NULL), 0);
    float img[20];
    for (int i = 0; i < 20; i++)
        img[i] = i / 19.0f;
    canvas_put_gray(&c, 1, 2, img);
    nn_err err;
    cr_assert_eq(canvas_write_png(&c, path, &err), 0, "%s", err.msg);

    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    cr_assert(png_image_begin_read_from_file(&image, path), "%s", image.message);
    cr_assert_eq((int)image.width, c.width);
    cr_assert_eq((int)image.height, c.height);
    image.format = PNG_FORMAT_RGB;
    uint8_t *back = malloc(PNG_IMAGE_SIZE(image));
    cr_assert(png_image_finish_read(&image, NULL, back, 0, NULL), "%s", image.message);
    cr_assert_eq(memcmp(back, c.rgb, (size_t)c.width * c.height * 3), 0);
    free(back);
    canvas_free(&c);

    cr_assert_eq(canvas_write_png(&(nn_canvas){0}, "/nonexistent-dir/x.png", &err), -1);
    cr_assert(strstr(err.msg, "/nonexistent-dir/x.png") != NULL, "%s", err.msg);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

Test(canvas, bad_geometry_is_refused) {
    nn_canvas c;
    nn_err err;
    cr_assert_eq(canvas_init(&c, 0, 3, 28, 28, 3, 4, &err), -1);
    cr_assert_eq(canvas_init(&c, 1000, 1000, 28, 28, 3, 4, &err), -1);
    cr_assert(strstr(err.msg, "too large") != NULL, "%s", err.msg);
}
