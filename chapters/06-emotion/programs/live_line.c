/* live_line.c - the live program's per-frame line, printed and read back (see live_line.h). */
#include "live_line.h"

#include <stdlib.h>
#include <string.h>

#include "data/fer2013.h"

static void print_face(FILE *out, const ch06_face_result *f, int verbose) {
    fprintf(out, "%d,%d %dx%d %s %.3f", f->box.x, f->box.y, f->box.w, f->box.h,
            fer2013_class_name(f->emotion), f->probs[f->emotion]);
    if (!verbose) return;
    for (int k = 0; k < CH06_CLASSES; k++)
        fprintf(out, "%s%s %.3f", k ? " " : " (", fer2013_class_name(k), f->probs[k]);
    fputc(')', out);
}

void ch06_line_print(FILE *out, const ch06_frame_result *r, int verbose) {
    fprintf(out, "%.3f frame %ld: ", r->seconds, r->frame);
    if (r->faces == 0)
        fputs("no face", out);
    else
        fprintf(out, "%d face%s: ", r->faces, r->faces == 1 ? "" : "s");
    for (int i = 0; i < r->faces; i++) {
        if (i) fputs("; ", out);
        print_face(out, &r->face[i], verbose);
    }
    fputc('\n', out);
}

static int class_of(const char *name, size_t len) {
    for (int k = 0; k < CH06_CLASSES; k++)
        if (strlen(fer2013_class_name(k)) == len && !strncmp(fer2013_class_name(k), name, len))
            return k;
    return -1;
}

/* One face at *p: "X,Y WxH EMOTION P" and optionally " (NAME P ... NAME P)". Advances *p. */
static int parse_face(const char **p, ch06_face_result *f, int *has_probs) {
    char name[16];
    int used = 0;
    if (sscanf(*p, "%d,%d %dx%d %15s %f%n", &f->box.x, &f->box.y, &f->box.w, &f->box.h, name,
               &f->probs[0], &used) != 6)
        return -1;
    *p += used;
    float p_best = f->probs[0];
    if ((f->emotion = class_of(name, strlen(name))) < 0) return -1;
    memset(f->probs, 0, sizeof f->probs);
    f->probs[f->emotion] = p_best;
    if (strncmp(*p, " (", 2)) {
        *has_probs = 0;
        return 0;
    }
    *p += 1;
    for (int k = 0; k < CH06_CLASSES; k++) {
        if (sscanf(*p, k ? " %15s %f%n" : "(%15s %f%n", name, &f->probs[k], &used) != 2 ||
            class_of(name, strlen(name)) != k)
            return -1;
        *p += used;
    }
    if (**p != ')' || f->probs[f->emotion] != p_best) return -1;
    *p += 1;
    return 0;
}

int ch06_line_parse(const char *line, ch06_frame_result *r, nn_err *err) {
    memset(r, 0, sizeof *r);
    size_t len = strcspn(line, "\n");
    int used = 0;
    const char *p = line;
    if (sscanf(p, "%lf frame %ld: %n", &r->seconds, &r->frame, &used) != 2 || !used) goto bad;
    p += used;
    r->has_probs = 1;
    if (!strncmp(p, "no face", 7)) {
        p += 7;
    } else {
        char word[8];
        if (sscanf(p, "%d %7[faces]: %n", &r->faces, word, &used) != 2 || !used ||
            r->faces < 1 || r->faces > CH06_MAX_FACES ||
            strcmp(word, r->faces == 1 ? "face" : "faces"))
            goto bad;
        p += used;
        for (int i = 0; i < r->faces; i++) {
            int has = 1;
            if (i && strncmp(p, "; ", 2)) goto bad;
            if (i) p += 2;
            if (parse_face(&p, &r->face[i], &has)) goto bad;
            r->has_probs &= has;
        }
    }
    if (p != line + len) goto bad;
    if (!r->faces) r->has_probs = 0;
    return 0;
bad:
    return nn_fail(err, "not a line of emotion-live: '%.*s'", (int)(len > 200 ? 200 : len), line);
}
