/* live_source.h - where the live program's frames come from, all read as grey levels:
 *   - a V4L2 camera (through OpenCV; checked first by camera.h for a clear error);
 *   - a video file (through OpenCV and FFmpeg);
 *   - raw frames, back to back in a file or on standard input ("-"): width x height bytes of
 *     grey levels, or width x height x 3 bytes of B, G, R (converted as OpenCV converts a
 *     camera's frames). Raw frames let the program run, and be tested, with no camera and no
 *     video codec: `ffmpeg -i clip.mp4 -f rawvideo -pix_fmt gray - | emotion-live --raw
 *     640x480 -` works too.
 * A read interrupted by a signal (Ctrl-C) ends the stream when *stop is set. */
#ifndef CH06_LIVE_SOURCE_H
#define CH06_LIVE_SOURCE_H

#include <signal.h>
#include <stdint.h>

#include "base/nn_err.h"

typedef enum ch06_source_kind { CH06_CAMERA, CH06_VIDEO, CH06_RAW } ch06_source_kind;

typedef struct ch06_source_spec {
    const char *name;          /* camera ("/dev/video0" or "0"), video file, raw file or "-" */
    int raw_width, raw_height; /* > 0: raw frames of this size */
    int raw_channels;          /* raw: 1 (grey) or 3 (B, G, R) */
    int camera_width, camera_height; /* the size asked of a camera (0: its default) */
    volatile sig_atomic_t *stop;     /* may be NULL */
} ch06_source_spec;

typedef struct ch06_source ch06_source;

/* Opens the source the spec names; NULL with a one-line error naming it. */
ch06_source *ch06_source_open(const ch06_source_spec *spec, nn_err *err);
/* The next frame: *grey (owned by the source, valid until the next read), *w x *h.
 * 1: a frame; 0: the end (of the file, or *stop was set); -1: an error, such as a raw
 * stream that ends inside a frame. */
int ch06_source_read(ch06_source *s, const uint8_t **grey, int *w, int *h, nn_err *err);
ch06_source_kind ch06_source_kind_of(const ch06_source *s);
/* "camera", "video" or "raw". */
const char *ch06_source_kind_name(ch06_source_kind kind);
void ch06_source_close(ch06_source *s);

#endif
