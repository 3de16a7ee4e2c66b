#!/usr/bin/env bash
# replay.sh - the fuzzers' part of make check (make fuzz-replay).
#
# Usage: fuzz/replay.sh --bin-dir build/fuzz --runs N TARGET...
# For each target: every file of fuzz/corpus/TARGET and fuzz/regressions/TARGET runs once
# (a regression input is a crash found before and fixed since: it must stay fixed), then
# the fuzzer runs N more inputs from that corpus with a fixed seed, so the run is the same
# every time. New inputs of the bounded run go to a scratch directory, never into the
# repository. One target at a time: the machine's cores are shared. The fuzzers' chatter
# goes to build/fuzz/logs/; on failure its end is printed.
set -euo pipefail

bin_dir=build/fuzz runs=20000
while [[ $# -gt 0 ]]; do
    case "$1" in
        --bin-dir) bin_dir=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "replay.sh: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
[[ $# -gt 0 ]] || { echo "replay.sh: no targets" >&2; exit 2; }

logs=$bin_dir/logs scratch=$bin_dir/check
mkdir -p "$logs"
# Leaks are crashes too (a parser that leaks on a bad file leaks on every bad file).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
failed=()
for t in "$@"; do
    fuzzer=$bin_dir/fuzz_$t log=$logs/replay-$t.log
    inputs=()
    for dir in fuzz/corpus/$t fuzz/regressions/$t; do
        [[ -d $dir ]] && while IFS= read -r -d '' f; do inputs+=("$f"); done \
            < <(find "$dir" -type f ! -name '*.md' -print0 | sort -z)
    done
    rm -rf "${scratch:?}/$t" && mkdir -p "$scratch/$t"
    start=$SECONDS
    if ! "$fuzzer" -runs=1 "${inputs[@]}" >"$log" 2>&1; then
        echo "  FUZZ $t: replaying ${#inputs[@]} inputs FAILED (log: $log)" >&2
        tail -n 30 "$log" >&2
        failed+=("$t")
        continue
    fi
    if ! "$fuzzer" -runs="$runs" -seed=1 -timeout=10 -rss_limit_mb=2048 \
            -artifact_prefix="$scratch/$t/" "$scratch/$t" "fuzz/corpus/$t" >>"$log" 2>&1; then
        echo "  FUZZ $t: bounded run of $runs inputs FAILED (log: $log; the input is in" \
             "$scratch/$t/)" >&2
        tail -n 30 "$log" >&2
        failed+=("$t")
        continue
    fi
    cov=$(grep -ao 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    echo "  FUZZ $t: ${#inputs[@]} inputs replayed, $runs more run, no crash" \
         "(cov ${cov:-?}, $((SECONDS - start)) s)"
done
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz: failing targets: ${failed[*]}" >&2
    exit 1
fi
