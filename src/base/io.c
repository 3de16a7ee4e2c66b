/* io.c - whole-file reads with transparent gunzip (see io.h). */
#include "base/io.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

/* Deflate never expands data by more than about 5 bytes per 16 KiB stored block plus the
 * gzip header and trailer, so a compressed file larger than this cannot decompress to at most
 * max_bytes: refusing it early avoids reading it at all. */
static size_t compressed_limit(size_t max_bytes) {
    if (max_bytes > SIZE_MAX / 2) return max_bytes;
    return max_bytes + max_bytes / 256 + 1024;
}

/* The deflate format cannot expand more than 1032:1, so the output of src_len compressed bytes
 * is bounded by this; used to keep a corrupt size hint from driving a large allocation. */
static size_t inflate_bound(size_t src_len) {
    return src_len > SIZE_MAX / 1032 ? SIZE_MAX : src_len * 1032;
}

int io_is_gzip(const uint8_t *buf, size_t len) {
    return len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b;
}

/* Initial output capacity: the gzip trailer's ISIZE (uncompressed size mod 2^32 of the last
 * member) is exact for ordinary files, but it is only a hint, so it is clamped. */
static size_t initial_capacity(const uint8_t *src, size_t src_len, size_t limit) {
    size_t hint = 0;
    if (src_len >= 18) {
        const uint8_t *t = src + src_len - 4;
        hint = (size_t)t[0] | (size_t)t[1] << 8 | (size_t)t[2] << 16 | (size_t)t[3] << 24;
    }
    size_t bound = inflate_bound(src_len);
    if (hint > bound) hint = bound;
    if (hint < 4096) hint = 4096;
    if (hint > limit) hint = limit;
    return hint > 0 ? hint : 1;
}

int io_gunzip(const uint8_t *src, size_t src_len, size_t max_bytes, const char *name,
              uint8_t **data, size_t *len, nn_err *err) {
    *data = NULL;
    *len = 0;
    if (!io_is_gzip(src, src_len)) return nn_fail(err, "%s: not gzip data", name);
    /* Room for one byte beyond max_bytes: producing it proves the content is too large. */
    size_t limit = max_bytes < SIZE_MAX - 1 ? max_bytes + 1 : max_bytes;
    size_t cap = initial_capacity(src, src_len, limit);
    uint8_t *buf = malloc(cap + 1);
    if (!buf) return nn_fail(err, "%s: out of memory (%zu bytes)", name, cap + 1);

    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 16) != Z_OK) { /* 15-bit window, gzip wrapper only */
        free(buf);
        return nn_fail(err, "%s: cannot initialise zlib", name);
    }
    size_t in_pos = 0, out_len = 0;
    int rc = -1;
    for (;;) {
        if (out_len == cap) {
            if (cap >= limit) {
                nn_fail(err, "%s: too large: uncompressed size exceeds the limit of %zu bytes",
                        name, max_bytes);
                break;
            }
            size_t ncap = cap < limit / 2 ? cap * 2 : limit;
            uint8_t *nbuf = realloc(buf, ncap + 1);
            if (!nbuf) {
                nn_fail(err, "%s: out of memory (%zu bytes)", name, ncap + 1);
                break;
            }
            buf = nbuf;
            cap = ncap;
        }
        /* zlib counts in unsigned int; feed at most that much per call. */
        size_t in_chunk = src_len - in_pos, out_chunk = cap - out_len;
        if (in_chunk > UINT_MAX) in_chunk = UINT_MAX;
        if (out_chunk > UINT_MAX) out_chunk = UINT_MAX;
        zs.next_in = (Bytef *)(src + in_pos);
        zs.avail_in = (unsigned)in_chunk;
        zs.next_out = buf + out_len;
        zs.avail_out = (unsigned)out_chunk;
        int ret = inflate(&zs, Z_NO_FLUSH);
        size_t used = in_chunk - zs.avail_in, made = out_chunk - zs.avail_out;
        in_pos += used;
        out_len += made;
        if (ret == Z_STREAM_END) {
            if (in_pos == src_len) {
                rc = 0;
                break;
            }
            /* gzip(1) concatenates members; anything else after a member is damage. */
            if (!io_is_gzip(src + in_pos, src_len - in_pos)) {
                nn_fail(err, "%s: corrupt gzip data: %zu unexpected bytes after the end", name,
                        src_len - in_pos);
                break;
            }
            inflateReset(&zs);
            continue;
        }
        if (ret == Z_DATA_ERROR || ret == Z_NEED_DICT) {
            nn_fail(err, "%s: corrupt gzip data (%s)", name, zs.msg ? zs.msg : "bad stream");
            break;
        }
        if (ret == Z_MEM_ERROR) {
            nn_fail(err, "%s: out of memory in zlib", name);
            break;
        }
        /* Z_OK or Z_BUF_ERROR: the stream wants more input but there is none left. */
        if (in_pos == src_len && out_len < cap) {
            nn_fail(err, "%s: truncated gzip data (%zu compressed bytes end mid-stream)", name,
                    src_len);
            break;
        }
        if (used == 0 && made == 0 && ret == Z_BUF_ERROR) {
            nn_fail(err, "%s: corrupt gzip data (no progress)", name);
            break;
        }
    }
    inflateEnd(&zs);
    if (rc != 0) {
        free(buf);
        return -1;
    }
    /* Give back an over-generous hint; keep the terminating zero byte. */
    if (cap > out_len + 4096) {
        uint8_t *nbuf = realloc(buf, out_len + 1);
        if (nbuf) buf = nbuf;
    }
    buf[out_len] = 0;
    *data = buf;
    *len = out_len;
    return 0;
}

