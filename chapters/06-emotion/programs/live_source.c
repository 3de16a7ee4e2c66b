/* live_source.c - cameras, video files and raw frames as one stream of grey frames (see
 * live_source.h). */
#include "live_source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "camera.h"
#include "vision.h"

struct ch06_source {
    ch06_source_kind kind;
    char name[4096];
    vision_capture *capture; /* camera, video */
    int fd;                  /* raw */
    int width, height, channels;
    uint8_t *bytes, *grey; /* raw: one frame as read, and as grey levels */
    long frames;
    volatile sig_atomic_t *stop;
};

static ch06_source *open_raw(const ch06_source_spec *spec, ch06_source *s, nn_err *err) {
    if (spec->raw_channels != 1 && spec->raw_channels != 3) {
        nn_fail(err, "raw frames have 1 or 3 channels, not %d", spec->raw_channels);
        return NULL;
    }
    s->width = spec->raw_width, s->height = spec->raw_height, s->channels = spec->raw_channels;
    if (!strcmp(spec->name, "-")) {
        s->fd = STDIN_FILENO;
        snprintf(s->name, sizeof s->name, "standard input");
    } else if ((s->fd = open(spec->name, O_RDONLY)) < 0) {
        nn_fail(err, "%s: %s", spec->name, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(s->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        nn_fail(err, "%s: is a directory, not a file of raw frames", spec->name);
        return NULL;
    }
    size_t pixels = (size_t)s->width * s->height;
    s->bytes = malloc(pixels * s->channels);
    s->grey = s->channels == 1 ? s->bytes : malloc(pixels);
    if (!s->bytes || !s->grey) {
        nn_fail(err, "%s: out of memory for %dx%d frames", s->name, s->width, s->height);
        return NULL;
    }
    return s;
}

ch06_source *ch06_source_open(const ch06_source_spec *spec, nn_err *err) {
    ch06_source *s = calloc(1, sizeof *s);
    if (!s) {
        nn_fail(err, "out of memory");
        return NULL;
    }
    s->fd = -1;
    s->stop = spec->stop;
    snprintf(s->name, sizeof s->name, "%s", spec->name);
    char device[4096];
    ch06_source *ok;
    if (spec->raw_width > 0) {
        s->kind = CH06_RAW;
        ok = open_raw(spec, s, err);
    } else if (ch06_is_camera(spec->name, device, sizeof device)) {
        s->kind = CH06_CAMERA;
        snprintf(s->name, sizeof s->name, "%s", device);
        ok = NULL;
        if (!ch06_camera_check(device, err) &&
            (s->capture = vision_open_camera(device, spec->camera_width, spec->camera_height, err)))
            ok = s;
    } else {
        s->kind = CH06_VIDEO;
        ok = (s->capture = vision_open_video(spec->name, err)) ? s : NULL;
    }
    if (!ok) ch06_source_close(s);
    return ok;
}

/* Fills buf with n bytes. 1: done; 0: the stream ended before the first byte (or *stop);
 * -1: it ended or failed inside. */
static int read_frame(ch06_source *s, uint8_t *buf, size_t n, nn_err *err) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(s->fd, buf + got, n - got);
        if (r > 0) {
            got += (size_t)r;
        } else if (r == 0) {
            if (got == 0) return 0;
            return nn_fail(err, "%s: truncated: frame %ld has %zu of its %zu bytes", s->name,
                           s->frames + 1, got, n);
        } else if (errno != EINTR) {
            return nn_fail(err, "%s: %s", s->name, strerror(errno));
        } else if (s->stop && *s->stop) {
            return 0;
        }
    }
    return 1;
}

int ch06_source_read(ch06_source *s, const uint8_t **grey, int *w, int *h, nn_err *err) {
    if (s->stop && *s->stop) return 0;
    int rc;
    if (s->kind == CH06_RAW) {
        rc = read_frame(s, s->bytes, (size_t)s->width * s->height * s->channels, err);
        if (rc == 1 && s->channels == 3) vision_bgr_to_grey(s->bytes, s->width, s->height, s->grey);
        *grey = s->grey, *w = s->width, *h = s->height;
    } else {
        rc = vision_read_grey(s->capture, grey, w, h, err);
    }
    if (rc == 1) s->frames++;
    return rc;
}

ch06_source_kind ch06_source_kind_of(const ch06_source *s) {
    return s->kind;
}

const char *ch06_source_kind_name(ch06_source_kind kind) {
    return kind == CH06_CAMERA ? "camera" : kind == CH06_VIDEO ? "video" : "raw";
}

void ch06_source_close(ch06_source *s) {
    if (!s) return;
    if (s->capture) vision_close(s->capture);
    if (s->fd > STDIN_FILENO) close(s->fd);
    if (s->grey != s->bytes) free(s->grey);
    free(s->bytes);
    free(s);
}
