/* fuzz_common.h - what the libFuzzer targets share: handing bytes to loaders that read paths.
 *
 * Most loaders take a path (they read the whole file with io_read_file or fopen). Writing
 * every input to disk would make the disk, not the parser, the bottleneck, so each input goes
 * into an anonymous in-memory file (memfd_create) reopened by the loader through
 * /proc/self/fd/N: a regular file with a size, exactly what a loader sees on disk, gzip
 * detection included. The files are created once per process and overwritten per input. */
#ifndef NN_FUZZ_COMMON_H
#define NN_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

enum { FUZZ_MAX_FILES = 4 };

typedef struct fuzz_file {
    int fd;
    char path[32];
} fuzz_file;

/* Makes `f` hold exactly data[0..size) and returns its path. Aborts if the kernel refuses:
 * a harness that cannot set up its input must not report "no crash". */
static inline const char *fuzz_file_set(fuzz_file *f, const uint8_t *data, size_t size) {
    if (f->fd <= 0) {
        f->fd = memfd_create("fuzz-input", MFD_CLOEXEC);
        if (f->fd < 0) {
            perror("memfd_create");
            abort();
        }
        snprintf(f->path, sizeof f->path, "/proc/self/fd/%d", f->fd);
    }
    /* Overwrite, then cut to length: truncating to 0 first would free and re-fault every
     * page of the file at each input. */
    size_t done = 0;
    while (done < size) {
        ssize_t n = pwrite(f->fd, data + done, size - done, (off_t)done);
        if (n <= 0) abort();
        done += (size_t)n;
    }
    if (ftruncate(f->fd, (off_t)size) != 0) abort();
    return f->path;
}

/* Reads every byte of buf, so that ASan sees the whole of what a loader claims to return. */
static inline unsigned fuzz_touch(const void *buf, size_t len) {
    const volatile uint8_t *p = buf;
    unsigned sum = 0;
    for (size_t i = 0; i < len; i++) sum += p[i];
    return sum;
}

#endif
