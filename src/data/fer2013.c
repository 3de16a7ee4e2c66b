/* fer2013.c - the FER2013 CSV loader (see fer2013.h).
 *
 * The file is 301 MB of text, so it is read line by line (getline) instead of whole, and
 * parsed by hand: strtol would accept signs, blanks and leading "0x", which are not part of
 * the format, and is slower than a digit loop on 82 million values. Every split grows by
 * doubling; nothing is kept from a failed load. */
#include "data/fer2013.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FER_PIXELS (FER2013_SIDE * FER2013_SIDE)
#define FER_HEADER "emotion,pixels,Usage"

const char *fer2013_class_name(int label) {
    static const char *const names[FER2013_CLASSES] = {"angry", "disgust",  "fear",   "happy",
                                                       "sad",   "surprise", "neutral"};
    return label >= 0 && label < FER2013_CLASSES ? names[label] : "?";
}

const char *fer2013_split_name(int split) {
    static const char *const names[FER2013_SPLITS] = {"Training", "PublicTest", "PrivateTest"};
    return split >= 0 && split < FER2013_SPLITS ? names[split] : "?";
}

/* Room for one more image in a growing split. */
static int reserve(nn_images *im, size_t *cap) {
    if ((size_t)im->n < *cap) return 0;
    if (im->n == INT_MAX) return -1;
    size_t grown = *cap ? 2 * *cap : 4096;
    uint8_t *pixels = realloc(im->pixels, grown * FER_PIXELS);
    if (!pixels) return -1;
    im->pixels = pixels;
    uint8_t *labels = realloc(im->labels, grown);
    if (!labels) return -1;
    im->labels = labels;
    *cap = grown;
    return 0;
}

/* A field's text for a message: at most 24 characters of it, ending at the next comma. */
static void snippet(const char *s, char out[32]) {
    size_t n = strcspn(s, ",");
    if (n > 24) n = 24;
    memcpy(out, s, n);
    out[n] = 0;
    if (n == 24) strcpy(out + 24, "...");
}

/* Parses one data row (without its line end) into pixels/label/split. Returns NULL on
 * success, or the reason it is not a row. reason_buf holds formatted reasons. */
static const char *parse_row(const char *s, uint8_t *pixels, int *label, int *split,
                             char reason_buf[128]) {
    char what[32];
    /* emotion: one digit 0..6 (the class codes have one digit; "06" is not one) */
    if (!(s[0] >= '0' && s[0] <= '9') || s[1] != ',') {
        snippet(s, what);
        if (!strchr(s, ',')) return "malformed CSV: expected 3 fields, found 1";
        snprintf(reason_buf, 128, "unknown class '%s' (expected 0..%d)", what, FER2013_CLASSES - 1);
        return reason_buf;
    }
    if (s[0] - '0' >= FER2013_CLASSES) {
        snprintf(reason_buf, 128, "unknown class '%c' (expected 0..%d)", s[0], FER2013_CLASSES - 1);
        return reason_buf;
    }
    *label = s[0] - '0';
    s += 2;
    /* pixels: FER_PIXELS numbers 0..255, single spaces between them */
    int count = 0;
    for (;;) {
        if (!(*s >= '0' && *s <= '9')) {
            if ((*s == ',' || *s == 0) && count == 0) break; /* an empty field: see below */
            if (*s == ',' || *s == 0) {
                snprintf(reason_buf, 128, "a space after pixel %d but no value", count);
                return reason_buf;
            }
            snippet(s, what);
            snprintf(reason_buf, 128, "pixel %d is '%s', not a number 0..255", count + 1, what);
            return reason_buf;
        }
        int v = 0, digits = 0;
        while (*s >= '0' && *s <= '9') {
            if (digits < 4) v = 10 * v + (*s - '0');
            digits++, s++;
        }
        if (digits > 3) {
            snprintf(reason_buf, 128, "pixel %d has %d digits, out of range 0..255", count + 1,
                     digits);
            return reason_buf;
        }
        if (v > 255) {
            snprintf(reason_buf, 128, "pixel %d is %d, out of range 0..255", count + 1, v);
            return reason_buf;
        }
        if (count < FER_PIXELS) pixels[count] = (uint8_t)v;
        count++;
        if (*s == ' ') {
            s++;
            continue;
        }
        if (*s == ',' || *s == 0) break;
        snippet(s, what);
        snprintf(reason_buf, 128, "unexpected '%c' after pixel %d", *s, count);
        return reason_buf;
    }
    if (count != FER_PIXELS) {
        if (*s == 0 && count == 0) return "malformed CSV: expected 3 fields, found 2";
        snprintf(reason_buf, 128, "%d pixels, expected %d (48x48)", count, FER_PIXELS);
        return reason_buf;
    }
    if (*s != ',') return "malformed CSV: expected 3 fields, found 2";
    s++;
    /* Usage */
    for (int k = 0; k < FER2013_SPLITS; k++)
        if (strcmp(s, fer2013_split_name(k)) == 0) {
            *split = k;
            return NULL;
        }
    if (strchr(s, ',')) return "malformed CSV: more than 3 fields";
    snippet(s, what);
    snprintf(reason_buf, 128, "unknown usage '%s' (expected Training, PublicTest or PrivateTest)",
             what);
    return reason_buf;
}

