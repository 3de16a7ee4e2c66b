/* test_live.c - emotion-live end to end, in-process (so under the sanitizers too): a short
 * generated clip of drawn faces through the raw-frame pipe, a video file and BGR frames; its
 * predictions are the classifier's on the same crops; --db, --max-frames, --fps; the errors
 * (a missing camera, a device that is no camera, unreadable, truncated or empty files, a
 * model that is not an emotion classifier, a missing cascade) and bad flags, each one line.
 * The model is a small random network of the chapter's architecture saved as .h5: what it
 * predicts does not matter, only that the program's pipeline reports what the classifier
 * computes. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/rng.h"
#include "programs/clip.h"
#include "programs/live.h"
#include "programs/live_line.h"
#include "nn/model_h5.h"
#include "render/canvas.h"
#include "train_fer.h"

#define W 640
#define H 480
#define FRAMES 6

/* A face drawn with ellipses, as a child would: skin oval, eyes, brows, nose ridge, mouth
 * (its size changes with the variant). OpenCV's Haar cascade finds it. */
static void drawn_face(uint8_t *p, int variant) {
    for (int y = 0; y < 48; y++)
        for (int x = 0; x < 48; x++) {
#define IN(cx, cy, rx, ry) (((x - (cx)) / (rx)) * ((x - (cx)) / (rx)) + ((y - (cy)) / (ry)) * ((y - (cy)) / (ry)) < 1)
            double dx = (x - 23.5) / 20.0, dy = (y - 25.0) / 26.0;
            int v = dx * dx + dy * dy < 1 ? 170 : 60;
            if (IN(15.0, 18.0, 5.0, 2.5) || IN(32.0, 18.0, 5.0, 2.5)) v = 40;
            if (IN(15.0, 13.0, 6.0, 1.5) || IN(32.0, 13.0, 6.0, 1.5)) v = 70;
            if (IN(23.5, 37.0, 8.0 + variant, 2.0 + variant)) v = 60;
            if (IN(23.5, 27.0, 2.5, 5.0)) v = 200;
#undef IN
            p[y * 48 + x] = (uint8_t)v;
        }
}

/* The test's files: a model, a clip as raw grey frames and the clip's boxes. */
static char dir[256], model_path[300], raw_path[300];
static ch06_clip clip;
static uint8_t faces[FRAMES][48 * 48];
static ch06_box truth[FRAMES];

static void write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    cr_assert(f, "%s: %s", path, strerror(errno));
    cr_assert_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

static void make_fixture(void) {
    snprintf(dir, sizeof dir, "/tmp/nnlab-test-live-XXXXXX");
    cr_assert(mkdtemp(dir));
    snprintf(model_path, sizeof model_path, "%s/model.h5", dir);
    snprintf(raw_path, sizeof raw_path, "%s/clip.raw", dir);
    static const ch06_arch small = {"small", 4, {4, 8, 8, 8}, {1, 1, 1, 1}, 16, 0.5f};
    nn_rng rng;
    rng_seed(&rng, 5);
    nn_err err = {{0}};
    nn_model *m = ch06_build(&small, 2, &rng, &err);
    cr_assert(m, "%s", err.msg);
    cr_assert_eq(nn_model_save_h5(m, model_path, &err), 0, "%s", err.msg);
    nn_model_free(m);
    cr_assert_eq(ch06_clip_init(&clip, W, H, 120, 192, 3, &err), 0, "%s", err.msg);
    uint8_t *frames = malloc((size_t)FRAMES * W * H);
    for (int i = 0; i < FRAMES; i++) {
        drawn_face(faces[i], i % 3);
        cr_assert_eq(ch06_clip_frame(&clip, i, faces[i], frames + (size_t)i * W * H, &truth[i], &err),
                     0, "%s", err.msg);
    }
    write_file(raw_path, frames, (size_t)FRAMES * W * H);
    free(frames);
}

