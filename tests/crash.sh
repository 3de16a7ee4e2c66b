#!/usr/bin/env bash
# crash.sh - what a killed experiment, a full disk, a read-only and a corrupt database do to
# the results. Run by `make check` (target `crash`).
#
# Promised (README, docs/architecture.md):
#  - kill -9 in the middle of a run leaves that run 'running', which no report query reads,
#    and no stamp, so the next make runs the experiment again and completes;
#  - a full disk, a read-only database and a corrupt database each give one line naming the
#    file and the problem and a non-zero exit, and lose nothing recorded before.
# The disk cases need a small tmpfs (mount, as root); where mounting is not allowed they are
# reported as skipped, never as passed.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=build/crash
DB=$OUT/results.sqlite
CH=01-depth-activations
MAKEVARS=(PROFILE=smoke "OUT=$OUT" --no-print-directory)
failures=0 passes=0 skipped=0
pass() { passes=$((passes + 1)); echo "  ok   $*"; }
fail() { failures=$((failures + 1)); echo "  FAIL $*" >&2; }
skip() { skipped=$((skipped + 1)); echo "  skip $*"; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
q() { sqlite3 -batch -noheader "$1" "$2"; }
# (sqlite3 takes a file: URI too, e.g. for opening a database on a read-only medium.)
mnt=$OUT/disk
cleanup() { mountpoint -q "$mnt" 2>/dev/null && umount "$mnt" || true; }
trap cleanup EXIT

cleanup
rm -rf "$OUT" && mkdir -p "$OUT"
echo "crash: kill -9 of $CH in the middle of a run, then make again"
make "${MAKEVARS[@]}" "$OUT/work/stamps/$CH.done" >"$OUT/make1.log" 2>&1 &
make_pid=$!
# Wait until a run has logged rows but is not finished, then kill the program hard.
killed=0
for _ in $(seq 1 600); do
    if [[ -s "$DB" ]] && [[ "$(q "$DB" "SELECT count(*) FROM runs r WHERE r.status = 'running'
            AND EXISTS (SELECT 1 FROM epochs e WHERE e.run_id = r.id)" 2>/dev/null || echo 0)" -gt 0 ]]; then
        pkill -KILL -f "bin/$CH --db $DB" && killed=1
        break
    fi
    sleep 0.05
done
wait "$make_pid" && make_rc=0 || make_rc=$?
check "the experiment was killed mid-run" test "$killed" = 1
check "make failed with it (exit $make_rc)" test "$make_rc" -ne 0
check "no stamp was left" test ! -e "$OUT/work/stamps/$CH.done"
running=$(q "$DB" "SELECT group_concat(id) FROM runs WHERE status = 'running'")
check "the killed run stays 'running' (run $running)" test -n "$running"
check "the report's views never show it" \
    test "$(q "$DB" "SELECT count(*) FROM latest_runs WHERE id IN ($running)")" = 0
make "${MAKEVARS[@]}" "$OUT/work/md/$CH.md" >"$OUT/make2.log" 2>&1 && rc=0 || rc=$?
check "the next make re-runs the experiment and fills the chapter (exit $rc)" \
    test "$rc" = 0 -a -s "$OUT/work/md/$CH.md"
check "the re-run finished every run it started" \
    test "$(q "$DB" "SELECT count(*) FROM runs WHERE status != 'done' AND id NOT IN ($running)")" = 0
check "the killed run is still not shown" \
    test "$(q "$DB" "SELECT count(*) FROM latest_runs WHERE id IN ($running)")" = 0
check "the database is intact" test "$(q "$DB" "PRAGMA integrity_check")" = ok

# What is recorded before a failure, to compare after it.
snapshot() { q "$1" "SELECT count(*), sum(status = 'done') FROM runs; SELECT count(*) FROM epochs;
                     SELECT count(*) FROM metrics; SELECT count(*) FROM grad_stats"; }
# The program's last line of stderr must be the error, naming the database file.
one_line_error() {
    local log=$1 file=$2 rc=$3
    [[ $rc -ne 0 ]] && tail -n 1 "$log" | grep -q -- "$file" &&
        ! tail -n 1 "$log" | grep -qi 'segmentation\|assert\|sanitizer'
}
run_intro() { build/release/bin/00-intro --db "$1" --profile smoke --threads 1 --figures "$OUT/fig"; }

echo "crash: a corrupt database"
cp "$DB" "$OUT/corrupt.sqlite"
rm -f "$OUT/corrupt.sqlite-wal" "$OUT/corrupt.sqlite-shm"
# Overwrite the middle of the file (table pages) and the header's page size with noise.
size=$(stat -c %s "$OUT/corrupt.sqlite")
head -c 8192 /dev/urandom | dd of="$OUT/corrupt.sqlite" bs=1 seek=$((size / 2)) conv=notrunc status=none
printf '\xff\xff' | dd of="$OUT/corrupt.sqlite" bs=1 seek=16 conv=notrunc status=none
before=$(sha256sum <"$OUT/corrupt.sqlite")
run_intro "$OUT/corrupt.sqlite" >/dev/null 2>"$OUT/corrupt.err" && rc=0 || rc=$?
check "corrupt database: one line naming the file, exit $rc ($(tail -n 1 "$OUT/corrupt.err"))" \
    one_line_error "$OUT/corrupt.err" "$OUT/corrupt.sqlite" "$rc"
check "corrupt database: the file is left as it was" test "$(sha256sum <"$OUT/corrupt.sqlite")" = "$before"

mkdir -p "$mnt"
db_kb=$(( ($(stat -c %s "$DB") + 1023) / 1024 ))
if mount -t tmpfs -o size=$((db_kb + 64))k tmpfs "$mnt" 2>/dev/null; then
    echo "crash: a full disk (tmpfs of $((db_kb + 64)) KiB holding a $db_kb KiB database)"
    cp "$DB" "$mnt/results.sqlite"
    want=$(snapshot "$mnt/results.sqlite")
    run_intro "$mnt/results.sqlite" >/dev/null 2>"$OUT/full.err" && rc=0 || rc=$?
    check "full disk: one line naming the file, exit $rc ($(tail -n 1 "$OUT/full.err"))" \
        one_line_error "$OUT/full.err" "$mnt/results.sqlite" "$rc"
    got=$(snapshot "$mnt/results.sqlite" | head -c 100000)
    # Rows of the failed run may remain (its status says it did not finish); nothing earlier
    # may be gone: the done runs and their rows are all still there.
    done_before=$(q "$DB" "SELECT count(*) FROM runs WHERE status = 'done'")
    check "full disk: every done run is still there ($done_before)" \
        test "$(q "$mnt/results.sqlite" "SELECT count(*) FROM runs WHERE status = 'done'")" = "$done_before"
    check "full disk: their rows are all still there" \
        test "$(q "$mnt/results.sqlite" "SELECT count(*) FROM epochs e JOIN runs r ON r.id = e.run_id WHERE r.status = 'done'")" = \
             "$(q "$DB" "SELECT count(*) FROM epochs e JOIN runs r ON r.id = e.run_id WHERE r.status = 'done'")"
    check "full disk: the database is intact" test "$(q "$mnt/results.sqlite" "PRAGMA integrity_check")" = ok
    : "$want" "$got"

    echo "crash: a read-only database"
    rm -f "$mnt"/results.sqlite*
    cp "$DB" "$mnt/results.sqlite"
    sqlite3 "$mnt/results.sqlite" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
    want=$(snapshot "$mnt/results.sqlite")
    mount -o remount,ro "$mnt"
    run_intro "$mnt/results.sqlite" >/dev/null 2>"$OUT/ro.err" && rc=0 || rc=$?
    check "read-only database: one line naming the file, exit $rc ($(tail -n 1 "$OUT/ro.err"))" \
        one_line_error "$OUT/ro.err" "$mnt/results.sqlite" "$rc"
    # A WAL database on a read-only file system opens only as immutable.
    check "read-only database: nothing lost" \
        test "$(snapshot "file:$mnt/results.sqlite?immutable=1")" = "$want"
else
    skip "full disk and read-only database: mounting a tmpfs is not allowed here"
fi

echo "crash: $passes passed, $failures failed, $skipped skipped"
[[ $failures -eq 0 ]]
