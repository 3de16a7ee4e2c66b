/* vision.h - what chapter 06 takes from OpenCV, behind a C interface: frames from a camera
 * (V4L2) or a video file (FFmpeg), grey conversion, and the cascade face detector of Viola
 * and Jones (Debian's libopencv-objdetect-dev, cascade files from opencv-data). OpenCV is C++
 * only; vision.cpp is the chapter's one C++ file, and nothing else includes OpenCV.
 *
 *     vision_setup(1);                                      one thread, OpenCV's logging off
 *     vision_detector *d = vision_detector_open(CH06_DEFAULT_CASCADE, &err);
 *     vision_capture *cam = vision_open_camera("/dev/video0", 640, 480, &err);
 *     while (vision_read_grey(cam, &grey, &w, &h, &err) == 1)
 *         n = vision_detect(d, grey, w, h, &opts, boxes, 8, &err);
 *
 * Every call catches OpenCV's exceptions and reports them through nn_err, one line naming
 * the file or device; none prints (OpenCV's own log messages are switched off). */
#ifndef CH06_VISION_H
#define CH06_VISION_H

#include <stdint.h>

#include "base/nn_err.h"
#include "resample.h"

/* Debian's opencv-data: the frontal-face Haar cascade shipped with OpenCV. */
#define CH06_DEFAULT_CASCADE "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"

/* OpenCV's worker threads (1: none, OpenCV runs on the caller's thread) and its log output
 * (off). Call before anything else here. */
void vision_setup(int threads);

typedef struct vision_capture vision_capture;

/* A V4L2 camera by device path, asked for width x height (the camera may offer another size;
 * 0 x 0: its default). NULL with err when OpenCV cannot open it or it gives no frame. */
vision_capture *vision_open_camera(const char *device, int width, int height, nn_err *err);
/* A video file, read through FFmpeg (also an image sequence such as frames/%04d.png). */
vision_capture *vision_open_video(const char *path, nn_err *err);
/* The next frame as grey levels, row-major: *grey belongs to c and is valid until the next
 * call. 1: a frame; 0: the video has no more frames; -1: error (a camera that stops
 * delivering frames). */
int vision_read_grey(vision_capture *c, const uint8_t **grey, int *w, int *h, nn_err *err);
void vision_close(vision_capture *c);

/* w x h pixels of B, G, R bytes to grey levels, as OpenCV converts a camera's frames
 * (0.299 R + 0.587 G + 0.114 B, rounded). */
void vision_bgr_to_grey(const uint8_t *bgr, int w, int h, uint8_t *grey);

typedef struct vision_detector vision_detector;

typedef struct vision_detect_opts {
    int detect_width;   /* a frame wider than this is shrunk to it first (speed); 0: never */
    double scale_step;  /* size ratio between the scales searched, > 1 */
    int min_neighbors;  /* overlapping hits needed to accept a face (fewer false faces) */
    int min_face;       /* smallest face side searched, in frame pixels */
} vision_detect_opts;

/* Loads a cascade (OpenCV's XML). NULL with err for a missing or unreadable file. */
vision_detector *vision_detector_open(const char *cascade, nn_err *err);
/* The faces in a grey w x h frame as boxes in frame pixels, largest first, at most max of
 * them. Returns how many (0..max), or -1. */
int vision_detect(vision_detector *d, const uint8_t *grey, int w, int h,
                  const vision_detect_opts *o, ch06_box *boxes, int max, nn_err *err);
void vision_detector_close(vision_detector *d);

#endif
