/* live.h - emotion-live, chapter 06's live program: frames from a camera, a video file or a
 * pipe of raw frames; faces found by OpenCV's cascade detector; each face cropped, scaled to
 * 48x48 grey and classified by the chapter's network (read from its .h5 file); one line per
 * frame on standard output (live_line.h); the frame rate and the latency of capture,
 * detection and classification (median and 90th percentile) on standard error at the end and,
 * with --db, as a run of the results database (chapter 06-emotion, experiment live...).
 *
 * The whole program is ch06_live_main, so that the tests run it in-process, under the
 * sanitizers too; main-emotion-live.c only calls it. The options are described by --help
 * (live_options.c).
 *
 * What a run logs with --db (all metrics; latencies in milliseconds):
 *   frames, faces, seconds (first frame asked for to last line printed), fps (frames / seconds),
 *   capture_ms_p50/_p90 (reading a frame and turning it grey), detect_ms_p50/_p90 (the
 *   detector on a frame), classify_ms_p50/_p90 (crop, scale and classify one face),
 *   frame_ms_p50/_p90 (all of a frame's work including its line), frame_width,
 *   frame_height, cpu_seconds (the process's CPU time over the same span), load_average (the
 *   machine's one-minute load when the run began: how many cores others were using),
 *   interrupted (1 after Ctrl-C). A run that ends in an error is logged with what it
 *   measured and marked failed with the error. */
#ifndef CH06_LIVE_H
#define CH06_LIVE_H

#include <stdint.h>
#include <stdio.h>

#include "base/nn_err.h"
#include "live_source.h"
#include "vision.h"

typedef struct ch06_live_opts {
    ch06_source_spec source;
    const char *model, *cascade;
    vision_detect_opts detect;
    double fps;      /* at most this many frames a second; 0: as fast as they come */
    int max_frames;  /* stop after this many; 0: at the end of the source */
    int max_faces;   /* faces classified per frame, largest first */
    int verbose;     /* all seven probabilities */
    int flip;        /* average each face with its mirror image */
    int threads;
    const char *db, *experiment, *profile; /* db NULL: log nothing */
    int64_t seed;
} ch06_live_opts;

/* Reads the command line into o. 0: run; 1: --help was printed to out; -1: a usage error
 * (one line in err). */
int ch06_live_parse(int argc, char **argv, ch06_live_opts *o, FILE *out, nn_err *err);

/* Runs the program: a line per frame to out, the summary and any error (one line) to log.
 * Returns the exit status: 0 when the source ended, --max-frames was reached or Ctrl-C
 * stopped it; 1 on an error. */
int ch06_live_run(const ch06_live_opts *o, FILE *out, FILE *log);

/* Parse and run: the exit status (2 for a usage error). */
int ch06_live_main(int argc, char **argv, FILE *out, FILE *log);

#endif
