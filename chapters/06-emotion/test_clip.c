/* test_clip.c - the test clip (each frame made again alike from the seed and its number, the
 * face where the box says, the background everywhere else) and how the live program's lines
 * are scored against it. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "programs/clip.h"
#include "programs/clip_score.h"

#define W 320
#define H 240

Test(clip, frames_are_reproducible_and_hold_the_face_in_its_box) {
    ch06_clip c, same_seed, other_seed;
    nn_err err = {{0}};
    cr_assert_eq(ch06_clip_init(&c, W, H, 96, 144, 7, &err), 0, "%s", err.msg);
    cr_assert_eq(ch06_clip_init(&same_seed, W, H, 96, 144, 7, &err), 0);
    cr_assert_eq(ch06_clip_init(&other_seed, W, H, 96, 144, 8, &err), 0);
    cr_assert_arr_eq(c.background, same_seed.background, W * H);
    cr_assert_arr_neq(c.background, other_seed.background, W * H);
    uint8_t face[48 * 48], *a = malloc(W * H), *b = malloc(W * H), *back = malloc(48 * 48);
    for (int i = 0; i < 48 * 48; i++)
        face[i] = (uint8_t)(i % 7 == 0 ? 255 : 3 * (i % 50)); /* unlike the background */
    int sides_seen[2] = {0};
    for (long i = 0; i < 20; i++) {
        ch06_box box, box2;
        cr_assert_eq(ch06_clip_frame(&c, i, face, a, &box, &err), 0, "%s", err.msg);
        cr_assert_eq(ch06_clip_frame(&same_seed, i, face, b, &box2, &err), 0);
        cr_assert_arr_eq(a, b, W * H, "frame %ld", i);
        cr_assert_eq(memcmp(&box, &box2, sizeof box), 0);
        cr_assert(box.w == box.h && box.w >= 96 && box.w <= 144);
        cr_assert(box.x >= 0 && box.y >= 0 && box.x + box.w <= W && box.y + box.h <= H);
        sides_seen[box.w < 120]++;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int inside = x >= box.x && x < box.x + box.w && y >= box.y && y < box.y + box.h;
                if (!inside) cr_assert_eq(a[y * W + x], c.background[y * W + x]);
            }
        /* the face scaled back down from its box is close to the face (exact when the side is
         * a multiple of 48) */
        cr_assert_eq(ch06_resample(a, W, H, box, back, 48, 48, &err), 0);
        if (box.w % 48 == 0) cr_assert_arr_eq(back, face, sizeof face);
    }
    cr_assert(sides_seen[0] && sides_seen[1], "sizes vary");
    ch06_clip_free(&c);
    ch06_clip_free(&same_seed);
    ch06_clip_free(&other_seed);
    free(a);
    free(b);
    free(back);
}

Test(clip, faces_that_do_not_fit_are_refused) {
    ch06_clip c;
    nn_err err = {{0}};
    cr_assert_eq(ch06_clip_init(&c, W, H, 96, 300, 1, &err), -1);
    cr_assert(strstr(err.msg, "do not fit"), "%s", err.msg);
    cr_assert_eq(ch06_clip_init(&c, W, H, 0, 10, 1, &err), -1);
}

static ch06_frame_result reported(int n, const ch06_box *boxes, const int *emotions) {
    ch06_frame_result r = {.faces = n};
    for (int i = 0; i < n; i++)
        r.face[i].box = boxes[i], r.face[i].emotion = emotions[i];
    return r;
}

Test(clip_score, detections_false_faces_and_emotions) {
    ch06_clip_tally t = {0};
    ch06_box truth = {100, 100, 100, 100};
    /* found (IoU 0.81 and a false face far away), right emotion, the classifier right too */
    ch06_frame_result r = reported(2, (ch06_box[]){{0, 0, 50, 50}, {105, 105, 95, 95}},
                                   (int[]){1, 3});
    cr_assert_eq(ch06_clip_tally_frame(&t, truth, 3, 3, &r, 0.5), 1);
    /* found, wrong emotion, where the classifier on the original face was right */
    r = reported(1, (ch06_box[]){{100, 100, 100, 100}}, (int[]){4});
    cr_assert_eq(ch06_clip_tally_frame(&t, truth, 3, 3, &r, 0.5), 0);
    /* a box overlapping too little: not found, and a false face */
    r = reported(1, (ch06_box[]){{150, 150, 100, 100}}, (int[]){3});
    cr_assert_eq(ch06_clip_tally_frame(&t, truth, 3, 2, &r, 0.5), -1);
    /* nothing reported */
    r = reported(0, NULL, NULL);
    cr_assert_eq(ch06_clip_tally_frame(&t, truth, 5, 5, &r, 0.5), -1);
    cr_assert_eq(t.shown, 4);
    cr_assert_eq(t.found, 2);
    cr_assert_eq(t.false_faces, 2);
    cr_assert_eq(t.correct, 1);
    cr_assert_eq(t.direct_correct, 3);
    cr_assert_eq(t.direct_correct_found, 2);
    cr_assert_eq(t.agree_found, 1);
    cr_assert_float_eq(t.iou_sum, 95.0 * 95 / 10000 + 1.0, 1e-12);
}
