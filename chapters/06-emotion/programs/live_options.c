/* live_options.c - emotion-live's command line (see live.h). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "lab/args.h"
#include "live.h"
#include "live_line.h"

#define DEFAULT_MODEL "db/06-emotion/emotion.h5"

static void print_help(FILE *out, const char *program) {
    fprintf(out,
            "Usage: %s [options] [SOURCE]\n\n"
            "Reads frames from SOURCE, finds the faces in each (OpenCV's cascade detector),\n"
            "classifies each face's expression with chapter 06's network (angry, disgust,\n"
            "fear, happy, sad, surprise, neutral) and prints one line per frame:\n"
            "  2.345 frame 70: 1 face: 212,132 144x144 happy 0.873\n"
            "(seconds since the start, frame number, and per face its box left,top widthxheight\n"
            "in pixels, the emotion and its probability). At the end, and on Ctrl-C, a summary\n"
            "goes to standard error: frames per second and the median and 90th-percentile\n"
            "latency of capture, detection and classification.\n\n"
            "SOURCE (default /dev/video0):\n"
            "  /dev/videoN or N     a V4L2 camera\n"
            "  FILE                 a video file (anything FFmpeg reads, also an image\n"
            "                       sequence such as frames/%%04d.png)\n"
            "  FILE or -            with --raw: raw frames back to back (- = standard input)\n\n"
            "Options:\n"
            "  --model PATH         the classifier, a Keras-layout .h5 file (default:\n"
            "                       " DEFAULT_MODEL ", written by make report)\n"
            "  --raw WxH[:bgr]      SOURCE holds raw frames of W x H grey bytes (with :bgr,\n"
            "                       W x H x 3 bytes B, G, R), e.g. from ffmpeg -f rawvideo\n"
            "  --size WxH           the frame size asked of a camera (default 640x480)\n"
            "  --fps N              at most N frames per second (default: as they come)\n"
            "  --max-frames N       stop after N frames\n"
            "  --verbose            list all seven probabilities of each face\n"
            "  --flip               average each face with its mirror image (about twice\n"
            "                       the classification time; off by default)\n"
            "  --max-faces N        faces classified per frame, largest first (default 4)\n"
            "  --cascade PATH       OpenCV cascade file (default: the frontal-face Haar\n"
            "                       cascade of opencv-data)\n"
            "  --detect-width N     search for faces in the frame shrunk to N pixels wide\n"
            "                       (default 320; 0: full size, slower)\n"
            "  --min-face N         smallest face searched, in frame pixels (default 64)\n"
            "  --scale-step X       size ratio between the face sizes searched (default 1.1)\n"
            "  --neighbors N        detections that must overlap to accept a face (default 3)\n"
            "  --threads N          threads (default 1: one core)\n"
            "  --db PATH            log the run into this results database (chapter\n"
            "                       06-emotion): frames per second and the latencies\n"
            "  --experiment NAME    the run's experiment name, starting with 'live'\n"
            "                       (default live)\n"
            "  --profile NAME       the run's profile, smoke or full (default full)\n"
            "  --seed N             recorded with the run (default 1; nothing here is random)\n"
            "  -h, --help           show this help\n\n"
            "Exit status: 0 at the end of SOURCE, after --max-frames or Ctrl-C; 1 on an\n"
            "error (a missing or busy camera, an unreadable file or model); 2 on a bad option.\n",
            program);
}

/* "640x480" or, when channels is not NULL, also "640x480:bgr" / "640x480:grey". */
static int parse_size(const char *flag, const char *text, int *w, int *h, int *channels,
                      nn_err *err) {
    char *end;
    long a = strtol(text, &end, 10), b = 0;
    int ok = end != text && *end == 'x' && a > 0 && a <= 16384;
    if (ok) {
        const char *second = end + 1;
        b = strtol(second, &end, 10);
        ok = end != second && b > 0 && b <= 16384;
    }
    if (ok && channels) {
        if (!*end || !strcmp(end, ":grey") || !strcmp(end, ":gray"))
            *channels = 1;
        else if (!strcmp(end, ":bgr"))
            *channels = 3;
        else
            ok = 0;
    } else if (ok && *end) {
        ok = 0;
    }
    if (!ok)
        return nn_fail(err, "--%s wants WIDTHxHEIGHT%s (e.g. 640x480), not '%s'", flag,
                       channels ? "[:bgr]" : "", text);
    *w = (int)a, *h = (int)b;
    return 0;
}

