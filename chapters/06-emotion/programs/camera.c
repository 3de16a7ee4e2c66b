/* camera.c - why a camera cannot be opened, asked of the kernel (see camera.h). */
#include "camera.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

int ch06_is_camera(const char *source, char *path, size_t size) {
    size_t digits = strspn(source, "0123456789");
    if (digits > 0 && digits < 6 && !source[digits]) {
        snprintf(path, size, "/dev/video%s", source);
        return 1;
    }
    if (!strncmp(source, "/dev/", 5)) {
        snprintf(path, size, "%s", source);
        return 1;
    }
    return 0;
}

static int open_error(const char *device, int e, nn_err *err) {
    switch (e) {
    case ENOENT:
        return nn_fail(err, "%s: no such device (no camera there; ls /dev/video* lists them)",
                       device);
    case EACCES:
    case EPERM:
        return nn_fail(err, "%s: permission denied (is your user in the 'video' group?)", device);
    case EBUSY: return nn_fail(err, "%s: device busy (another program is using the camera)", device);
    case ENODEV:
    case ENXIO: return nn_fail(err, "%s: no device behind it (camera unplugged?)", device);
    default: return nn_fail(err, "%s: %s", device, strerror(e));
    }
}

int ch06_camera_check(const char *device, nn_err *err) {
    int fd = open(device, O_RDWR | O_NONBLOCK);
    if (fd < 0) return open_error(device, errno, err);
    int rc = 0;
    struct stat st;
    struct v4l2_capability cap;
    memset(&cap, 0, sizeof cap);
    if (fstat(fd, &st) || !S_ISCHR(st.st_mode)) {
        rc = nn_fail(err, "%s: not a camera (not a character device)", device);
    } else if (ioctl(fd, VIDIOC_QUERYCAP, &cap) < 0) {
        rc = nn_fail(err, "%s: not a V4L2 video device", device);
    } else {
        unsigned caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps : cap.capabilities;
        if (!(caps & V4L2_CAP_VIDEO_CAPTURE)) {
            rc = nn_fail(err,
                         "%s: '%s' does not capture video (a metadata node? try the "
                         "neighbouring /dev/videoN)",
                         device, (const char *)cap.card);
        } else {
            /* Asking for buffers fails with EBUSY while another program streams; ask for one
             * and give it back at once. Any other failure is left for OpenCV to meet. */
            struct v4l2_requestbuffers req = {.count = 1,
                                              .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
                                              .memory = V4L2_MEMORY_MMAP};
            if (ioctl(fd, VIDIOC_REQBUFS, &req) < 0) {
                if (errno == EBUSY) rc = open_error(device, EBUSY, err);
            } else {
                req.count = 0;
                ioctl(fd, VIDIOC_REQBUFS, &req);
            }
        }
    }
    close(fd);
    return rc;
}
