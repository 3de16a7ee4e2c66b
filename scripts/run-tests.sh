#!/usr/bin/env bash
# run-tests.sh - run each test binary, keep going after a failure, and end with one
# summary line ("N passed, N failed") counted from Criterion's own synthesis lines.
set -u
passed=0 failed=0 bad=()
for t in "$@"; do
    log=$(mktemp)
    "$t" --short-filename 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    line=$(grep -a 'Synthesis:' "$log" | tail -n 1)
    p=$(sed -n 's/.*Passing: \([0-9]*\).*/\1/p' <<<"$line")
    f=$(sed -n 's/.*Failing: \([0-9]*\).*/\1/p' <<<"$line")
    c=$(sed -n 's/.*Crashing: \([0-9]*\).*/\1/p' <<<"$line")
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0} + ${c:-0}))
    if [[ $rc -ne 0 || -z "$line" ]]; then
        bad+=("$(basename "$t")")
        [[ -z "$line" ]] && failed=$((failed + 1))
    fi
    rm -f "$log"
done
echo "tests: $passed passed, $failed failed"
if [[ ${#bad[@]} -gt 0 ]]; then
    echo "failing test programs: ${bad[*]}" >&2
    exit 1
fi
