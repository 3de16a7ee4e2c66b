/* test_resample.c - the crop that turns a face box into the classifier's 48x48 face, and the
 * paste that puts a face into a frame: exact on whole multiples, edge pixels repeated outside
 * the image, area-weighted means in between; and the boxes' intersection over union. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "programs/resample.h"

/* A 48x48 pattern with every grey level somewhere. */
static void pattern(uint8_t *p) {
    for (int i = 0; i < 48 * 48; i++)
        p[i] = (uint8_t)((i * 37 + i / 48 * 11) % 256);
}

Test(resample, scaling_up_k_times_and_back_down_is_exact) {
    uint8_t face[48 * 48], back[48 * 48];
    pattern(face);
    nn_err err = {{0}};
    for (int k = 1; k <= 4; k++) {
        int side = 48 * k;
        uint8_t *big = malloc((size_t)side * side);
        cr_assert_eq(ch06_resample(face, 48, 48, (ch06_box){0, 0, 48, 48}, big, side, side, &err),
                     0, "%s", err.msg);
        /* each pixel became a k x k block */
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
                cr_assert_eq(big[y * side + x], face[y / k * 48 + x / k], "k %d at %d,%d", k, x, y);
        /* and averaging the blocks gives the face back */
        cr_assert_eq(ch06_resample(big, side, side, (ch06_box){0, 0, side, side}, back, 48, 48, &err),
                     0, "%s", err.msg);
        cr_assert_arr_eq(back, face, sizeof face, "k %d", k);
        free(big);
    }
}

Test(resample, a_box_inside_a_frame_is_cut_out_at_its_position) {
    enum { W = 200, H = 120 };
    uint8_t frame[W * H], face[48 * 48], out[48 * 48];
    memset(frame, 9, sizeof frame);
    pattern(face);
    for (int y = 0; y < 96; y++)
        for (int x = 0; x < 96; x++)
            frame[(y + 17) * W + x + 61] = face[y / 2 * 48 + x / 2];
    nn_err err;
    cr_assert_eq(ch06_resample(frame, W, H, (ch06_box){61, 17, 96, 96}, out, 48, 48, &err), 0);
    cr_assert_arr_eq(out, face, sizeof face);
    /* one pixel to the right, the left column mixes in the neighbour to its right */
    cr_assert_eq(ch06_resample(frame, W, H, (ch06_box){62, 17, 96, 96}, out, 48, 48, &err), 0);
    int want = (face[1] + face[0] + 1) / 2; /* half of pixel 0's block, half of pixel 1's */
    cr_assert(abs(out[0] - want) <= 1, "got %d, want about %d", out[0], want);
}

Test(resample, outside_the_image_the_edge_pixels_repeat) {
    uint8_t img[4 * 3] = {10, 20, 30, 40, /**/ 50, 60, 70, 80, /**/ 90, 100, 110, 120};
    uint8_t out[8 * 7];
    nn_err err;
    /* the 4x3 image with two pixels of margin on every side, at scale 1 */
    cr_assert_eq(ch06_resample(img, 4, 3, (ch06_box){-2, -2, 8, 7}, out, 8, 7, &err), 0);
    for (int y = 0; y < 7; y++)
        for (int x = 0; x < 8; x++) {
            int sx = x - 2 < 0 ? 0 : x - 2 > 3 ? 3 : x - 2, sy = y - 2 < 0 ? 0 : y - 2 > 2 ? 2 : y - 2;
            cr_assert_eq(out[y * 8 + x], img[sy * 4 + sx], "at %d,%d", x, y);
        }
}

Test(resample, non_integer_ratios_weigh_pixels_by_the_area_they_cover) {
    /* 3 pixels to 2: output 0 covers pixel 0 and half of pixel 1, output 1 the rest */
    uint8_t row[3] = {0, 90, 180}, out[2];
    nn_err err;
    cr_assert_eq(ch06_resample(row, 3, 1, (ch06_box){0, 0, 3, 1}, out, 2, 1, &err), 0);
    cr_assert_eq(out[0], 30); /* (0 + 45) / 1.5 */
    cr_assert_eq(out[1], 150); /* (45 + 180) / 1.5 */
    /* 2 pixels to 3: output 1 straddles both */
    uint8_t two[2] = {30, 90}, three[3];
    cr_assert_eq(ch06_resample(two, 2, 1, (ch06_box){0, 0, 2, 1}, three, 3, 1, &err), 0);
    cr_assert_eq(three[0], 30);
    cr_assert_eq(three[1], 60);
    cr_assert_eq(three[2], 90);
}

Test(resample, empty_sizes_are_refused) {
    uint8_t img[4] = {0}, out[4];
    nn_err err = {{0}};
    cr_assert_eq(ch06_resample(img, 2, 2, (ch06_box){0, 0, 0, 2}, out, 2, 2, &err), -1);
    cr_assert(strstr(err.msg, "positive"), "%s", err.msg);
    cr_assert_eq(ch06_resample(img, 2, 2, (ch06_box){0, 0, 2, 2}, out, 0, 2, &err), -1);
}

Test(resample, intersection_over_union) {
    ch06_box a = {0, 0, 10, 10};
    cr_assert_float_eq(ch06_box_iou(a, a), 1.0, 1e-12);
    cr_assert_float_eq(ch06_box_iou(a, (ch06_box){5, 0, 10, 10}), 50.0 / 150, 1e-12);
    cr_assert_float_eq(ch06_box_iou(a, (ch06_box){10, 0, 10, 10}), 0.0, 1e-12);
    cr_assert_float_eq(ch06_box_iou(a, (ch06_box){2, 2, 0, 5}), 0.0, 1e-12);
}
