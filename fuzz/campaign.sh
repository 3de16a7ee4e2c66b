#!/usr/bin/env bash
# campaign.sh - a fuzzing campaign: every target in turn, its figures printed and stored
# (make fuzz).
#
# Usage: fuzz/campaign.sh --bin-dir build/fuzz --seconds S --jobs J --db DB [--profile P]
#                         --record build/release/bin/fuzz-record TARGET...
# The runs are recorded under profile P (default full): the profile of the report that
# reads DB, so that a smoke database stays a smoke database.
# Each target runs S seconds on the corpus it grew in earlier campaigns (build/fuzz/corpus/
# TARGET, never committed) plus the seeds (fuzz/corpus/TARGET), with its dictionary
# (fuzz/dict/TARGET.dict) if there is one. J = 1: one process; J > 1: libFuzzer's -fork=J,
# which keeps going after a crash. A crashing input is kept in build/fuzz/crashes/TARGET/.
# Stored per target (fuzz-record: a run, chapter 'fuzz', experiment TARGET): executions,
# seconds (wall), cpu_seconds (the fuzzer's user + system time: on a shared machine the
# rate per CPU second says what an idle core would do), exec_per_s (per wall second), cov
# (covered edges), ft (coverage features), corpus (inputs kept), crashes (crash, leak,
# timeout or out-of-memory inputs written). The exit status is 1 if any target crashed.
set -euo pipefail

bin_dir=build/fuzz seconds=60 jobs=1 db= record= profile=full
while [[ $# -gt 0 ]]; do
    case "$1" in
        --bin-dir) bin_dir=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --jobs) jobs=$2; shift 2 ;;
        --db) db=$2; shift 2 ;;
        --record) record=$2; shift 2 ;;
        --profile) profile=$2; shift 2 ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "campaign.sh: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
[[ $# -gt 0 ]] || { echo "campaign.sh: no targets" >&2; exit 2; }
[[ -n $db && -n $record ]] || { echo "campaign.sh: --db and --record are required" >&2; exit 2; }

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
# User + system seconds of the children waited for so far: bash's `times` (second line),
# written to a file because in $(...) or a pipe it would describe a subshell instead.
times_file=$(mktemp)
trap 'rm -f "$times_file"' EXIT
child_cpu() {
    awk 'NR == 2 { split($1, u, "m"); split($2, s, "m")
                   printf "%.2f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$times_file"
}
compiler=$(${FUZZ_CC:-clang} --version | head -n 1 | sed 's/"/ /g')
crashed=()
echo "fuzz: ${seconds} s per target, $jobs job(s); figures into $db"
for t in "$@"; do
    fuzzer=$bin_dir/fuzz_$t corpus=$bin_dir/corpus/$t crashes=$bin_dir/crashes/$t
    log=$bin_dir/logs/campaign-$t.log
    mkdir -p "$corpus" "$crashes" "$(dirname "$log")"
    opts=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
          -artifact_prefix="$crashes/")
    [[ -f fuzz/dict/$t.dict ]] && opts+=(-dict="fuzz/dict/$t.dict")
    [[ $jobs -gt 1 ]] && opts+=(-fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    before=$(find "$crashes" -type f | wc -l)
    times >"$times_file"
    start=$(date +%s.%N) cpu_start=$(child_cpu)
    rc=0
    "$fuzzer" "${opts[@]}" "$corpus" "fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
    elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    times >"$times_file"
    cpu=$(awk -v a="$cpu_start" -v b="$(child_cpu)" 'BEGIN { printf "%.1f", b - a }')
    new_crashes=$(( $(find "$crashes" -type f | wc -l) - before ))
    # Single process: the final statistics, else the last status line ("#N ... cov: C ft: F
    # corp: K/..."). Fork mode: its last status line ("#N: cov: C ft: F corp: K exec/s ...").
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    status=$(grep -a '^#[0-9]' "$log" | grep -a 'cov:' | tail -n 1 || true)
    [[ -n $execs ]] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$status")
    cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$status")
    ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$status")
    corp=$(sed -n 's/.*corp: \([0-9]*\).*/\1/p' <<<"$status")
    rate=$(awk -v n="${execs:-0}" -v s="$elapsed" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
    cpu_rate=$(awk -v n="${execs:-0}" -v s="$cpu" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
    printf '  FUZZ %-13s %10s executions in %5s s (%5s/s; %5s s CPU, %5s/CPU-s), cov %4s, ft %5s, corpus %4s, crashes %d\n' \
        "$t" "${execs:-?}" "$elapsed" "$rate" "$cpu" "$cpu_rate" "${cov:-?}" "${ft:-?}" \
        "${corp:-?}" "$new_crashes"
    if [[ $rc -ne 0 || $new_crashes -gt 0 ]]; then
        crashed+=("$t")
        echo "    $t: fuzzer exit $rc; inputs in $crashes/, log $log" >&2
        grep -a -m 3 'ERROR\|runtime error' "$log" | sed 's/^/    /' >&2 || true
    fi
    config=$(printf '{"seconds":%s,"jobs":%s,"engine":"libFuzzer","compiler":"%s","sanitizers":"address,undefined","dictionary":%s}' \
        "$seconds" "$jobs" "$compiler" "$([[ -f fuzz/dict/$t.dict ]] && echo true || echo false)")
    "$record" --db "$db" --profile "$profile" --target "$t" --config "$config" executions="${execs:-0}" \
        seconds="$elapsed" cpu_seconds="$cpu" exec_per_s="$rate" cov="${cov:-0}" ft="${ft:-0}" \
        corpus="${corp:-0}" crashes="$new_crashes"
done
if [[ ${#crashed[@]} -gt 0 ]]; then
    echo "fuzz: crashes in: ${crashed[*]} (reproduce: $bin_dir/fuzz_TARGET INPUT; see fuzz/README.md)" >&2
    exit 1
fi
