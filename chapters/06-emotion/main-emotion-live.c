/* main-emotion-live.c - emotion-live: chapter 06's live program (everything is in live.h). */
#include <stdio.h>

#include "programs/live.h"

int main(int argc, char **argv) {
    return ch06_live_main(argc, argv, stdout, stderr);
}
