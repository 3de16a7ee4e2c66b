/* options.c - a program's own options, taken out before the shared parser (chapter.h). */
#include <string.h>

#include "chapter.h"

int ch_take_option(int *argc, char **argv, const char *name, int has_value, const char **value) {
    for (int k = 1; k < *argc; k++) {
        if (strcmp(argv[k], name)) continue;
        if (has_value && k + 1 >= *argc) return -1;
        *value = has_value ? argv[k + 1] : "1";
        int drop = has_value ? 2 : 1;
        for (int j = k; j + drop <= *argc; j++)
            argv[j] = argv[j + drop]; /* argv[argc] is NULL and moves down with the rest */
        *argc -= drop;
        return 1;
    }
    return 0;
}
