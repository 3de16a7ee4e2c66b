/* progress.c - progress bar or plain progress lines (see progress.h). */
#include "base/progress.h"

#include <string.h>
#include <unistd.h>

#include "base/clock.h"

#define BAR_WIDTH 20
#define REDRAW_SECONDS 0.1

void progress_format_duration(double seconds, char *buf, size_t size) {
    if (seconds < 0 || seconds > 1e7) {
        snprintf(buf, size, "?");
        return;
    }
    long s = (long)(seconds + 0.5);
    if (s >= 3600) snprintf(buf, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else snprintf(buf, size, "%ld:%02ld", s / 60, s % 60);
}

void progress_start(nn_progress *p, FILE *out, const char *label, const char *unit, long total) {
    memset(p, 0, sizeof *p);
    p->out = out ? out : stderr;
    snprintf(p->label, sizeof p->label, "%s", label);
    p->unit = unit ? unit : "items";
    p->total = total > 0 ? total : 1;
    p->started = p->last_draw = nn_seconds();
    p->is_terminal = isatty(fileno(p->out));
    p->next_quarter = 1;
}

static void draw(nn_progress *p, double now, const char *note, int final) {
    double elapsed = now - p->started;
    double rate = elapsed > 0 ? p->done / elapsed : 0;
    double fraction = (double)p->done / p->total;
    if (fraction > 1) fraction = 1;
    char eta[32], took[32];
    progress_format_duration(rate > 0 ? (p->total - p->done) / rate : -1, eta, sizeof eta);
    progress_format_duration(elapsed, took, sizeof took);
    if (p->is_terminal) {
        char bar[BAR_WIDTH + 1];
        int filled = (int)(fraction * BAR_WIDTH);
        for (int i = 0; i < BAR_WIDTH; i++) bar[i] = i < filled ? '#' : '-';
        bar[BAR_WIDTH] = '\0';
        fprintf(p->out, "\r\033[K%s [%s] %3.0f%%  %.1f %s/s  %s %s  %s%s", p->label, bar,
                100 * fraction, rate, p->unit, final ? "took" : "ETA", final ? took : eta,
                note ? note : "", final ? "\n" : "");
    } else {
        fprintf(p->out, "%s: %3.0f%%  %.1f %s/s  %s %s  %s\n", p->label, 100 * fraction, rate,
                p->unit, final ? "took" : "ETA", final ? took : eta, note ? note : "");
    }
    fflush(p->out);
}

void progress_update(nn_progress *p, long done, const char *note) {
    p->done = done;
    double now = nn_seconds();
    if (p->is_terminal) {
        if (now - p->last_draw < REDRAW_SECONDS) return;
        p->last_draw = now;
        draw(p, now, note, 0);
    } else if (p->next_quarter < 4 && done * 4 >= (long)p->next_quarter * p->total) {
        while (p->next_quarter < 4 && done * 4 >= (long)p->next_quarter * p->total)
            p->next_quarter++;
        draw(p, now, note, 0);
    }
}

void progress_finish(nn_progress *p, const char *note) {
    p->done = p->total;
    draw(p, nn_seconds(), note, 1);
}