static void remove_fixture(void) {
    ch06_clip_free(&clip);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

/* Runs emotion-live with args (argv[0] added); its output and log in the given buffers. */
static int run_live(int argc, const char **args, char *out, size_t out_size, char *log,
                    size_t log_size) {
    const char *argv[32] = {"emotion-live"};
    for (int i = 0; i < argc; i++)
        argv[i + 1] = args[i];
    FILE *fo = tmpfile(), *fl = tmpfile();
    cr_assert(fo && fl);
    int code = ch06_live_main(argc + 1, (char **)argv, fo, fl);
    rewind(fo);
    rewind(fl);
    size_t n = fread(out, 1, out_size - 1, fo), m = fread(log, 1, log_size - 1, fl);
    out[n] = 0, log[m] = 0;
    fclose(fo);
    fclose(fl);
    return code;
}

/* The lines of out, parsed. Returns how many. */
static int parse_lines(const char *out, ch06_frame_result *r, int max) {
    int n = 0;
    for (const char *p = out; *p && n < max; n++) {
        nn_err err = {{0}};
        cr_assert_eq(ch06_line_parse(p, &r[n], &err), 0, "%s", err.msg);
        p = strchr(p, '\n');
        cr_assert(p, "unterminated line");
        p++;
    }
    return n;
}

TestSuite(live, .init = make_fixture, .fini = remove_fixture, .timeout = 120);

static char out[1 << 16], log_text[1 << 14];

Test(live, predictions_are_the_classifiers_on_the_same_crops) {
    const char *args[] = {"--raw", "640x480", "--model", model_path, "--verbose", raw_path};
    cr_assert_eq(run_live(6, args, out, sizeof out, log_text, sizeof log_text), 0, "%s", log_text);
    ch06_frame_result r[FRAMES + 1];
    cr_assert_eq(parse_lines(out, r, FRAMES + 1), FRAMES, "%s", out);
    nn_err err = {{0}};
    nn_model *m = nn_model_read_h5(model_path, 1, &err);
    cr_assert(m, "%s", err.msg);
    uint8_t *frame = malloc((size_t)W * H);
    int compared = 0;
    for (int i = 0; i < FRAMES; i++) {
        cr_assert_eq(r[i].frame, i + 1);
        ch06_box box;
        cr_assert_eq(ch06_clip_frame(&clip, i, faces[i], frame, &box, &err), 0);
        /* the drawn face is found where the clip put it */
        double best = 0;
        for (int k = 0; k < r[i].faces; k++)
            best = fmax(best, ch06_box_iou(truth[i], r[i].face[k].box));
        cr_assert_geq(best, 0.5, "frame %d: no face near %d,%d %dx%d", i + 1, truth[i].x,
                      truth[i].y, truth[i].w, truth[i].h);
        cr_assert(r[i].has_probs);
        for (int k = 0; k < r[i].faces; k++) {
            uint8_t face[CH06_PIXELS];
            float p[CH06_CLASSES];
            cr_assert_eq(ch06_resample(frame, W, H, r[i].face[k].box, face, 48, 48, &err), 0);
            cr_assert_eq(ch06_classify_face(m, face, 0, p), r[i].face[k].emotion, "frame %d", i + 1);
            for (int c = 0; c < CH06_CLASSES; c++)
                cr_assert_leq(fabsf(p[c] - r[i].face[k].probs[c]), 0.0005f + 1e-6f,
                              "frame %d face %d class %d: %f printed as %.3f", i + 1, k, c, p[c],
                              r[i].face[k].probs[c]);
            compared++;
        }
    }
    cr_assert_geq(compared, FRAMES);
    cr_assert(strstr(log_text, "frames per second"), "%s", log_text);
    cr_assert(strstr(log_text, "median / 90th percentile"), "%s", log_text);
    free(frame);
    nn_model_free(m);
}

/* Everything after the time on each line. */
static void strip_times(char *text) {
    char *w = text;
    for (const char *p = text; *p;) {
        const char *f = strstr(p, " frame ");
        const char *nl = strchr(p, '\n');
        cr_assert(f && nl && f < nl);
        size_t n = (size_t)(nl + 1 - f);
        memmove(w, f, n);
        w += n;
        p = nl + 1;
    }
    *w = 0;
}

Test(live, a_video_file_and_bgr_frames_give_the_same_lines) {
    static char grey_out[1 << 16], other[1 << 16];
    const char *args[] = {"--raw", "640x480", "--model", model_path, "--verbose", raw_path};
    cr_assert_eq(run_live(6, args, grey_out, sizeof grey_out, log_text, sizeof log_text), 0, "%s",
                 log_text);
    strip_times(grey_out);

    /* The same frames as B, G, R bytes. */
    char bgr_path[320];
    snprintf(bgr_path, sizeof bgr_path, "%s/clip.bgr", dir);
    uint8_t *frame = malloc((size_t)W * H), *bgr = malloc((size_t)FRAMES * W * H * 3);
    nn_err err = {{0}};
    nn_canvas c;
    cr_assert_eq(canvas_init(&c, 1, 1, H, W, 1, 0, &err), 0, "%s", err.msg);
    float *cell = malloc(sizeof(float) * W * H);
    for (int i = 0; i < FRAMES; i++) {
        ch06_box box;
        cr_assert_eq(ch06_clip_frame(&clip, i, faces[i], frame, &box, &err), 0);
        for (int p = 0; p < W * H; p++) {
            for (int k = 0; k < 3; k++)
                bgr[((size_t)i * W * H + p) * 3 + k] = frame[p];
            cell[p] = frame[p] / 255.0f;
        }
        /* and as a lossless image sequence, which FFmpeg reads as a video */
        char png[340];
        snprintf(png, sizeof png, "%s/frame%03d.png", dir, i + 1);
        canvas_put_gray(&c, 0, 0, cell);
        cr_assert_eq(canvas_write_png(&c, png, &err), 0, "%s", err.msg);
    }
    write_file(bgr_path, bgr, (size_t)FRAMES * W * H * 3);
    const char *bgr_args[] = {"--raw", "640x480:bgr", "--model", model_path, "--verbose", bgr_path};
    cr_assert_eq(run_live(6, bgr_args, other, sizeof other, log_text, sizeof log_text), 0, "%s",
                 log_text);
    strip_times(other);
    cr_assert_str_eq(other, grey_out);

    char pattern[340];
    snprintf(pattern, sizeof pattern, "%s/frame%%03d.png", dir);
    const char *video_args[] = {"--model", model_path, "--verbose", pattern};
    cr_assert_eq(run_live(4, video_args, other, sizeof other, log_text, sizeof log_text), 0, "%s",
                 log_text);
    strip_times(other);
    cr_assert_str_eq(other, grey_out);
    canvas_free(&c);
    free(cell);
    free(frame);
    free(bgr);
}

Test(live, max_frames_and_the_frame_rate_limit) {
    const char *args[] = {"--raw", "640x480", "--model", model_path, "--max-frames", "2", raw_path};
    cr_assert_eq(run_live(7, args, out, sizeof out, log_text, sizeof log_text), 0, "%s", log_text);
    ch06_frame_result r[FRAMES];
    cr_assert_eq(parse_lines(out, r, FRAMES), 2);
    /* 4 frames at 20 per second: three waits of 50 ms after the first */
    const char *slow[] = {"--raw", "640x480", "--model", model_path, "--max-frames", "4",
                          "--fps", "20", raw_path};
    double t0 = nn_seconds();
    cr_assert_eq(run_live(9, slow, out, sizeof out, log_text, sizeof log_text), 0, "%s", log_text);
    cr_assert_eq(parse_lines(out, r, FRAMES), 4);
    cr_assert_geq(r[3].seconds, 0.15 - 0.005, "frame 4 at %.3f s", r[3].seconds);
    cr_assert_geq(nn_seconds() - t0, 0.15);
}

static double metric(sqlite3 *db, const char *experiment, const char *name) {
    sqlite3_stmt *st;
    char sql[400];
    snprintf(sql, sizeof sql,
             "SELECT value FROM metrics WHERE name = '%s' AND run_id = (SELECT max(id) FROM runs "
             "WHERE experiment = '%s')",
             name, experiment);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    double v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_double(st, 0) : NAN;
    sqlite3_finalize(st);
    return v;
}

static void run_status(sqlite3 *db, const char *experiment, char *status, char *chapter,
                       char *error) {
    sqlite3_stmt *st;
    char sql[300];
    snprintf(sql, sizeof sql,
             "SELECT status, chapter, coalesce(error, '') FROM runs WHERE experiment = '%s'",
             experiment);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "no run %s", experiment);
    strcpy(status, (const char *)sqlite3_column_text(st, 0));
    strcpy(chapter, (const char *)sqlite3_column_text(st, 1));
    snprintf(error, 200, "%s", (const char *)sqlite3_column_text(st, 2));
    cr_assert_eq(sqlite3_step(st), SQLITE_DONE, "one run %s", experiment);
    sqlite3_finalize(st);
}

