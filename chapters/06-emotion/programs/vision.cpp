// vision.cpp - chapter 06's one C++ file: OpenCV's video capture and cascade face detector
// behind the C interface of vision.h.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <opencv2/videoio.hpp>

extern "C" {
#include "vision.h"
}

struct vision_capture {
    cv::VideoCapture cap;
    cv::Mat frame, grey;
    bool camera; // a camera that stops is an error; a file that ends is not
    std::string name;
};

struct vision_detector {
    cv::CascadeClassifier cascade;
    cv::Mat small; // the shrunk, equalised frame, kept so that detection allocates once
    std::vector<cv::Rect> found;
};

void vision_setup(int threads) {
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
    // 0 runs OpenCV's parallel loops on the calling thread
    cv::setNumThreads(threads <= 1 ? 0 : threads);
}

// OpenCV's exception text on one line (it spreads over several), without the trailing blanks.
static std::string one_line(const std::exception &e) {
    std::string text = e.what();
    std::replace(text.begin(), text.end(), '\n', ' ');
    while (!text.empty() && text.back() == ' ')
        text.pop_back();
    return text;
}

// A readable file, or err naming why not (OpenCV itself only says "could not open").
static int check_readable(const char *path, nn_err *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return nn_fail(err, "%s: %s", path, strerror(errno));
    fclose(f);
    return 0;
}

// The current frame of c as grey levels in c->grey.
static int to_grey(vision_capture *c, nn_err *err) {
    switch (c->frame.channels()) {
    case 1: c->grey = c->frame; break;
    case 3: cv::cvtColor(c->frame, c->grey, cv::COLOR_BGR2GRAY); break;
    case 4: cv::cvtColor(c->frame, c->grey, cv::COLOR_BGRA2GRAY); break;
    default:
        return nn_fail(err, "%s: frames of %d channels", c->name.c_str(), c->frame.channels());
    }
    if (c->grey.depth() != CV_8U)
        return nn_fail(err, "%s: frames are not 8-bit", c->name.c_str());
    if (!c->grey.isContinuous()) c->grey = c->grey.clone();
    return 0;
}

static vision_capture *open_capture(const char *name, int api, bool camera, int width, int height,
                                    nn_err *err) {
    vision_capture *c = nullptr;
    try {
        c = new vision_capture();
        c->camera = camera;
        c->name = name;
        if (!c->cap.open(name, api)) {
            nn_fail(err, camera ? "%s: OpenCV cannot open the camera (V4L2)"
                                : "%s: not a video OpenCV can read (FFmpeg)",
                    name);
            delete c;
            return nullptr;
        }
        if (camera && width > 0 && height > 0) {
            c->cap.set(cv::CAP_PROP_FRAME_WIDTH, width);
            c->cap.set(cv::CAP_PROP_FRAME_HEIGHT, height);
        }
        // One frame waiting at most: a program slower than the camera (or held to --fps)
        // then reads the newest frame, not one queued up to four frames ago.
        if (camera) c->cap.set(cv::CAP_PROP_BUFFERSIZE, 1);
        return c;
    } catch (const std::exception &e) {
        nn_fail(err, "%s: OpenCV: %s", name, one_line(e).c_str());
        delete c;
        return nullptr;
    }
}

vision_capture *vision_open_camera(const char *device, int width, int height, nn_err *err) {
    return open_capture(device, cv::CAP_V4L2, true, width, height, err);
}

vision_capture *vision_open_video(const char *path, nn_err *err) {
    // an image sequence (frames/%04d.png) names no file itself
    if (!strchr(path, '%') && check_readable(path, err)) return nullptr;
    return open_capture(path, cv::CAP_FFMPEG, false, 0, 0, err);
}

int vision_read_grey(vision_capture *c, const uint8_t **grey, int *w, int *h, nn_err *err) {
    try {
        if (!c->cap.read(c->frame) || c->frame.empty()) {
            if (!c->camera) return 0;
            return nn_fail(err, "%s: the camera stopped delivering frames", c->name.c_str());
        }
        if (to_grey(c, err)) return -1;
        *grey = c->grey.ptr<uint8_t>();
        *w = c->grey.cols;
        *h = c->grey.rows;
        return 1;
    } catch (const std::exception &e) {
        return nn_fail(err, "%s: OpenCV: %s", c->name.c_str(), one_line(e).c_str());
    }
}

void vision_close(vision_capture *c) {
    delete c;
}

void vision_bgr_to_grey(const uint8_t *bgr, int w, int h, uint8_t *grey) {
    cv::Mat in(h, w, CV_8UC3, const_cast<uint8_t *>(bgr)), out(h, w, CV_8UC1, grey);
    cv::cvtColor(in, out, cv::COLOR_BGR2GRAY);
}

vision_detector *vision_detector_open(const char *cascade, nn_err *err) {
    if (check_readable(cascade, err)) return nullptr;
    vision_detector *d = nullptr;
    try {
        d = new vision_detector();
        if (d->cascade.load(cascade) && !d->cascade.empty()) return d;
        nn_fail(err, "%s: not a cascade classifier OpenCV can read", cascade);
    } catch (const std::exception &) { // OpenCV's text, a parser's complaint, says no more
        nn_fail(err, "%s: not a cascade classifier OpenCV can read", cascade);
    }
    delete d;
    return nullptr;
}

int vision_detect(vision_detector *d, const uint8_t *grey, int w, int h,
                  const vision_detect_opts *o, ch06_box *boxes, int max, nn_err *err) {
    try {
        cv::Mat frame(h, w, CV_8UC1, const_cast<uint8_t *>(grey));
        // Search a smaller copy: the cascade's work grows with the pixels, and a face close
        // enough to a laptop camera to read its expression is large.
        double k = o->detect_width > 0 && w > o->detect_width ? (double)w / o->detect_width : 1;
        if (k > 1)
            cv::resize(frame, d->small, cv::Size(o->detect_width, (int)std::lround(h / k)), 0, 0,
                       cv::INTER_AREA);
        else
            frame.copyTo(d->small);
        cv::equalizeHist(d->small, d->small); // as OpenCV's face detection samples do
        int min_side = (int)std::ceil(o->min_face / k);
        d->cascade.detectMultiScale(d->small, d->found, o->scale_step, o->min_neighbors, 0,
                                    cv::Size(min_side, min_side));
        std::stable_sort(d->found.begin(), d->found.end(),
                         [](const cv::Rect &a, const cv::Rect &b) { return a.area() > b.area(); });
        int n = std::min((int)d->found.size(), max);
        for (int i = 0; i < n; i++) {
            const cv::Rect &r = d->found[i];
            boxes[i] = ch06_box{(int)std::lround(r.x * k), (int)std::lround(r.y * k),
                                (int)std::lround(r.width * k), (int)std::lround(r.height * k)};
        }
        return n;
    } catch (const std::exception &e) {
        return nn_fail(err, "face detection: OpenCV: %s", one_line(e).c_str());
    }
}

void vision_detector_close(vision_detector *d) {
    delete d;
}
