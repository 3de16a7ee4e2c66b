/* test_progress.c - plain-mode progress lines (what logs and CI see) and durations. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "base/progress.h"

Test(progress, plain_mode_prints_quarters_and_a_final_line) {
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    nn_progress p;
    progress_start(&p, out, "train", "img", 100);
    cr_assert_eq(p.is_terminal, 0);
    for (long i = 1; i <= 100; i++) progress_update(&p, i, "loss 0.5");
    progress_finish(&p, "done");
    fclose(out);
    int lines = 0;
    for (char *c = buf; *c; c++) lines += *c == '\n';
    cr_assert_eq(lines, 4, "25%%, 50%%, 75%% and the final line, got:\n%s", buf);
    cr_assert(strstr(buf, "train:  25%") != NULL, "%s", buf);
    cr_assert(strstr(buf, "100%") != NULL && strstr(buf, "took") != NULL, "%s", buf);
    cr_assert(strstr(buf, "img/s") != NULL && strstr(buf, "loss 0.5") != NULL, "%s", buf);
    free(buf);
}

Test(progress, a_jump_past_several_quarters_prints_once) {
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    nn_progress p;
    progress_start(&p, out, "x", NULL, 10);
    progress_update(&p, 9, NULL);
    progress_update(&p, 10, NULL);
    fclose(out);
    int lines = 0;
    for (char *c = buf; *c; c++) lines += *c == '\n';
    cr_assert_eq(lines, 1, "%s", buf);
    free(buf);
}

Test(progress, durations_are_formatted_for_people) {
    char b[32];
    progress_format_duration(7, b, sizeof b);
    cr_assert_str_eq(b, "0:07");
    progress_format_duration(125, b, sizeof b);
    cr_assert_str_eq(b, "2:05");
    progress_format_duration(3725, b, sizeof b);
    cr_assert_str_eq(b, "1:02:05");
    progress_format_duration(-1, b, sizeof b);
    cr_assert_str_eq(b, "?");
}