Test(live, db_logs_the_frame_rate_and_the_latencies) {
    char db_path[320], trunc_path[320];
    snprintf(db_path, sizeof db_path, "%s/results.sqlite", dir);
    const char *args[] = {"--raw", "640x480", "--model", model_path, "--db", db_path,
                          "--experiment", "live-test", "--profile", "smoke", raw_path};
    cr_assert_eq(run_live(11, args, out, sizeof out, log_text, sizeof log_text), 0, "%s", log_text);
    /* a stream that breaks off inside frame 3: the run is logged with what it measured, failed */
    snprintf(trunc_path, sizeof trunc_path, "%s/truncated.raw", dir);
    FILE *in = fopen(raw_path, "rb");
    uint8_t *bytes = malloc((size_t)3 * W * H);
    cr_assert_eq(fread(bytes, 1, (size_t)3 * W * H, in), (size_t)3 * W * H);
    fclose(in);
    write_file(trunc_path, bytes, (size_t)2 * W * H + 1000);
    free(bytes);
    const char *broken[] = {"--raw", "640x480", "--model", model_path, "--db", db_path,
                            "--experiment", "live-broken", "--profile", "smoke", trunc_path};
    cr_assert_eq(run_live(11, broken, out, sizeof out, log_text, sizeof log_text), 1);
    cr_assert(strstr(log_text, "truncated: frame 3 has 1000 of its 307200 bytes"), "%s", log_text);

    sqlite3 *db;
    cr_assert_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    char status[32], chapter[32], error[200];
    run_status(db, "live-test", status, chapter, error);
    cr_assert_str_eq(status, "done");
    cr_assert_str_eq(chapter, "06-emotion");
    cr_assert_eq(metric(db, "live-test", "frames"), FRAMES);
    cr_assert_geq(metric(db, "live-test", "faces"), FRAMES);
    cr_assert_gt(metric(db, "live-test", "fps"), 0);
    cr_assert_eq(metric(db, "live-test", "frame_width"), W);
    static const char *const stages[] = {"capture", "detect", "classify", "frame"};
    for (int k = 0; k < 4; k++) {
        char name[64];
        snprintf(name, sizeof name, "%s_ms_p50", stages[k]);
        double p50 = metric(db, "live-test", name);
        snprintf(name, sizeof name, "%s_ms_p90", stages[k]);
        double p90 = metric(db, "live-test", name);
        cr_assert(p50 >= 0 && p90 >= p50, "%s: %g %g", stages[k], p50, p90);
        snprintf(name, sizeof name, "%s_cpu_ms_p50", stages[k]);
        cr_assert_geq(metric(db, "live-test", name), 0, "%s", name);
    }
    run_status(db, "live-broken", status, chapter, error);
    cr_assert_str_eq(status, "failed");
    cr_assert(strstr(error, "truncated"), "%s", error);
    cr_assert_eq(metric(db, "live-broken", "frames"), 2);
    sqlite3_close(db);
}

