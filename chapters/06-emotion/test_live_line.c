/* test_live_line.c - the live program's parts that need no camera and no model: the line per
 * frame printed and read back (and lines that are not its lines refused), the latency
 * quantiles, and which SOURCE names a camera and why a device is refused. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "programs/camera.h"
#include "programs/live_line.h"
#include "programs/live_stats.h"

static void print_to(char *buf, size_t size, const ch06_frame_result *r, int verbose) {
    FILE *f = fmemopen(buf, size, "w");
    cr_assert(f);
    ch06_line_print(f, r, verbose);
    fclose(f);
}

static ch06_frame_result two_faces(void) {
    ch06_frame_result r = {.seconds = 12.3456, .frame = 370, .faces = 2};
    r.face[0] = (ch06_face_result){{212, 132, 144, 150}, 3, {0.01f, 0.001f, 0.02f, 0.873f, 0.03f, 0.04f, 0.026f}};
    r.face[1] = (ch06_face_result){{-5, 400, 96, 96}, 4, {0.1f, 0.0f, 0.1f, 0.1f, 0.512f, 0.088f, 0.1f}};
    return r;
}

Test(live_line, printed_as_documented) {
    char buf[512];
    ch06_frame_result r = two_faces();
    print_to(buf, sizeof buf, &r, 0);
    cr_assert_str_eq(buf, "12.346 frame 370: 2 faces: 212,132 144x150 happy 0.873; -5,400 96x96 sad 0.512\n");
    r.faces = 1;
    print_to(buf, sizeof buf, &r, 1);
    cr_assert_str_eq(buf, "12.346 frame 370: 1 face: 212,132 144x150 happy 0.873 (angry 0.010 "
                          "disgust 0.001 fear 0.020 happy 0.873 sad 0.030 surprise 0.040 "
                          "neutral 0.026)\n");
    r.faces = 0;
    print_to(buf, sizeof buf, &r, 1);
    cr_assert_str_eq(buf, "12.346 frame 370: no face\n");
}

Test(live_line, read_back_as_printed) {
    for (int verbose = 0; verbose < 2; verbose++)
        for (int faces = 0; faces <= 2; faces++) {
            char buf[512];
            ch06_frame_result r = two_faces(), back;
            r.faces = faces;
            print_to(buf, sizeof buf, &r, verbose);
            nn_err err = {{0}};
            cr_assert_eq(ch06_line_parse(buf, &back, &err), 0, "%s", err.msg);
            cr_assert_eq(back.frame, 370);
            cr_assert_float_eq(back.seconds, 12.346, 1e-9);
            cr_assert_eq(back.faces, faces);
            cr_assert_eq(back.has_probs, verbose && faces > 0);
            for (int i = 0; i < faces; i++) {
                cr_assert_eq(memcmp(&back.face[i].box, &r.face[i].box, sizeof(ch06_box)), 0);
                cr_assert_eq(back.face[i].emotion, r.face[i].emotion);
                for (int k = 0; k < CH06_CLASSES; k++)
                    if (verbose || k == r.face[i].emotion)
                        cr_assert_float_eq(back.face[i].probs[k], r.face[i].probs[k], 0.0005 + 1e-6);
            }
        }
}

Test(live_line, other_lines_are_refused_quoting_them) {
    static const char *const bad[] = {
        "",
        "frame 1: no face",
        "0.1 frame 1: no faces",
        "0.1 frame 1: 1 faces: 1,2 3x4 happy 0.5",
        "0.1 frame 1: 2 faces: 1,2 3x4 happy 0.5",
        "0.1 frame 1: 1 face: 1,2 3x4 joyful 0.5",
        "0.1 frame 1: 1 face: 1,2 3x4 happy",
        "0.1 frame 1: 1 face: 1,2 3x4 happy 0.5 trailing",
        "0.1 frame 1: 1 face: 1,2 3x4 happy 0.5 (angry 0.1)",
        "0.1 frame 1: 1 face: 1,2 3x4 happy 0.5 (disgust 0.1 angry 0.1 fear 0.1 happy 0.5 sad 0 "
        "surprise 0 neutral 0.2)",
        "0.1 frame 1: 1 face: 1,2 3x4 happy 0.5 (angry 0.1 disgust 0.1 fear 0.1 happy 0.4 sad 0 "
        "surprise 0 neutral 0.3)",
        "0.1 frame 1: 17 faces: 1,2 3x4 happy 0.5",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ch06_frame_result r;
        nn_err err = {{0}};
        cr_assert_eq(ch06_line_parse(bad[i], &r, &err), -1, "accepted: %s", bad[i]);
        cr_assert(strstr(err.msg, "not a line of emotion-live"), "%s", err.msg);
    }
}

Test(live_stats, nearest_rank_quantiles) {
    ch06_series s = {0};
    cr_assert(isnan(ch06_series_quantile(&s, 0.5)));
    for (int i = 10; i >= 1; i--) /* 10, 9, ..., 1: out of order on purpose */
        cr_assert_eq(ch06_series_add(&s, i), 0);
    cr_assert_float_eq(ch06_series_quantile(&s, 0.5), 5, 0);
    cr_assert_float_eq(ch06_series_quantile(&s, 0.9), 9, 0);
    cr_assert_float_eq(ch06_series_quantile(&s, 1), 10, 0);
    cr_assert_float_eq(ch06_series_quantile(&s, 0), 1, 0);
    for (int i = 0; i < 5000; i++) /* grows past its first allocation */
        cr_assert_eq(ch06_series_add(&s, 100), 0);
    cr_assert_eq(s.n, 5010);
    cr_assert_float_eq(ch06_series_quantile(&s, 0.5), 100, 0);
    ch06_series_free(&s);
    cr_assert_eq(s.n, 0);
}

Test(camera, which_sources_are_cameras) {
    char path[64];
    cr_assert(ch06_is_camera("0", path, sizeof path));
    cr_assert_str_eq(path, "/dev/video0");
    cr_assert(ch06_is_camera("12", path, sizeof path));
    cr_assert_str_eq(path, "/dev/video12");
    cr_assert(ch06_is_camera("/dev/video2", path, sizeof path));
    cr_assert_str_eq(path, "/dev/video2");
    cr_assert_not(ch06_is_camera("clip.mp4", path, sizeof path));
    cr_assert_not(ch06_is_camera("2x", path, sizeof path));
    cr_assert_not(ch06_is_camera("", path, sizeof path));
}

Test(camera, devices_that_are_not_cameras_say_why) {
    nn_err err = {{0}};
    cr_assert_eq(ch06_camera_check("/dev/video99", &err), -1);
    cr_assert(strstr(err.msg, "/dev/video99: no such device"), "%s", err.msg);
    cr_assert_eq(ch06_camera_check("/dev/null", &err), -1);
    cr_assert_str_eq(err.msg, "/dev/null: not a V4L2 video device");
    char path[] = "/tmp/nnlab-test-camera-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(ch06_camera_check(path, &err), -1);
    cr_assert(strstr(err.msg, "not a camera (not a character device)"), "%s", err.msg);
    close(fd);
    unlink(path);
}
