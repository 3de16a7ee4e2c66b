/* main-emotion-clip.c - emotion-clip: the live program run end to end on a clip of PrivateTest
 * faces, a step of chapter 06's pipeline after the experiment that trains the model.
 *
 * It makes a clip of 640x480 frames with one PrivateTest face each, at a known place and size
 * (clip.h; smoke profile: the first 60 faces, full: all of them), and pipes it as raw frames
 * into emotion-live (the program next to this one), which reads the final model's .h5 file,
 * logs its own run (experiment live-clip: frames per second, latencies; live.h) and prints a
 * line per frame. The lines are kept in <dir of --db>/06-emotion/live-clip.txt and scored
 * against the clip (clip_score.h). This program's run, experiment live-clip-accuracy, logs:
 *   faces_shown, faces_found, false_faces, mean_iou (of the faces found), accuracy_found (the
 *   right emotion among the faces found), accuracy_shown (found and right, among all faces),
 *   direct_accuracy (the classifier on the clip's original 48x48 faces, all of them, without
 *   flip averaging as emotion-live runs it) and direct_accuracy_found (the same on the faces
 *   found), agreement_found (emotion-live's emotion = the classifier's on the original face),
 *   same_as_classifier (the share of the faces emotion-live reported whose emotion and seven
 *   probabilities are the classifier's on the crop of the reported box, made again here: 1
 *   unless the program's pipeline is broken), live_run (the id of emotion-live's run). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/sha256.h"
#include "chapter.h"
#include "classify.h"
#include "programs/clip.h"
#include "programs/clip_score.h"
#include "data/fer2013.h"
#include "lab/cli.h"
#include "lab/config_json.h"
#include "lab/experiment.h"
#include "programs/live_line.h"
#include "nn/model_h5.h"

#include <cblas.h>

extern char **environ;

#define WIDTH 640
#define HEIGHT 480
#define MIN_SIDE 120 /* faces of 120..192 pixels: a person half a metre to a metre from a */
#define MAX_SIDE 192 /* laptop camera's 640x480 picture */
#define MIN_IOU 0.5
#define SMOKE_FACES 60

static const char DESCRIPTION[] =
    "Chapter 06's live program end to end on a clip of PrivateTest faces: makes 640x480\n"
    "frames with one face each at a known place, pipes them into emotion-live (next to this\n"
    "program; it logs experiment live-clip), and scores its output against the clip\n"
    "(experiment live-clip-accuracy). Reads the final model of chapter 06 from --db (run\n"
    "06-emotion first). Smoke profile: the first 60 PrivateTest faces; full: all. Both\n"
    "programs run on one thread (emotion-live's default), whatever --threads says.";

/* The newest final model of the chapter in the database, and its SHA-256. */
static int final_model(nn_results *db, const char *db_path, char *path, size_t size,
                       char sha[SHA256_HEX_SIZE], nn_err *err) {
    sqlite3_stmt *st;
    const char *sql = "SELECT a.path, a.sha256 FROM artifacts a JOIN latest_runs r ON r.id = a.run_id"
                      " WHERE r.chapter = '" CHAPTER "' AND r.experiment = 'final'"
                      " AND a.kind = 'model' ORDER BY r.id DESC LIMIT 1";
    if (sqlite3_prepare_v2(results_handle(db), sql, -1, &st, NULL) != SQLITE_OK)
        return nn_fail(err, "%s: %s", db_path, sqlite3_errmsg(results_handle(db)));
    int rc = -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(path, size, "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(sha, SHA256_HEX_SIZE, "%s", (const char *)sqlite3_column_text(st, 1));
        rc = 0;
    } else {
        nn_fail(err, "%s: no final model of chapter 06 (run build/release/bin/06-emotion first)",
                db_path);
    }
    sqlite3_finalize(st);
    return rc;
}

/* The emotion-live program in this program's directory. */
static int live_program(char *path, size_t size, nn_err *err) {
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) return nn_fail(err, "/proc/self/exe: %s", strerror(errno));
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (slash) *slash = 0;
    if (snprintf(path, size, "%s/emotion-live", slash ? self : ".") >= (int)size)
        return nn_fail(err, "%s: path too long", self);
    if (access(path, X_OK)) return nn_fail(err, "%s: %s (make build)", path, strerror(errno));
    return 0;
}

typedef struct clip_job {
    const nn_cli *cli;
    const nn_images *faces;
    int n;
    ch06_clip clip;
    char model[4096], sha[SHA256_HEX_SIZE], lines[4200];
} clip_job;

/* Starts emotion-live reading raw frames from a pipe (*to_live) and printing into the lines
 * file; writes every frame of the clip into the pipe; waits for it to exit. */
