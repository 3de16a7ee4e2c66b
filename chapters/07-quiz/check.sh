# 07-quiz/check.sh - the quiz chapter's assertions on the smoke pipeline (sourced by
# tests/integration.sh, which provides check, q, $OUT, $DB, $HTML and $OUT/report.txt).
ch=07-quiz
seeds=$(q "SELECT count(*) FROM latest_runs WHERE chapter = '$ch' AND experiment = 'mnist-mlp'")
check "$ch: a classifier, its saliency run and its losses run per seed ($seeds)" \
    test "$seeds" -ge 1 -a \
         "$(q "SELECT count(*) FROM latest_runs WHERE chapter = '$ch' AND experiment IN ('saliency', 'losses')")" = $((2 * seeds))
check "$ch: counting runs for both approaches at every size and seed" \
    test "$(q "SELECT count(*) FROM latest_runs WHERE chapter = '$ch' AND experiment LIKE 'count-A-%'")" -ge 2 -a \
         "$(q "SELECT count(*) FROM latest_runs WHERE chapter = '$ch' AND experiment LIKE 'count-A-%'")" = \
         "$(q "SELECT count(*) FROM latest_runs WHERE chapter = '$ch' AND experiment LIKE 'count-B-%'")"
check "$ch: every counting run logged its error and exact-count rate" \
    test "$(q "SELECT count(*) FROM latest_runs r WHERE r.chapter = '$ch' AND r.experiment LIKE 'count-%'
               AND 2 != (SELECT count(*) FROM metrics m WHERE m.run_id = r.id AND m.name IN ('count_mae', 'count_exact'))")" = 0
check "$ch: B was trained on 64 cell labels per image, A on one count" \
    test "$(q "SELECT count(*) FROM latest_runs r JOIN metrics m ON m.run_id = r.id WHERE r.chapter = '$ch'
               AND m.name = 'labels' AND m.value != json_extract(r.config_json, '$.train_images')
                                                     * CASE WHEN r.experiment LIKE 'count-B-%' THEN 64 ELSE 1 END")" = 0
check "$ch: the finite-difference check passes (relative error < 1e-2 at every image)" \
    test "$(q "SELECT count(*) FROM latest_metrics WHERE chapter = '$ch' AND experiment = 'saliency' AND name = 'fd_max_rel_error' AND value < 1e-2")" = "$seeds"
check "$ch: the smallest steps along -dL/dx change the loss as predicted (within 1%)" \
    test "$(q "SELECT count(*) FROM latest_runs r JOIN metrics l ON l.run_id = r.id
               JOIN metrics pr ON pr.run_id = r.id AND pr.name = replace(l.name, 'length', 'predicted')
               JOIN metrics me ON me.run_id = r.id AND me.name = replace(l.name, 'length', 'measured')
               WHERE r.chapter = '$ch' AND r.experiment = 'saliency' AND l.name LIKE 'step/%/length'
                 AND l.value <= 0.001 AND abs(me.value / pr.value - 1) > 0.01")" = 0
check "$ch: C and D with softmax stay at or above -2, with logits they go below" \
    test "$(q "SELECT count(*) FROM latest_runs r JOIN metrics m ON m.run_id = r.id WHERE r.chapter = '$ch'
               AND r.experiment = 'losses' AND ((m.name LIKE 'final/C/%/loss' OR m.name LIKE 'final/D/%/loss') AND m.value < -2
                                                OR (m.name LIKE 'final/C-logits/%/loss' OR m.name LIKE 'final/D-logits/%/loss') AND m.value >= -2)")" = 0
for f in saliency losses aquarium; do
    check "$ch: image figure $f.png" test -s "$OUT/figures/$ch-$f.png"
done
for f in steps counting losses; do
    check "$ch: figure $f (svg and pdf)" test -s "$OUT/figures/$ch-$f.svg" -a -s "$OUT/figures/$ch-$f.pdf"
done
sha_ok=1
while IFS='|' read -r path sha; do
    [[ -s "$path" && "$(sha256sum "$path" | cut -d' ' -f1)" == "$sha" ]] || sha_ok=0
done < <(q "SELECT a.path, a.sha256 FROM artifacts a JOIN latest_runs r ON r.id = a.run_id WHERE r.chapter = '$ch'")
check "$ch: every PNG matches its recorded SHA-256" test "$sha_ok" = 1
# The answer key's numbers, straight from the database, in both outputs.
mae=$(q "SELECT printf('%.2f', avg(m.value)) FROM latest_runs r JOIN metrics m ON m.run_id = r.id
         WHERE r.chapter = '$ch' AND r.experiment LIKE 'count-A-%' AND m.name = 'count_mae'
           AND json_extract(r.config_json, '$.train_images') = (SELECT max(json_extract(config_json, '$.train_images'))
               FROM latest_runs WHERE chapter = '$ch' AND experiment LIKE 'count-A-%')")
check "$ch: HTML answer key shows A's counting error $mae" grep -q -- "mean error $mae fish" "$HTML"
check "$ch: PDF shows A's counting error $mae" grep -q -- "$mae" "$OUT/report.txt"
fd=$(q "SELECT printf('%.1e', max(value)) FROM latest_metrics WHERE chapter = '$ch' AND experiment = 'saliency' AND name = 'fd_max_rel_error'")
# The filler writes C's exponent form as a power of ten in maths (src/render/sci.h); the HTML
# keeps that TeX as the MathML's annotation.
mant=${fd%[eE]*} ex=${fd#*[eE]} sign=
[[ $ex == -* ]] && sign=-
ex=$((10#${ex#[-+]}))
if ((ex == 0)); then fd_tex=$mant
elif [[ $mant == 1 ]]; then fd_tex="10^{$sign$ex}"
else fd_tex="$mant \\times 10^{$sign$ex}"
fi
check "$ch: HTML shows the largest finite-difference error $fd as $fd_tex" grep -qF -- "$fd_tex" "$HTML"
check "$ch: HTML states question 4 as cut off" grep -q "cut off in the source" "$HTML"