/* Runs with args and expects exit status `code` and one line of log holding `what`. */
static void expect_error(int code, const char *what, int argc, const char **args) {
    cr_assert_eq(run_live(argc, args, out, sizeof out, log_text, sizeof log_text), code, "%s",
                 log_text);
    cr_assert(strstr(log_text, what), "wanted '%s' in: %s", what, log_text);
    char *nl = strchr(log_text, '\n');
    cr_assert(nl && nl[1] == 0, "one line: %s", log_text);
    cr_assert_str_eq(out, "");
}

Test(live, a_missing_camera_or_a_device_that_is_none) {
    expect_error(1, "/dev/video99: no such device", 3,
                 (const char *[]){"--model", model_path, "/dev/video99"});
    expect_error(1, "/dev/video99: no such device", 3, (const char *[]){"--model", model_path, "99"});
    expect_error(1, "/dev/null: not a V4L2 video device", 3,
                 (const char *[]){"--model", model_path, "/dev/null"});
}

Test(live, unreadable_truncated_or_empty_sources) {
    char path[320];
    snprintf(path, sizeof path, "%s/no-such.mp4", dir);
    expect_error(1, "no-such.mp4: No such file or directory", 3,
                 (const char *[]){"--model", model_path, path});
    expect_error(1, "no-such.mp4: No such file or directory", 5,
                 (const char *[]){"--raw", "640x480", "--model", model_path, path});
    expect_error(1, "is a directory", 5, (const char *[]){"--raw", "640x480", "--model", model_path, dir});
    snprintf(path, sizeof path, "%s/not-a-video.txt", dir);
    write_file(path, "hello\n", 6);
    expect_error(1, "not-a-video.txt: not a video OpenCV can read", 3,
                 (const char *[]){"--model", model_path, path});
    snprintf(path, sizeof path, "%s/empty.raw", dir);
    write_file(path, "", 0);
    expect_error(1, "empty.raw: no frames", 5,
                 (const char *[]){"--raw", "640x480", "--model", model_path, path});
    /* a frame size that does not divide the file: the last frame is cut */
    cr_assert_eq(run_live(5, (const char *[]){"--raw", "641x480", "--model", model_path, raw_path},
                          out, sizeof out, log_text, sizeof log_text),
                 1);
    cr_assert(strstr(log_text, "truncated"), "%s", log_text);
}