static int run_live(clip_job *job, nn_err *err) {
    char live[PATH_MAX], seed[32];
    if (live_program(live, sizeof live, err)) return -1;
    snprintf(seed, sizeof seed, "%lld", (long long)job->cli->seed);
    char *argv[] = {live, "--raw", "640x480", "--model", job->model, "--db", (char *)job->cli->db,
                    "--profile", (char *)job->cli->profile, "--experiment", "live-clip",
                    "--seed", seed, "--verbose", "-", NULL};
    int fds[2], out = open(job->lines, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (out < 0) return nn_fail(err, "%s: %s", job->lines, strerror(errno));
    if (pipe(fds)) {
        close(out);
        return nn_fail(err, "pipe: %s", strerror(errno));
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, out, STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    posix_spawn_file_actions_addclose(&fa, out);
    pid_t pid;
    int spawned = posix_spawn(&pid, live, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[0]);
    close(out);
    if (spawned) {
        close(fds[1]);
        return nn_fail(err, "%s: %s", live, strerror(spawned));
    }
    /* A program that dies early closes the pipe: write then fails with EPIPE, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    uint8_t *frame = malloc((size_t)WIDTH * HEIGHT);
    int rc = frame ? 0 : nn_fail(err, "out of memory");
    for (int i = 0; i < job->n && !rc; i++) {
        ch06_box box;
        rc = ch06_clip_frame(&job->clip, i, job->faces->pixels + (size_t)i * CH06_PIXELS, frame,
                             &box, err);
        for (size_t done = 0; !rc && done < (size_t)WIDTH * HEIGHT;) {
            ssize_t w = write(fds[1], frame + done, (size_t)WIDTH * HEIGHT - done);
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) rc = nn_fail(err, "writing frame %d to emotion-live: %s", i + 1, strerror(errno));
            else done += (size_t)w;
        }
    }
    close(fds[1]);
    free(frame);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return nn_fail(err, "emotion-live failed (exit status %d; its message is above)",
                       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return rc;
}

/* Whether emotion-live's face f in frame i is what the classifier says of the same crop. */
static int same_as_classifier(nn_model *m, const uint8_t *frame, const ch06_face_result *f,
                              nn_err *err) {
    uint8_t face[CH06_PIXELS];
    float p[CH06_CLASSES];
    if (ch06_resample(frame, WIDTH, HEIGHT, f->box, face, CH06_SIDE, CH06_SIDE, err)) return -1;
    int said = ch06_classify_face(m, face, 0, p);
    if (said != f->emotion) return 0;
    for (int k = 0; k < CH06_CLASSES; k++)
        if (fabs(p[k] - f->probs[k]) > 0.0005 + 1e-6) return 0; /* printed with 3 decimals */
    return 1;
}

/* Reads the lines back and scores them; logs the accuracy run. */
static int score(clip_job *job, nn_results *db, nn_err *err) {
    FILE *in = fopen(job->lines, "r");
    if (!in) return nn_fail(err, "%s: %s", job->lines, strerror(errno));
    nn_err e;
    nn_model *m = nn_model_read_h5(job->model, 1, err);
    uint8_t *frame = malloc((size_t)WIDTH * HEIGHT);
    ch06_clip_tally t = {0};
    long reported = 0, same = 0;
    char line[4096];
    int rc = m && frame ? 0 : -1;
    if (m && !frame) nn_fail(err, "out of memory");
    for (int i = 0; i < job->n && !rc; i++) {
        ch06_frame_result r;
        const uint8_t *face = job->faces->pixels + (size_t)i * CH06_PIXELS;
        float p[CH06_CLASSES];
        ch06_box truth;
        if (!fgets(line, sizeof line, in)) {
            rc = nn_fail(err, "%s: %d lines for a clip of %d frames", job->lines, i, job->n);
        } else if (ch06_line_parse(line, &r, &e) || r.frame != i + 1) {
            rc = nn_fail(err, "%s: line %d: %s", job->lines, i + 1, r.frame != i + 1 ? "out of order" : e.msg);
        } else if (!(rc = ch06_clip_frame(&job->clip, i, face, frame, &truth, err))) {
            int direct = ch06_classify_face(m, face, 0, p);
            ch06_clip_tally_frame(&t, truth, job->faces->labels[i], direct, &r, MIN_IOU);
            for (int k = 0; k < r.faces && !rc; k++) {
                int s = r.has_probs ? same_as_classifier(m, frame, &r.face[k], err) : 0;
                rc = s < 0 ? -1 : 0;
                same += s == 1;
                reported++;
            }
        }
    }
    if (!rc && fgets(line, sizeof line, in))
        rc = nn_fail(err, "%s: more lines than the clip's %d frames", job->lines, job->n);
    fclose(in);
    free(frame);
    nn_model_free(m);
    if (rc) return -1;

    double live_run = -1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(results_handle(db),
                           "SELECT max(id) FROM runs WHERE chapter = '" CHAPTER
                           "' AND experiment = 'live-clip' AND status = 'done'",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        live_run = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);

    nn_json config;
    json_begin(&config);
    json_str(&config, "model", job->model);
    json_str(&config, "model_sha256", job->sha);
    json_int(&config, "faces", job->n);
    json_str(&config, "faces_from", "the first PrivateTest faces, in file order");
    json_int(&config, "width", WIDTH);
    json_int(&config, "height", HEIGHT);
    json_int(&config, "min_side", MIN_SIDE);
    json_int(&config, "max_side", MAX_SIDE);
    json_num(&config, "min_iou", MIN_IOU);
    json_str(&config, "lines", job->lines);
    int64_t run = results_begin_run(db, &(nn_run_info){CHAPTER, "live-clip-accuracy",
                                                        job->cli->profile, json_end(&config),
                                                        job->cli->seed},
                                    err);
    if (run < 0) return -1;
    double found = t.found ? (double)t.found : NAN;
    struct {
        const char *name;
        double value;
    } rows[] = {{"faces_shown", (double)t.shown},
                {"faces_found", (double)t.found},
                {"false_faces", (double)t.false_faces},
                {"mean_iou", t.iou_sum / found},
                {"accuracy_found", t.correct / found},
                {"accuracy_shown", (double)t.correct / t.shown},
                {"direct_accuracy", (double)t.direct_correct / t.shown},
                {"direct_accuracy_found", t.direct_correct_found / found},
                {"agreement_found", t.agree_found / found},
                {"same_as_classifier", reported ? (double)same / reported : NAN},
                {"live_run", live_run}};
    rc = results_transaction_begin(db, err);
    for (size_t k = 0; k < sizeof rows / sizeof *rows && !rc; k++)
        if (isfinite(rows[k].value)) rc = results_log_metric(db, run, rows[k].name, rows[k].value, err);
    rc = rc || results_transaction_commit(db, err);
    fprintf(stderr,
            "emotion-clip: %ld of %ld faces found (%ld false), right emotion for %.1f%% of those "
            "found (the classifier on the original faces: %.1f%%); same as the classifier on "
            "the same crops: %ld of %ld\n",
            t.found, t.shown, t.false_faces, 100 * t.correct / (t.found ? (double)t.found : 1),
            100 * t.direct_correct_found / (t.found ? (double)t.found : 1), same, reported);
    return experiment_end_run(db, run, rc, err);
}

int main(int argc, char **argv) {
    nn_cli cli;
    int code = cli_start(argc, argv, DESCRIPTION, stdout, stderr, &cli);
    if (code >= 0) return code;
    nn_err err = {{0}};
    nn_images split[FER2013_SPLITS] = {{0}};
    nn_results *db = NULL;
    clip_job job = {.cli = &cli};
    char dir[4096];
    int rc = -1;
    /* emotion-live runs on one core; the checks here use one too, so both compute alike */
    omp_set_num_threads(1);
    openblas_set_num_threads(1);
    if (fer2013_load_dir(cli.data_dir, split, &err) || !(db = results_open(cli.db, &err)) ||
        final_model(db, cli.db, job.model, sizeof job.model, job.sha, &err) ||
        experiment_files_dir(cli.db, CHAPTER, dir, sizeof dir, &err) ||
        ch06_clip_init(&job.clip, WIDTH, HEIGHT, MIN_SIDE, MAX_SIDE, (uint64_t)cli.seed, &err))
        goto out;
    job.faces = &split[FER2013_PRIVATE_TEST];
    job.n = cli.smoke && job.faces->n > SMOKE_FACES ? SMOKE_FACES : job.faces->n;
    snprintf(job.lines, sizeof job.lines, "%s/live-clip.txt", dir);
    fprintf(stderr, "emotion-clip: %d PrivateTest faces through emotion-live (%s)\n", job.n,
            job.model);
    if (run_live(&job, &err) || score(&job, db, &err)) goto out;
    rc = 0;
out:
    if (rc) fprintf(stderr, "emotion-clip: %s\n", err.msg);
    ch06_clip_free(&job.clip);
    results_close(db);
    for (int k = 0; k < FER2013_SPLITS; k++)
        images_free(&split[k]);
    return rc ? 1 : 0;
}
