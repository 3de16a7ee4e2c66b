/* live.c - emotion-live's loop: capture, detect, classify, print, measure (see live.h). */
#include "live.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/sha256.h"
#include "../chapter.h"
#include "../classify.h"
#include "lab/config_json.h"
#include "lab/experiment.h"
#include "live_line.h"
#include "live_stats.h"
#include "nn/model_h5.h"

/* Set by Ctrl-C (SIGINT) or SIGTERM; the loop ends after the frame in hand. The handler is
 * installed with SA_RESETHAND, so a second Ctrl-C stops a program that does not respond. */
static volatile sig_atomic_t stop_requested;

static void request_stop(int signal_number) {
    (void)signal_number;
    stop_requested = 1;
}

/* The stages timed, each in wall-clock time (what the user waits) and in this thread's CPU
 * time (the work itself: on a busy machine the wall clock also counts the time other programs
 * held the core). With one thread all the work runs on this thread. */
enum { CAPTURE, DETECT, CLASSIFY, FRAME, STAGES };
static const char *const STAGE_KEY[STAGES] = {"capture", "detect", "classify", "frame"};
static const char *const STAGE_TEXT[STAGES] = {"capture", "detection", "classification per face",
                                               "whole frame"};

typedef struct live_measures {
    ch06_series wall[STAGES], cpu[STAGES]; /* milliseconds */
    long frames, faces;
    int width, height;
    double seconds, cpu_seconds, load_average;
} live_measures;

typedef struct stamp {
    double wall, cpu;
} stamp;

