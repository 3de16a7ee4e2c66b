#!/usr/bin/env bash
# integration.sh - the whole pipeline on the smoke profile, from an empty database, with
# assertions on what it produced. Run by `make check` (after the unit tests).
#
# Checks: every experiment finished ('done', none left 'running'); the HTML is one
# self-contained file with the figures embedded and math as MathML; the HTML and the PDF
# both hold the numbers the database holds; a second `make` has nothing to do; the same
# seed gives bit-identical rows; a bad placeholder fails the build naming file and line.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=build/itest
DB=$OUT/results.sqlite
HTML=$OUT/report/report.html
PDF=$OUT/report/report.pdf
failures=0 passes=0

pass() { passes=$((passes + 1)); echo "  ok   $*"; }
fail() { failures=$((failures + 1)); echo "  FAIL $*" >&2; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
q() { sqlite3 -batch -noheader "$DB" "$1"; }

echo "integration: smoke pipeline from an empty database in $OUT"
rm -rf "$OUT"
make --no-print-directory PROFILE=smoke OUT="$OUT" report-files >"$OUT.log" 2>&1 || {
    tail -n 40 "$OUT.log" >&2
    echo "integration: the smoke pipeline failed (log: $OUT.log)" >&2
    echo "0 passed, 1 failed"
    exit 1
}

check "database exists" test -s "$DB"
check "every run finished" test "$(q "SELECT count(*) FROM runs WHERE status != 'done'")" = 0
chapters=$(ls -d chapters/*/ | wc -l)
check "every chapter has done runs" \
    test "$(q "SELECT count(DISTINCT chapter) FROM latest_runs")" = "$chapters"
check "epochs were logged" test "$(q "SELECT count(*) FROM epochs")" -gt 0
check "gradient statistics were logged" test "$(q "SELECT count(*) FROM grad_stats")" -gt 0

check "HTML report exists" test -s "$HTML"
check "PDF report exists" test -s "$PDF"
check "PDF is a PDF" grep -q '^%PDF' "$PDF"
check "HTML embeds its figures" grep -q 'data:image/svg+xml' "$HTML"
check "HTML loads nothing over the network" bash -c "! grep -Eq '(src|href)=\"https?://[^\"]*\\.(js|css|svg|png)' '$HTML'"
check "HTML renders math as MathML" grep -q '<math' "$HTML"
check "HTML has a bibliography" grep -q 'id="refs"' "$HTML"
check "HTML numbers its figures" grep -q 'Figure 1' "$HTML"

# The numbers in the report are the numbers in the database: take the intro chapter's
# headline value straight from the database and look for it in both outputs.
acc=$(q "SELECT printf('%.2f', 100 * avg(m.value)) FROM metrics m JOIN latest_runs r ON r.id = m.run_id
         WHERE r.chapter = '00-intro' AND r.experiment = 'mlp' AND m.name = 'test_accuracy'")
check "the database has the intro's accuracy ($acc)" test -n "$acc"
check "HTML shows the accuracy $acc" grep -q -- "$acc" "$HTML"
pdftotext "$PDF" "$OUT/report.txt"
check "PDF shows the accuracy $acc" grep -q -- "$acc" "$OUT/report.txt"
check "PDF has a table of contents" grep -q 'Contents' "$OUT/report.txt"

# Nothing changed, so nothing may run again.
if make --no-print-directory -q PROFILE=smoke OUT="$OUT" report-files; then
    pass "a second make has nothing to do"
else
    fail "a second make would redo work: $(make -n PROFILE=smoke OUT="$OUT" report-files | head -3)"
fi

# Same seed, same numbers: each of three chapters with different kernels (dense layers,
# convolutions, the FER2013 network) runs twice into fresh databases at one and at two
# threads; the two runs at the same thread count must give bit-identical rows. Whether
# one and two threads agree with each other is reported, not required: the README
# promises bit-for-bit results for the same seed and thread count only. Timings and speeds
# (seconds, ms, per second, fps, throughput, GFLOPS, memory) measure the machine, not the
# seed, and are left out.
dump() {
    sqlite3 -batch "$1" "SELECT r.experiment, e.epoch, e.step, e.split, quote(e.loss), quote(e.accuracy)
        FROM epochs e JOIN runs r ON r.id = e.run_id ORDER BY e.rowid;
        SELECT r.experiment, g.epoch, g.layer, g.kind, quote(g.max_abs), quote(g.l2)
        FROM grad_stats g JOIN runs r ON r.id = g.run_id ORDER BY g.rowid;
        SELECT r.experiment, m.name, quote(m.value) FROM metrics m JOIN runs r ON r.id = m.run_id
        WHERE m.name NOT LIKE '%seconds%' AND m.name NOT LIKE '%_ms%' AND m.name NOT LIKE '%per_s%'
          AND m.name NOT LIKE '%fps%' AND m.name NOT LIKE '%rss%' AND m.name NOT LIKE 'throughput%'
          AND m.name NOT LIKE '%gflops%' ORDER BY m.rowid;"
}
for ch in 00-intro 04-cifar10 06-emotion; do
    declare -A rows=()
    for threads in 1 2; do
        for i in 1 2; do
            # each run in its own directory: a chapter writes its model files next to its
            # database, and those of the pipeline's database must stay as they are
            db=$OUT/repro/$ch-t$threads-$i/results.sqlite
            rm -rf "$(dirname "$db")" && mkdir -p "$(dirname "$db")"
            build/release/bin/$ch --db "$db" --profile smoke --seed 7 --threads $threads \
                --data-dir "${DATA_DIR:-data}" --figures "$OUT/repro-figures" >/dev/null 2>&1 ||
                fail "$ch at $threads thread(s) failed (seed 7)"
        done
        a=$(dump "$OUT/repro/$ch-t$threads-1/results.sqlite") b=$(dump "$OUT/repro/$ch-t$threads-2/results.sqlite")
        if [[ -n "$a" && "$a" == "$b" ]]; then
            pass "$ch: same seed at $threads thread(s) gives bit-identical rows ($(wc -l <<<"$a") rows)"
        else
            fail "$ch: same seed at $threads thread(s) gave different rows"
        fi
        rows[$threads]=$a
    done
    if [[ "${rows[1]}" == "${rows[2]}" ]]; then
        echo "  note $ch: one and two threads also agree bit for bit"
    else
        echo "  note $ch: one and two threads differ (summation order), as the README says"
    fi
    unset rows
done

# A fuzzing campaign recorded into the smoke database (make fuzz PROFILE=smoke) is shown by
# the appendix's table, and the database's report stays a smoke report.
fdb=$OUT/fuzz.sqlite
rm -f "$fdb"*
sqlite3 -batch "$DB" ".backup '$fdb'"
if build/release/bin/fuzz-record --db "$fdb" --profile smoke --target fer2013 --config '{}' \
       executions=12345 seconds=2 cpu_seconds=1.5 cov=77 crashes=0; then
    check "a smoke campaign leaves the report on the smoke profile" \
        test "$(sqlite3 -batch "$fdb" "SELECT profile FROM report_profile")" = smoke
    check "the appendix's fuzzing table shows the campaign" \
        grep -q "| fer2013 *| *1 | 12,345 *|" <(build/release/bin/fill --db "$fdb" \
            chapters/99-appendix/chapter.md 2>&1)
else
    fail "fuzz-record refused a smoke campaign"
fi

# A placeholder whose query returns nothing fails the build, naming file, line and SQL.
bad=$OUT/bad-chapter.md
printf 'Fine line.\nAccuracy {{ SELECT value FROM metrics WHERE name = %s }}.\n' "'nope'" >"$bad"
if msg=$(build/release/bin/fill --db "$DB" "$bad" 2>&1 >/dev/null); then
    fail "an empty placeholder was accepted"
else
    check "an empty placeholder names file:line ($msg)" grep -q "bad-chapter.md:2" <<<"$msg"
fi

# No placeholder may fill without data: on a copy of the database whose report shows no
# run, every inline value and every table must fail on its own (a count of nothing, a CASE
# that falls to its ELSE on NULL, a coalesce() fallback would print a sentence the data did
# not write).
cp "$DB" "$OUT/no-runs.sqlite"
sqlite3 "$OUT/no-runs.sqlite" "UPDATE runs SET status = 'failed'"
if out=$(tests/placeholders_need_data.pl build/release/bin/fill "$OUT/no-runs.sqlite" \
         chapters/*/chapter.md 2>&1); then
    pass "every placeholder needs data (none fills on a database without runs)"
else
    fail "placeholders that fill without data:"$'\n'"$out"
fi
check "fill --profile smoke accepts the smoke database" \
    bash -c "build/release/bin/fill --db '$DB' --profile smoke chapters/00-intro/chapter.md >/dev/null"
if build/release/bin/fill --db "$DB" --profile full chapters/00-intro/chapter.md >/dev/null 2>&1; then
    fail "fill --profile full accepted a smoke database"
else
    pass "fill --profile full refuses a smoke database"
fi

# No number in C's exponent form ("1e-05") reaches the text: the filler writes such values
# as powers of ten (src/render/sci.h). Looked for in the filled chapters, without the
# provenance attributes (which quote the SQL, braces and all) and code.
exponents=$(perl -0777 -ne 's/\{\.nnq(?:[^"}]|"(?:[^"\\]|\\.)*")*\}//g; s/^(```+|~~~+).*?^\1//msg; s/`[^`\n]*`//g;
    print "$ARGV: $&\n" while /(?<![\w.\-])-?\d+(?:\.\d+)?[eE][+-]?\d+(?![\w.])/g' "$OUT"/work/md/*.md)
check "no number in exponent form in the filled chapters${exponents:+: $exponents}" test -z "$exponents"

# A chapter's own checks of the smoke pipeline live beside it (chapters/NN-name/check.sh),
# sourced here so they share q, check, pass, fail and the paths above.
for chapter_check in chapters/*/check.sh; do
    [[ -e "$chapter_check" ]] || continue
    # shellcheck source=/dev/null
    source "$chapter_check"
done

echo "integration: $passes passed, $failures failed"
[[ $failures -eq 0 ]]
