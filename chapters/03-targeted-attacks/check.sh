# chapters/03-targeted-attacks/check.sh - sourced by tests/integration.sh after the smoke
# pipeline (helpers: check, q, pass, fail; paths: $OUT, $DB).
#
# Carlini-Wagner attacks every correctly classified 2 (so its L2 is compared with PGD's on
# the same images), model B trains as long as model A, the fine-tunes log their curve, and
# the 10 x 3 grids are one PNG per method, recorded with their SHA-256.
ch=03-targeted-attacks
attacks="(SELECT max(id) FROM latest_runs WHERE chapter = '$ch' AND experiment = 'attacks')"
check "$ch: Carlini-Wagner on every attacked 2" \
    test "$(q "SELECT count(DISTINCT sample) FROM attacks WHERE run_id = $attacks AND method = 'cw'")" = \
         "$(q "SELECT count(DISTINCT sample) FROM attacks WHERE run_id = $attacks AND method = 'pgd'")"
check "$ch: model B trained as long as model A" \
    test "$(q "SELECT count(DISTINCT json_extract(config_json, '$.epochs')) FROM latest_runs
               WHERE chapter = '$ch' AND experiment IN ('cnn', 'cnn-b')")" = 1
for ft in finetune-clean finetune-adv; do
    check "$ch: $ft logs clean and attacked accuracy from epoch 0 to its last" \
        test "$(q "SELECT count(*) FROM epochs e JOIN latest_runs r ON r.id = e.run_id
                   WHERE r.chapter = '$ch' AND r.experiment = '$ft' AND e.split IN ('test', 'test-pgd')")" = \
             "$(q "SELECT 2 * (json_extract(config_json, '$.epochs') + 1) FROM latest_runs
                   WHERE chapter = '$ch' AND experiment = '$ft'")"
done
check "$ch: figure finetune_curve (svg and pdf)" \
    test -s "$OUT/figures/$ch-finetune_curve.svg" -a -s "$OUT/figures/$ch-finetune_curve.pdf"
grids_ok=1 grids=0
while IFS='|' read -r path sha; do
    grids=$((grids + 1))
    [[ "$(sha256sum "$path" | cut -d' ' -f1)" == "$sha" ]] || grids_ok=0
done < <(q "SELECT path, sha256 FROM artifacts WHERE run_id = $attacks AND path LIKE '%-grid-%.png'")
check "$ch: one grid PNG per method ($grids), each matching its SHA-256" \
    test "$grids_ok" = 1 -a "$grids" = 3