static double clock_of(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static stamp now(void) {
    return (stamp){nn_seconds(), clock_of(CLOCK_THREAD_CPUTIME_ID)};
}

/* Adds the time from a to b to a stage's series. */
static int record(live_measures *lm, int stage, stamp a, stamp b, nn_err *err) {
    if (ch06_series_add(&lm->wall[stage], 1000 * (b.wall - a.wall)) ||
        ch06_series_add(&lm->cpu[stage], 1000 * (b.cpu - a.cpu)))
        return nn_fail(err, "out of memory");
    return 0;
}

/* The model, checked to be an emotion classifier: 1x48x48 in, 7 out. */
static nn_model *load_model(const char *path, int flip, nn_err *err) {
    if (access(path, R_OK)) {
        nn_fail(err, "%s: %s (make report writes the chapter's model there; or give --model PATH)",
                path, strerror(errno));
        return NULL;
    }
    nn_model *m = nn_model_read_h5(path, flip ? 2 : 1, err);
    if (!m) return NULL;
    int c, h, w;
    nn_input_shape(m, &c, &h, &w);
    if (c != 1 || h != CH06_SIDE || w != CH06_SIDE || nn_output_size(m) != CH06_CLASSES) {
        nn_fail(err, "%s: not an emotion classifier (input %dx%dx%d, %d outputs; wanted "
                     "1x48x48 and 7)",
                path, c, h, w, nn_output_size(m));
        nn_model_free(m);
        return NULL;
    }
    return m;
}

/* Crops, scales and classifies the faces found in one frame. */
static int classify_faces(nn_model *m, const uint8_t *grey, int w, int h, int flip,
                          ch06_frame_result *r, live_measures *lm, nn_err *err) {
    for (int i = 0; i < r->faces; i++) {
        stamp t = now();
        uint8_t face[CH06_PIXELS];
        ch06_face_result *f = &r->face[i];
        if (ch06_resample(grey, w, h, f->box, face, CH06_SIDE, CH06_SIDE, err)) return -1;
        if ((f->emotion = ch06_classify_face(m, face, flip, f->probs)) < 0)
            return nn_fail(err, "the classifier refused a face");
        if (record(lm, CLASSIFY, t, now(), err)) return -1;
    }
    return 0;
}

/* Sleeps until frame `next` is due at `fps` frames a second from `start`. */
static void wait_for_frame(double start, long next, double fps) {
    double wait = start + next / fps - nn_seconds();
    if (wait <= 0) return;
    struct timespec ts = {(time_t)wait, (long)((wait - floor(wait)) * 1e9)};
    nanosleep(&ts, NULL); /* Ctrl-C cuts it short; the loop then stops */
}

/* The loop: frames until the source ends, --max-frames, Ctrl-C or an error. */
static int run_loop(const ch06_live_opts *o, ch06_source *src, vision_detector *det,
                    nn_model *m, FILE *out, live_measures *lm, nn_err *err) {
    double start = nn_seconds(), cpu_start = clock_of(CLOCK_PROCESS_CPUTIME_ID);
    int rc = 0;
    while (!stop_requested && (o->max_frames == 0 || lm->frames < o->max_frames)) {
        if (o->fps > 0) wait_for_frame(start, lm->frames, o->fps);
        stamp t0 = now();
        const uint8_t *grey;
        int w, h, got = ch06_source_read(src, &grey, &w, &h, err);
        if (got <= 0) {
            rc = got;
            break;
        }
        stamp t1 = now();
        ch06_box boxes[CH06_MAX_FACES];
        ch06_frame_result r = {.frame = lm->frames + 1};
        if ((r.faces = vision_detect(det, grey, w, h, &o->detect, boxes, o->max_faces, err)) < 0) {
            rc = -1;
            break;
        }
        stamp t2 = now();
        for (int i = 0; i < r.faces; i++)
            r.face[i].box = boxes[i];
        if (classify_faces(m, grey, w, h, o->flip, &r, lm, err)) {
            rc = -1;
            break;
        }
        r.seconds = nn_seconds() - start;
        ch06_line_print(out, &r, o->verbose);
        fflush(out);
        if (lm->frames++ == 0) lm->width = w, lm->height = h;
        lm->faces += r.faces;
        if (record(lm, CAPTURE, t0, t1, err) || record(lm, DETECT, t1, t2, err) ||
            record(lm, FRAME, t0, now(), err)) {
            rc = -1;
            break;
        }
    }
    if (rc == 0 && lm->frames == 0 && !stop_requested)
        rc = nn_fail(err, "%s: no frames", o->source.name);
    lm->seconds = nn_seconds() - start;
    lm->cpu_seconds = clock_of(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
    return rc;
}

static void print_summary(FILE *log, const ch06_live_opts *o, live_measures *lm) {
    if (!lm->frames && !stop_requested) return; /* an error says why */
    fprintf(log, "emotion-live: %ld frames (%dx%d) in %.2f s: %.1f frames per second, %ld faces%s\n",
            lm->frames, lm->width, lm->height, lm->seconds,
            lm->seconds > 0 ? lm->frames / lm->seconds : 0.0, lm->faces,
            stop_requested ? " (stopped by Ctrl-C)" : "");
    if (!lm->frames) return;
    for (int clock = 0; clock < 2; clock++) {
        fprintf(log, "emotion-live: %s ms, median / 90th percentile:",
                clock ? "CPU time" : "latency");
        for (int k = 0; k < STAGES; k++) {
            ch06_series *sr = clock ? &lm->cpu[k] : &lm->wall[k];
            if (sr->n)
                fprintf(log, "%s %s %.2f / %.2f", k ? "," : "", STAGE_TEXT[k],
                        ch06_series_quantile(sr, 0.5), ch06_series_quantile(sr, 0.9));
        }
        fputc('\n', log);
    }
    fprintf(log, "emotion-live: %d thread(s), %.2f s of CPU per second%s\n", o->threads,
            lm->seconds > 0 ? lm->cpu_seconds / lm->seconds : 0.0,
            o->flip ? ", flip averaging on" : "");
}

/* The run's configuration as JSON (runs.config_json). */
static const char *config_of(const ch06_live_opts *o, ch06_source_kind kind, const char *model_sha,
                             nn_json *j) {
    json_begin(j);
    json_str(j, "source", o->source.name);
    json_str(j, "source_kind", ch06_source_kind_name(kind));
    if (kind == CH06_RAW) json_int(j, "raw_channels", o->source.raw_channels);
    json_str(j, "model", o->model);
    json_str(j, "model_sha256", model_sha);
    json_str(j, "cascade", o->cascade);
    json_int(j, "detect_width", o->detect.detect_width);
    json_num(j, "scale_step", o->detect.scale_step);
    json_int(j, "min_neighbors", o->detect.min_neighbors);
    json_int(j, "min_face", o->detect.min_face);
    json_int(j, "max_faces", o->max_faces);
    json_bool(j, "flip", o->flip);
    json_num(j, "fps_limit", o->fps);
    json_int(j, "max_frames", o->max_frames);
    json_int(j, "threads", o->threads);
    return json_end(j);
}

/* The measures as the run's metrics, then the run's end ('failed' with err when rc != 0). */
static int log_measures(nn_results *db, int64_t run, live_measures *lm, int rc, nn_err *err) {
    struct {
        const char *name;
        double value;
    } rows[] = {{"frames", (double)lm->frames},
                {"faces", (double)lm->faces},
                {"seconds", lm->seconds},
                {"fps", lm->seconds > 0 ? lm->frames / lm->seconds : 0},
                {"frame_width", lm->width},
                {"frame_height", lm->height},
                {"cpu_seconds", lm->cpu_seconds},
                {"load_average", lm->load_average},
                {"interrupted", stop_requested ? 1 : 0}};
    nn_err log_err = {{0}};
    int logged = results_transaction_begin(db, &log_err);
    for (size_t k = 0; k < sizeof rows / sizeof *rows && !logged; k++)
        if (isfinite(rows[k].value)) /* no load average where the system gives none */
            logged = results_log_metric(db, run, rows[k].name, rows[k].value, &log_err);
    /* STAGE_ms_p50, STAGE_ms_p90 (wall clock), STAGE_cpu_ms_p50, STAGE_cpu_ms_p90 */
    for (int k = 0; k < STAGES && !logged; k++)
        for (int q = 0; q < 4 && !logged; q++) {
            char name[64];
            ch06_series *sr = q < 2 ? &lm->wall[k] : &lm->cpu[k];
            double v = ch06_series_quantile(sr, q % 2 ? 0.9 : 0.5);
            snprintf(name, sizeof name, "%s_%sms_p%d", STAGE_KEY[k], q < 2 ? "" : "cpu_",
                     q % 2 ? 90 : 50);
            if (isfinite(v)) /* no faces: no classification times */
                logged = results_log_metric(db, run, name, v, &log_err);
        }
    logged = logged || results_transaction_commit(db, &log_err);
    if (logged && rc == 0) {
        *err = log_err;
        rc = -1;
    }
    return experiment_end_run(db, run, rc, err);
}

int ch06_live_run(const ch06_live_opts *o, FILE *out, FILE *log) {
    nn_err err = {{0}};
    live_measures lm = {0};
    nn_model *m = NULL;
    vision_detector *det = NULL;
    ch06_source *src = NULL;
    nn_results *db = NULL;
    int64_t run = -1;
    int rc = -1;
    char sha[SHA256_HEX_SIZE] = "";
    nn_json config;
    struct sigaction stop = {.sa_handler = request_stop, .sa_flags = SA_RESETHAND}, old_int,
                     old_term;
    sigemptyset(&stop.sa_mask);
    stop_requested = 0;

    omp_set_num_threads(o->threads);
    openblas_set_num_threads(o->threads);
    vision_setup(o->threads);
    ch06_source_spec spec = o->source;
    spec.stop = &stop_requested;
    if (!(m = load_model(o->model, o->flip, &err)) || sha256_file_hex(o->model, sha, &err) ||
        !(det = vision_detector_open(o->cascade, &err)) || !(src = ch06_source_open(&spec, &err)))
        goto out;
    if (o->db) {
        const char *json = config_of(o, ch06_source_kind_of(src), sha, &config);
        if (!json) {
            nn_fail(&err, "the run's configuration does not fit in %d bytes", NN_JSON_MAX);
            goto out;
        }
        if (!(db = results_open(o->db, &err)) ||
            (run = results_begin_run(db, &(nn_run_info){CHAPTER, o->experiment, o->profile, json,
                                                         o->seed},
                                     &err)) < 0)
            goto out;
    }
    if (getloadavg(&lm.load_average, 1) != 1) lm.load_average = NAN;
    sigaction(SIGINT, &stop, &old_int);
    sigaction(SIGTERM, &stop, &old_term);
    rc = run_loop(o, src, det, m, out, &lm, &err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    fflush(out);
    print_summary(log, o, &lm);
    if (db) rc = log_measures(db, run, &lm, rc, &err);
out:
    if (rc) fprintf(log, "emotion-live: %s\n", err.msg);
    results_close(db);
    ch06_source_close(src);
    vision_detector_close(det);
    nn_model_free(m);
    for (int k = 0; k < STAGES; k++) {
        ch06_series_free(&lm.wall[k]);
        ch06_series_free(&lm.cpu[k]);
    }
    return rc ? 1 : 0;
}

int ch06_live_main(int argc, char **argv, FILE *out, FILE *log) {
    ch06_live_opts o;
    nn_err err = {{0}};
    int parsed = ch06_live_parse(argc, argv, &o, out, &err);
    if (parsed) {
        if (parsed < 0) fprintf(log, "%s\n", err.msg);
        return parsed < 0 ? 2 : 0;
    }
    return ch06_live_run(&o, out, log);
}