static void free_all(nn_images out[FER2013_SPLITS]) {
    for (int k = 0; k < FER2013_SPLITS; k++)
        images_free(&out[k]);
}

int fer2013_load(const char *path, nn_images out[FER2013_SPLITS], nn_err *err) {
    size_t cap[FER2013_SPLITS] = {0};
    for (int k = 0; k < FER2013_SPLITS; k++)
        out[k] =
            (nn_images){.c = 1, .h = FER2013_SIDE, .w = FER2013_SIDE, .classes = FER2013_CLASSES};
    FILE *f = fopen(path, "rb");
    if (!f) {
        free_all(out);
        return nn_fail(err, "%s: cannot open: %s", path, strerror(errno));
    }
    char *line = NULL, reason_buf[128];
    size_t line_cap = 0;
    long lineno = 0, rows = 0;
    const char *reason = NULL;
    ssize_t len;
    while ((len = getline(&line, &line_cap, f)) >= 0) {
        lineno++;
        if (len > 0 && line[len - 1] == '\n') line[--len] = 0;
        if (len > 0 && line[len - 1] == '\r') line[--len] = 0;
        if (strlen(line) != (size_t)len) {
            reason = "malformed CSV: NUL byte in the line";
            break;
        }
        if (lineno == 1) {
            if (strcmp(line, FER_HEADER) != 0) {
                char what[32];
                snprintf(what, sizeof what, "%.24s%s", line, len > 24 ? "..." : "");
                snprintf(reason_buf, sizeof reason_buf,
                         "not a FER2013 CSV: header is '%s', expected '" FER_HEADER "'", what);
                reason = reason_buf;
                break;
            }
            continue;
        }
        if (len == 0) {
            reason = "empty line";
            break;
        }
        uint8_t pixels[FER_PIXELS];
        int label = 0, split = 0;
        if ((reason = parse_row(line, pixels, &label, &split, reason_buf))) break;
        nn_images *im = &out[split];
        if (reserve(im, &cap[split])) {
            reason = "out of memory";
            break;
        }
        memcpy(im->pixels + (size_t)im->n * FER_PIXELS, pixels, FER_PIXELS);
        im->labels[im->n++] = (uint8_t)label;
        rows++;
    }
    int read_error = ferror(f);
    free(line);
    fclose(f);
    if (!reason && read_error) return free_all(out), nn_fail(err, "%s: read error", path);
    if (!reason && lineno == 0) return free_all(out), nn_fail(err, "%s: empty file", path);
    if (!reason && rows == 0)
        return free_all(out), nn_fail(err, "%s: no rows after the header", path);
    if (reason) {
        free_all(out);
        return nn_fail(err, "%s:%ld: %s", path, lineno, reason);
    }
    return 0;
}

int fer2013_load_dir(const char *data_dir, nn_images out[FER2013_SPLITS], nn_err *err) {
    char path[4096];
    if (snprintf(path, sizeof path, "%s/fer2013/fer2013.csv", data_dir) >= (int)sizeof path)
        return nn_fail(err, "%s: data directory path too long", data_dir);
    return fer2013_load(path, out, err);
}