int ch06_live_parse(int argc, char **argv, ch06_live_opts *o, FILE *out, nn_err *err) {
    static const struct option options[] = {
        {"model", required_argument, NULL, 'm'},      {"raw", required_argument, NULL, 'r'},
        {"size", required_argument, NULL, 'S'},       {"fps", required_argument, NULL, 'f'},
        {"max-frames", required_argument, NULL, 'n'}, {"verbose", no_argument, NULL, 'v'},
        {"flip", no_argument, NULL, 'F'},             {"max-faces", required_argument, NULL, 'k'},
        {"cascade", required_argument, NULL, 'c'},    {"detect-width", required_argument, NULL, 'w'},
        {"min-face", required_argument, NULL, 'M'},   {"scale-step", required_argument, NULL, 'x'},
        {"neighbors", required_argument, NULL, 'N'},  {"threads", required_argument, NULL, 't'},
        {"db", required_argument, NULL, 'd'},         {"experiment", required_argument, NULL, 'e'},
        {"profile", required_argument, NULL, 'p'},    {"seed", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0}};
    const char *program = argc > 0 ? argv[0] : "emotion-live";
    *o = (ch06_live_opts){
        .source = {.name = "/dev/video0", .raw_channels = 1, .camera_width = 640,
                   .camera_height = 480},
        .model = DEFAULT_MODEL,
        .cascade = CH06_DEFAULT_CASCADE,
        .detect = {.detect_width = 320, .scale_step = 1.1, .min_neighbors = 3, .min_face = 64},
        .max_faces = 4,
        .threads = 1,
        .experiment = "live",
        .profile = "full",
        .seed = 1};
    optind = 1;
    opterr = 0; /* errors are ours, in one line */
    int c, seed = 1, rc = 0;
    float x;
    while (!rc && (c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        switch (c) {
        case 'm': o->model = optarg; break;
        case 'r':
            rc = parse_size("raw", optarg, &o->source.raw_width, &o->source.raw_height,
                            &o->source.raw_channels, err);
            break;
        case 'S':
            rc = parse_size("size", optarg, &o->source.camera_width, &o->source.camera_height,
                            NULL, err);
            break;
        case 'f':
            if (!(rc = args_float("fps", optarg, 0.01, 1000, &x, err))) o->fps = x;
            break;
        case 'n': rc = args_int("max-frames", optarg, 1, 1000000000, &o->max_frames, err); break;
        case 'v': o->verbose = 1; break;
        case 'F': o->flip = 1; break;
        case 'k': rc = args_int("max-faces", optarg, 1, CH06_MAX_FACES, &o->max_faces, err); break;
        case 'c': o->cascade = optarg; break;
        case 'w': rc = args_int("detect-width", optarg, 0, 16384, &o->detect.detect_width, err); break;
        case 'M': rc = args_int("min-face", optarg, 1, 16384, &o->detect.min_face, err); break;
        case 'x':
            if (!(rc = args_float("scale-step", optarg, 1.01, 2, &x, err)))
                o->detect.scale_step = x;
            break;
        case 'N': rc = args_int("neighbors", optarg, 0, 100, &o->detect.min_neighbors, err); break;
        case 't': rc = args_int("threads", optarg, 1, 1024, &o->threads, err); break;
        case 'd': o->db = optarg; break;
        case 'e': o->experiment = optarg; break;
        case 'p': o->profile = optarg; break;
        case 's':
            if (!(rc = args_int("seed", optarg, 0, 2147483647, &seed, err))) o->seed = seed;
            break;
        case 'h': print_help(out, program); return 1;
        case ':':
            rc = nn_fail(err, "option '%s' needs a value", argv[optind - 1]);
            break;
        default: rc = nn_fail(err, "unknown option '%s'", argv[optind - 1]); break;
        }
    }
    if (!rc && optind < argc) o->source.name = argv[optind++];
    if (!rc && optind < argc) rc = nn_fail(err, "one SOURCE only, not also '%s'", argv[optind]);
    if (!rc && strncmp(o->experiment, "live", 4))
        rc = nn_fail(err, "--experiment must start with 'live' (the chapter's training table "
                          "leaves those out), not '%s'", o->experiment);
    if (!rc && strcmp(o->profile, "smoke") && strcmp(o->profile, "full"))
        rc = nn_fail(err, "--profile must be smoke or full, not '%s'", o->profile);
    if (!rc && !strcmp(o->source.name, "-") && o->source.raw_width == 0)
        rc = nn_fail(err, "standard input (-) holds raw frames only: give their size with --raw WxH");
    if (rc) {
        char why[NN_ERR_MAX];
        snprintf(why, sizeof why, "%s", err ? err->msg : "");
        nn_fail(err, "%s: %s (try --help)", program, why);
    }
    return rc;
}