int io_read_file(const char *path, size_t max_bytes, uint8_t **data, size_t *len, nn_err *err) {
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return nn_fail(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return nn_fail(err, "%s: not a regular file", path);
    }
    uint8_t magic[2] = {0, 0};
    size_t got_magic = fread(magic, 1, 2, f);
    int gz = io_is_gzip(magic, got_magic);
    size_t limit = gz ? compressed_limit(max_bytes) : max_bytes;
    if ((unsigned long long)st.st_size > limit) {
        fclose(f);
        return nn_fail(err, "%s: too large: %lld bytes, limit %zu", path, (long long)st.st_size,
                       max_bytes);
    }
    size_t size = (size_t)st.st_size;
    uint8_t *buf = malloc(size + 1);
    if (!buf) {
        fclose(f);
        return nn_fail(err, "%s: out of memory (%zu bytes)", path, size + 1);
    }
    memcpy(buf, magic, got_magic);
    size_t got =
        got_magic + (size > got_magic ? fread(buf + got_magic, 1, size - got_magic, f) : 0);
    int read_failed = ferror(f);
    fclose(f);
    if (read_failed || got != size) {
        free(buf);
        return nn_fail(err, "%s: read error: got %zu of %zu bytes", path, got, size);
    }
    buf[size] = 0;
    if (!gz) {
        *data = buf;
        *len = size;
        return 0;
    }
    int rc = io_gunzip(buf, size, max_bytes, path, data, len, err);
    free(buf);
    return rc;
}

int io_find_data(const char *dir, const char *name, char *out, size_t cap, nn_err *err) {
    struct stat st;
    int n = snprintf(out, cap, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= cap) return nn_fail(err, "%s/%s: path too long", dir, name);
    if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) return 0;
    n = snprintf(out, cap, "%s/%s.gz", dir, name);
    if (n < 0 || (size_t)n >= cap) return nn_fail(err, "%s/%s.gz: path too long", dir, name);
    if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) return 0;
    return nn_fail(err, "%s/%s: not found (nor %s.gz); run `make data` to fetch the datasets", dir,
                   name, name);
}

int io_ensure_dir(const char *dir, nn_err *err) {
    if (mkdir(dir, 0777) == 0) return 0;
    int saved = errno;
    struct stat st;
    if (saved == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) return 0;
    return nn_fail(err, "%s: cannot create directory: %s", dir,
                   saved == EEXIST ? "a file of that name is in the way" : strerror(saved));
}
