#!/usr/bin/env bash
# soak.sh - eight processes write runs into one results database while a reader checks it
# and the report's filler reads it, all at once. Run by `make check` (target `soak`).
#
# Promised (README, docs/architecture.md): zero lost rows, zero SQLITE_BUSY failures (every
# writer, the reader and every fill exit 0), and every finished run is whole whenever a
# reader looks (tools/db-soak.c checks that in each snapshot).
set -euo pipefail
cd "$(dirname "$0")/.."

WRITERS=${SOAK_WRITERS:-8} RUNS=${SOAK_RUNS:-25} EPOCHS=${SOAK_EPOCHS:-20}
OUT=build/soak
DB=$OUT/soak.sqlite
BIN=build/release/bin
failures=0 passes=0
pass() { passes=$((passes + 1)); echo "  ok   $*"; }
fail() { failures=$((failures + 1)); echo "  FAIL $*" >&2; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
q() { sqlite3 -batch -noheader "$DB" "$1"; }

rm -rf "$OUT" && mkdir -p "$OUT"
echo "soak: $WRITERS writers x $RUNS runs x $EPOCHS epochs, a checking reader and the filler, one database"
# The database exists before anyone reads it (the reader and fill never create one).
"$BIN/db-soak" --db "$DB" write --writer 999 --runs 1 --epochs 1
printf 'Soak runs so far: {{ SELECT count(*) FROM latest_runs WHERE chapter = %s }}.\n' "'soak'" \
    >"$OUT/template.md"

"$BIN/db-soak" --db "$DB" read --until "$OUT/stop" >"$OUT/reader.log" 2>&1 &
reader=$!
fills=0 fill_failures=0
(
    n=0 bad=0
    while [[ ! -e "$OUT/stop" ]]; do
        if "$BIN/fill" --db "$DB" "$OUT/template.md" >"$OUT/filled.md" 2>>"$OUT/fill.err"; then
            n=$((n + 1))
        else
            bad=$((bad + 1))
        fi
    done
    echo "$n $bad" >"$OUT/fill.count"
) &
filler=$!

started=$(date +%s%N)
pids=()
for ((k = 0; k < WRITERS; k++)); do
    "$BIN/db-soak" --db "$DB" write --writer "$k" --runs "$RUNS" --epochs "$EPOCHS" \
        2>"$OUT/writer$k.err" &
    pids+=($!)
done
writer_failures=0
for p in "${pids[@]}"; do wait "$p" || writer_failures=$((writer_failures + 1)); done
ms=$((($(date +%s%N) - started) / 1000000))
touch "$OUT/stop"
reader_rc=0
wait "$reader" || reader_rc=$?
wait "$filler"
read -r fills fill_failures <"$OUT/fill.count"

check "every writer finished (no SQLITE_BUSY or other error): $writer_failures failed" \
    test "$writer_failures" = 0
[[ $writer_failures = 0 ]] || cat "$OUT"/writer*.err >&2
check "the reader saw every done run whole ($(cat "$OUT/reader.log"))" test "$reader_rc" = 0
check "every fill of the report template succeeded ($fills fills, $fill_failures failed)" \
    test "$fill_failures" = 0 -a "$fills" -gt 0
want_runs=$((WRITERS * RUNS))
check "all $want_runs runs are done" \
    test "$(q "SELECT count(*) FROM runs WHERE chapter = 'soak' AND status = 'done' AND seed != 999")" = "$want_runs"
check "no run left running" test "$(q "SELECT count(*) FROM runs WHERE status != 'done'")" = 0
want_rows=$((want_runs * EPOCHS * 2))
check "no epoch row lost ($want_rows)" \
    test "$(q "SELECT count(*) FROM epochs e JOIN runs r ON r.id = e.run_id WHERE r.seed != 999")" = "$want_rows"
check "no metric lost" \
    test "$(q "SELECT count(*) FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.seed != 999")" = "$((want_runs * (EPOCHS + 1)))"
check "the last fill saw every run" grep -q "Soak runs so far: $((want_runs + 1))" "$OUT/filled.md"
echo "soak: $want_runs runs, $((want_runs * (EPOCHS + 1))) write transactions in ${ms} ms"
echo "soak: $passes passed, $failures failed"
[[ $failures -eq 0 ]]