Test(live, a_missing_or_wrong_model_or_cascade) {
    char path[320];
    snprintf(path, sizeof path, "%s/none.h5", dir);
    expect_error(1, "none.h5: No such file or directory (make report writes", 5,
                 (const char *[]){"--raw", "640x480", "--model", path, raw_path});
    /* a classifier of 28x28 images is not the chapter's */
    snprintf(path, sizeof path, "%s/mnist.h5", dir);
    nn_err err = {{0}};
    nn_model *m = nn_model_new(1, 28, 28, &err);
    nn_add_flatten(m);
    nn_add_dense(m, 10);
    cr_assert_eq(nn_model_build(m, 1, &err), 0, "%s", err.msg);
    cr_assert_eq(nn_model_save_h5(m, path, &err), 0, "%s", err.msg);
    nn_model_free(m);
    expect_error(1, "mnist.h5: not an emotion classifier (input 1x28x28, 10 outputs", 5,
                 (const char *[]){"--raw", "640x480", "--model", path, raw_path});
    /* a damaged .h5 file: the loader's own one-line error */
    snprintf(path, sizeof path, "%s/damaged.h5", dir);
    write_file(path, "\x89HDF\r\n\x1a\n garbage", 17);
    expect_error(1, "damaged.h5", 5, (const char *[]){"--raw", "640x480", "--model", path, raw_path});
    snprintf(path, sizeof path, "%s/none.xml", dir);
    expect_error(1, "none.xml: No such file or directory", 7,
                 (const char *[]){"--raw", "640x480", "--model", model_path, "--cascade", path, raw_path});
    expect_error(1, "not a cascade classifier", 7,
                 (const char *[]){"--raw", "640x480", "--model", model_path, "--cascade", model_path,
                                  raw_path});
}

