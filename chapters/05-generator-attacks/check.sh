# check.sh - chapter 05's assertions on the smoke pipeline (sourced by tests/integration.sh,
# which provides check, pass, fail, q, $OUT, $DB, $HTML and $OUT/report.txt).
ch=05-generator-attacks
latest() { echo "(SELECT max(id) FROM latest_runs WHERE chapter = '$ch' AND experiment = '$1')"; }

for e in mnist-fc mnist-conv mnist-conv-robust cifar-robust gen-fc gen-conv gen-conv-xent \
         gen-cifar eval-conv eval-conv-robust eval-cifar eval-cifar-robust; do
    check "$ch: run $e done" test "$(q "SELECT count(*) FROM latest_runs WHERE chapter = '$ch' AND experiment = '$e'")" -ge 1
done

# The classifiers are files written by the earlier programs, recorded with their SHA-256, and
# the experiment names the files it attacked.
sha_ok=1 models=0
while IFS='|' read -r path sha; do
    models=$((models + 1))
    [[ -f "$path" && "$(sha256sum "$path" | cut -d' ' -f1)" == "$sha" ]] || sha_ok=0
done < <(q "SELECT a.path, a.sha256 FROM artifacts a JOIN latest_runs r ON r.id = a.run_id
            WHERE r.chapter = '$ch' AND a.kind = 'model'")
check "$ch: model files written and matching their SHA-256 ($models)" test "$sha_ok" = 1 -a "$models" -ge 4
check "$ch: model files live next to the database" \
    test "$(q "SELECT count(*) FROM artifacts a JOIN latest_runs r ON r.id = a.run_id
              WHERE r.chapter = '$ch' AND a.kind = 'model' AND a.path NOT LIKE '$OUT/$ch/%'")" = 0
check "$ch: gen-conv attacked the file mnist-conv recorded" \
    test "$(q "SELECT json_extract(config_json, '$.model.sha256') FROM runs WHERE id = $(latest gen-conv)")" = \
         "$(q "SELECT sha256 FROM artifacts WHERE kind = 'model' AND run_id = $(latest mnist-conv)")"

# The assignment's shape: 5 digits (one per class) x 10 targets per MNIST model, 1 x 10 on CIFAR.
for e in gen-fc gen-conv; do
    check "$ch: $e attacked 5 images of 5 different digits towards 10 classes" \
        test "$(q "SELECT count(*) || ' ' || count(DISTINCT sample) || ' ' || count(DISTINCT source) || ' ' || count(DISTINCT target)
                  FROM attacks WHERE run_id = $(latest $e) AND method = 'generator'")" = "50 5 5 10"
done
check "$ch: gen-cifar attacked 1 image towards 10 classes" \
    test "$(q "SELECT count(*) || ' ' || count(DISTINCT sample) FROM attacks WHERE run_id = $(latest gen-cifar) AND method = 'generator'")" = "10 1"
check "$ch: fc and conv attacked the same digits" \
    test "$(q "SELECT group_concat(DISTINCT sample) FROM attacks WHERE run_id = $(latest gen-fc) AND method = 'generator'")" = \
         "$(q "SELECT group_concat(DISTINCT sample) FROM attacks WHERE run_id = $(latest gen-conv) AND method = 'generator'")"

# Every round logged: rounds 0..steps for every pair, 12 epochs rows per round (two losses and
# ten probabilities), and the stopping rule holds.
for e in gen-fc gen-conv gen-cifar; do
    check "$ch: $e logged every round of every pair" \
        test "$(q "SELECT count(*) FROM attacks f WHERE f.run_id = $(latest $e) AND f.method = 'generator' AND
                  (SELECT count(*) FROM attacks g WHERE g.run_id = f.run_id AND g.method = 'gen-round'
                     AND g.sample = f.sample AND g.target = f.target) != f.steps + 1")" = 0
    check "$ch: $e has 12 epochs rows per round" \
        test "$(q "SELECT count(*) FROM epochs WHERE run_id = $(latest $e)")" = \
             "$(q "SELECT 12 * count(*) FROM attacks WHERE run_id = $(latest $e) AND method = 'gen-round'")"
    check "$ch: $e stopped by its rule (p >= 0.9 or the round budget)" \
        test "$(q "SELECT count(*) FROM attacks a JOIN runs r ON r.id = a.run_id WHERE a.run_id = $(latest $e)
                  AND a.method = 'generator' AND NOT ((a.success = 1 AND a.confidence >= 0.9)
                  OR (a.success = 0 AND a.steps = json_extract(r.config_json, '$.max_rounds')))")" = 0
done
check "$ch: the probabilities of a round sum to 1" \
    test "$(q "SELECT count(*) FROM (SELECT sum(accuracy) AS s FROM epochs WHERE run_id = $(latest gen-conv)
              AND split LIKE 'gen-p%' GROUP BY epoch, step) WHERE abs(s - 1) > 1e-3")" = 0
check "$ch: every generator image stayed in [0, 1] (L-inf to the original at most 1)" \
    test "$(q "SELECT count(*) FROM attacks a JOIN latest_runs r ON r.id = a.run_id WHERE r.chapter = '$ch'
              AND a.method LIKE 'gen%' AND (a.linf > 1 OR a.linf < 0)")" = 0

# Grids: PNG files of the recorded size, and the figures built from them.
png_ok=1 pngs=0
while IFS='|' read -r path sha w h; do
    pngs=$((pngs + 1))
    [[ -f "$path" && "$(sha256sum "$path" | cut -d' ' -f1)" == "$sha" ]] || png_ok=0
    file "$path" | grep -q "PNG image data, $w x $h" || png_ok=0
done < <(q "SELECT a.path, a.sha256, printf('%d', w.value), printf('%d', h.value) FROM artifacts a
            JOIN latest_runs r ON r.id = a.run_id JOIN metrics w ON w.run_id = r.id AND w.name = 'grid_width'
            JOIN metrics h ON h.run_id = r.id AND h.name = 'grid_height' WHERE r.chapter = '$ch' AND a.kind = 'image'")
check "$ch: 10 grid PNGs of the recorded size and SHA-256 ($pngs)" test "$png_ok" = 1 -a "$pngs" = 10
for f in grid_fc delta_fc grid_conv delta_conv cifar robust_mnist success_rounds gradients trajectory; do
    check "$ch: figure $f (svg and pdf)" test -s "$OUT/figures/$ch-$f.svg" -a -s "$OUT/figures/$ch-$f.pdf"
done

# Robustness rows: clean accuracy, PGD at three radii, the generator on held-out images only.
for e in eval-conv eval-conv-robust eval-cifar eval-cifar-robust; do
    check "$ch: $e has clean and PGD accuracies" \
        test "$(q "SELECT count(*) FROM metrics WHERE run_id = $(latest $e) AND (name = 'clean_accuracy' OR name LIKE 'pgd_accuracy@%')")" = 4
done
check "$ch: held-out images are not the showcase digits" \
    test "$(q "SELECT count(*) FROM attacks WHERE run_id = $(latest eval-conv) AND sample IN
              (SELECT sample FROM attacks WHERE run_id = $(latest gen-conv))")" = 0

# The numbers in the text are the database's.
n_fc=$(q "SELECT printf('%d of %d', sum(success), count(*)) FROM attacks WHERE run_id = $(latest gen-fc)
          AND method = 'generator' AND target != source")
# (pandoc wraps the HTML's lines, possibly inside the value: compare with line breaks as spaces)
check "$ch: HTML shows the FC success count ($n_fc)" bash -c 'tr "\n" " " <"$1" | grep -qF -- "$2"' _ "$HTML" "$n_fc"
check "$ch: PDF shows the FC success count ($n_fc)" grep -q -- "$n_fc" "$OUT/report.txt"

# Bad input: one line naming the problem, a non-zero exit, nothing recorded lost.
ch05_fails_with() { # ch05_fails_with TEXT COMMAND...: fails, and says TEXT in one line
    local text=$1 msg
    shift
    if msg=$("$@" 2>&1 >/dev/null); then return 1; fi
    [[ $(printf '%s\n' "$msg" | wc -l) -eq 1 ]] && grep -q -- "$text" <<<"$msg"
}
check "$ch: no classifiers in the database is one clear line" \
    ch05_fails_with "no mnist-fc model" build/release/bin/$ch --db "$OUT/ch05-empty.sqlite" --profile smoke
cp "$DB" "$OUT/ch05-copy.sqlite"
check "$ch: a missing --cifar-model file is named" \
    ch05_fails_with "nope.nnm" build/release/bin/$ch --db "$OUT/ch05-copy.sqlite" --profile smoke --cifar-model "$OUT/nope.nnm"
sqlite3 "$OUT/ch05-copy.sqlite" "UPDATE runs SET status = 'failed' WHERE chapter = '04-cifar10'
                                 OR (chapter = '$ch' AND experiment = 'cifar-standin')"
rows_before=$(sqlite3 "$OUT/ch05-copy.sqlite" "SELECT count(*) || ' ' || (SELECT count(*) FROM attacks) FROM runs")
check "$ch: no CIFAR-10 model is one clear line" \
    ch05_fails_with "no CIFAR-10 model: chapter 04 recorded none" build/release/bin/$ch --db "$OUT/ch05-copy.sqlite" --profile smoke
check "$ch: the failed attempts lost no recorded row" \
    test "$(sqlite3 "$OUT/ch05-copy.sqlite" "SELECT count(*) || ' ' || (SELECT count(*) FROM attacks) FROM runs")" = "$rows_before"
