/* camera.h - a V4L2 camera device looked at before OpenCV opens it.
 *
 * OpenCV only says that it could not open a camera. The live program should say why, in one
 * line: no such device, not allowed to open it, not a video device, a device that cannot
 * capture (such as a camera's metadata node), or busy because another program streams from
 * it. ch06_camera_check asks the kernel directly (open, VIDIOC_QUERYCAP, and VIDIOC_REQBUFS,
 * which fails with EBUSY while another program holds the camera's buffers) and releases the
 * device again before OpenCV opens it. */
#ifndef CH06_CAMERA_H
#define CH06_CAMERA_H

#include <stddef.h>

#include "base/nn_err.h"

/* Whether the live program's SOURCE names a camera: a number N (meaning /dev/videoN) or a
 * path under /dev/. Writes the device path to path. */
int ch06_is_camera(const char *source, char *path, size_t size);

/* 0 if device is a V4L2 capture device that no other program is using; -1 with a one-line
 * reason otherwise. */
int ch06_camera_check(const char *device, nn_err *err);

#endif