Test(live, bad_flags_are_one_line_and_status_2) {
    expect_error(2, "unknown option '--bogus'", 1, (const char *[]){"--bogus"});
    expect_error(2, "--fps wants a number", 2, (const char *[]){"--fps", "fast"});
    expect_error(2, "--fps wants a number", 2, (const char *[]){"--fps", "0"});
    expect_error(2, "--max-frames wants an integer", 2, (const char *[]){"--max-frames", "-3"});
    expect_error(2, "--raw wants WIDTHxHEIGHT", 2, (const char *[]){"--raw", "640"});
    expect_error(2, "--raw wants WIDTHxHEIGHT", 2, (const char *[]){"--raw", "640x480:rgb"});
    expect_error(2, "--size wants WIDTHxHEIGHT", 2, (const char *[]){"--size", "0x480"});
    expect_error(2, "--scale-step wants a number", 2, (const char *[]){"--scale-step", "1"});
    expect_error(2, "--experiment must start with 'live'", 2, (const char *[]){"--experiment", "final"});
    expect_error(2, "--profile must be smoke or full", 2, (const char *[]){"--profile", "big"});
    expect_error(2, "option '--model' needs a value", 1, (const char *[]){"--model"});
    expect_error(2, "one SOURCE only", 2, (const char *[]){"a.mp4", "b.mp4"});
    expect_error(2, "standard input (-) holds raw frames only", 1, (const char *[]){"-"});
    cr_assert_eq(run_live(1, (const char *[]){"--help"}, out, sizeof out, log_text, sizeof log_text), 0);
    cr_assert(strstr(out, "Usage: emotion-live"), "%s", out);
    cr_assert_str_eq(log_text, "");
}

/* Waits until the program has put in its Ctrl-C handler, lets it work a little, presses
 * Ctrl-C. */
static void *press_ctrl_c(void *unused) {
    (void)unused;
    for (int i = 0; i < 1000; i++) {
        struct sigaction now;
        sigaction(SIGINT, NULL, &now);
        if (now.sa_handler != SIG_DFL && now.sa_handler != SIG_IGN) break; /* installed */
        usleep(10000);
    }
    usleep(200000);
    kill(getpid(), SIGINT);
    return NULL;
}

Test(live, ctrl_c_ends_the_run_cleanly_with_its_summary_and_run) {
    char db_path[320];
    snprintf(db_path, sizeof db_path, "%s/ctrl-c.sqlite", dir);
    /* What SIGINT did before (SIG_DFL, or SIG_IGN when the tests run in the background, as
     * under nohup): the program must put it back, whichever it was. */
    struct sigaction before;
    sigaction(SIGINT, NULL, &before);
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, press_ctrl_c, NULL), 0);
    /* /dev/zero never ends: only Ctrl-C stops this */
    const char *args[] = {"--raw", "64x48", "--fps", "50", "--model", model_path, "--db", db_path,
                          "/dev/zero"};
    int code = run_live(9, args, out, sizeof out, log_text, sizeof log_text);
    pthread_join(t, NULL);
    cr_assert_eq(code, 0, "%s", log_text);
    cr_assert(strstr(log_text, "(stopped by Ctrl-C)"), "%s", log_text);
    static ch06_frame_result r[4096];
    int n = parse_lines(out, r, 4096);
    cr_assert_gt(n, 0);
    cr_assert_eq(r[n - 1].frame, n);
    sqlite3 *db;
    cr_assert_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    char status[32], chapter[32], error[200];
    run_status(db, "live", status, chapter, error);
    cr_assert_str_eq(status, "done");
    cr_assert_eq(metric(db, "live", "interrupted"), 1);
    cr_assert_eq(metric(db, "live", "frames"), n);
    sqlite3_close(db);
    /* the handler was taken down again */
    struct sigaction now;
    sigaction(SIGINT, NULL, &now);
    cr_assert(now.sa_handler == before.sa_handler, "SIGINT's handler was not restored");
}
