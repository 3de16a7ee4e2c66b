/* fuzz_bench_records.c - libFuzzer target: the JSON-lines records of `make bench`
 * (bench_parse_records, bench/records.c).
 *
 * The input is a whole records file, passed as exactly `size` bytes (no terminating NUL),
 * so ASan reports any read past its end. An accepted file must yield records that each
 * have impl and kind, with every text field terminated inside its array. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static bench_record recs[BENCH_MAX_RECORDS];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int n = -1;
    nn_err err;
    if (bench_parse_records((const char *)data, size, "fuzz.jsonl", recs, BENCH_MAX_RECORDS, &n,
                            &err) == 0) {
        if (n < 0 || n > BENCH_MAX_RECORDS) abort();
        for (int i = 0; i < n; i++) {
            const bench_record *r = &recs[i];
            if (!r->impl[0] || !r->kind[0]) abort();
            if (strnlen(r->config, sizeof r->config) == sizeof r->config ||
                strnlen(r->cpu, sizeof r->cpu) == sizeof r->cpu ||
                strnlen(r->label, sizeof r->label) == sizeof r->label)
                abort();
        }
    }
    return 0;
}
